//! `/.well-known/security.txt` (RFC 9116): contacts, exactly one `Expires` computed at request
//! time (so it is always in the future and under a year ahead), the policy, the hall of fame as
//! `Acknowledgments`, `Preferred-Languages`, `Canonical` and the CSAF provider metadata.

use custodian_db::Timestamp;

use crate::service::TrustConfig;

/// RFC 3339 with whole seconds and `Z`, the form security.txt validators expect.
pub fn rfc3339_seconds(t: Timestamp) -> String {
    let dt = t.to_datetime();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

/// The file's text at `now`.
pub fn render(config: &TrustConfig, now: Timestamp) -> String {
    let base = &config.base_url;
    let expires = now.plus_seconds(config.security_txt_days * 86_400);
    let mut out = String::new();
    out.push_str(&format!(
        "# Security contact for {}. Report vulnerabilities through the form or by e-mail.\n",
        one_line(&config.company)
    ));
    if !config.security_contact.is_empty() {
        out.push_str(&format!(
            "Contact: mailto:{}\n",
            one_line(&config.security_contact)
        ));
    }
    out.push_str(&format!("Contact: {base}/security/report\n"));
    out.push_str(&format!("Expires: {}\n", rfc3339_seconds(expires)));
    out.push_str(&format!("Acknowledgments: {base}/security/hall-of-fame\n"));
    out.push_str(&format!(
        "Preferred-Languages: {}\n",
        one_line(&config.languages)
    ));
    out.push_str(&format!("Canonical: {base}/.well-known/security.txt\n"));
    out.push_str(&format!("Policy: {base}/security/policy\n"));
    out.push_str(&format!(
        "CSAF: {base}/.well-known/csaf/provider-metadata.json\n"
    ));
    out
}

fn one_line(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_is_future_and_under_a_year() {
        let cfg = TrustConfig::new(
            "https://trust.example.com",
            "Example",
            "security@example.com",
        );
        let now = Timestamp(1_800_000_000_000_000);
        let txt = render(&cfg, now);
        let expires: Vec<&str> = txt.lines().filter(|l| l.starts_with("Expires: ")).collect();
        assert_eq!(expires.len(), 1);
        let t = time::OffsetDateTime::parse(
            &expires[0]["Expires: ".len()..],
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let t = Timestamp::from_datetime(t);
        assert!(t > now && t < now.plus_seconds(365 * 86_400));
        assert!(txt.contains("Canonical: https://trust.example.com/.well-known/security.txt\n"));
    }
}
