//! One synthetic person as a pure function of `(seed, index)`, and the unlinked network rows.
//!
//! Random choices (kind, names, address, age, who has an SSN or an e-mail) come from a ChaCha8
//! stream keyed by the seed and numbered by the index, so any person can be made on its own, in
//! any order, on any thread. Unique identifiers do not come from that stream: they are the
//! index pushed through a keyed permutation (see [`crate::perm`]), which is what makes them
//! unique by construction. Unlinked network rows use the same permutations counted down from
//! the top of each domain, so they can never collide with a person's identifiers.

use std::ops::Range;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::geo::{PhonePlan, STATES, population_cumulative};
use crate::ids::{self, DL_DOMAIN, IMEI_DOMAIN, IMSI_DOMAIN, SSN_DOMAIN};
use crate::names::{self, EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES, STREET_SUFFIXES, STREETS};
use crate::perm::{Perm, derive_key};
use crate::{CarrierConfig, IsoDate, System, SystemSet};

/// The kind of relationship a person has with the carrier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum AccountKind {
    /// A current postpaid (contract) customer.
    Postpaid,
    /// A current prepaid customer.
    Prepaid,
    /// A former customer.
    Former,
    /// Someone who applied for credit and never became a customer.
    Prospective,
}

impl AccountKind {
    /// Every kind, in the order of [`crate::KindCounts`].
    pub const ALL: [AccountKind; 4] = [
        AccountKind::Postpaid,
        AccountKind::Prepaid,
        AccountKind::Former,
        AccountKind::Prospective,
    ];

    /// The name used in `people.csv` (`postpaid`, `prepaid`, `former`, `prospective`).
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Postpaid => "postpaid",
            AccountKind::Prepaid => "prepaid",
            AccountKind::Former => "former",
            AccountKind::Prospective => "prospective",
        }
    }
}

/// One row of the canonical customer record plus the systems the person is in.
///
/// Text fields are empty when the person does not have that datum (see the crate docs for
/// who has what).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthPerson {
    /// Position in the population, from 0.
    pub index: u64,
    /// `C` and nine digits of the index: stable and unique.
    pub external_id: String,
    /// Relationship with the carrier.
    pub account_kind: AccountKind,
    /// Given name.
    pub first_name: &'static str,
    /// Family name.
    pub last_name: &'static str,
    /// House number, street and sometimes an apartment.
    pub street: String,
    /// City in `state`.
    pub city: &'static str,
    /// USPS state code; every person has one (prepaid customers only this part of an address).
    pub state: &'static str,
    /// Five-digit ZIP code in `state`.
    pub zip: String,
    /// Date of birth, `YYYY-MM-DD`.
    pub dob: String,
    /// Social Security number, `AAA-GG-SSSS`.
    pub ssn: String,
    /// Driver's licence number in the issuing state's format.
    pub dl_number: String,
    /// Licence issuing state.
    pub dl_state: &'static str,
    /// Phone number, E.164 (`+1` and ten digits).
    pub phone: String,
    /// E-mail address, lowercase.
    pub email: String,
    /// Handset IMEI, 15 digits with a Luhn check digit.
    pub imei: String,
    /// SIM IMSI, 15 digits: MCC, MNC, MSIN.
    pub imsi: String,
    /// Six-digit account PIN.
    pub pin: String,
    /// The carrier systems holding a row for this person.
    pub systems: SystemSet,
}

impl SynthPerson {
    fn empty() -> Self {
        Self {
            index: 0,
            external_id: String::with_capacity(10),
            account_kind: AccountKind::Postpaid,
            first_name: "",
            last_name: "",
            street: String::with_capacity(32),
            city: "",
            state: "",
            zip: String::with_capacity(5),
            dob: String::with_capacity(10),
            ssn: String::with_capacity(11),
            dl_number: String::with_capacity(16),
            dl_state: "",
            phone: String::with_capacity(12),
            email: String::with_capacity(40),
            imei: String::with_capacity(15),
            imsi: String::with_capacity(15),
            pin: String::with_capacity(6),
            systems: SystemSet::EMPTY,
        }
    }

    fn clear(&mut self) {
        for s in [
            &mut self.external_id,
            &mut self.street,
            &mut self.zip,
            &mut self.dob,
            &mut self.ssn,
            &mut self.dl_number,
            &mut self.phone,
            &mut self.email,
            &mut self.imei,
            &mut self.imsi,
            &mut self.pin,
        ] {
            s.clear();
        }
        self.first_name = "";
        self.last_name = "";
        self.city = "";
        self.state = "";
        self.dl_state = "";
        self.systems = SystemSet::EMPTY;
    }
}

/// A `network.csv` row: identifiers with no name and no external id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkRow {
    /// Phone number, E.164; empty for data-only SIMs.
    pub phone: String,
    /// Handset IMEI.
    pub imei: String,
    /// SIM IMSI.
    pub imsi: String,
}

/// Age bands of adults (first age, last age, weight), shaped like the US adult population.
const ADULT_AGES: [(i32, i32, u32); 8] = [
    (18, 24, 12),
    (25, 34, 18),
    (35, 44, 17),
    (45, 54, 16),
    (55, 64, 16),
    (65, 74, 12),
    (75, 84, 6),
    (85, 95, 3),
];

/// Everything derived from a configuration that people are generated from: keys,
/// permutations and thresholds. Cheap to build; shared read-only across threads.
#[derive(Debug)]
pub(crate) struct Generator {
    cfg: CarrierConfig,
    rng_key: [u8; 32],
    unlinked_key: [u8; 32],
    plan: &'static PhonePlan,
    phone: Perm,
    ssn: Perm,
    imei: Perm,
    imsi: Perm,
    dl: Perm,
    email: Perm,
    /// Cumulative kind probabilities for postpaid, prepaid, former.
    kind_cut: [f64; 3],
    /// Unlinked network rows per person, in parts per billion.
    unlinked_ppb: u64,
}

/// E-mail suffixes are permuted within blocks of this many indexes, so they stay short in a
/// small population yet unique in any.
const EMAIL_BLOCK: u64 = 1 << 16;

impl Generator {
    pub(crate) fn new(cfg: &CarrierConfig) -> Self {
        let seed = cfg.seed;
        let plan = PhonePlan::get();
        let w = |x: f64| if x.is_finite() && x > 0.0 { x } else { 0.0 };
        let mix = [
            w(cfg.mix.postpaid),
            w(cfg.mix.prepaid),
            w(cfg.mix.former),
            w(cfg.mix.prospective),
        ];
        let total: f64 = mix.iter().sum();
        // A configuration with no usable weight (refused by `validate`) falls back to postpaid.
        let (mix, total) = if total > 0.0 {
            (mix, total)
        } else {
            ([1.0, 0.0, 0.0, 0.0], 1.0)
        };
        let kind_cut = [
            mix[0] / total,
            (mix[0] + mix[1]) / total,
            (mix[0] + mix[1] + mix[2]) / total,
        ];
        let share = cfg.unlinked_network_share.clamp(0.0, 0.5);
        let per_person = mix[0] / total * share / (1.0 - share);
        Self {
            cfg: cfg.clone(),
            rng_key: key_bytes(seed, "person"),
            unlinked_key: key_bytes(seed, "unlinked"),
            plan,
            phone: Perm::new(plan.len(), derive_key(seed, "phone")),
            ssn: Perm::new(SSN_DOMAIN, derive_key(seed, "ssn")),
            imei: Perm::new(IMEI_DOMAIN, derive_key(seed, "imei")),
            imsi: Perm::new(IMSI_DOMAIN, derive_key(seed, "imsi")),
            dl: Perm::new(DL_DOMAIN, derive_key(seed, "dl")),
            email: Perm::new(EMAIL_BLOCK, derive_key(seed, "email")),
            kind_cut,
            unlinked_ppb: (per_person * 1e9).round() as u64,
        }
    }

    /// Overwrites `p` with person `index`.
    pub(crate) fn fill(&self, index: u64, p: &mut SynthPerson) {
        p.clear();
        p.index = index;
        let mut rng = ChaCha8Rng::from_seed(self.rng_key);
        rng.set_stream(index);
        let kind = self.draw_kind(&mut rng);
        p.account_kind = kind;
        let slot = self.plan.locate(self.phone.apply(index));
        let st = &STATES[slot.state];
        p.external_id.push('C');
        ids::push_digits(&mut p.external_id, index, 9);
        p.first_name = names::pick_skewed(&mut rng, &FIRST_NAMES);
        p.last_name = names::pick_skewed(&mut rng, &LAST_NAMES);
        p.state = st.code;
        if kind != AccountKind::Prepaid {
            self.fill_address(&mut rng, slot.state, p);
        }
        let is_minor = kind == AccountKind::Postpaid && chance(&mut rng, self.cfg.minor_share);
        match kind {
            AccountKind::Prepaid => {}
            AccountKind::Postpaid if is_minor => self.push_dob(&mut rng, (13, 17), &mut p.dob),
            AccountKind::Prospective => self.push_dob(&mut rng, (18, 84), &mut p.dob),
            _ => self.push_dob(&mut rng, (18, 95), &mut p.dob),
        }
        let has_ssn = match kind {
            AccountKind::Postpaid => !is_minor && chance(&mut rng, self.cfg.postpaid_ssn_share),
            AccountKind::Former => chance(&mut rng, self.cfg.former_ssn_share),
            AccountKind::Prospective => true,
            AccountKind::Prepaid => false,
        };
        if has_ssn {
            ids::push_ssn(&mut p.ssn, self.ssn.apply(index));
            self.fill_licence(&mut rng, index, slot.state, p);
        }
        let has_phone = match kind {
            AccountKind::Prospective => chance(&mut rng, self.cfg.prospective_phone_share),
            _ => true,
        };
        if has_phone {
            ids::push_phone(&mut p.phone, slot);
        }
        if kind != AccountKind::Prepaid && chance(&mut rng, self.cfg.email_share) {
            self.push_email(&mut rng, index, p);
        }
        if kind == AccountKind::Postpaid {
            ids::push_imei(&mut p.imei, self.imei.apply(index));
            ids::push_imsi(&mut p.imsi, self.imsi.apply(index));
        }
        if matches!(kind, AccountKind::Postpaid | AccountKind::Prepaid) {
            ids::push_digits(&mut p.pin, rng.gen_range(0..1_000_000), 6);
        }
        for system in System::ALL {
            if system.includes(p) {
                p.systems.insert(system);
            }
        }
    }

    fn draw_kind(&self, rng: &mut ChaCha8Rng) -> AccountKind {
        let u: f64 = rng.r#gen();
        if u < self.kind_cut[0] {
            AccountKind::Postpaid
        } else if u < self.kind_cut[1] {
            AccountKind::Prepaid
        } else if u < self.kind_cut[2] {
            AccountKind::Former
        } else {
            AccountKind::Prospective
        }
    }

    fn fill_address(&self, rng: &mut ChaCha8Rng, state: usize, p: &mut SynthPerson) {
        let number = if chance(rng, 0.7) {
            rng.gen_range(100..10_000)
        } else {
            rng.gen_range(1..100)
        };
        ids::push_decimal(&mut p.street, number);
        p.street.push(' ');
        p.street.push_str(names::pick(rng, &STREETS, "Main"));
        p.street.push(' ');
        p.street.push_str(names::pick(rng, &STREET_SUFFIXES, "St"));
        if chance(rng, 0.15) {
            p.street.push_str(" Apt ");
            ids::push_decimal(&mut p.street, rng.gen_range(1..400));
        }
        let (city, zip3) = names::pick(rng, STATES[state].cities, ("", 0));
        p.city = city;
        ids::push_digits(&mut p.zip, u64::from(zip3) * 100 + rng.gen_range(1..100), 5);
    }

    /// Appends a date of birth for an age drawn in `ages` (inclusive), weighted like the
    /// population for adults, exact to the day on the reference date.
    fn push_dob(&self, rng: &mut ChaCha8Rng, ages: (i32, i32), out: &mut String) {
        let age = if ages.0 >= 18 {
            let bands = ADULT_AGES.iter().filter(|b| b.0 <= ages.1);
            let total: u32 = bands.clone().map(|b| b.2).sum();
            let mut ticket = rng.gen_range(0..total.max(1));
            let band = bands
                .clone()
                .find(|b| {
                    let hit = ticket < b.2;
                    ticket = ticket.saturating_sub(b.2);
                    hit
                })
                .unwrap_or(&ADULT_AGES[0]);
            rng.gen_range(band.0..=band.1.min(ages.1))
        } else {
            rng.gen_range(ages.0..=ages.1)
        };
        let as_of = self.cfg.as_of;
        // Born after the day `as_of` is `age + 1` years back, up to the day it is `age` years
        // back: exactly `age` years old on `as_of`.
        let range = as_of.years_earlier(age + 1).and_then(|lo| {
            Ok((
                lo.days_since_epoch() + 1,
                as_of.years_earlier(age)?.days_since_epoch(),
            ))
        });
        if let Ok((lo, hi)) = range
            && let Ok(dob) = IsoDate::from_days_since_epoch(rng.gen_range(lo..=hi))
        {
            dob.push_to(out);
        }
    }

    fn fill_licence(&self, rng: &mut ChaCha8Rng, index: u64, home: usize, p: &mut SynthPerson) {
        // Most people hold a licence from where they live; some moved since it was issued.
        let issuer = if chance(rng, 0.96) {
            home
        } else {
            let cum = population_cumulative();
            let ticket = rng.gen_range(0..cum[cum.len() - 1]);
            cum.partition_point(|&c| c <= ticket).min(STATES.len() - 1)
        };
        let st = &STATES[issuer];
        p.dl_state = st.code;
        st.dl
            .push(&mut p.dl_number, self.dl.apply(index), p.last_name);
    }

    fn push_email(&self, rng: &mut ChaCha8Rng, index: u64, p: &mut SynthPerson) {
        let push_letters = |out: &mut String, name: &str| {
            out.extend(
                name.chars()
                    .filter(char::is_ascii_alphabetic)
                    .map(|c| c.to_ascii_lowercase()),
            );
        };
        let out = &mut p.email;
        match rng.gen_range(0..4) {
            0 => {
                push_letters(out, p.first_name);
                out.push('.');
                push_letters(out, p.last_name);
            }
            1 => {
                push_letters(out, p.first_name.get(..1).unwrap_or("x"));
                push_letters(out, p.last_name);
            }
            2 => {
                push_letters(out, p.first_name);
                push_letters(out, p.last_name);
            }
            _ => {
                push_letters(out, p.first_name);
                out.push('_');
                push_letters(out, p.last_name);
            }
        }
        let block = index / EMAIL_BLOCK * EMAIL_BLOCK;
        ids::push_email_suffix(out, block + self.email.apply(index % EMAIL_BLOCK));
        out.push('@');
        out.push_str(names::pick(rng, &EMAIL_DOMAINS, "example.com"));
    }

    /// The unlinked network rows that follow person `index` in `network.csv`.
    pub(crate) fn unlinked_after(&self, index: u64) -> Range<u64> {
        let upto = |i: u64| (u128::from(i) * u128::from(self.unlinked_ppb) / 1_000_000_000) as u64;
        upto(index)..upto(index + 1)
    }

    /// Overwrites `row` with unlinked network row `j`.
    pub(crate) fn fill_unlinked(&self, j: u64, row: &mut NetworkRow) {
        row.phone.clear();
        row.imei.clear();
        row.imsi.clear();
        let mut rng = ChaCha8Rng::from_seed(self.unlinked_key);
        rng.set_stream(j);
        // Count down from the top of each domain; people count up from 0, and the domains
        // hold more than twice `MAX_PEOPLE`, so the two ranges never meet.
        if chance(&mut rng, 0.9) {
            let slot = self.plan.locate(self.phone.apply(self.phone.len() - 1 - j));
            ids::push_phone(&mut row.phone, slot);
        }
        ids::push_imei(&mut row.imei, self.imei.apply(self.imei.len() - 1 - j));
        ids::push_imsi(&mut row.imsi, self.imsi.apply(self.imsi.len() - 1 - j));
    }
}

/// A person generator for repeated use: one allocation of the record, reused for every index.
pub(crate) fn new_person() -> SynthPerson {
    SynthPerson::empty()
}

fn chance(rng: &mut ChaCha8Rng, p: f64) -> bool {
    rng.r#gen::<f64>() < p
}

fn key_bytes(seed: u64, purpose: &str) -> [u8; 32] {
    let mut key = [0; 32];
    for (i, chunk) in key.chunks_exact_mut(8).enumerate() {
        let word = derive_key(seed, purpose) ^ crate::perm::mix64(i as u64 + 1);
        chunk.copy_from_slice(&crate::perm::mix64(word).to_le_bytes());
    }
    key
}
