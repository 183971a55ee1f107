//! The report as one self-contained HTML page: no script, no external resource, an inline SVG bar
//! chart of the cohorts, every text escaped. It is written to be forwarded as a file.

use std::fmt::Write;

use custodian_db::Timestamp;

use super::Report;
use crate::cohort::human_count;
use crate::exposure::{Exposure, ExposureKind};
use crate::obligations::{DISCLAIMER, JurisdictionObligation};

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn date(t: Option<Timestamp>) -> String {
    t.map_or_else(|| "—".to_owned(), |t| t.to_rfc3339())
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}\
table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}\
th{background:#f3f3f3}td.n{text-align:right}.due{color:#a00;font-weight:bold}.note{color:#555;font-size:.9em}\
.figures{display:flex;gap:2em}.figures div{font-size:1.4em}.figures span{display:block;font-size:.6em;color:#666}";

/// The whole report as HTML.
pub fn html(r: &Report) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let i = &r.incident;
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Incident {} — {}</title><style>{STYLE}</style></head><body>",
        i.id,
        esc(&i.title)
    );
    let _ = write!(
        h,
        "<h1>Incident {}: {}</h1><p>{}</p><table><tr><th>Status</th><td>{}</td><th>Owner</th><td>{}</td></tr>\
         <tr><th>Detected</th><td>{}</td><th>Contained</th><td>{}</td></tr>\
         <tr><th>Impact version</th><td>{} (computed {} by {})</td><th>Report generated</th><td>{}</td></tr></table>",
        i.id,
        esc(&i.title),
        esc(&i.summary),
        i.status,
        esc(&i.owner),
        date(i.detected_at),
        date(i.contained_at),
        r.impact.version,
        r.impact.computed_at.to_rfc3339(),
        esc(&r.impact.computed_by),
        r.generated_at.to_rfc3339()
    );
    let c = &r.cohorts;
    let _ = write!(
        h,
        "<h2>Summary</h2><div class=\"figures\"><div>{}<span>people affected</span></div><div>{}<span>not affected</span></div>\
         <div>{}<span>identifiers linked to nobody</span></div><div>{}<span>exposures</span></div></div><p>{}</p>",
        human_count(c.affected),
        human_count(c.not_affected()),
        human_count(r.unlinked.iter().map(|(_, n)| n).sum()),
        r.exposures.len(),
        esc(&c.summary())
    );
    cohorts(&mut h, r);
    timeline(&mut h, r);
    exposures(&mut h, &r.exposures);
    obligations(&mut h, r);
    h.push_str("<h2>Assumptions</h2><ul>");
    for a in &r.assumptions {
        let _ = write!(h, "<li>{}</li>", esc(a));
    }
    h.push_str("</ul><h2>Identifiers linked to nobody</h2>");
    if r.unlinked.is_empty() {
        h.push_str("<p>Every row of the exposed data resolved to a person in the vault.</p>");
    } else {
        let _ = write!(
            h,
            "<p>{} rows of exposed data resolved to no person. They are not counted as people; the identifiers they carry, by kind:</p><table><tr><th>Identifier</th><th>Count</th></tr>",
            r.unlinked_rows
        );
        for (e, n) in &r.unlinked {
            let _ = write!(
                h,
                "<tr><td>{}</td><td class=\"n\">{n}</td></tr>",
                esc(e.label())
            );
        }
        h.push_str("</table>");
    }
    let _ = write!(h, "<p class=\"note\">{}</p></body></html>", esc(DISCLAIMER));
    h
}

fn cohorts(h: &mut String, r: &Report) {
    let c = &r.cohorts;
    h.push_str("<h2>Cohorts</h2><table><tr><th>Cohort</th><th>Account kind</th><th>Exposed elements</th><th>People</th></tr>");
    for k in &c.cohorts {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
            esc(&k.summary()),
            k.account_kind,
            esc(&k
                .elements
                .iter()
                .map(|e| e.label())
                .collect::<Vec<_>>()
                .join(", ")),
            k.people
        );
    }
    let _ = write!(
        h,
        "<tr><td>not affected</td><td></td><td></td><td class=\"n\">{}</td></tr></table>",
        c.not_affected()
    );
    // The chart: one horizontal bar per cohort, scaled to the largest.
    let max = c.cohorts.iter().map(|k| k.people).max().unwrap_or(0).max(1);
    let row_h = 26;
    let height = row_h * c.cohorts.len().max(1) + 10;
    let _ = write!(
        h,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1000\" height=\"{height}\" role=\"img\" aria-label=\"Affected people by cohort\">"
    );
    for (n, k) in c.cohorts.iter().enumerate() {
        let y = n * row_h + 5;
        let w = (k.people as f64 / max as f64 * 560.0).max(1.0);
        let label: String = k.summary().chars().take(60).collect();
        let _ = write!(
            h,
            "<text x=\"0\" y=\"{}\" font-size=\"12\">{}</text><rect x=\"420\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\" fill=\"#3a6ea5\"/><text x=\"{:.1}\" y=\"{}\" font-size=\"12\">{}</text>",
            y + 15,
            esc(&label),
            row_h - 6,
            425.0 + w,
            y + 15,
            human_count(k.people)
        );
    }
    h.push_str("</svg>");
}

fn timeline(h: &mut String, r: &Report) {
    h.push_str("<h2>Timeline</h2><table><tr><th>When</th><th>What</th><th>Detail</th><th>Recorded by</th></tr>");
    for e in &r.timeline {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} at {}</td></tr>",
            e.occurred_at.to_rfc3339(),
            esc(&e.kind),
            esc(&e.detail),
            esc(&e.actor),
            e.recorded_at.to_rfc3339()
        );
    }
    h.push_str("</table>");
}

fn exposures(h: &mut String, list: &[Exposure]) {
    h.push_str("<h2>Exposures</h2><table><tr><th>#</th><th>What</th><th>Form</th><th>When</th><th>Elements</th><th>People</th><th>Unlinked rows</th><th>Note</th></tr>");
    for e in list {
        let what = match e.kind {
            ExposureKind::Dataset => format!(
                "dataset {}",
                e.dataset
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            ),
            ExposureKind::Principal => {
                let (from, to) = e.window.map_or((String::new(), String::new()), |(a, b)| {
                    (a.to_rfc3339(), b.to_rfc3339())
                });
                format!(
                    "reads by {} from {from} to {to}",
                    e.principal.as_deref().unwrap_or("")
                )
            }
            _ => format!("file {}", e.source),
        };
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            e.id,
            esc(&what),
            e.form.as_str(),
            e.occurred_at.to_rfc3339(),
            esc(&e.elements.to_string()),
            e.people,
            e.unlinked_rows,
            esc(&e.note)
        );
    }
    h.push_str("</table>");
}

fn obligation_row(h: &mut String, j: &JurisdictionObligation) {
    let individual = match &j.individual_notice {
        Some(n) => format!(
            "<span class=\"due\">{}</span><br><span class=\"note\">{}</span>",
            n.due
                .map_or_else(|| "no fixed date".to_owned(), |d| d.to_string()),
            esc(&n.rule)
        ),
        None => "not required".to_owned(),
    };
    let mut notices = String::new();
    for n in j.regulator_notices.iter().chain(&j.cra_notice) {
        let _ = write!(
            notices,
            "{}: {}{}<br>",
            esc(&n.name),
            esc(&n.status.to_string()),
            n.due
                .map(|d| format!(" by <span class=\"due\">{d}</span>"))
                .unwrap_or_default()
        );
    }
    let _ = write!(
        h,
        "<tr><td>{} {}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td>{individual}</td><td>{notices}</td></tr>",
        esc(j.code.as_str()),
        esc(&j.name),
        j.affected,
        j.notifiable,
        if j.required { "yes" } else { "no" }
    );
}

fn obligations(h: &mut String, r: &Report) {
    h.push_str("<h2>Obligations</h2>");
    let Some(p) = &r.plan else {
        let _ = write!(
            h,
            "<p>No plan: {}</p>",
            esc(r.plan_missing.as_deref().unwrap_or(""))
        );
        return;
    };
    let _ = write!(
        h,
        "<p class=\"note\">{} Rules as of {}.</p>",
        esc(p.disclaimer),
        p.rules_as_of
    );
    h.push_str("<table><tr><th>Jurisdiction</th><th>Affected</th><th>Notifiable</th><th>Notice required</th><th>Individuals</th><th>Regulators, CRAs</th></tr>");
    for j in &p.jurisdictions {
        obligation_row(h, j);
    }
    h.push_str("</table>");
    if !p.counsel_review.is_empty() {
        h.push_str("<h3>Needs counsel review</h3><table><tr><th>Jurisdiction</th><th>Affected</th><th>Why</th></tr>");
        for c in &p.counsel_review {
            let _ = write!(
                h,
                "<tr><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                esc(c.code.as_str()),
                c.affected,
                esc(&c.reason)
            );
        }
        h.push_str("</table>");
    }
    h.push_str(
        "<h3>Deadlines</h3><table><tr><th>Due</th><th>Jurisdiction</th><th>Action</th></tr>",
    );
    for t in &p.timeline {
        let _ = write!(
            h,
            "<tr><td class=\"due\">{}</td><td>{}</td><td>{}</td></tr>",
            t.due,
            esc(t.jurisdiction.as_str()),
            esc(&t.action)
        );
    }
    h.push_str("</table>");
}
