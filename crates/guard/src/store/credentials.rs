//! Stored credentials (PHC strings with their pepper id), bulk import, and the digests of values
//! exposed in incidents.

use custodian_db::Timestamp;
use custodian_db::sqlx::{self, AnyConnection, Row};

use super::{Store, placeholders};
use crate::error::GuardError;
use crate::hash::StoredHash;
use crate::types::{AccountId, SecretKind};

/// A stored credential.
#[derive(Debug, Clone)]
pub(crate) struct Credential {
    pub(crate) hash: StoredHash,
    /// Set by a forced reset: the secret no longer authorizes anything.
    pub(crate) compromised_at: Option<i64>,
}

impl Credential {
    /// A credential from its stored columns.
    pub(crate) fn from_row(phc: String, pepper_id: i64, compromised_at: Option<i64>) -> Credential {
        Credential {
            hash: StoredHash {
                phc,
                pepper_id: u32::try_from(pepper_id).unwrap_or(u32::MAX),
            },
            compromised_at,
        }
    }
}

/// An account's credential of one kind, on `conn` (inside a caller's transaction).
pub(crate) async fn find_credential_on(
    conn: &mut AnyConnection,
    account: &AccountId,
    kind: SecretKind,
) -> Result<Option<Credential>, GuardError> {
    let row = sqlx::query(
        "SELECT phc, pepper_id, compromised_at FROM guard_credentials \
         WHERE account_id = $1 AND kind = $2",
    )
    .bind(account.as_str())
    .bind(kind.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok(Credential::from_row(
            r.try_get(0)?,
            r.try_get(1)?,
            r.try_get(2)?,
        ))
    })
    .transpose()
}

impl Store {
    pub(crate) async fn find_credential(
        &self,
        account: &AccountId,
        kind: SecretKind,
    ) -> Result<Option<Credential>, GuardError> {
        let mut conn = self.db.pool().acquire().await?;
        find_credential_on(&mut conn, account, kind).await
    }

    /// Sets a credential, clearing any compromise mark.
    pub(crate) async fn upsert_credential(
        &self,
        account: &AccountId,
        kind: SecretKind,
        hash: &StoredHash,
        now: Timestamp,
    ) -> Result<(), GuardError> {
        sqlx::query(
            "INSERT INTO guard_credentials (account_id, kind, phc, pepper_id, origin, set_at) \
             VALUES ($1, $2, $3, $4, 'set', $5) ON CONFLICT (account_id, kind) DO UPDATE SET \
             phc = excluded.phc, pepper_id = excluded.pepper_id, origin = excluded.origin, \
             set_at = excluded.set_at, compromised_at = NULL, reset_name = NULL",
        )
        .bind(account.as_str())
        .bind(kind.as_str())
        .bind(hash.phc.as_str())
        .bind(i64::from(hash.pepper_id))
        .bind(now.0)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Replaces a hash by a fresher one of the same secret, unless it changed meanwhile.
    pub(crate) async fn rehash(
        &self,
        account: &AccountId,
        kind: SecretKind,
        old_phc: &str,
        new: &StoredHash,
    ) -> Result<(), GuardError> {
        sqlx::query(
            "UPDATE guard_credentials SET phc = $1, pepper_id = $2 \
             WHERE account_id = $3 AND kind = $4 AND phc = $5",
        )
        .bind(new.phc.as_str())
        .bind(i64::from(new.pepper_id))
        .bind(account.as_str())
        .bind(kind.as_str())
        .bind(old_phc)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Inserts imported hashes in one statement; a credential the customer has since set through
    /// the guard is never overwritten by a re-run. Returns the rows written.
    pub(crate) async fn import_batch(
        &self,
        rows: &[(AccountId, SecretKind, String)],
        now: Timestamp,
    ) -> Result<u64, GuardError> {
        if rows.is_empty() {
            return Ok(0);
        }
        let values: Vec<String> = (0..rows.len())
            .map(|i| format!("({}, 0, 'import', $1)", placeholders(2 + 3 * i, 3)))
            .collect();
        let sql = format!(
            "INSERT INTO guard_credentials (account_id, kind, phc, pepper_id, origin, set_at) VALUES {} \
             ON CONFLICT (account_id, kind) DO UPDATE SET phc = excluded.phc, pepper_id = 0, \
             set_at = excluded.set_at, compromised_at = NULL, reset_name = NULL \
             WHERE guard_credentials.origin = 'import'",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(now.0);
        for (a, k, phc) in rows {
            q = q.bind(a.as_str()).bind(k.as_str()).bind(phc.as_str());
        }
        Ok(q.execute(self.db.pool()).await?.rows_affected())
    }

    /// Whether a digest of an exposed value is known.
    pub(crate) async fn is_exposed(&self, digest: &[u8]) -> Result<bool, GuardError> {
        let row = sqlx::query("SELECT 1 FROM guard_exposed WHERE digest = $1")
            .bind(digest.to_vec())
            .fetch_optional(self.db.pool())
            .await?;
        Ok(row.is_some())
    }

    /// Records digests of exposed values (duplicates ignored); returns how many were new.
    pub(crate) async fn add_exposed(
        &self,
        digests: &[Vec<u8>],
        incident: &str,
        now: Timestamp,
    ) -> Result<u64, GuardError> {
        let mut added = 0;
        for chunk in digests.chunks(self.batch_rows(1)) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("(${}, $1, $2)", 3 + i))
                .collect();
            let sql = format!(
                "INSERT INTO guard_exposed (digest, incident, added_at) VALUES {} \
                 ON CONFLICT (digest) DO NOTHING",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql).bind(incident).bind(now.0);
            for d in chunk {
                q = q.bind(d.clone());
            }
            added += q.execute(self.db.pool()).await?.rows_affected();
        }
        Ok(added)
    }
}
