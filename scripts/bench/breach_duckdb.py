#!/usr/bin/env python3
"""DuckDB reference for the breach engine's benchmark (issue #4).

Computes, with SQL from the synthetic carrier's files alone, the cohort table that
`custodian incident cohorts --format csv` prints after `inventory load-synth`, an incident with
every system exposed in clear, and `incident impact`:

- the vault is people.csv (one person per row; identifiers normalized as the vault's blind
  indexes normalize them);
- each system file's rows are linked to people as crates/breach/src/link.rs does: by
  external_id where the file has that column, else through the first of ssn, licence
  (dl_state:DL_NUMBER), e-mail, IMEI, IMSI, phone that matches anybody (a shared identifier
  links the row to everyone who has it);
- a linked row holds the dataset's elements whose column is non-empty, plus the dataset's
  elements that have no column at all (inventory.rs); each exposure counts its dataset's
  elements in clear; a person's exposed set is the union over every exposure;
- cohorts are the affected people grouped by account kind and exposed set (cohort.rs), largest
  first, then a `not_affected` line.

Usage: breach_duckdb.py DIR [--threads N]. The CSV goes to stdout; timings go to stderr.
"""
import argparse
import os
import sys
import time
import tomllib

import duckdb

ELEMENTS = ["full_name", "postal_address", "date_of_birth", "ssn", "drivers_license",
            "phone_number", "email", "imei", "imsi", "account_pin", "account_password",
            "account_number", "payment_card"]
BIT = {e: i for i, e in enumerate(ELEMENTS)}
SHORT = {"full_name": "name", "postal_address": "address", "date_of_birth": "DOB", "ssn": "SSN",
         "drivers_license": "licence", "phone_number": "phone", "email": "e-mail",
         "imei": "IMEI", "imsi": "IMSI", "account_pin": "PIN", "account_password": "password",
         "account_number": "account number", "payment_card": "card number"}
KINDS = ["postpaid", "prepaid", "former", "prospective"]
KIND_LABEL = {"postpaid": "current postpaid", "prepaid": "current prepaid",
              "former": "former", "prospective": "prospective"}

# Header -> role, as crates/breach/src/columns.rs `role_by_header`.
HEADERS = {
    "external_id": "external_id", "customer_id": "external_id", "person_id": "external_id",
    "account_kind": "account_kind", "account_type": "account_kind",
    "dl_state": "dl_state", "license_state": "dl_state", "licence_state": "dl_state",
    **{h: "full_name" for h in ["first_name", "last_name", "full_name", "name", "given_name",
                                "family_name", "surname", "fname", "lname", "customer_name"]},
    **{h: "postal_address" for h in ["street", "address", "street_address", "address1",
                                     "address_line1", "city", "state", "zip", "zip_code",
                                     "zipcode", "postal_code", "postal_address"]},
    **{h: "date_of_birth" for h in ["dob", "date_of_birth", "birth_date", "birthdate"]},
    **{h: "ssn" for h in ["ssn", "social_security_number", "ss_number"]},
    **{h: "drivers_license" for h in ["dl_number", "drivers_license", "driver_license",
                                      "license_number", "licence_number", "dl"]},
    **{h: "phone_number" for h in ["phone", "phone_number", "msisdn", "mobile", "mdn", "cell",
                                   "telephone"]},
    **{h: "email" for h in ["email", "e_mail", "email_address"]},
    "imei": "imei", "imsi": "imsi",
    **{h: "account_pin" for h in ["pin", "account_pin", "passcode"]},
    **{h: "account_password" for h in ["password", "account_password"]},
    **{h: "account_number" for h in ["account_number", "ban", "account_no"]},
    **{h: "payment_card" for h in ["card", "card_number", "payment_card", "pan", "cc_number"]},
}


def header_key(h):
    k = "".join(c.lower() if c.isascii() and c.isalnum() else "_" for c in h.strip())
    return k.strip("_")


def q(name):
    return '"' + name.replace('"', '""') + '"'


def cell(col):
    """A trimmed cell, NULL when empty (input.rs)."""
    return f"nullif(trim({q(col)}), '')"


# Normalizations of the vault's blind indexes (crates/vault/src/types).
def norm(field, v, state=None):
    if field == "ssn":
        return f"nullif(regexp_replace({v}, '[- ]', '', 'g'), '')"
    if field in ("imei", "imsi"):
        return f"nullif(regexp_replace({v}, '[- /]', '', 'g'), '')"
    if field == "email":
        return f"lower({v})"
    if field == "phone_number":
        d = f"regexp_replace({v}, '[ .()-]', '', 'g')"
        return (f"CASE WHEN regexp_full_match({d}, '\\+1[0-9]{{10}}') THEN {d} "
                f"WHEN regexp_full_match({d}, '1[0-9]{{10}}') THEN '+' || {d} "
                f"WHEN regexp_full_match({d}, '[0-9]{{10}}') THEN '+1' || {d} END")
    if field == "drivers_license":
        return (f"upper(trim({state})) || ':' || "
                f"upper(nullif(regexp_replace({v}, '[ -]', '', 'g'), ''))")
    raise ValueError(field)


KEY_ORDER = ["ssn", "drivers_license", "email", "imei", "imsi", "phone_number"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    t0 = time.monotonic()
    con = duckdb.connect()
    if args.threads:
        con.execute(f"SET threads = {args.threads}")
    d = args.dir
    with open(os.path.join(d, "systems.toml"), "rb") as f:
        systems = tomllib.load(f)["systems"]

    read = "read_csv('{}', header = true, all_varchar = true, quote = '\"')"
    people_csv = os.path.join(d, "people.csv")
    con.execute(f"""
        CREATE TABLE people AS
        SELECT row_number() OVER () AS pid,
               {cell('external_id')} AS external_id,
               {cell('account_kind')} AS account_kind,
               {norm('ssn', cell('ssn'))} AS k_ssn,
               {norm('drivers_license', cell('dl_number'), cell('dl_state'))} AS k_drivers_license,
               {norm('email', cell('email'))} AS k_email,
               {norm('imei', cell('imei'))} AS k_imei,
               {norm('imsi', cell('imsi'))} AS k_imsi,
               {norm('phone_number', cell('phone'))} AS k_phone_number
        FROM {read.format(people_csv)}""")
    t_people = time.monotonic()

    links = []
    for k, s in enumerate(systems):
        path = os.path.join(d, s["file"])
        header = con.execute(f"SELECT * FROM {read.format(path)} LIMIT 0").description
        cols = [c[0] for c in header]
        roles = {c: HEADERS.get(header_key(c)) for c in cols}
        elements = set(s["elements"])
        column_elements = {r for r in roles.values() if r in BIT}
        column_elements |= {"drivers_license" for r in roles.values() if r == "dl_state"}
        always = sum(1 << BIT[e] for e in elements - column_elements)
        allowed = sum(1 << BIT[e] for e in elements) | always
        bit_terms = [f"CASE WHEN {cell(c)} IS NOT NULL THEN {1 << BIT['drivers_license' if r == 'dl_state' else r]} ELSE 0 END"
                     for c, r in roles.items() if r in BIT or r == "dl_state"]
        bits = f"(({' | '.join(bit_terms) or '0'}) | {always}) & {allowed}"
        first = {}
        for c, r in roles.items():
            first.setdefault(r, c)
        keys = []
        if "external_id" in first:
            keys.append(("external_id", cell(first["external_id"]), "external_id"))
        for f in KEY_ORDER:
            if f in first:
                if f == "drivers_license":
                    if "dl_state" not in first:
                        continue
                    keys.append((f, norm(f, cell(first[f]), cell(first["dl_state"])),
                                 "k_" + f))
                else:
                    keys.append((f, norm(f, cell(first[f])), "k_" + f))
        sel = ", ".join([f"{expr} AS key{i}" for i, (_, expr, _) in enumerate(keys)])
        t = f"sys{k}"
        con.execute(f"CREATE TEMP TABLE {t} AS SELECT row_number() OVER () AS rid, "
                    f"{bits} AS bits, {sel} FROM {read.format(path)}")
        cands = " UNION ALL ".join(
            f"SELECT r.rid, {i} AS prio, p.pid FROM {t} r JOIN people p ON p.{pcol} = r.key{i}"
            for i, (_, _, pcol) in enumerate(keys))
        con.execute(f"""
            CREATE TEMP TABLE link{k} AS
            SELECT c.pid, bit_or(r.bits) & {allowed} AS bits
            FROM (SELECT * FROM ({cands}) QUALIFY prio = min(prio) OVER (PARTITION BY rid)) c
            JOIN {t} r USING (rid)
            GROUP BY c.pid""")
        links.append(f"SELECT pid, bits FROM link{k}")
    t_link = time.monotonic()

    rows = con.execute(f"""
        WITH exposed AS (
            SELECT pid, bit_or(bits) AS bits FROM ({' UNION ALL '.join(links)}) GROUP BY pid
        )
        SELECT p.account_kind, e.bits, count(*) AS people
        FROM exposed e JOIN people p USING (pid)
        WHERE e.bits <> 0
        GROUP BY ALL""").fetchall()
    population = con.execute("SELECT count(*) FROM people").fetchone()[0]
    t_done = time.monotonic()

    rows.sort(key=lambda r: (-r[2], KINDS.index(r[0]), r[1]))
    out = ["account_kind,elements,people,summary"]
    affected = 0
    for kind, bits, n in rows:
        names = [e for e in ELEMENTS if bits >> BIT[e] & 1]
        summary = f"{human_count(n)} {KIND_LABEL[kind]}: {', '.join(SHORT[e] for e in names)}"
        if "ssn" not in names:
            summary += ", no SSN"
        out.append(f'{kind},"{",".join(names)}",{n},"{summary}"')
        affected += n
    out.append(f'not_affected,,{population - affected},"not affected"')
    sys.stdout.write("\n".join(out) + "\n")
    print(f"duckdb {duckdb.__version__}: people {t_people - t0:.2f} s, link {t_link - t_people:.2f} s, "
          f"cohorts {t_done - t_link:.2f} s, total {t_done - t0:.2f} s", file=sys.stderr)


def human_count(n):
    if n <= 9_999:
        return f"{n:,}"
    if n <= 999_999:
        return f"{(n + 500) // 1000}K"
    s = f"{n / 1e6:.1f}"
    return (s[:-2] if s.endswith(".0") else s) + "M"


if __name__ == "__main__":
    main()
