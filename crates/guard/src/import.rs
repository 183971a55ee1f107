//! Bulk import of existing hashes, so a company can move its customers' PINs and passwords to
//! the guard without resetting anyone. Accepted: Argon2 PHC strings (`$argon2id$…`, `$argon2i$…`,
//! `$argon2d$…`, versions 0x10 and 0x13) within the guard's cost limits. bcrypt, scrypt and
//! PBKDF2 are not accepted (no implementation of them is in the dependency tree); migrate those
//! by wrapping at the source or by a reset. Imported hashes carry no pepper; each is re-hashed
//! with the current parameters and pepper the first time its owner verifies.
//!
//! File format: UTF-8 text, one `account_id,kind,phc` per line (`kind` is `pin` or `password`;
//! the PHC string is everything after the second comma, commas included), an optional header
//! line `account_id,kind,phc`, blank lines and `#` comments ignored. A tab may replace each of
//! the two separating commas.

use std::io::BufRead;

use crate::error::GuardError;
use crate::events::{EventKind, NewEvent};
use crate::hash::check_phc;
use crate::service::GuardService;
use crate::types::{AccountId, SecretKind};

/// One hash to import.
pub struct ImportRecord {
    /// The account.
    pub account: AccountId,
    /// Which secret.
    pub kind: SecretKind,
    /// The PHC string.
    pub phc: String,
}

impl std::fmt::Debug for ImportRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportRecord")
            .field("account", &self.account)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportReport {
    /// Records given.
    pub records: usize,
    /// Rows written (a credential set through the guard since an earlier import is kept).
    pub written: u64,
}

/// Parses an import file; the first bad line fails the whole file, naming the line.
pub fn parse_import(
    source_name: &str,
    input: impl BufRead,
) -> Result<Vec<ImportRecord>, GuardError> {
    let mut out = Vec::new();
    for (i, line) in input.lines().enumerate() {
        let n = i + 1;
        let err = |reason: String| GuardError::Import {
            source_name: source_name.to_owned(),
            line: n,
            reason,
        };
        let line = line.map_err(|e| err(format!("cannot read: {e}")))?;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || (n == 1 && line == "account_id,kind,phc") {
            continue;
        }
        let mut parts = line.splitn(3, [',', '\t']);
        let (Some(a), Some(k), Some(phc)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(err("expected account_id,kind,phc".into()));
        };
        let account = AccountId::parse(a.trim()).map_err(|e| err(e.to_string()))?;
        let kind = SecretKind::parse(k.trim()).map_err(|e| err(e.to_string()))?;
        let phc = phc.trim();
        check_phc(phc).map_err(&err)?;
        out.push(ImportRecord {
            account,
            kind,
            phc: phc.to_owned(),
        });
    }
    Ok(out)
}

impl GuardService {
    /// Imports hashes in multi-row statements (idempotent: a re-run writes the same rows and
    /// never overwrites a secret set through the guard since). Each record is checked again.
    pub async fn import_hashes(
        &self,
        records: &[ImportRecord],
    ) -> Result<ImportReport, GuardError> {
        let mut written = 0;
        let now = self.now();
        for chunk in records.chunks(self.store().batch_rows(3)) {
            let mut rows = Vec::with_capacity(chunk.len());
            for r in chunk {
                check_phc(&r.phc).map_err(|reason| GuardError::invalid("phc", reason))?;
                rows.push((r.account.clone(), r.kind, r.phc.clone()));
            }
            written += self.store().import_batch(&rows, now).await?;
        }
        self.record(
            NewEvent::new("", EventKind::Imported, "ok").with_detail(format!("{written} hashes")),
        )
        .await?;
        Ok(ImportReport {
            records: records.len(),
            written,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PHC: &str = "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$Qf3dbnYGGbbhRp3o6ZPQ1I/t4pK8hHXUVV0RV0E3r0E";

    #[test]
    fn parses_and_names_bad_lines() {
        let text =
            format!("account_id,kind,phc\n# migrated\nA-1,pin,{PHC}\n\nA-2\tpassword\t{PHC}\n");
        let recs = parse_import("f.csv", text.as_bytes()).unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[1].kind, SecretKind::Password);
        assert!(!format!("{:?}", recs[0]).contains("argon2"));
        let bad = format!("A-1,pin,{PHC}\nA 2,pin,{PHC}\n");
        let e = parse_import("f.csv", bad.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("f.csv:2: account_id"), "{e}");
        let e = parse_import("f.csv", "A-1,pin,$2b$10$abc\n".as_bytes())
            .unwrap_err()
            .to_string();
        assert!(e.contains("f.csv:1:"), "{e}");
    }
}
