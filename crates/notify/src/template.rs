//! Templates: user-authored minijinja, sandboxed (no file system, no imports outside the
//! template, a fuel limit), HTML autoescaped for e-mail bodies, strict about undefined values.
//!
//! The content a jurisdiction requires (the breach engine's [`ContentItem`]s) is checked
//! structurally: a template carries each required item as a named block,
//! `{% block what_happened %}…{% endblock %}`, and a template without one is refused with the
//! item's name. Every placeholder must resolve against the notice context (checked by walking
//! the template's variables and by rendering a sample adult and minor notice). `plain_language`
//! cannot be checked by a machine and is reported for review instead. SMS texts point to the
//! full notice and need only the lookup and verification codes.
//!
//! The context never holds a full SSN, licence number or PIN: only the vault's masks reach it,
//! and every rendered notice is scanned for SSN-shaped numbers before it is sent.

use std::collections::BTreeSet;

use custodian_breach::obligations::ContentItem;
use minijinja::{Environment, UndefinedBehavior};
use serde_json::{Value, json};

use crate::model::ChannelKind;

/// A template's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateText {
    /// The subject (e-mail) or first line (letter); unused for SMS.
    pub subject: String,
    /// The body: HTML for e-mail, plain text for SMS and letters.
    pub body: String,
}

/// Where a template applies.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TemplateKey {
    /// A cohort key (`postpaid:full_name,ssn`), an account kind (`postpaid`), or `*`.
    pub cohort: String,
    /// The channel.
    pub channel: ChannelKind,
    /// The language (`en`, `es`, ...).
    pub language: String,
}

impl std::fmt::Display for TemplateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.cohort, self.channel, self.language)
    }
}

/// A rendered notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The subject.
    pub subject: String,
    /// The body.
    pub body: String,
    /// E-mail only: the plain-text version of the HTML body (the same template rendered without
    /// escaping, markup removed), sent as the text part of a `multipart/alternative` message.
    pub text: Option<String>,
}

/// The plain text of rendered (unescaped) HTML: block ends become line breaks, other markup is
/// dropped, the few entities an author writes by hand are decoded, blank runs shortened.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let Some(gt) = rest[lt..].find('>') else {
            rest = &rest[lt..];
            break;
        };
        let tag = rest[lt + 1..lt + gt].trim().to_ascii_lowercase();
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        if matches!(
            name.as_str(),
            "br" | "p" | "div" | "li" | "tr" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "table"
        ) {
            out.push('\n');
        }
        rest = &rest[lt + gt + 1..];
    }
    out.push_str(rest);
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    let mut text = String::with_capacity(decoded.len());
    let mut blank = 0;
    for line in decoded.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        text.push_str(line);
        text.push('\n');
    }
    text.trim().to_owned() + "\n"
}

fn env() -> Environment<'static> {
    let mut e = Environment::new();
    e.set_undefined_behavior(UndefinedBehavior::Strict);
    e.set_fuel(Some(200_000));
    e.set_recursion_limit(50);
    e
}

fn body_name(channel: ChannelKind) -> &'static str {
    match channel {
        ChannelKind::Email => "body.html",
        ChannelKind::Sms | ChannelKind::Letter => "body.txt",
    }
}

/// A template parsed once and rendered for many notices. Each template has an environment of its
/// own, so one template cannot include another (or another's unescaped text variant). A parse
/// error is kept and returned by every render.
pub struct Compiled {
    env: Result<Environment<'static>, String>,
    channel: ChannelKind,
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compiled")
            .field("channel", &self.channel)
            .field("ok", &self.env.is_ok())
            .finish()
    }
}

impl Compiled {
    /// Parses a template's subject and body for a channel.
    pub fn new(t: &TemplateText, channel: ChannelKind) -> Compiled {
        let compile = || -> Result<Environment<'static>, String> {
            let mut e = env();
            e.add_template_owned("subject.txt", t.subject.clone())
                .map_err(|e| format!("subject: {e}"))?;
            e.add_template_owned(body_name(channel), t.body.clone())
                .map_err(|e| format!("body: {e}"))?;
            if channel == ChannelKind::Email {
                e.add_template_owned("alternative.txt", t.body.clone())
                    .map_err(|e| format!("body: {e}"))?;
            }
            Ok(e)
        };
        Compiled {
            env: compile(),
            channel,
        }
    }

    /// Renders with a context. Errors carry minijinja's description (with the line).
    pub fn render(&self, ctx: &Value) -> Result<Rendered, String> {
        let e = self.env.as_ref().map_err(Clone::clone)?;
        let render = |name: &str| -> Result<String, String> {
            let tmpl = e.get_template(name).map_err(|e| e.to_string())?;
            tmpl.render(ctx).map_err(|err| {
                let mut s = err.to_string();
                if let Some(d) = err.detail() {
                    s = format!("{s}: {d}");
                }
                s
            })
        };
        let text = if self.channel == ChannelKind::Email {
            Some(html_to_text(&render("alternative.txt")?))
        } else {
            None
        };
        Ok(Rendered {
            subject: render("subject.txt")?.trim().to_owned(),
            body: render(body_name(self.channel))?,
            text,
        })
    }
}

/// Renders a template with a context once (parsing it each time; see [`Compiled`] to render
/// many). Errors carry minijinja's description (with the line).
pub fn render(t: &TemplateText, channel: ChannelKind, ctx: &Value) -> Result<Rendered, String> {
    Compiled::new(t, channel).render(ctx)
}

/// The notice context of a sample person, for checks: every key a real notice has.
pub fn sample_context(minor: bool, channel: ChannelKind) -> Value {
    notice_context(&NoticeFacts {
        first_name: "Alex".into(),
        last_name: "Sample".into(),
        street: "1 Main St".into(),
        city: "Springfield".into(),
        state: "TX".into(),
        zip: "78701".into(),
        ssn_masked: "***-**-0000".into(),
        minor,
        cohort_key: "postpaid:full_name,ssn".into(),
        account_kind: "postpaid".into(),
        elements: vec!["name".into(), "SSN".into()],
        lookup_code: "XXXX-XXXX-XXXX-XXXX-XXXX".into(),
        verify_code: "VXXXX-XXXX-XXXX-XXXX".into(),
        protection: Some(("CODE123".into(), "ENG-1".into(), "2027-01-31".into())),
        channel,
        settings: crate::model::Settings::default(),
        incident_title: "Incident".into(),
    })
}

/// What a notice is built from (masked values only).
#[derive(Debug, Clone)]
pub struct NoticeFacts {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Street line.
    pub street: String,
    /// City.
    pub city: String,
    /// State.
    pub state: String,
    /// ZIP.
    pub zip: String,
    /// The SSN's mask (never the number).
    pub ssn_masked: String,
    /// Under 18: addressed to a parent or guardian.
    pub minor: bool,
    /// The cohort key.
    pub cohort_key: String,
    /// The account kind.
    pub account_kind: String,
    /// Labels of the exposed elements.
    pub elements: Vec<String>,
    /// The lookup code.
    pub lookup_code: String,
    /// The verification code.
    pub verify_code: String,
    /// Identity-protection code, engagement number and enrol-by date.
    pub protection: Option<(String, String, String)>,
    /// The channel.
    pub channel: ChannelKind,
    /// Campaign settings.
    pub settings: crate::model::Settings,
    /// The incident's title.
    pub incident_title: String,
}

/// The context templates see.
pub fn notice_context(f: &NoticeFacts) -> Value {
    let full = format!("{} {}", f.first_name, f.last_name)
        .trim()
        .to_owned();
    let salutation = if f.minor {
        format!("To the parent or guardian of {full}")
    } else {
        format!("Dear {full}")
    };
    let s = &f.settings;
    json!({
        "person": {
            "first_name": f.first_name, "last_name": f.last_name, "full_name": full,
            "street": f.street, "city": f.city, "state": f.state, "zip": f.zip,
            "ssn_masked": f.ssn_masked,
        },
        "salutation": salutation,
        "minor": f.minor,
        "cohort": { "key": f.cohort_key, "account_kind": f.account_kind, "elements": f.elements },
        "elements": f.elements.join(", "),
        "lookup_code": f.lookup_code,
        "lookup_url": s.lookup_url,
        "verify_code": f.verify_code,
        "verify_url": s.verify_url,
        "protection": match &f.protection {
            Some((code, eng, by)) => json!({"code": code, "engagement": eng, "enrol_by": by, "minor": f.minor}),
            None => json!({"code": "", "engagement": "", "enrol_by": "", "minor": f.minor}),
        },
        "company": { "name": s.company_name, "phone": s.company_phone },
        "incident": { "title": f.incident_title, "date": s.date_of_breach, "summary": s.incident_summary },
        "channel": f.channel.as_str(),
    })
}

/// Block names defined in a template's text (`{% block NAME %}`, with or without `-`).
pub fn blocks(src: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = src;
    while let Some(i) = rest.find("{%") {
        rest = &rest[i + 2..];
        let t = rest.trim_start_matches(['-', '+']).trim_start();
        if let Some(after) = t.strip_prefix("block")
            && after.starts_with(char::is_whitespace)
        {
            let name: String = after
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

fn resolves(ctx: &Value, path: &str) -> bool {
    let mut v = ctx;
    for part in path.split('.') {
        match v.get(part) {
            Some(n) => v = n,
            None => return false,
        }
    }
    true
}

/// Checks one template: it parses, every placeholder resolves, the required content blocks are
/// present (not for SMS), the codes are carried, and sample adult and minor notices render.
/// Returns the problems, each naming what is wrong.
pub fn check(
    key: &TemplateKey,
    t: &TemplateText,
    required: &[(ContentItem, Vec<String>)],
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut e = env();
    for (name, src) in [
        ("subject.txt", &t.subject),
        (body_name(key.channel), &t.body),
    ] {
        if let Err(err) = e.add_template_owned(name, src.clone()) {
            problems.push(format!("{key}: {name} does not parse: {err}"));
            return problems;
        }
    }
    let sample = sample_context(false, key.channel);
    for name in ["subject.txt", body_name(key.channel)] {
        let Ok(tmpl) = e.get_template(name) else {
            continue;
        };
        let mut missing: Vec<String> = tmpl
            .undeclared_variables(true)
            .into_iter()
            .filter(|v| !resolves(&sample, v))
            .collect();
        missing.sort();
        for m in missing {
            problems.push(format!("{key}: placeholder `{m}` does not resolve"));
        }
    }
    if key.channel != ChannelKind::Sms {
        let have = blocks(&t.body);
        for (item, by) in required {
            if *item == ContentItem::PlainLanguage {
                continue;
            }
            if !have.contains(item.as_str()) {
                problems.push(format!(
                    "{key}: missing required content `{}` (a `{{% block {} %}}`; required by {})",
                    item.as_str(),
                    item.as_str(),
                    by.join(", ")
                ));
            }
        }
        if !t.body.contains("lookup_code") {
            problems.push(format!(
                "{key}: the notice must print `{{{{ lookup_code }}}}`"
            ));
        }
    }
    if !t.body.contains("verify_code") {
        problems.push(format!(
            "{key}: the notice must carry `{{{{ verify_code }}}}`"
        ));
    }
    if problems.is_empty() {
        for minor in [false, true] {
            if let Err(err) = render(t, key.channel, &sample_context(minor, key.channel)) {
                problems.push(format!("{key}: does not render: {err}"));
                break;
            }
        }
    }
    problems
}

/// The first SSN-shaped number in a text (`123-45-6789`, `123 45 6789` or nine digits standing
/// alone), if any; notices containing one are never sent.
pub fn find_ssn_like(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    for i in 0..b.len() {
        if !digit(i) || (i > 0 && digit(i - 1)) {
            continue;
        }
        let mut j = i;
        while digit(j) {
            j += 1;
        }
        if j - i == 9
            && !(i > 0 && b[i - 1].is_ascii_alphabetic())
            && !b.get(j).is_some_and(u8::is_ascii_alphabetic)
        {
            return Some(text[i..j].to_owned());
        }
        if j - i == 3 {
            let sep = b.get(j).copied();
            if matches!(sep, Some(b'-' | b' ')) {
                let k = j + 1;
                if digit(k) && digit(k + 1) && !digit(k + 2) && b.get(k + 2).copied() == sep {
                    let m = k + 3;
                    if (m..m + 4).all(digit) && !digit(m + 4) {
                        return Some(text[i..m + 4].to_owned());
                    }
                }
            }
        }
    }
    None
}

/// Built-in starting templates (English and Spanish, e-mail, SMS and letter) carrying every
/// content block the shipped rules can require. Operators edit copies.
pub fn builtin(channel: ChannelKind, language: &str) -> TemplateText {
    let es = language == "es";
    match channel {
        ChannelKind::Sms => TemplateText {
            subject: String::new(),
            body: if es {
                "{{ company.name }}: aviso de seguridad de datos. Consulte {{ lookup_url }} con el código {{ lookup_code }}. Verificación: {{ verify_code }}".into()
            } else {
                "{{ company.name }}: a data security notice for you. See {{ lookup_url }} with code {{ lookup_code }}. Verify this message: {{ verify_code }}".into()
            },
        },
        ChannelKind::Email | ChannelKind::Letter => {
            let (subject, body) = if es { ES } else { EN };
            let body = if channel == ChannelKind::Email {
                format!(
                    "<html><body><pre style=\"font-family:sans-serif;white-space:pre-wrap\">{body}</pre></body></html>"
                )
            } else {
                body.to_owned()
            };
            TemplateText {
                subject: subject.into(),
                body,
            }
        }
    }
}

const EN: (&str, &str) = (
    "Notice of Data Breach from {{ company.name }}",
    "{% block title_notice_of_data_breach %}NOTICE OF DATA BREACH{% endblock %}

{{ salutation }},
{% if minor %}We are writing to you as the parent or guardian of {{ person.first_name }}.{% endif %}

{% block what_happened %}What happened: {{ incident.summary or incident.title }}{% endblock %}
{% block date_of_breach %}When: {{ incident.date or \"under investigation\" }}{% endblock %}
{% block nature_of_breach %}How: an unauthorized party accessed our systems.{% endblock %}
{% block information_involved %}What information was involved: {{ elements }}.{% endblock %}
{% block what_we_are_doing %}What we are doing: we closed the access, notified law enforcement, and offer identity protection.{% endblock %}
{% block monitoring_offer %}Identity protection: enrol with activation code {{ protection.code }} (engagement {{ protection.engagement }}) by {{ protection.enrol_by }}.{% endblock %}
{% block what_you_can_do %}What you can do: review your statements, and consider a fraud alert or security freeze.{% endblock %}
{% block remain_vigilant %}Remain vigilant: review account statements and monitor your free credit reports.{% endblock %}
{% block credential_change_advice %}Change your account PIN and passwords, and your security questions.{% endblock %}
{% block fraud_alert_info %}Fraud alert: contact any one of the three credit bureaus to place a free fraud alert.{% endblock %}
{% block freeze_info %}Security freeze: free of charge at each credit bureau.{% endblock %}
{% block cra_contacts %}Equifax 1-800-685-1111 equifax.com; Experian 1-888-397-3742 experian.com; TransUnion 1-888-909-8872 transunion.com{% endblock %}
{% block ftc_contact %}Federal Trade Commission: 1-877-438-4338, identitytheft.gov, 600 Pennsylvania Ave NW, Washington, DC 20580{% endblock %}
{% block state_ag_contact %}Your state attorney general's office can also help.{% endblock %}
{% block police_report_right %}You have the right to obtain a police report.{% endblock %}
{% block likely_consequences %}Possible consequences: attempts to open accounts in your name.{% endblock %}
{% block number_affected %}{% endblock %}
{% block dpo_contact %}{% endblock %}
{% block contact %}Questions: call {{ company.phone }}.{% endblock %}

Was I affected? Visit {{ lookup_url }} and enter your code {{ lookup_code }}.
Is this message really from us? Check {{ verify_code }} at {{ verify_url }}.
We will never ask for your full Social Security number.
",
);

const ES: (&str, &str) = (
    "Aviso de violación de datos de {{ company.name }}",
    "{% block title_notice_of_data_breach %}AVISO DE VIOLACIÓN DE DATOS{% endblock %}

{% if minor %}Al padre, madre o tutor de {{ person.full_name }}{% else %}Estimado/a {{ person.full_name }}{% endif %}:

{% block what_happened %}Qué ocurrió: {{ incident.summary or incident.title }}{% endblock %}
{% block date_of_breach %}Cuándo: {{ incident.date or \"en investigación\" }}{% endblock %}
{% block nature_of_breach %}Cómo: un tercero no autorizado accedió a nuestros sistemas.{% endblock %}
{% block information_involved %}Información involucrada: {{ elements }}.{% endblock %}
{% block what_we_are_doing %}Qué estamos haciendo: cerramos el acceso y ofrecemos protección de identidad.{% endblock %}
{% block monitoring_offer %}Protección de identidad: inscríbase con el código {{ protection.code }} (compromiso {{ protection.engagement }}) antes del {{ protection.enrol_by }}.{% endblock %}
{% block what_you_can_do %}Qué puede hacer: revise sus estados de cuenta y considere una alerta de fraude o un congelamiento.{% endblock %}
{% block remain_vigilant %}Manténgase alerta y revise sus informes de crédito gratuitos.{% endblock %}
{% block credential_change_advice %}Cambie su PIN y sus contraseñas.{% endblock %}
{% block fraud_alert_info %}Alerta de fraude: gratuita en cualquiera de las tres agencias.{% endblock %}
{% block freeze_info %}Congelamiento de seguridad: gratuito en cada agencia.{% endblock %}
{% block cra_contacts %}Equifax 1-800-685-1111; Experian 1-888-397-3742; TransUnion 1-888-909-8872{% endblock %}
{% block ftc_contact %}Comisión Federal de Comercio: 1-877-438-4338, robodeidentidad.gov{% endblock %}
{% block state_ag_contact %}La oficina del fiscal general de su estado también puede ayudarle.{% endblock %}
{% block police_report_right %}Tiene derecho a obtener un informe policial.{% endblock %}
{% block likely_consequences %}Consecuencias posibles: intentos de abrir cuentas a su nombre.{% endblock %}
{% block number_affected %}{% endblock %}
{% block dpo_contact %}{% endblock %}
{% block contact %}Preguntas: llame al {{ company.phone }}.{% endblock %}

¿Me afectó? Visite {{ lookup_url }} e ingrese su código {{ lookup_code }}.
¿Es este mensaje realmente nuestro? Verifique {{ verify_code }} en {{ verify_url }}.
",
);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ssn_shapes_are_found_and_codes_are_not() {
        assert_eq!(
            find_ssn_like("ssn 123-45-6789."),
            Some("123-45-6789".into())
        );
        assert_eq!(find_ssn_like("x 123456789 y"), Some("123456789".into()));
        assert_eq!(find_ssn_like("+15125550100 and ***-**-6789"), None);
        assert_eq!(find_ssn_like("K7QF-2M9X-1234-5678-9ABC"), None);
    }

    #[test]
    fn builtin_templates_pass_all_checks() {
        let all: Vec<(ContentItem, Vec<String>)> = ContentItem::ALL
            .iter()
            .map(|c| (*c, vec!["US-XX".to_owned()]))
            .collect();
        for ch in ChannelKind::ALL {
            for lang in ["en", "es"] {
                let key = TemplateKey {
                    cohort: "*".into(),
                    channel: ch,
                    language: lang.into(),
                };
                let p = check(&key, &builtin(ch, lang), &all);
                assert!(p.is_empty(), "{p:?}");
            }
        }
    }

    #[test]
    fn missing_blocks_and_placeholders_are_named() {
        let key = TemplateKey {
            cohort: "*".into(),
            channel: ChannelKind::Letter,
            language: "en".into(),
        };
        let t = TemplateText {
            subject: "Hi".into(),
            body: "{% block what_happened %}x{% endblock %} {{ person.middle_name }} {{ lookup_code }} {{ verify_code }}".into(),
        };
        let req = vec![
            (ContentItem::WhatHappened, vec!["US-CA".into()]),
            (ContentItem::FtcContact, vec!["US-NY".into()]),
        ];
        let p = check(&key, &t, &req).join("\n");
        assert!(
            p.contains("placeholder `person.middle_name` does not resolve"),
            "{p}"
        );
        assert!(p.contains("missing required content `ftc_contact`"), "{p}");
        assert!(p.contains("required by US-NY"), "{p}");
        assert!(!p.contains("what_happened"), "{p}");
    }

    #[test]
    fn html_is_escaped() {
        let t = TemplateText {
            subject: "s".into(),
            body: "<p>{{ person.first_name }}</p>".into(),
        };
        let mut ctx = sample_context(false, ChannelKind::Email);
        ctx["person"]["first_name"] = json!("<script>");
        let r = render(&t, ChannelKind::Email, &ctx).unwrap();
        assert_eq!(r.body, "<p>&lt;script&gt;</p>");
    }
}
