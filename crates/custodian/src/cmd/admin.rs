//! `custodian admin create`: the first admin of the console, with a TOTP secret shown once.

use std::io::Read;

use anyhow::Context;
use custodian_db::OpenMode;
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use crate::app::App;
use crate::cli::AdminCommand;
use crate::config::Settings;

pub(crate) async fn run(s: &Settings, c: AdminCommand) -> anyhow::Result<()> {
    let AdminCommand::Create {
        name,
        password_stdin,
    } = c;
    let (password, generated) = if password_stdin {
        let mut buf = String::new();
        std::io::stdin()
            .read_to_string(&mut buf)
            .context("reading the password from standard input")?;
        (
            SecretString::from(buf.trim_end_matches(['\r', '\n']).to_owned()),
            false,
        )
    } else {
        (generate_password(), true)
    };
    let app = App::open(s, OpenMode::Create).await?;
    let e = create(&app, &name, &password).await?;
    if s.json {
        crate::output::json(&json!({
            "name": name,
            "password": generated.then(|| password.expose_secret().to_owned()),
            "totp_secret": e.totp_secret_base32.expose_secret(),
            "otpauth_url": e.otpauth_url.expose_secret(),
        }));
    } else {
        println!("admin `{name}` created; sign in at /admin");
        if generated {
            println!("password:    {}", password.expose_secret());
        }
        println!("TOTP secret: {}", e.totp_secret_base32.expose_secret());
        println!("otpauth URL: {}", e.otpauth_url.expose_secret());
        println!("These are shown only now.");
    }
    Ok(())
}

/// Creates an admin; used by `admin create` and the demo.
pub(crate) async fn create(
    app: &App,
    name: &str,
    password: &SecretString,
) -> anyhow::Result<custodian_auth::AdminEnrolment> {
    Ok(app.auth.create_admin(name, password).await?)
}

/// A random 20-character password.
pub(crate) fn generate_password() -> SecretString {
    const CHARS: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    SecretString::from(
        (0..20)
            .map(|_| char::from(CHARS[rng.gen_range(0..CHARS.len())]))
            .collect::<String>(),
    )
}
