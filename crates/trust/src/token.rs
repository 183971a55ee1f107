//! Secret link tokens: 32 random bytes in hex for the recipient, SHA-256 in storage, so a copy of
//! the database opens no gated document and unsubscribes nobody.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh token and the digest to store.
pub(crate) fn issue() -> (String, String) {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    let token = hex::encode(b);
    let digest = digest(&token);
    (token, digest)
}

/// The stored form of a token.
pub(crate) fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_digests_match() {
        let (a, da) = issue();
        let (b, _) = issue();
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(digest(&a), da);
    }
}
