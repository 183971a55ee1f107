"""A loopback SMTP server for the notification tests (aiosmtpd).

Listens on 127.0.0.1 on an ephemeral port, prints `PORT <n>` on stdout once listening, and
writes every message it accepts to OUT_DIR as `<n>.eml` (written to a temporary name, then
renamed, so a reader never sees half a message). Recipients whose local part starts with
`bounce` are refused with 550 (a hard bounce); `tempfail` with 451 (a soft failure).

With `--starttls CERT KEY` the server offers STARTTLS and refuses mail before it; with
`--smtps CERT KEY` it speaks TLS from the first byte. With `--auth USER PASSWORD` it requires
AUTH (PLAIN or LOGIN, only over TLS when TLS is configured) and refuses other credentials.

usage: python smtp_sink.py OUT_DIR [--starttls CERT KEY | --smtps CERT KEY] [--auth USER PASSWORD]
"""
import argparse
import asyncio
import itertools
import os
import ssl

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

ARGS = argparse.ArgumentParser()
ARGS.add_argument("out")
ARGS.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
ARGS.add_argument("--smtps", nargs=2, metavar=("CERT", "KEY"))
ARGS.add_argument("--auth", nargs=2, metavar=("USER", "PASSWORD"))
OPTS = ARGS.parse_args()
OUT = OPTS.out
COUNTER = itertools.count()
PID = os.getpid()


def tls_context(pair):
    if pair is None:
        return None
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(pair[0], pair[1])
    return ctx


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login.decode() == OPTS.auth[0]
        and auth_data.password.decode() == OPTS.auth[1]
    )
    # handled=False: aiosmtpd answers 235 or 535 itself.
    return AuthResult(success=ok, handled=False)


class Sink:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("bounce"):
            return "550 5.1.1 no such user"
        if local.startswith("tempfail"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        n = next(COUNTER)
        tmp = os.path.join(OUT, f".{PID}-{n}.tmp")
        with open(tmp, "wb") as f:
            f.write(b"X-Rcpt-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, os.path.join(OUT, f"{PID}-{n}.eml"))
        return "250 Message accepted"


def protocol():
    options = {"enable_SMTPUTF8": True, "data_size_limit": 10_000_000}
    if OPTS.starttls:
        options.update(tls_context=tls_context(OPTS.starttls), require_starttls=True)
    if OPTS.auth:
        options.update(
            authenticator=authenticator,
            auth_required=True,
            # Implicit TLS is TLS too, but aiosmtpd only knows about STARTTLS.
            auth_require_tls=bool(OPTS.starttls),
        )
    return SMTP(Sink(), **options)


async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        protocol, "127.0.0.1", 0, ssl=tls_context(OPTS.smtps)
    )
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
