//! Practices pages, subprocessors, the FAQ and the disclosure scope in storage: upserts by the
//! natural key, ordered lists.

use custodian_db::Timestamp;
use custodian_db::sqlx::{self, Row, any::AnyRow};

use super::Store;
use crate::content::{FaqEntry, PracticePage, ScopeAsset, Subprocessor};
use crate::error::TrustError;

fn page(r: &AnyRow) -> Result<PracticePage, TrustError> {
    Ok(PracticePage {
        slug: r.try_get(0)?,
        title: r.try_get(1)?,
        body_md: r.try_get(2)?,
        position: r.try_get(3)?,
        updated_at: Timestamp(r.try_get(4)?),
    })
}

fn subprocessor(r: &AnyRow) -> Result<Subprocessor, TrustError> {
    Ok(Subprocessor {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        purpose: r.try_get(2)?,
        location: r.try_get(3)?,
        position: r.try_get(4)?,
    })
}

fn faq(r: &AnyRow) -> Result<FaqEntry, TrustError> {
    Ok(FaqEntry {
        id: r.try_get(0)?,
        question: r.try_get(1)?,
        answer_md: r.try_get(2)?,
        position: r.try_get(3)?,
    })
}

fn scope(r: &AnyRow) -> Result<ScopeAsset, TrustError> {
    let status: String = r.try_get(2)?;
    Ok(ScopeAsset {
        id: r.try_get(0)?,
        asset: r.try_get(1)?,
        in_scope: status == "in",
        notes: r.try_get(3)?,
        position: r.try_get(4)?,
    })
}

/// The content lists.
#[derive(Debug, Clone, Copy)]
pub(crate) enum List {
    Pages,
    Subprocessors,
    Faq,
    Scope,
}

impl Store {
    pub(crate) async fn put_practice_page(&self, p: &PracticePage) -> Result<(), TrustError> {
        sqlx::query(
            "INSERT INTO trust_practice_pages (slug, title, body_md, position, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (slug) DO UPDATE SET title = excluded.title, \
             body_md = excluded.body_md, position = excluded.position, \
             updated_at = excluded.updated_at",
        )
        .bind(&p.slug)
        .bind(&p.title)
        .bind(&p.body_md)
        .bind(p.position)
        .bind(p.updated_at.0)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    pub(crate) async fn practice_pages(&self) -> Result<Vec<PracticePage>, TrustError> {
        sqlx::query(
            "SELECT slug, title, body_md, position, updated_at FROM trust_practice_pages \
             ORDER BY position, title",
        )
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(page)
        .collect()
    }

    pub(crate) async fn practice_page(&self, slug: &str) -> Result<PracticePage, TrustError> {
        let row = sqlx::query(
            "SELECT slug, title, body_md, position, updated_at FROM trust_practice_pages \
             WHERE slug = $1",
        )
        .bind(slug)
        .fetch_optional(self.db.pool())
        .await?;
        row.as_ref().map(page).ok_or(TrustError::NotFound)?
    }

    pub(crate) async fn put_subprocessor(
        &self,
        s: Subprocessor,
    ) -> Result<Subprocessor, TrustError> {
        let row = sqlx::query(
            "INSERT INTO trust_subprocessors (name, purpose, location, position) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO UPDATE SET purpose = excluded.purpose, \
             location = excluded.location, position = excluded.position \
             RETURNING id, name, purpose, location, position",
        )
        .bind(&s.name)
        .bind(&s.purpose)
        .bind(&s.location)
        .bind(s.position)
        .fetch_one(self.db.pool())
        .await?;
        subprocessor(&row)
    }

    pub(crate) async fn subprocessors(&self) -> Result<Vec<Subprocessor>, TrustError> {
        sqlx::query(
            "SELECT id, name, purpose, location, position FROM trust_subprocessors \
             ORDER BY position, name",
        )
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(subprocessor)
        .collect()
    }

    pub(crate) async fn put_faq(&self, f: FaqEntry) -> Result<FaqEntry, TrustError> {
        let row = sqlx::query(
            "INSERT INTO trust_faq (question, answer_md, position) VALUES ($1, $2, $3) \
             ON CONFLICT (question) DO UPDATE SET answer_md = excluded.answer_md, \
             position = excluded.position RETURNING id, question, answer_md, position",
        )
        .bind(&f.question)
        .bind(&f.answer_md)
        .bind(f.position)
        .fetch_one(self.db.pool())
        .await?;
        faq(&row)
    }

    pub(crate) async fn faq(&self) -> Result<Vec<FaqEntry>, TrustError> {
        sqlx::query(
            "SELECT id, question, answer_md, position FROM trust_faq ORDER BY position, question",
        )
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(faq)
        .collect()
    }

    pub(crate) async fn put_scope_asset(&self, a: ScopeAsset) -> Result<ScopeAsset, TrustError> {
        let row = sqlx::query(
            "INSERT INTO trust_scope (asset, status, notes, position) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (asset) DO UPDATE SET status = excluded.status, notes = excluded.notes, \
             position = excluded.position RETURNING id, asset, status, notes, position",
        )
        .bind(&a.asset)
        .bind(if a.in_scope { "in" } else { "out" })
        .bind(&a.notes)
        .bind(a.position)
        .fetch_one(self.db.pool())
        .await?;
        scope(&row)
    }

    pub(crate) async fn scope(&self) -> Result<Vec<ScopeAsset>, TrustError> {
        sqlx::query(
            "SELECT id, asset, status, notes, position FROM trust_scope \
             ORDER BY status, position, asset",
        )
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(scope)
        .collect()
    }

    /// Deletes one entry of a content list by its key (a page's slug, else a row id).
    pub(crate) async fn delete_content(&self, list: List, key: &str) -> Result<(), TrustError> {
        let result = if let List::Pages = list {
            sqlx::query("DELETE FROM trust_practice_pages WHERE slug = $1")
                .bind(key)
                .execute(self.db.pool())
                .await?
        } else {
            let id: i64 = key.parse().map_err(|_| TrustError::NotFound)?;
            let sql = match list {
                List::Subprocessors => "DELETE FROM trust_subprocessors WHERE id = $1",
                List::Faq => "DELETE FROM trust_faq WHERE id = $1",
                List::Scope | List::Pages => "DELETE FROM trust_scope WHERE id = $1",
            };
            sqlx::query(sql).bind(id).execute(self.db.pool()).await?
        };
        if result.rows_affected() == 0 {
            Err(TrustError::NotFound)
        } else {
            Ok(())
        }
    }
}
