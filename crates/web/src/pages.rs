//! Server-rendered pages: the minijinja environment (autoescaping every `.html` template, so a
//! value can never become markup) and the static stylesheet.

use axum::http::header;
use axum::response::{Html, IntoResponse};
use minijinja::Environment;

use crate::AppState;

/// The template environment with every embedded template loaded.
pub(crate) fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            minijinja::AutoEscape::Html
        } else {
            minijinja::AutoEscape::None
        }
    });
    for (name, src) in [
        ("base.html", include_str!("../templates/base.html")),
        ("login.html", include_str!("../templates/login.html")),
        (
            "dashboard.html",
            include_str!("../templates/dashboard.html"),
        ),
        (
            "incidents.html",
            include_str!("../templates/incidents.html"),
        ),
        ("incident.html", include_str!("../templates/incident.html")),
        ("scans.html", include_str!("../templates/scans.html")),
        ("scan.html", include_str!("../templates/scan.html")),
        (
            "trust_base.html",
            include_str!("../templates/trust_base.html"),
        ),
        (
            "trust_message.html",
            include_str!("../templates/trust_message.html"),
        ),
        (
            "trust_button.html",
            include_str!("../templates/trust_button.html"),
        ),
        (
            "trust_home.html",
            include_str!("../templates/trust_home.html"),
        ),
        (
            "trust_practices.html",
            include_str!("../templates/trust_practices.html"),
        ),
        (
            "trust_practice.html",
            include_str!("../templates/trust_practice.html"),
        ),
        (
            "trust_attestations.html",
            include_str!("../templates/trust_attestations.html"),
        ),
        (
            "trust_attestation.html",
            include_str!("../templates/trust_attestation.html"),
        ),
        (
            "trust_subscribe.html",
            include_str!("../templates/trust_subscribe.html"),
        ),
        (
            "trust_advisories.html",
            include_str!("../templates/trust_advisories.html"),
        ),
        (
            "trust_advisory.html",
            include_str!("../templates/trust_advisory.html"),
        ),
        (
            "trust_policy.html",
            include_str!("../templates/trust_policy.html"),
        ),
        (
            "trust_hall_of_fame.html",
            include_str!("../templates/trust_hall_of_fame.html"),
        ),
        (
            "trust_report.html",
            include_str!("../templates/trust_report.html"),
        ),
        (
            "trust_followup.html",
            include_str!("../templates/trust_followup.html"),
        ),
        (
            "notice_lookup.html",
            include_str!("../templates/notice_lookup.html"),
        ),
        (
            "notice_verify.html",
            include_str!("../templates/notice_verify.html"),
        ),
        (
            "campaigns.html",
            include_str!("../templates/campaigns.html"),
        ),
        ("campaign.html", include_str!("../templates/campaign.html")),
        (
            "admin_message.html",
            include_str!("../templates/admin_message.html"),
        ),
        (
            "admin_trust_nav.html",
            include_str!("../templates/admin_trust_nav.html"),
        ),
        (
            "admin_trust.html",
            include_str!("../templates/admin_trust.html"),
        ),
        (
            "admin_trust_advisories.html",
            include_str!("../templates/admin_trust_advisories.html"),
        ),
        (
            "admin_trust_advisory.html",
            include_str!("../templates/admin_trust_advisory.html"),
        ),
        (
            "admin_trust_reports.html",
            include_str!("../templates/admin_trust_reports.html"),
        ),
        (
            "admin_trust_report.html",
            include_str!("../templates/admin_trust_report.html"),
        ),
        (
            "admin_trust_content.html",
            include_str!("../templates/admin_trust_content.html"),
        ),
    ] {
        if let Err(e) = env.add_template(name, src) {
            // Templates are compiled into the binary; a broken one is caught by the tests.
            tracing::error!(template = name, error = %e, "template failed to load");
        }
    }
    env
}

/// Renders a template with the brand added; a rendering failure becomes a plain error page.
pub(crate) fn render(state: &AppState, name: &str, ctx: minijinja::Value) -> Html<String> {
    let has_logo = state
        .trust
        .as_ref()
        .is_some_and(|t| t.config().branding.logo.is_some());
    let ctx = minijinja::context! { brand => &state.brand, has_logo => has_logo, ..ctx };
    match state
        .templates
        .get_template(name)
        .and_then(|t| t.render(ctx))
    {
        Ok(s) => Html(s),
        Err(e) => {
            tracing::error!(template = name, error = %e, "render failed");
            Html(
                "<!doctype html><title>Error</title><p>This page could not be shown.</p>"
                    .to_owned(),
            )
        }
    }
}

/// `GET /static/custodian.css`.
pub(crate) async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/custodian.css"),
    )
}
