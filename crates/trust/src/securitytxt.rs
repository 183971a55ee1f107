//! `/.well-known/security.txt` (RFC 9116): contacts, exactly one `Expires` computed at request
//! time (so it is always in the future and under a year ahead), the policy, the hall of fame as
//! `Acknowledgments`, `Preferred-Languages`, `Canonical` and the CSAF provider metadata.
//!
//! Optionally the file is an OpenPGP cleartext-signed message (RFC 9116 section 2.3), signed by
//! GnuPG with the operator's key: `Expires` moves once a day (to midnight UTC), so the signature
//! is made once a day per server and kept.

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

/// The file's text at `now`. `Expires` is midnight UTC `security_txt_days` after today, so the
/// text (and a signature over it) changes once a day.
pub fn render(config: &TrustConfig, now: Timestamp) -> String {
    let base = &config.base_url;
    let today = now.to_datetime().date().midnight().assume_utc();
    let expires = Timestamp::from_datetime(today).plus_seconds(config.security_txt_days * 86_400);
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

/// Signs security.txt with GnuPG: `gpg --clearsign` with a named key from a home directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    /// The `gpg` program (default `gpg` on the `PATH`).
    pub program: std::path::PathBuf,
    /// The GnuPG home directory holding the secret key; `None`: gpg's default.
    pub home: Option<std::path::PathBuf>,
    /// The signing key: a fingerprint, key id or user id.
    pub key: String,
}

impl Signer {
    /// The text as an OpenPGP cleartext-signed message.
    pub async fn sign(&self, text: &str) -> Result<String, crate::TrustError> {
        use tokio::io::AsyncWriteExt;
        let fail = |m: String| crate::TrustError::Signing(m);
        let mut cmd = tokio::process::Command::new(&self.program);
        if let Some(h) = &self.home {
            cmd.arg("--homedir").arg(h);
        }
        cmd.args([
            "--batch",
            "--yes",
            "--no-tty",
            "--pinentry-mode",
            "error",
            "--armor",
        ])
        .args([
            "--digest-algo",
            "SHA512",
            "--local-user",
            &self.key,
            "--clearsign",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
        let mut child = cmd
            .spawn()
            .map_err(|e| fail(format!("cannot run {}: {e}", self.program.display())))?;
        // gpg may refuse (an unknown key) and exit before reading its input; its own message,
        // below, then says why, so a failed write is only reported when gpg did not fail.
        let mut written = Ok(());
        if let Some(mut stdin) = child.stdin.take() {
            written = stdin.write_all(text.as_bytes()).await;
        }
        let out =
            tokio::time::timeout(std::time::Duration::from_secs(30), child.wait_with_output())
                .await
                .map_err(|_| fail("gpg did not answer within 30 s".to_owned()))?
                .map_err(|e| fail(format!("gpg: {e}")))?;
        let signed = String::from_utf8(out.stdout).unwrap_or_default();
        if !out.status.success() || !signed.starts_with("-----BEGIN PGP SIGNED MESSAGE-----") {
            let why = String::from_utf8_lossy(&out.stderr);
            let why = why.lines().last().unwrap_or("no output").trim().to_owned();
            return Err(fail(format!(
                "gpg could not sign with key `{}`: {why}",
                self.key
            )));
        }
        written.map_err(|e| fail(format!("writing to gpg: {e}")))?;
        Ok(signed)
    }
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
