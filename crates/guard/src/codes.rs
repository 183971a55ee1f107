//! One-time codes: step-up codes (6 digits, minutes), Number Transfer PINs (6 digits, 7 days) and
//! forced-reset codes (16 characters of Crockford base32, weeks). All are random, single use and
//! attempt-capped, and stored only as an HMAC-SHA256 bound to their purpose and subject, keyed
//! from the pepper: they are high-entropy or short-lived enough that a fast keyed hash is right,
//! which is what lets a forced reset issue a million codes in seconds where Argon2 would take
//! hours. Exposed secrets from an incident are stored the same way.

use std::fmt;

use custodian_db::Timestamp;
use hmac::{Hmac, Mac};
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::GuardError;
use crate::hash::Pepper;
use crate::types::LockKind;

/// A one-time code in clear, on its way to the customer; zeroized on drop, `Debug` redacts.
#[derive(Clone, PartialEq, Eq)]
pub struct OneTimeCode(Zeroizing<String>);

impl OneTimeCode {
    /// A code as the customer typed it.
    pub fn new(text: &str) -> OneTimeCode {
        OneTimeCode(Zeroizing::new(text.to_owned()))
    }

    /// The code, for delivery.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The canonical form: ASCII alphanumerics only, uppercase, Crockford's confusable letters
    /// mapped (`O`→`0`, `I`/`L`→`1`), so `abcd-efgh` and `ABCDEFGH` are the same code.
    fn canonical(&self) -> Zeroizing<String> {
        Zeroizing::new(
            self.0
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .map(|c| match c.to_ascii_uppercase() {
                    'O' => '0',
                    'I' | 'L' => '1',
                    u => u,
                })
                .collect(),
        )
    }
}

impl fmt::Debug for OneTimeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OneTimeCode(<redacted>)")
    }
}

/// What a step-up code authorizes. A code is good for its purpose (and line) only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StepUpPurpose {
    /// Re-enable a secret disabled after too many failures.
    Unlock,
    /// Turn a line's lock off.
    RemoveLock(LockKind),
    /// Authorize a SIM change on a line.
    SimChange,
    /// Issue a Number Transfer PIN for a line.
    TransferPin,
    /// Verify a caller to a care agent.
    CareVerification,
}

impl StepUpPurpose {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            StepUpPurpose::Unlock => "unlock",
            StepUpPurpose::RemoveLock(LockKind::SimChange) => "remove_sim_lock",
            StepUpPurpose::RemoveLock(LockKind::PortOut) => "remove_port_lock",
            StepUpPurpose::SimChange => "sim_change",
            StepUpPurpose::TransferPin => "transfer_pin",
            StepUpPurpose::CareVerification => "care",
        }
    }

    /// Parses a purpose name.
    pub fn parse(s: &str) -> Result<StepUpPurpose, GuardError> {
        Ok(match s {
            "unlock" => StepUpPurpose::Unlock,
            "remove_sim_lock" => StepUpPurpose::RemoveLock(LockKind::SimChange),
            "remove_port_lock" => StepUpPurpose::RemoveLock(LockKind::PortOut),
            "sim_change" => StepUpPurpose::SimChange,
            "transfer_pin" => StepUpPurpose::TransferPin,
            "care" => StepUpPurpose::CareVerification,
            _ => {
                return Err(GuardError::invalid(
                    "purpose",
                    "must be unlock, remove_sim_lock, remove_port_lock, sim_change, transfer_pin or care",
                ));
            }
        })
    }

    /// Whether the purpose concerns one line (and so needs one).
    pub fn needs_line(self) -> bool {
        !matches!(
            self,
            StepUpPurpose::Unlock | StepUpPurpose::CareVerification
        )
    }
}

/// The stored purpose of transfer PINs and reset codes (step-up purposes use their own names).
pub(crate) const PURPOSE_TRANSFER_PIN: &str = "ntp";
/// The stored purpose of forced-reset codes.
pub(crate) const PURPOSE_RESET: &str = "reset";

/// A code that was issued: the clear code for delivery and when it stops working.
#[derive(Debug, Clone)]
pub struct IssuedCode {
    /// The code.
    pub code: OneTimeCode,
    /// When it expires.
    pub expires_at: Timestamp,
}

/// `n` uniformly random decimal digits (bytes of 250 and above are skipped, so each digit is
/// uniform).
pub(crate) fn digits(n: usize) -> OneTimeCode {
    let mut s = Zeroizing::new(String::with_capacity(n));
    let mut buf = Zeroizing::new([0u8; 32]);
    while s.len() < n {
        OsRng.fill_bytes(buf.as_mut());
        for b in buf.iter().filter(|b| **b < 250).take(n - s.len()) {
            s.push(char::from(b'0' + b % 10));
        }
    }
    OneTimeCode(s)
}

/// 80 random bits (one read of the system generator) as 16 Crockford base32 characters in four
/// groups: `7K3M-Q9XD-2HRP-T4WZ`.
pub(crate) fn reset_code() -> OneTimeCode {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut bytes = Zeroizing::new([0u8; 16]);
    OsRng.fill_bytes(&mut bytes[6..]);
    let bits = u128::from_be_bytes(*bytes);
    let mut s = Zeroizing::new(String::with_capacity(19));
    for i in 0..16 {
        if i > 0 && i % 4 == 0 {
            s.push('-');
        }
        let index = (bits >> (75 - 5 * i)) & 31;
        s.push(char::from(ALPHABET[index as usize]));
    }
    OneTimeCode(s)
}

/// The keyed hash codes and exposed values are stored under.
pub(crate) struct CodeMac {
    key: Zeroizing<[u8; 32]>,
}

impl CodeMac {
    /// Keyed from the newest pepper (HMAC of a label), or an all-zero key without one, which
    /// degrades to a plain salted SHA-256 construction.
    pub(crate) fn new(pepper: Option<&Pepper>) -> CodeMac {
        let mut key = Zeroizing::new([0u8; 32]);
        if let Some(p) = pepper {
            key.copy_from_slice(&Self::mac(p.key(), &[b"custodian-guard/codes/v1"]));
        }
        CodeMac { key }
    }

    fn mac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        // HMAC takes keys of any length, so this cannot fail; the fallback keeps it total.
        let Ok(mut m) = <Hmac<Sha256> as Mac>::new_from_slice(key) else {
            return [0; 32];
        };
        for p in parts {
            m.update(&(p.len() as u64).to_be_bytes());
            m.update(p);
        }
        m.finalize().into_bytes().into()
    }

    /// The digest of a code for `purpose` and `subject` (the account or line it belongs to).
    pub(crate) fn code(&self, purpose: &str, subject: &str, code: &OneTimeCode) -> Vec<u8> {
        let c = code.canonical();
        Self::mac(
            self.key.as_ref(),
            &[purpose.as_bytes(), subject.as_bytes(), c.as_bytes()],
        )
        .to_vec()
    }

    /// The digest of an exposed secret value of a kind.
    pub(crate) fn exposed(&self, kind: &str, value: &[u8]) -> Vec<u8> {
        Self::mac(self.key.as_ref(), &[b"exposed", kind.as_bytes(), value]).to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_their_shapes() {
        let d = digits(6);
        assert_eq!(d.expose().len(), 6);
        assert!(d.expose().bytes().all(|b| b.is_ascii_digit()));
        let r = reset_code();
        assert_eq!(r.expose().len(), 19);
        assert_eq!(r.expose().matches('-').count(), 3);
        assert_eq!(format!("{r:?}"), "OneTimeCode(<redacted>)");
    }

    #[test]
    fn digests_bind_purpose_subject_and_canonical_form() {
        let m = CodeMac::new(None);
        let a = m.code("reset", "ACCT-1", &OneTimeCode::new("7k3m-q9xd-2hrp-t4wz"));
        assert_eq!(
            a,
            m.code("reset", "ACCT-1", &OneTimeCode::new("7K3MQ9XD2HRPT4WZ"))
        );
        assert_ne!(
            a,
            m.code("reset", "ACCT-2", &OneTimeCode::new("7K3MQ9XD2HRPT4WZ"))
        );
        assert_ne!(
            a,
            m.code("unlock", "ACCT-1", &OneTimeCode::new("7K3MQ9XD2HRPT4WZ"))
        );
        let p = Pepper::new(1, &[9; 32]).unwrap();
        let keyed = CodeMac::new(Some(&p));
        assert_ne!(
            a,
            keyed.code("reset", "ACCT-1", &OneTimeCode::new("7K3MQ9XD2HRPT4WZ"))
        );
        for p in [
            "unlock",
            "remove_sim_lock",
            "remove_port_lock",
            "sim_change",
            "transfer_pin",
            "care",
        ] {
            assert_eq!(StepUpPurpose::parse(p).unwrap().as_str(), p);
        }
    }
}
