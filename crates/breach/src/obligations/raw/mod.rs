//! The edge between the rules file and the domain: serde structs that mirror the TOML exactly
//! (unknown keys are rejected, so a typo cannot silently drop a fact), and one conversion pass
//! into the validated types of `rules`. Every error names the jurisdiction and the field; the
//! leaf conversions live in `fields`.

mod fields;

use std::collections::HashSet;

use serde::Deserialize;

use super::error::ObligationsError;
use super::facts::JurisdictionCode;
use super::rules::{
    Clock, Deadline, Jurisdiction, RuleBook, RuleVersion, Scope, Trigger, VersionStatus,
};
use fields::{
    INDIVIDUAL_CLOCKS, bad, combination, content, date, deadline, non_empty, notice, remedy, source,
};

/// The only schema version this code reads.
const SCHEMA_VERSION: u32 = 1;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    schema_version: u32,
    #[serde(default)]
    jurisdiction: Vec<RawJurisdiction>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJurisdiction {
    code: String,
    name: String,
    citation: String,
    scope: String,
    trigger: Option<String>,
    #[serde(default)]
    version: Vec<RawVersion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVersion {
    id: String,
    effective_from: String,
    effective_until: Option<String>,
    status: Option<String>,
    #[serde(default)]
    personal_info: Vec<RawCombination>,
    #[serde(default)]
    covers_cpni: bool,
    encryption_safe_harbor: bool,
    key_exception: bool,
    risk_of_harm: Option<String>,
    individual_deadline: Option<RawDeadline>,
    individual_not_before: Option<RawDeadline>,
    #[serde(default)]
    regulators: Vec<RawNotice>,
    cra: Option<RawNotice>,
    #[serde(default)]
    content_required: Vec<String>,
    #[serde(default)]
    content_prohibited: Vec<String>,
    #[serde(default)]
    remedies: Vec<RawRemedy>,
    #[serde(default)]
    caveats: Vec<String>,
    #[serde(default)]
    sources: Vec<RawSource>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawCombination {
    Plain(Vec<String>),
    Detailed(RawDetailedCombination),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDetailedCombination {
    elements: Vec<String>,
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeadline {
    standard: Option<String>,
    within: Option<u32>,
    unit: Option<String>,
    from: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNotice {
    name: Option<String>,
    threshold: RawThreshold,
    deadline: Option<RawDeadline>,
    order: Option<String>,
    detail: Option<String>,
    below_threshold: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawThreshold {
    op: String,
    count: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRemedy {
    credit_monitoring_months: u32,
    #[serde(default)]
    requires_any: Vec<String>,
    detail: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    fact: String,
    url: String,
    checked: String,
    confidence: Option<String>,
    note: Option<String>,
}

/// Parses and validates a whole rules file.
pub(crate) fn parse(text: &str) -> Result<RuleBook, ObligationsError> {
    let raw: RawFile = toml::from_str(text).map_err(|e| ObligationsError::Parse {
        message: e.to_string(),
    })?;
    if raw.schema_version != SCHEMA_VERSION {
        return Err(ObligationsError::invalid(
            "(file)",
            "schema_version",
            format!("expected {SCHEMA_VERSION}, found {}", raw.schema_version),
        ));
    }
    let mut seen = HashSet::new();
    let mut jurisdictions = Vec::with_capacity(raw.jurisdiction.len());
    for (i, rj) in raw.jurisdiction.into_iter().enumerate() {
        let j = convert_jurisdiction(i, rj)?;
        if !seen.insert(j.code.clone()) {
            return Err(ObligationsError::invalid(
                j.code.as_str(),
                "code",
                "duplicate code",
            ));
        }
        jurisdictions.push(j);
    }
    Ok(RuleBook { jurisdictions })
}

fn convert_jurisdiction(
    index: usize,
    rj: RawJurisdiction,
) -> Result<Jurisdiction, ObligationsError> {
    let code: JurisdictionCode = rj.code.parse().map_err(|_| {
        ObligationsError::invalid(
            &format!("#{index}"),
            "code",
            format!("invalid code `{}`", rj.code),
        )
    })?;
    let c = code.as_str();
    let scope = match rj.scope.as_str() {
        "residents" => Scope::Residents,
        "eu_residents" => Scope::EuResidents,
        "carrier_customers" => Scope::CarrierCustomers,
        "issuer" => Scope::Issuer,
        other => {
            return Err(bad(
                c,
                "scope",
                other,
                "residents, eu_residents, carrier_customers, issuer",
            ));
        }
    };
    let trigger = match rj.trigger.as_deref() {
        None | Some("elements") => Trigger::Elements,
        Some("materiality") => Trigger::Materiality,
        Some(other) => return Err(bad(c, "trigger", other, "elements, materiality")),
    };
    if rj.version.is_empty() {
        return Err(ObligationsError::invalid(
            c,
            "version",
            "at least one version is required",
        ));
    }
    let mut versions = rj
        .version
        .into_iter()
        .enumerate()
        .map(|(i, rv)| convert_version(c, &format!("version[{i}]"), trigger, rv))
        .collect::<Result<Vec<_>, _>>()?;
    versions.sort_by_key(|v| v.effective_from);
    check_versions(c, &versions)?;
    let name = non_empty(c, "name", rj.name)?;
    let citation = non_empty(c, "citation", rj.citation)?;
    Ok(Jurisdiction {
        code,
        name,
        citation,
        scope,
        trigger,
        versions,
    })
}

/// Version ids are unique and in-force versions do not overlap.
fn check_versions(c: &str, versions: &[RuleVersion]) -> Result<(), ObligationsError> {
    let mut ids = HashSet::new();
    for v in versions {
        if !ids.insert(v.id.as_str()) {
            return Err(ObligationsError::invalid(
                c,
                "version.id",
                format!("duplicate id `{}`", v.id),
            ));
        }
    }
    let in_force: Vec<&RuleVersion> = versions
        .iter()
        .filter(|v| v.status == VersionStatus::InForce)
        .collect();
    for pair in in_force.windows(2) {
        if let [a, b] = pair
            && a.effective_until
                .is_none_or(|until| until > b.effective_from)
        {
            return Err(ObligationsError::invalid(
                c,
                "version.effective_until",
                format!("versions `{}` and `{}` overlap", a.id, b.id),
            ));
        }
    }
    Ok(())
}

fn convert_version(
    c: &str,
    path: &str,
    trigger: Trigger,
    rv: RawVersion,
) -> Result<RuleVersion, ObligationsError> {
    let field = |name: &str| format!("{path}.{name}");
    let effective_from = date(c, &field("effective_from"), &rv.effective_from)?;
    let effective_until = rv
        .effective_until
        .as_deref()
        .map(|s| date(c, &field("effective_until"), s))
        .transpose()?;
    if effective_until.is_some_and(|until| until <= effective_from) {
        return Err(ObligationsError::invalid(
            c,
            field("effective_until"),
            "must be after effective_from",
        ));
    }
    let status = match rv.status.as_deref() {
        None | Some("in_force") => VersionStatus::InForce,
        Some("pending") => VersionStatus::Pending,
        Some(other) => return Err(bad(c, &field("status"), other, "in_force, pending")),
    };
    let personal_info = rv
        .personal_info
        .into_iter()
        .enumerate()
        .map(|(i, rc)| combination(c, &field(&format!("personal_info[{i}]")), rc))
        .collect::<Result<Vec<_>, _>>()?;
    if trigger == Trigger::Elements && personal_info.is_empty() && !rv.covers_cpni {
        return Err(ObligationsError::invalid(
            c,
            field("personal_info"),
            "an element-triggered rule needs at least one combination (or covers_cpni = true)",
        ));
    }
    if rv.key_exception && !rv.encryption_safe_harbor {
        return Err(ObligationsError::invalid(
            c,
            field("key_exception"),
            "a key exception needs an encryption safe harbour to be an exception to",
        ));
    }
    let individual_deadline = match (rv.individual_deadline, trigger) {
        (Some(rd), _) => Some(deadline(
            c,
            &field("individual_deadline"),
            Some(rd),
            &INDIVIDUAL_CLOCKS,
        )?),
        (None, Trigger::Materiality) => None,
        (None, Trigger::Elements) => {
            return Err(ObligationsError::invalid(
                c,
                field("individual_deadline"),
                "missing",
            ));
        }
    };
    let individual_not_before = match rv.individual_not_before {
        None => None,
        Some(rd) => match deadline(
            c,
            &field("individual_not_before"),
            Some(rd),
            &[Clock::RegulatorNotice],
        )? {
            Deadline::Within(p) => Some(p),
            Deadline::Standard(_) => {
                return Err(ObligationsError::invalid(
                    c,
                    field("individual_not_before"),
                    "needs within/unit/from",
                ));
            }
        },
    };
    let regulators = rv
        .regulators
        .into_iter()
        .enumerate()
        .map(|(i, rn)| notice(c, &field(&format!("regulators[{i}]")), rn, None))
        .collect::<Result<Vec<_>, _>>()?;
    let cra = rv
        .cra
        .map(|rn| {
            notice(
                c,
                &field("cra"),
                rn,
                Some("Nationwide consumer reporting agencies"),
            )
        })
        .transpose()?;
    let content_required = content(c, &field("content_required"), &rv.content_required)?;
    let content_prohibited = content(c, &field("content_prohibited"), &rv.content_prohibited)?;
    if let Some(both) = content_required
        .iter()
        .find(|i| content_prohibited.contains(i))
    {
        return Err(ObligationsError::invalid(
            c,
            field("content_prohibited"),
            format!("`{both}` is also required"),
        ));
    }
    let remedies = rv
        .remedies
        .into_iter()
        .enumerate()
        .map(|(i, rr)| remedy(c, &field(&format!("remedies[{i}]")), rr))
        .collect::<Result<Vec<_>, _>>()?;
    if rv.sources.is_empty() {
        return Err(ObligationsError::invalid(
            c,
            field("sources"),
            "every version cites at least one source",
        ));
    }
    let sources = rv
        .sources
        .into_iter()
        .enumerate()
        .map(|(i, rs)| source(c, &field(&format!("sources[{i}]")), rs))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RuleVersion {
        id: non_empty(c, &field("id"), rv.id)?,
        effective_from,
        effective_until,
        status,
        personal_info,
        covers_cpni: rv.covers_cpni,
        encryption_safe_harbor: rv.encryption_safe_harbor,
        key_exception: rv.key_exception,
        risk_of_harm: rv.risk_of_harm,
        individual_deadline,
        individual_not_before,
        regulators,
        cra,
        content_required,
        content_prohibited,
        remedies,
        caveats: rv.caveats,
        sources,
    })
}
