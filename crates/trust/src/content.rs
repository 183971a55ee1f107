//! Content authored in the console: security practices pages (markdown), the subprocessor list,
//! the FAQ and the disclosure programme's scope (assets in and out of scope). Every entry is
//! checked like a form field (required, bounded, no control characters) and stored by its natural
//! key, so saving the same page, subprocessor, question or asset again replaces it.

use custodian_db::Timestamp;

use crate::error::TrustError;
use crate::markdown::{self, MAX_MARKDOWN_BYTES};
use crate::service::{TrustService, slug, text};
use crate::store::List;

/// A security practices page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PracticePage {
    /// URL name (`/practices/{slug}`).
    pub slug: String,
    /// Title.
    pub title: String,
    /// Markdown body.
    pub body_md: String,
    /// Order in the list (smallest first).
    pub position: i64,
    /// Last change.
    pub updated_at: Timestamp,
}

impl PracticePage {
    /// The body as sanitized HTML.
    pub fn body_html(&self) -> String {
        markdown::to_html(&self.body_md)
    }
}

/// A company that processes customer data on the carrier's behalf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subprocessor {
    /// Row id.
    pub id: i64,
    /// Company name (unique).
    pub name: String,
    /// What it does with the data.
    pub purpose: String,
    /// Where it processes the data.
    pub location: String,
    /// Order in the list.
    pub position: i64,
}

/// A question and its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaqEntry {
    /// Row id.
    pub id: i64,
    /// The question (unique).
    pub question: String,
    /// The answer, in markdown.
    pub answer_md: String,
    /// Order in the list.
    pub position: i64,
}

impl FaqEntry {
    /// The answer as sanitized HTML.
    pub fn answer_html(&self) -> String {
        markdown::to_html(&self.answer_md)
    }
}

/// An asset of the disclosure programme, in or out of scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeAsset {
    /// Row id.
    pub id: i64,
    /// The asset (`*.example.com`, `Customer app (iOS, Android)`); unique.
    pub asset: String,
    /// Whether researchers may test it.
    pub in_scope: bool,
    /// Notes (what is excluded, how to test safely).
    pub notes: String,
    /// Order in the list.
    pub position: i64,
}

/// A checked markdown body.
fn markdown_field(field: &'static str, src: &str) -> Result<String, TrustError> {
    if src.len() > MAX_MARKDOWN_BYTES {
        return Err(TrustError::TooLarge {
            size: src.len(),
            limit: MAX_MARKDOWN_BYTES,
        });
    }
    text(field, src, MAX_MARKDOWN_BYTES, true)
}

fn position(p: i64) -> Result<i64, TrustError> {
    if (0..=1_000_000).contains(&p) {
        Ok(p)
    } else {
        Err(TrustError::invalid(
            "position",
            "must be between 0 and 1000000",
        ))
    }
}

/// Optional free text: empty is allowed, otherwise checked like a field.
fn optional(field: &'static str, value: &str, max: usize) -> Result<String, TrustError> {
    if value.trim().is_empty() {
        Ok(String::new())
    } else {
        text(field, value, max, true)
    }
}

impl TrustService {
    /// Creates or replaces the practices page `slug`.
    pub async fn put_practice_page(
        &self,
        page_slug: &str,
        title: &str,
        body_md: &str,
        order: i64,
    ) -> Result<PracticePage, TrustError> {
        // Public pages cached under the old content are stale once this returns.
        let _touch = self.touched();
        let page = PracticePage {
            slug: slug(page_slug)?,
            title: text("title", title, 200, false)?,
            body_md: markdown_field("body", body_md)?,
            position: position(order)?,
            updated_at: self.now(),
        };
        self.store.put_practice_page(&page).await?;
        Ok(page)
    }

    /// The practices pages in order.
    pub async fn practice_pages(&self) -> Result<Vec<PracticePage>, TrustError> {
        self.store.practice_pages().await
    }

    /// One practices page.
    pub async fn practice_page(&self, page_slug: &str) -> Result<PracticePage, TrustError> {
        self.store.practice_page(page_slug).await
    }

    /// Removes a practices page ([`TrustError::NotFound`] when there is none).
    pub async fn delete_practice_page(&self, page_slug: &str) -> Result<(), TrustError> {
        // Public pages cached under the old content are stale once this returns.
        let _touch = self.touched();
        self.store.delete_content(List::Pages, page_slug).await
    }

    /// Adds a subprocessor, or replaces the one with the same name.
    pub async fn put_subprocessor(
        &self,
        name: &str,
        purpose: &str,
        location: &str,
        order: i64,
    ) -> Result<Subprocessor, TrustError> {
        // Public pages cached under the old content are stale once this returns.
        let _touch = self.touched();
        let s = Subprocessor {
            id: 0,
            name: text("name", name, 200, false)?,
            purpose: text("purpose", purpose, 500, false)?,
            location: text("location", location, 200, false)?,
            position: position(order)?,
        };
        self.store.put_subprocessor(s).await
    }

    /// The subprocessors in order.
    pub async fn subprocessors(&self) -> Result<Vec<Subprocessor>, TrustError> {
        self.store.subprocessors().await
    }

    /// Removes a subprocessor by id.
    pub async fn delete_subprocessor(&self, id: i64) -> Result<(), TrustError> {
        // Public pages cached under the old content are stale once this returns.
        let _touch = self.touched();
        self.store
            .delete_content(List::Subprocessors, &id.to_string())
            .await
    }

    /// Adds a question, or replaces the answer of the same question.
    pub async fn put_faq(
        &self,
        question: &str,
        answer_md: &str,
        order: i64,
    ) -> Result<FaqEntry, TrustError> {
        // Public pages cached under the old content are stale once this returns.
        let _touch = self.touched();
        let f = FaqEntry {
            id: 0,
            question: text("question", question, 500, false)?,
            answer_md: markdown_field("answer", answer_md)?,
            position: position(order)?,
        };
        self.store.put_faq(f).await
    }

    /// The FAQ in order.
    pub async fn faq(&self) -> Result<Vec<FaqEntry>, TrustError> {
        self.store.faq().await
    }

    /// Removes a question by id.
    pub async fn delete_faq(&self, id: i64) -> Result<(), TrustError> {
        // Public pages cached under the old content are stale once this returns.
        let _touch = self.touched();
        self.store.delete_content(List::Faq, &id.to_string()).await
    }

    /// Adds an asset to the disclosure scope, or replaces the entry for the same asset.
    pub async fn put_scope_asset(
        &self,
        asset: &str,
        in_scope: bool,
        notes: &str,
        order: i64,
    ) -> Result<ScopeAsset, TrustError> {
        // Public pages cached under the old content are stale once this returns.
        let _touch = self.touched();
        let a = ScopeAsset {
            id: 0,
            asset: text("asset", asset, 300, false)?,
            in_scope,
            notes: optional("notes", notes, 2000)?,
            position: position(order)?,
        };
        self.store.put_scope_asset(a).await
    }

    /// The disclosure scope in order (in-scope and out-of-scope assets together).
    pub async fn scope(&self) -> Result<Vec<ScopeAsset>, TrustError> {
        self.store.scope().await
    }

    /// Removes a scope entry by id.
    pub async fn delete_scope_asset(&self, id: i64) -> Result<(), TrustError> {
        // Public pages cached under the old content are stale once this returns.
        let _touch = self.touched();
        self.store
            .delete_content(List::Scope, &id.to_string())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_bounded() {
        assert!(position(0).is_ok());
        assert!(position(-1).is_err());
        assert!(position(1_000_001).is_err());
    }

    #[test]
    fn empty_notes_are_allowed_but_control_characters_are_not() {
        assert_eq!(optional("notes", "  ", 10).ok(), Some(String::new()));
        assert!(optional("notes", "a\u{7}b", 10).is_err());
    }
}
