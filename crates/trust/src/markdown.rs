//! Authored markdown (security practices, advisories, incident notices) to HTML that is safe to
//! put in a page: raw HTML in the source is shown as text, never passed through, and links or
//! images whose URL is not `http(s)`, `mailto`, a fragment or a site-relative path lose their
//! target. The renderer escapes every text and attribute value.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};

/// The longest markdown source accepted.
pub const MAX_MARKDOWN_BYTES: usize = 200_000;

fn is_safe_url(url: &str) -> bool {
    let u = url.trim().to_ascii_lowercase();
    let relative = u.starts_with('/') && !u.starts_with("//");
    relative
        || u.starts_with('#')
        || u.starts_with("https://")
        || u.starts_with("http://")
        || u.starts_with("mailto:")
}

fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    if is_safe_url(&url) {
        url
    } else {
        CowStr::Borrowed("#")
    }
}

/// Renders markdown to sanitized HTML.
pub fn to_html(src: &str) -> String {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    let events = Parser::new_ext(src, opts).map(|ev| match ev {
        Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        other => other,
    });
    let mut out = String::with_capacity(src.len() * 2);
    pulldown_cmark::html::push_html(&mut out, events);
    out
}

/// The first paragraph of plain text (headings skipped), for summaries.
pub fn plain_text(src: &str) -> String {
    let mut out = String::new();
    let mut in_heading = false;
    for ev in Parser::new(src) {
        match ev {
            Event::Start(Tag::Heading { .. }) => in_heading = true,
            Event::End(TagEnd::Heading(_)) => in_heading = false,
            Event::Text(t) | Event::Code(t) if !in_heading => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(TagEnd::Paragraph) if !out.is_empty() => break,
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_html_and_script_urls_render_inert() {
        let html = to_html(
            "<script>alert(1)</script>\n\nHi <img src=x onerror=alert(1)> [x](javascript:alert(1)) \
             ![i](data:text/html,evil) [ok](https://example.com/a?b=1&c=2)",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img src=x"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("data:text"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(
            html.contains("href=\"https://example.com/a?b=1&amp;c=2\""),
            "{html}"
        );
    }

    #[test]
    fn plain_text_takes_the_first_paragraph() {
        assert_eq!(
            plain_text("# T\n\nOne *two*\nthree.\n\nFour."),
            "One two three."
        );
    }
}
