//! FF1 format-preserving encryption (NIST SP 800-38G) from the `fpe` crate, behind one small type
//! that picks AES-128/192/256 by key length and speaks plain numeral slices. The tokenizer uses
//! it with AES-256; the NIST sample vectors (all three key sizes) run through this same type.
//!
//! FF1 is only defined when the domain has at least a million values (`radix^len ≥ 1,000,000`,
//! SP 800-38G rev. 1): 6 digits, 5 letters or 4 base-36 characters. Shorter inputs are refused
//! here; the tokenizer handles them with keyed substitution instead.

use std::fmt;

use aes::{Aes128, Aes192, Aes256};
use fpe::ff1::{FF1, FlexibleNumeralString};

use super::CryptoError;

/// The smallest domain FF1 may be used on (SP 800-38G rev. 1).
pub const MIN_DOMAIN: u64 = 1_000_000;

enum Cipher {
    Aes128(FF1<Aes128>),
    Aes192(FF1<Aes192>),
    Aes256(FF1<Aes256>),
}

/// FF1 under one key and radix.
pub struct Ff1 {
    cipher: Cipher,
    radix: u32,
}

impl Ff1 {
    /// FF1 with AES-128, -192 or -256 (by `key` length: 16, 24 or 32 bytes) and `radix` 2..=65536.
    pub fn new(key: &[u8], radix: u32) -> Result<Self, CryptoError> {
        let bad_radix = |e: fpe::ff1::InvalidRadix| CryptoError::Ff1(e.to_string());
        let cipher = match key.len() {
            16 => Cipher::Aes128(FF1::new(key, radix).map_err(bad_radix)?),
            24 => Cipher::Aes192(FF1::new(key, radix).map_err(bad_radix)?),
            32 => Cipher::Aes256(FF1::new(key, radix).map_err(bad_radix)?),
            n => {
                return Err(CryptoError::Ff1(format!(
                    "key of {n} bytes; need 16, 24 or 32"
                )));
            }
        };
        Ok(Ff1 { cipher, radix })
    }

    /// The radix numerals are taken in.
    pub fn radix(&self) -> u32 {
        self.radix
    }

    /// Whether `len` numerals of this radix make a domain FF1 may be used on.
    pub fn domain_ok(&self, len: usize) -> bool {
        let mut size: u64 = 1;
        for _ in 0..len {
            size = size.saturating_mul(u64::from(self.radix));
            if size >= MIN_DOMAIN {
                return true;
            }
        }
        false
    }

    /// Encrypts `numerals` (each below the radix) under `tweak`.
    pub fn encrypt(&self, tweak: &[u8], numerals: &[u16]) -> Result<Vec<u16>, CryptoError> {
        self.apply(tweak, numerals, Direction::Encrypt)
    }

    /// Decrypts `numerals` under `tweak`.
    pub fn decrypt(&self, tweak: &[u8], numerals: &[u16]) -> Result<Vec<u16>, CryptoError> {
        self.apply(tweak, numerals, Direction::Decrypt)
    }

    fn apply(
        &self,
        tweak: &[u8],
        numerals: &[u16],
        direction: Direction,
    ) -> Result<Vec<u16>, CryptoError> {
        if !self.domain_ok(numerals.len()) {
            return Err(CryptoError::Ff1(format!(
                "{} numerals of radix {} is below the minimum domain of {MIN_DOMAIN}",
                numerals.len(),
                self.radix
            )));
        }
        let input = FlexibleNumeralString::from(numerals.to_vec());
        let output = match (&self.cipher, direction) {
            (Cipher::Aes128(c), Direction::Encrypt) => c.encrypt(tweak, &input),
            (Cipher::Aes128(c), Direction::Decrypt) => c.decrypt(tweak, &input),
            (Cipher::Aes192(c), Direction::Encrypt) => c.encrypt(tweak, &input),
            (Cipher::Aes192(c), Direction::Decrypt) => c.decrypt(tweak, &input),
            (Cipher::Aes256(c), Direction::Encrypt) => c.encrypt(tweak, &input),
            (Cipher::Aes256(c), Direction::Decrypt) => c.decrypt(tweak, &input),
        };
        output
            .map(Vec::from)
            .map_err(|e| CryptoError::Ff1(e.to_string()))
    }
}

#[derive(Clone, Copy)]
enum Direction {
    Encrypt,
    Decrypt,
}

impl fmt::Debug for Ff1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ff1(radix {}, <redacted>)", self.radix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_floor_and_key_sizes() {
        let ten = Ff1::new(&[0; 32], 10).unwrap();
        assert!(!ten.domain_ok(5));
        assert!(ten.domain_ok(6));
        assert!(matches!(
            ten.encrypt(b"", &[1, 2, 3, 4, 5]),
            Err(CryptoError::Ff1(_))
        ));
        assert!(Ff1::new(&[0; 32], 36).unwrap().domain_ok(4));
        assert!(Ff1::new(&[0; 20], 10).is_err());
        assert!(Ff1::new(&[0; 16], 1).is_err());
        let x = [9, 8, 7, 6, 5, 4, 3];
        let y = ten.encrypt(b"t", &x).unwrap();
        assert_eq!(ten.decrypt(b"t", &y).unwrap(), x);
        assert!(
            ten.encrypt(b"", &[10, 0, 0, 0, 0, 0]).is_err(),
            "numeral beyond radix"
        );
    }
}
