//! The leaf conversions of the rules file: element lists, deadlines, notices, content ids,
//! remedies, sources, dates. Each takes the jurisdiction code and the field path so that its
//! error can name them.

use custodian_vault::{DataElement, ElementSet};
use time::Date;
use time::macros::format_description;

use super::super::content::ContentItem;
use super::super::error::ObligationsError;
use super::super::rules::{
    Clock, Combination, Confidence, Deadline, NoticeOrder, NoticeRule, Period, RemedyRule, Source,
    StandardTiming, Threshold, ThresholdOp, Unit,
};
use super::{RawCombination, RawDeadline, RawNotice, RawRemedy, RawSource};

/// Clocks an individual deadline may start from.
pub(super) const INDIVIDUAL_CLOCKS: [Clock; 4] = [
    Clock::Discovery,
    Clock::Determination,
    Clock::Awareness,
    Clock::Materiality,
];

/// Clocks a regulator deadline may start from.
pub(super) const NOTICE_CLOCKS: [Clock; 5] = [
    Clock::Discovery,
    Clock::Determination,
    Clock::Awareness,
    Clock::Materiality,
    Clock::IndividualNotice,
];

pub(super) fn combination(
    c: &str,
    path: &str,
    rc: RawCombination,
) -> Result<Combination, ObligationsError> {
    let (names, note) = match rc {
        RawCombination::Plain(names) => (names, None),
        RawCombination::Detailed(d) => (d.elements, d.note),
    };
    if names.is_empty() {
        return Err(ObligationsError::invalid(
            c,
            path,
            "a combination needs at least one element",
        ));
    }
    Ok(Combination {
        elements: elements(c, path, &names)?,
        note,
    })
}

pub(super) fn elements(
    c: &str,
    path: &str,
    names: &[String],
) -> Result<ElementSet, ObligationsError> {
    names
        .iter()
        .map(|n| n.parse::<DataElement>())
        .collect::<Result<ElementSet, _>>()
        .map_err(|e| ObligationsError::invalid(c, path, e.to_string()))
}

pub(super) fn deadline(
    c: &str,
    path: &str,
    rd: Option<RawDeadline>,
    clocks: &[Clock],
) -> Result<Deadline, ObligationsError> {
    let Some(rd) = rd else {
        return Ok(Deadline::Standard(StandardTiming::WithoutUnreasonableDelay));
    };
    match (rd.standard, rd.within, rd.unit, rd.from) {
        (Some(s), None, None, None) => Ok(Deadline::Standard(match s.as_str() {
            "without_unreasonable_delay" => StandardTiming::WithoutUnreasonableDelay,
            "without_undue_delay" => StandardTiming::WithoutUndueDelay,
            "as_soon_as_practicable" => StandardTiming::AsSoonAsPracticable,
            other => {
                return Err(bad(
                    c,
                    &format!("{path}.standard"),
                    other,
                    "without_unreasonable_delay, without_undue_delay, as_soon_as_practicable",
                ));
            }
        })),
        (None, Some(amount), Some(unit), Some(from)) => {
            if amount == 0 {
                return Err(ObligationsError::invalid(
                    c,
                    format!("{path}.within"),
                    "must be at least 1",
                ));
            }
            let unit = match unit.as_str() {
                "calendar_days" => Unit::CalendarDays,
                "business_days" => Unit::BusinessDays,
                "hours" => Unit::Hours,
                other => {
                    return Err(bad(
                        c,
                        &format!("{path}.unit"),
                        other,
                        "calendar_days, business_days, hours",
                    ));
                }
            };
            let clock = clock(c, &format!("{path}.from"), &from)?;
            if !clocks.contains(&clock) {
                return Err(ObligationsError::invalid(
                    c,
                    format!("{path}.from"),
                    format!("`{from}` is not allowed here"),
                ));
            }
            Ok(Deadline::Within(Period {
                amount,
                unit,
                clock,
            }))
        }
        _ => Err(ObligationsError::invalid(
            c,
            path,
            "give either `standard` alone, or `within`, `unit` and `from` together",
        )),
    }
}

pub(super) fn clock(c: &str, path: &str, s: &str) -> Result<Clock, ObligationsError> {
    Ok(match s {
        "discovery" => Clock::Discovery,
        "determination" => Clock::Determination,
        "awareness" => Clock::Awareness,
        "materiality" => Clock::Materiality,
        "individual_notice" => Clock::IndividualNotice,
        "regulator_notice" => Clock::RegulatorNotice,
        other => {
            return Err(bad(
                c,
                path,
                other,
                "discovery, determination, awareness, materiality, individual_notice, regulator_notice",
            ));
        }
    })
}

pub(super) fn notice(
    c: &str,
    path: &str,
    rn: RawNotice,
    default_name: Option<&str>,
) -> Result<NoticeRule, ObligationsError> {
    let name = match (rn.name, default_name) {
        (Some(n), _) => non_empty(c, &format!("{path}.name"), n)?,
        (None, Some(d)) => d.to_owned(),
        (None, None) => {
            return Err(ObligationsError::invalid(
                c,
                format!("{path}.name"),
                "missing",
            ));
        }
    };
    let op = match rn.threshold.op.as_str() {
        ">" => ThresholdOp::Greater,
        ">=" => ThresholdOp::AtLeast,
        other => {
            return Err(bad(
                c,
                &format!("{path}.threshold.op"),
                other,
                "\">\", \">=\"",
            ));
        }
    };
    if op == ThresholdOp::AtLeast && rn.threshold.count == 0 {
        return Err(ObligationsError::invalid(
            c,
            format!("{path}.threshold"),
            "`>= 0` is always met; use `>= 1` for any",
        ));
    }
    let order = match rn.order.as_deref() {
        None | Some("any") => NoticeOrder::Any,
        Some("before_individuals") => NoticeOrder::BeforeIndividuals,
        Some("no_later_than_individuals") => NoticeOrder::NoLaterThanIndividuals,
        Some("after_individuals") => NoticeOrder::AfterIndividuals,
        Some(other) => {
            return Err(bad(
                c,
                &format!("{path}.order"),
                other,
                "before_individuals, no_later_than_individuals, after_individuals, any",
            ));
        }
    };
    Ok(NoticeRule {
        name,
        threshold: Threshold {
            op,
            count: rn.threshold.count,
        },
        deadline: deadline(c, &format!("{path}.deadline"), rn.deadline, &NOTICE_CLOCKS)?,
        order,
        detail: rn.detail,
        below_threshold: rn.below_threshold,
    })
}

pub(super) fn content(
    c: &str,
    path: &str,
    ids: &[String],
) -> Result<Vec<ContentItem>, ObligationsError> {
    ids.iter()
        .map(|s| s.parse::<ContentItem>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ObligationsError::invalid(c, path, e))
}

pub(super) fn remedy(c: &str, path: &str, rr: RawRemedy) -> Result<RemedyRule, ObligationsError> {
    if rr.credit_monitoring_months == 0 {
        return Err(ObligationsError::invalid(
            c,
            format!("{path}.credit_monitoring_months"),
            "must be at least 1",
        ));
    }
    Ok(RemedyRule {
        credit_monitoring_months: rr.credit_monitoring_months,
        requires_any: elements(c, &format!("{path}.requires_any"), &rr.requires_any)?,
        detail: rr.detail,
    })
}

pub(super) fn source(c: &str, path: &str, rs: RawSource) -> Result<Source, ObligationsError> {
    let confidence = match rs.confidence.as_deref() {
        None | Some("confirmed") => Confidence::Confirmed,
        Some("unconfirmed") => Confidence::Unconfirmed,
        Some(other) => {
            return Err(bad(
                c,
                &format!("{path}.confidence"),
                other,
                "confirmed, unconfirmed",
            ));
        }
    };
    if confidence == Confidence::Unconfirmed && rs.note.is_none() {
        return Err(ObligationsError::invalid(
            c,
            format!("{path}.note"),
            "an unconfirmed fact says why in `note`",
        ));
    }
    Ok(Source {
        fact: non_empty(c, &format!("{path}.fact"), rs.fact)?,
        url: non_empty(c, &format!("{path}.url"), rs.url)?,
        checked: date(c, &format!("{path}.checked"), &rs.checked)?,
        confidence,
        note: rs.note,
    })
}

pub(super) fn date(c: &str, path: &str, s: &str) -> Result<Date, ObligationsError> {
    Date::parse(s, format_description!("[year]-[month]-[day]")).map_err(|e| {
        ObligationsError::invalid(c, path, format!("`{s}` is not a YYYY-MM-DD date ({e})"))
    })
}

pub(super) fn non_empty(c: &str, path: &str, s: String) -> Result<String, ObligationsError> {
    if s.trim().is_empty() {
        Err(ObligationsError::invalid(c, path, "must not be empty"))
    } else {
        Ok(s)
    }
}

pub(super) fn bad(c: &str, path: &str, found: &str, expected: &str) -> ObligationsError {
    ObligationsError::invalid(
        c,
        path,
        format!("unknown value `{found}` (expected one of: {expected})"),
    )
}
