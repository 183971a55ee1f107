//! Machine-readable feeds: Atom (RFC 4287) of published notices, CSAF 2.0 documents (the
//! informational-advisory profile for advisories, security-incident-response for incident
//! notices), the CSAF `provider-metadata.json` and its JSON ROLIE feed.
//!
//! Atom is written by hand with every text and attribute escaped (and characters XML 1.0 forbids
//! dropped), because the notices are authored text and the feed is parsed by strict readers.

use custodian_db::Timestamp;
use serde_json::{Value, json};

use crate::advisory::Advisory;
use crate::markdown;
use crate::service::TrustConfig;
use crate::types::AdvisoryKind;

/// Escapes text for XML element content and attribute values.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// The path of the Atom feed.
pub const ATOM_PATH: &str = "/advisories/feed.atom";

/// The Atom feed of published notices (newest first).
pub fn atom(config: &TrustConfig, advisories: &[Advisory], now: Timestamp) -> String {
    let base = &config.base_url;
    let updated = advisories.iter().map(|a| a.updated_at).max().unwrap_or(now);
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n",
    );
    x.push_str(&format!(
        "  <id>{}</id>\n",
        xml_escape(&format!("{base}{ATOM_PATH}"))
    ));
    x.push_str(&format!(
        "  <title type=\"text\">{} security advisories and incident notices</title>\n",
        xml_escape(&config.company)
    ));
    x.push_str(&format!("  <updated>{}</updated>\n", updated.to_rfc3339()));
    x.push_str(&format!(
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
        xml_escape(&format!("{base}{ATOM_PATH}"))
    ));
    x.push_str(&format!(
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
        xml_escape(&format!("{base}/advisories"))
    ));
    x.push_str(&format!(
        "  <author><name>{}</name></author>\n",
        xml_escape(&config.company)
    ));
    for a in advisories {
        let url = format!("{base}/advisories/{}", a.slug);
        let published = a.published_at.unwrap_or(a.updated_at);
        x.push_str("  <entry>\n");
        x.push_str(&format!("    <id>{}</id>\n", xml_escape(&url)));
        x.push_str(&format!(
            "    <title type=\"text\">{}</title>\n",
            xml_escape(&a.title)
        ));
        x.push_str(&format!(
            "    <published>{}</published>\n",
            published.to_rfc3339()
        ));
        x.push_str(&format!(
            "    <updated>{}</updated>\n",
            a.updated_at.to_rfc3339()
        ));
        x.push_str(&format!(
            "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            xml_escape(&url)
        ));
        x.push_str(&format!("    <category term=\"{}\"/>\n", a.kind.as_str()));
        x.push_str(&format!(
            "    <summary type=\"text\">{}</summary>\n",
            xml_escape(&a.summary)
        ));
        x.push_str(&format!(
            "    <content type=\"html\">{}</content>\n",
            xml_escape(&a.body_html())
        ));
        x.push_str("  </entry>\n");
    }
    x.push_str("</feed>\n");
    x
}

/// The year directory and file name of a notice's CSAF document
/// (`/.well-known/csaf/white/<year>/<id>.json`).
pub fn csaf_path(a: &Advisory) -> String {
    let year = a.published_at.unwrap_or(a.updated_at).to_datetime().year();
    format!("/.well-known/csaf/white/{year}/{}.json", a.slug)
}

fn publisher(config: &TrustConfig) -> Value {
    json!({
        "category": "vendor",
        "name": config.company,
        "namespace": config.base_url,
    })
}

/// The CSAF 2.0 document of a published notice, with its revision history
/// (`(version, date, summary)` for every version from 1).
pub fn csaf(config: &TrustConfig, a: &Advisory, revisions: &[(i64, Timestamp, String)]) -> Value {
    let (category, note_title) = match a.kind {
        AdvisoryKind::Incident => ("csaf_security_incident_response", "Incident summary"),
        _ => ("csaf_informational_advisory", "Advisory summary"),
    };
    let initial = a.published_at.unwrap_or(a.updated_at);
    let history: Vec<Value> = revisions
        .iter()
        .map(|(v, at, summary)| {
            // A revision before publication is dated at publication: the document did not exist
            // publicly before then.
            let date = if *at < initial { initial } else { *at };
            json!({"date": date.to_rfc3339(), "number": v.to_string(), "summary": one_line(summary, 200)})
        })
        .collect();
    let html = format!("{}/advisories/{}", config.base_url, a.slug);
    let mut references =
        vec![json!({"category": "external", "summary": "Human-readable notice", "url": html})];
    if let Some(l) = &a.lookup_url {
        let url = if l.starts_with('/') {
            format!("{}{l}", config.base_url)
        } else {
            l.clone()
        };
        references.push(json!({"category": "external", "summary": "Check whether you were affected", "url": url}));
    }
    let mut notes = vec![
        json!({"category": "summary", "title": note_title, "text": a.summary}),
        json!({"category": "details", "title": "Details", "text": markdown_text(&a.body_md)}),
    ];
    if let Some(i) = &a.incident_id {
        notes.push(json!({"category": "general", "title": "Incident reference", "text": format!("Internal incident {i}")}));
    }
    json!({
        "document": {
            "category": category,
            "csaf_version": "2.0",
            "distribution": {"tlp": {"label": "WHITE", "url": "https://www.first.org/tlp/"}},
            "lang": "en",
            "notes": notes,
            "publisher": publisher(config),
            "references": references,
            "title": a.title,
            "tracking": {
                "current_release_date": a.updated_at.max(initial).to_rfc3339(),
                "id": a.slug,
                "initial_release_date": initial.to_rfc3339(),
                "revision_history": history,
                "status": "final",
                "version": a.version.to_string(),
            }
        }
    })
}

fn one_line(s: &str, max: usize) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(max)
        .collect()
}

/// Markdown as plain text for CSAF notes (CSAF notes are text, not HTML).
fn markdown_text(src: &str) -> String {
    let paragraphs: Vec<String> = src
        .split("\n\n")
        .map(markdown::plain_text)
        .filter(|p| !p.is_empty())
        .collect();
    if paragraphs.is_empty() {
        src.to_owned()
    } else {
        paragraphs.join("\n\n")
    }
}

/// `/.well-known/csaf/provider-metadata.json`.
pub fn provider_metadata(config: &TrustConfig, last_updated: Timestamp) -> Value {
    let base = &config.base_url;
    json!({
        "canonical_url": format!("{base}/.well-known/csaf/provider-metadata.json"),
        "distributions": [{
            "rolie": {"feeds": [{
                "summary": "TLP:WHITE advisories and incident notices",
                "tlp_label": "WHITE",
                "url": format!("{base}/.well-known/csaf/feed-tlp-white.json"),
            }]}
        }],
        "last_updated": last_updated.to_rfc3339(),
        "list_on_CSAF_aggregators": true,
        "metadata_version": "2.0",
        "mirror_on_CSAF_aggregators": true,
        "publisher": publisher(config),
        "role": "csaf_publisher",
    })
}

/// The JSON ROLIE feed of the CSAF documents.
pub fn rolie(config: &TrustConfig, advisories: &[Advisory], now: Timestamp) -> Value {
    let base = &config.base_url;
    let updated = advisories.iter().map(|a| a.updated_at).max().unwrap_or(now);
    let entries: Vec<Value> = advisories
        .iter()
        .map(|a| {
            let url = format!("{base}{}", csaf_path(a));
            json!({
                "id": a.slug,
                "title": a.title,
                "link": [{"rel": "self", "href": url}],
                "published": a.published_at.unwrap_or(a.updated_at).to_rfc3339(),
                "updated": a.updated_at.to_rfc3339(),
                "summary": {"content": a.summary},
                "content": {"type": "application/json", "src": url},
                "format": {"schema": "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json", "version": "2.0"},
            })
        })
        .collect();
    json!({
        "feed": {
            "id": "custodian-csaf-feed-tlp-white",
            "title": format!("{} CSAF feed (TLP:WHITE)", config.company),
            "link": [{"rel": "self", "href": format!("{base}/.well-known/csaf/feed-tlp-white.json")}],
            "category": [{"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"}],
            "updated": updated.to_rfc3339(),
            "entry": entries,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escape_covers_markup_and_forbidden_characters() {
        assert_eq!(xml_escape("a<b>&\"'\u{1}c"), "a&lt;b&gt;&amp;&quot;&apos;c");
    }
}
