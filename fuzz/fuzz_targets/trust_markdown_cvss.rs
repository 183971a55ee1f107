//! Authored markdown and CVSS vectors from arbitrary text: rendering never panics and never
//! lets a raw tag or a `javascript:` link through; scoring never panics and gives 0.0 to 10.0.
#![no_main]

use custodian_trust::{cvss, markdown};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let html = markdown::to_html(text);
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "a script tag got through");
    // Text may say `href="javascript:` (it is only text); a tag may not point there.
    for tag in ["<a href=\"javascript:", "<img src=\"javascript:"] {
        assert!(!lower.contains(tag), "a javascript: link got through");
    }
    if let Ok(s) = cvss::score(text) {
        assert!(
            (0..=100).contains(&s.score),
            "score {} out of range",
            s.score
        );
    }
});
