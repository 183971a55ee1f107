//! The console's secret sealer: TOTP seeds and similar small secrets are encrypted under the
//! vault's key hierarchy before the auth crate stores them, so a copied database yields no second
//! factors. Each secret gets its own random data key, wrapped under the `console` tenant's KEK and
//! bound to the secret's context (as a vault person's fields are bound to the person).
//!
//! Layout: `kek version (u32 BE) ‖ wrapped key length (u16 BE) ‖ wrapped key ‖ sealed envelope`.

use std::sync::Arc;

use custodian_auth::SecretSealer;
use custodian_vault::crypto::{DataKey, FieldAd, FieldCipher, Kek, KeyProvider, WrapAd};
use sha2::{Digest, Sha256};

const TENANT: &str = "console";

struct VaultSealer {
    keys: Arc<dyn KeyProvider>,
}

/// The sealer over the key provider.
pub(crate) fn open(keys: Arc<dyn KeyProvider>) -> Arc<dyn SecretSealer> {
    Arc::new(VaultSealer { keys })
}

fn slot(context: &str) -> [u8; 16] {
    let d = Sha256::digest(context.as_bytes());
    let mut out = [0u8; 16];
    out.copy_from_slice(&d[..16]);
    out
}

impl VaultSealer {
    fn try_seal(&self, context: &str, plaintext: &[u8]) -> anyhow::Result<Vec<u8>> {
        let version = self.keys.current_version()?;
        let kek = Kek::derive(&self.keys.root_key(version)?, TENANT);
        let person = slot(context);
        let dk = DataKey::generate()?;
        let wrapped = kek.wrap(
            &dk,
            &WrapAd {
                tenant: TENANT,
                person: &person,
                key_version: 1,
            },
        );
        let sealed = FieldCipher::new(&dk, 1).seal(
            &FieldAd {
                tenant: TENANT,
                person: &person,
                field: context,
            },
            plaintext,
        )?;
        let mut out = Vec::with_capacity(6 + wrapped.len() + sealed.len());
        out.extend_from_slice(&version.to_be_bytes());
        out.extend_from_slice(&u16::try_from(wrapped.len())?.to_be_bytes());
        out.extend_from_slice(&wrapped);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    fn try_open(&self, context: &str, sealed: &[u8]) -> anyhow::Result<Vec<u8>> {
        anyhow::ensure!(sealed.len() > 6, "sealed secret too short");
        let version = u32::from_be_bytes([sealed[0], sealed[1], sealed[2], sealed[3]]);
        let wlen = usize::from(u16::from_be_bytes([sealed[4], sealed[5]]));
        anyhow::ensure!(sealed.len() > 6 + wlen, "sealed secret too short");
        let (wrapped, body) = sealed[6..].split_at(wlen);
        let kek = Kek::derive(&self.keys.root_key(version)?, TENANT);
        let person = slot(context);
        let dk = kek.unwrap(
            wrapped,
            &WrapAd {
                tenant: TENANT,
                person: &person,
                key_version: 1,
            },
        )?;
        let plain = FieldCipher::new(&dk, 1).open(
            &FieldAd {
                tenant: TENANT,
                person: &person,
                field: context,
            },
            body,
        )?;
        Ok(plain.expose().to_vec())
    }
}

impl SecretSealer for VaultSealer {
    fn seal(&self, context: &str, plaintext: &[u8]) -> Vec<u8> {
        match self.try_seal(context, plaintext) {
            Ok(v) => v,
            Err(e) => {
                // An empty blob never opens, so a failed seal fails closed at sign-in.
                tracing::error!(error = %e, "sealing a console secret failed");
                Vec::new()
            }
        }
    }

    fn open(&self, context: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        self.try_open(context, sealed)
            .map_err(|e| tracing::error!(error = %e, "opening a console secret failed"))
            .ok()
    }
}
