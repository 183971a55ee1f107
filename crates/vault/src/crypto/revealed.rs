//! [`Revealed`], the one type that holds decrypted plaintext. It zeroizes its content on drop,
//! prints `Revealed(<redacted>)` in `Debug`, has no `Display`, no `Deref` and no serde impls, and
//! hands out the value only through an explicit `expose()` call — so a plaintext that reaches a
//! log line or a JSON body got there because someone wrote `expose()` next to it.

use std::fmt;

use zeroize::{Zeroize, Zeroizing};

use super::CryptoError;

/// A decrypted value: raw bytes by default, or text, or a parsed field type.
pub struct Revealed<T: Zeroize = Vec<u8>> {
    value: Zeroizing<T>,
}

impl<T: Zeroize> Revealed<T> {
    /// Takes ownership of a plaintext value so that it is zeroized on drop.
    pub fn new(value: T) -> Self {
        Revealed {
            value: Zeroizing::new(value),
        }
    }

    /// The plaintext. Every call site is a place where plaintext leaves the vault's control.
    pub fn expose(&self) -> &T {
        &self.value
    }

    /// Converts the value (e.g. parses bytes into a field type); the original is zeroized.
    pub fn try_map<U: Zeroize, E>(
        self,
        f: impl FnOnce(&T) -> Result<U, E>,
    ) -> Result<Revealed<U>, E> {
        f(&self.value).map(Revealed::new)
    }
}

impl Revealed<Vec<u8>> {
    /// Mutable bytes, for decrypting in place inside the crypto layer.
    pub(crate) fn expose_mut(&mut self) -> &mut [u8] {
        &mut self.value
    }

    /// Reinterprets the bytes as UTF-8 text without copying them.
    pub fn into_utf8(mut self) -> Result<Revealed<String>, CryptoError> {
        let bytes = std::mem::take(&mut *self.value);
        match String::from_utf8(bytes) {
            Ok(text) => Ok(Revealed::new(text)),
            Err(e) => {
                // The bytes come back inside the error; wipe them before reporting.
                e.into_bytes().zeroize();
                Err(CryptoError::NotUtf8)
            }
        }
    }
}

impl<T: Zeroize> fmt::Debug for Revealed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Revealed(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Ssn;

    #[test]
    fn text_and_typed_views() {
        let r = Revealed::new(b"123-45-6789".to_vec());
        assert_eq!(format!("{r:?}"), "Revealed(<redacted>)");
        let text = r.into_utf8().unwrap();
        assert_eq!(text.expose(), "123-45-6789");
        let ssn = text.try_map(|s| Ssn::parse(s)).unwrap();
        assert_eq!(ssn.expose().last4(), "6789");
        assert!(matches!(
            Revealed::new(vec![0xff, 0xfe]).into_utf8(),
            Err(CryptoError::NotUtf8)
        ));
    }
}
