//! The plan as plain text, for the command line, for counsel, and for snapshot tests. The web
//! layer builds its own JSON from the plan's public fields (domain types are not `Serialize`).

use std::fmt;

use time::macros::format_description;

use super::plan::{
    Due, JurisdictionObligation, NoticeStatus, ObligationsPlan, ReasonBasis, RegulatorNotice,
};

impl fmt::Display for Due {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.date)?;
        if let Some(at) = self.at {
            let format = format_description!(
                "[hour]:[minute] UTC[offset_hour sign:mandatory]:[offset_minute]"
            );
            if let Ok(time) = at.format(format) {
                write!(f, " {time}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for NoticeStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoticeStatus::Due => f.write_str("DUE"),
            NoticeStatus::NotDue => f.write_str("not due"),
            NoticeStatus::CounselReview(why) => write!(f, "COUNSEL REVIEW: {why}"),
        }
    }
}

impl fmt::Display for ObligationsPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "NOTIFICATION OBLIGATIONS PLAN (law as of {})",
            self.rules_as_of
        )?;
        writeln!(f, "{}", self.disclaimer)?;
        writeln!(f, "\nAssumptions:")?;
        for a in &self.assumptions {
            writeln!(f, "  - {a}")?;
        }
        writeln!(f, "\nTimeline:")?;
        if self.timeline.is_empty() {
            writeln!(f, "  (no dated actions)")?;
        }
        for e in &self.timeline {
            writeln!(f, "  {}  {:<8} {}", e.due, e.jurisdiction, e.action)?;
        }
        for j in &self.jurisdictions {
            write_jurisdiction(f, j)?;
        }
        if !self.counsel_review.is_empty() {
            writeln!(f, "\nNeeds counsel review:")?;
            for r in &self.counsel_review {
                writeln!(f, "  {}: {} affected. {}", r.code, r.affected, r.reason)?;
            }
        }
        Ok(())
    }
}

fn write_jurisdiction(f: &mut fmt::Formatter<'_>, j: &JurisdictionObligation) -> fmt::Result {
    writeln!(
        f,
        "\n{} {} ({}), rules version {}",
        j.code, j.name, j.citation, j.version_id
    )?;
    let verdict = if j.required {
        "REQUIRED"
    } else {
        "not required"
    };
    writeln!(
        f,
        "  affected {}, notifiable {}: notice {verdict}",
        j.affected, j.notifiable
    )?;
    for r in &j.reasons {
        let basis = match &r.basis {
            ReasonBasis::Combination(set) => format!("exposed {set}"),
            ReasonBasis::Cpni => "CPNI exposed".to_owned(),
            ReasonBasis::Materiality => "incident determined material".to_owned(),
        };
        write!(f, "  because: {basis} ({} people)", r.people)?;
        match &r.note {
            Some(note) => writeln!(f, " [{note}]")?,
            None => writeln!(f)?,
        }
    }
    if let Some(h) = &j.harm_exception {
        writeln!(f, "  risk-of-harm exception: {h}")?;
    }
    if let Some(i) = &j.individual_notice {
        let due = i
            .due
            .map_or_else(|| "no fixed date".to_owned(), |d| d.to_string());
        writeln!(f, "  individuals: {} -> {due}", i.rule)?;
        if let Some(nb) = i.not_before {
            writeln!(f, "  individuals not before: {nb}")?;
        }
    }
    for r in &j.regulator_notices {
        write_notice(f, "regulator", r)?;
    }
    if let Some(r) = &j.cra_notice {
        write_notice(f, "CRAs", r)?;
    }
    if !j.content_required.is_empty() {
        let ids: Vec<&str> = j.content_required.iter().map(|c| c.as_str()).collect();
        writeln!(f, "  notice must include: {}", ids.join(", "))?;
    }
    if !j.content_prohibited.is_empty() {
        let ids: Vec<&str> = j.content_prohibited.iter().map(|c| c.as_str()).collect();
        writeln!(f, "  notice must NOT include: {}", ids.join(", "))?;
    }
    for r in &j.remedies {
        write!(
            f,
            "  remedy: {} months credit monitoring for {} people",
            r.credit_monitoring_months, r.people
        )?;
        match &r.detail {
            Some(d) => writeln!(f, " ({d})")?,
            None => writeln!(f)?,
        }
    }
    for flag in &j.flags {
        writeln!(f, "  ! {flag}")?;
    }
    Ok(())
}

fn write_notice(f: &mut fmt::Formatter<'_>, label: &str, r: &RegulatorNotice) -> fmt::Result {
    let due = r
        .due
        .map_or_else(|| "no fixed date".to_owned(), |d| d.to_string());
    writeln!(
        f,
        "  {label}: {} [{}] threshold {} -> {due}",
        r.name, r.status, r.threshold
    )?;
    writeln!(f, "    when: {}", r.rule)?;
    if let Some(d) = &r.detail {
        writeln!(f, "    detail: {d}")?;
    }
    Ok(())
}
