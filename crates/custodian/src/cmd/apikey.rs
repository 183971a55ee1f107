//! `custodian api-key create|list|revoke|roles`.

use custodian_db::{OpenMode, Timestamp};
use secrecy::ExposeSecret;
use serde_json::json;

use crate::app::App;
use crate::cli::ApiKeyCommand;
use crate::config::Settings;

pub(crate) async fn run(s: &Settings, c: ApiKeyCommand) -> anyhow::Result<()> {
    let mode = match c {
        ApiKeyCommand::Create { .. } => OpenMode::Create,
        _ => OpenMode::Existing,
    };
    let app = App::open(s, mode).await?;
    match c {
        ApiKeyCommand::Create {
            principal,
            role,
            label,
            expires_in_days,
        } => {
            let k = app
                .auth
                .create_api_key(
                    &principal,
                    &role,
                    &label,
                    expires_in_days.map(|d| d * 86_400),
                )
                .await?;
            if s.json {
                crate::output::json(&json!({
                    "key": k.secret.expose_secret(), "prefix": k.info.prefix,
                    "principal": k.info.principal, "role": k.info.role,
                    "expires_at": k.info.expires_at.map(|t| Timestamp(t).to_rfc3339()),
                }));
            } else {
                println!("{}", k.secret.expose_secret());
                eprintln!(
                    "API key {} for `{}` (role {}). It is shown only now; store it in a secret manager.",
                    k.info.prefix, k.info.principal, k.info.role
                );
            }
        }
        ApiKeyCommand::List => {
            let keys = app.auth.list_api_keys().await?;
            let now = app.clock.now().0;
            let rows: Vec<_> = keys
                .iter()
                .map(|k| {
                    let status = if k.revoked_at.is_some() {
                        "revoked"
                    } else if k.expires_at.is_some_and(|e| e <= now) {
                        "expired"
                    } else {
                        "active"
                    };
                    (k, status)
                })
                .collect();
            if s.json {
                let v: Vec<_> = rows
                    .iter()
                    .map(|(k, st)| {
                        json!({
                            "prefix": k.prefix, "principal": k.principal, "role": k.role,
                            "label": k.label, "status": st,
                            "created_at": Timestamp(k.created_at).to_rfc3339(),
                            "expires_at": k.expires_at.map(|t| Timestamp(t).to_rfc3339()),
                        })
                    })
                    .collect();
                crate::output::json(&json!(v));
            } else {
                println!(
                    "{:<14} {:<24} {:<10} {:<8} LABEL",
                    "PREFIX", "PRINCIPAL", "ROLE", "STATUS"
                );
                for (k, st) in rows {
                    println!(
                        "{:<14} {:<24} {:<10} {:<8} {}",
                        k.prefix, k.principal, k.role, st, k.label
                    );
                }
            }
        }
        ApiKeyCommand::Revoke { prefix } => {
            app.auth
                .revoke_api_key(&prefix)
                .await
                .map_err(|e| match e {
                    custodian_auth::AuthError::UnknownKey => {
                        anyhow::anyhow!("no API key with prefix `{prefix}`")
                    }
                    other => other.into(),
                })?;
            println!("revoked {prefix}");
        }
        ApiKeyCommand::Roles => {
            for r in app.auth.list_roles().await? {
                let perms: Vec<&str> = r.permissions().map(|p| p.as_str()).collect();
                println!("{:<10} {}", r.name(), perms.join(" "));
            }
        }
    }
    Ok(())
}
