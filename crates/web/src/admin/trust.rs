//! The console's Trust Center pages. `/admin/trust` shows the attestations with their expiry
//! flags and view/download figures, the pending access requests (approve, deny), the live grants
//! (revoke), the auto-approve domains and the subscribers; `/admin/trust/advisories` drafts,
//! revises and publishes notices; `/admin/trust/reports` triages disclosure reports through the
//! state machine, with the bounty table and the payouts ledger; `/admin/trust/content` authors
//! the practices pages, subprocessors, FAQ and disclosure scope.
//!
//! Every change is a plain form post to `/admin/trust/do/{action}` carrying the session's CSRF
//! token; it answers with a redirect back to the page (303), or with a page naming the field at
//! fault. Looking needs `trust.read`, changing `trust.write`.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use custodian_auth::Principal;
use custodian_db::Timestamp;
use custodian_trust::types::format_amount;
use custodian_trust::{
    AdvisoryKind, NewAdvisory, NewAttestation, ReportState, Severity, TrustError, TrustService,
    Visibility,
};
use minijinja::{Value, context};

use super::{signed_in, tokens_match};
use crate::AppState;
use crate::api::parse_time;
use crate::api::trust::attestation_status;
use crate::pages::render;
use crate::trust::day;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/trust", get(overview))
        .route("/admin/trust/advisories", get(advisories))
        .route("/admin/trust/advisories/{slug}", get(advisory))
        .route("/admin/trust/reports", get(reports))
        .route("/admin/trust/reports/{id}", get(report))
        .route(
            "/admin/trust/reports/{id}/attachments/{file}",
            get(attachment),
        )
        .route("/admin/trust/content", get(content))
        .route("/admin/trust/do/{action}", post(act))
        .route(
            "/admin/trust/attestations/{slug}/document",
            post(upload).layer(axum::extract::DefaultBodyLimit::max(64 * 1024 * 1024)),
        )
}

/// A signed-in reader of the Trust Center.
struct Reader {
    principal: Principal,
    csrf: String,
    trust: TrustService,
}

async fn reader(state: &AppState, headers: &HeaderMap) -> Result<Reader, Response> {
    let (principal, csrf) = signed_in(state, headers).await?;
    if !principal.may("trust.read") {
        return Err((
            StatusCode::FORBIDDEN,
            "your role may not read the Trust Center",
        )
            .into_response());
    }
    let Some(trust) = state.trust.clone() else {
        return Err((
            StatusCode::SERVICE_UNAVAILABLE,
            "the Trust Center is not configured",
        )
            .into_response());
    };
    Ok(Reader {
        principal,
        csrf,
        trust,
    })
}

impl Reader {
    fn session(&self) -> Value {
        context! { name => &self.principal.name, csrf => &self.csrf }
    }

    fn may_write(&self) -> bool {
        self.principal.may("trust.write")
    }
}

fn failure(e: &TrustError) -> Response {
    match e {
        TrustError::NotFound => (StatusCode::NOT_FOUND, "not found").into_response(),
        TrustError::Db(_) | TrustError::Mail(_) => {
            tracing::error!(error = %e, "trust console page failed");
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable").into_response()
        }
        other => (StatusCode::UNPROCESSABLE_ENTITY, other.to_string()).into_response(),
    }
}

fn when(t: Timestamp) -> String {
    t.to_rfc3339()
}

/// `GET /admin/trust`.
async fn overview(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let r = match reader(&state, &headers).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let t = &r.trust;
    let now = t.now();
    let loaded = async {
        let atts = t.attestations(true).await?;
        let stats = t.access_stats().await?;
        let pending = t.access_requests(Some("pending")).await?;
        let decided = t.access_requests(None).await?;
        let mut grants = Vec::new();
        for a in &atts {
            for g in t.grants(a.id).await? {
                if g.revoked_at.is_none() && g.expires_at > now {
                    grants.push((a.title.clone(), g));
                }
            }
        }
        let subs = t.subscribers().await?;
        Ok::<_, TrustError>((atts, stats, pending, decided, grants, subs))
    }
    .await;
    let (atts, stats, pending, decided, grants, subs) = match loaded {
        Ok(v) => v,
        Err(e) => return failure(&e),
    };
    let atts: Vec<Value> = atts
        .iter()
        .map(|a| {
            let s = stats.iter().find(|s| s.slug == a.slug);
            context! {
                slug => &a.slug, title => &a.title, standard => &a.standard,
                visibility => a.visibility.as_str(), status => attestation_status(a, now),
                expires => day(a.expires_at), document => a.document.as_ref().map(|d| d.0.clone()),
                views => s.map_or(0, |s| s.views), downloads => s.map_or(0, |s| s.downloads),
            }
        })
        .collect();
    let request = |q: &custodian_trust::AccessRequest| {
        context! {
            id => q.id, attestation => &q.attestation_title, name => &q.name,
            company => &q.company, email => &q.email, reason => &q.reason,
            nda => &q.nda_version[..12.min(q.nda_version.len())], at => when(q.nda_accepted_at),
            ip => &q.ip, status => &q.status, decided_by => &q.decided_by,
        }
    };
    let pending: Vec<Value> = pending.iter().map(request).collect();
    let decided: Vec<Value> = decided
        .iter()
        .filter(|q| q.status != "pending")
        .take(50)
        .map(request)
        .collect();
    let grants: Vec<Value> = grants
        .iter()
        .map(|(title, g)| context! { id => g.id, attestation => title, email => &g.email, expires => day(g.expires_at) })
        .collect();
    let active = subs.iter().filter(|s| s.is_active()).count();
    let unsubscribed = subs.iter().filter(|s| s.unsubscribed_at.is_some()).count();
    let subscribers = context! {
        active => active, unsubscribed => unsubscribed,
        pending => subs.len() - active - unsubscribed,
    };
    render(
        &state,
        "admin_trust.html",
        context! {
            session => r.session(), may_write => r.may_write(), attestations => atts,
            pending => pending, decided => decided, grants => grants, subscribers => subscribers,
            visibilities => ["public", "teaser", "gated", "hidden"],
        },
    )
    .into_response()
}

/// `GET /admin/trust/advisories`.
async fn advisories(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let r = match reader(&state, &headers).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let list = match r.trust.all_advisories().await {
        Ok(l) => l,
        Err(e) => return failure(&e),
    };
    let list: Vec<Value> = list
        .iter()
        .map(|a| {
            context! {
                slug => &a.slug, title => &a.title, kind => a.kind.as_str(), version => a.version,
                published => a.published_at.map(day), updated => day(a.updated_at),
            }
        })
        .collect();
    render(
        &state,
        "admin_trust_advisories.html",
        context! { session => r.session(), may_write => r.may_write(), advisories => list },
    )
    .into_response()
}

/// `GET /admin/trust/advisories/{slug}`: the notice (drafts too), its revisions, the revise
/// form and the publish button.
async fn advisory(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Response {
    let r = match reader(&state, &headers).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let found = match r.trust.all_advisories().await {
        Ok(l) => l.into_iter().find(|a| a.slug == slug),
        Err(e) => return failure(&e),
    };
    let Some(a) = found else {
        return failure(&TrustError::NotFound);
    };
    let revisions: Vec<Value> = match r.trust.advisory_revisions(a.id).await {
        Ok(l) => l
            .iter()
            .map(|(v, at, summary)| context! { version => v, date => day(*at), summary => summary })
            .collect(),
        Err(e) => return failure(&e),
    };
    let view = context! {
        slug => &a.slug, title => &a.title, kind => a.kind.as_str(), topic => a.topic.as_str(),
        summary => &a.summary, body_md => &a.body_md,
        body => Value::from_safe_string(a.body_html()), version => a.version,
        published => a.published_at.map(day), cvss => &a.cvss_vector,
        incident => &a.incident_id, lookup_url => &a.lookup_url,
    };
    render(
        &state,
        "admin_trust_advisory.html",
        context! {
            session => r.session(), may_write => r.may_write(), a => view, revisions => revisions,
        },
    )
    .into_response()
}

/// `GET /admin/trust/reports[?state=…]`: reports, the bounty table and the payouts ledger.
async fn reports(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let r = match reader(&state, &headers).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let filter = match q.get("state").map(String::as_str) {
        None | Some("") => None,
        Some(s) => match ReportState::parse(s) {
            Ok(st) => Some(st),
            Err(e) => return failure(&e),
        },
    };
    let loaded = async {
        Ok::<_, TrustError>((
            r.trust.reports(filter).await?,
            r.trust.bounty_table().await?,
            r.trust.payouts().await?,
        ))
    }
    .await;
    let (list, bounty, payouts) = match loaded {
        Ok(v) => v,
        Err(e) => return failure(&e),
    };
    let list: Vec<Value> = list
        .iter()
        .map(|x| {
            context! {
                id => x.id, title => &x.title, researcher => &x.handle, asset => &x.asset,
                severity => x.severity.as_str(), state => x.state.as_str(),
                created => day(x.created_at), changed => day(x.state_changed_at),
            }
        })
        .collect();
    let bounty: Vec<Value> = bounty
        .iter()
        .map(|b| context! { severity => b.severity.as_str(), min => format_amount(b.min_cents), max => format_amount(b.max_cents) })
        .collect();
    let payouts: Vec<Value> = payouts
        .iter()
        .map(|p| context! { report => p.report_id, researcher => &p.handle, amount => format_amount(p.amount_cents), note => &p.note, at => day(p.at) })
        .collect();
    render(
        &state,
        "admin_trust_reports.html",
        context! {
            session => r.session(), may_write => r.may_write(), reports => list,
            bounty => bounty, payouts => payouts, states => STATES,
            filter => filter.map(ReportState::as_str),
        },
    )
    .into_response()
}

const STATES: [&str; 11] = [
    "new",
    "triaged",
    "needs_more_info",
    "retesting",
    "resolved",
    "informative",
    "duplicate",
    "not_applicable",
    "out_of_scope",
    "spam",
    "disclosed",
];

/// `GET /admin/trust/reports/{id}`: the report, its thread and the moves its state allows.
async fn report(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    let r = match reader(&state, &headers).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let (x, comments, files) = match (
        r.trust.report(id).await,
        r.trust.report_attachments(id).await,
    ) {
        (Ok((x, c)), Ok(f)) => (x, c, f),
        (Err(e), _) | (_, Err(e)) => return failure(&e),
    };
    let files: Vec<Value> = files
        .iter()
        .map(|f| context! { id => f.id, name => &f.name, kind => &f.content_type, size => f.size })
        .collect();
    let moves: Vec<&str> = STATES
        .iter()
        .copied()
        .filter(|s| ReportState::parse(s).is_ok_and(|to| x.state.can_move_to(to)))
        .collect();
    let comments: Vec<Value> = comments
        .iter()
        .map(|c| context! { author => &c.author, body => &c.body, from => &c.from, to => &c.to, at => when(c.at) })
        .collect();
    let view = context! {
        id => x.id, title => &x.title, researcher => &x.handle, asset => &x.asset,
        weakness => &x.weakness, description => &x.description, steps => &x.steps,
        impact => &x.impact, cvss => &x.cvss_vector,
        score => x.score_tenths.map(|t| format!("{:.1}", t as f64 / 10.0)),
        severity => x.severity.as_str(), state => x.state.as_str(), duplicate_of => x.duplicate_of,
        created => when(x.created_at), changed => when(x.state_changed_at),
        payable => matches!(x.state, ReportState::Resolved | ReportState::Disclosed),
    };
    render(
        &state,
        "admin_trust_report.html",
        context! {
            session => r.session(), may_write => r.may_write(), r => view, comments => comments,
            moves => moves, files => files,
        },
    )
    .into_response()
}

/// `GET /admin/trust/content[?page=slug]`: practices pages (with the one named open for
/// editing), subprocessors, FAQ and the disclosure scope.
async fn content(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let r = match reader(&state, &headers).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let t = &r.trust;
    let loaded = async {
        Ok::<_, TrustError>((
            t.practice_pages().await?,
            t.subprocessors().await?,
            t.faq().await?,
            t.scope().await?,
        ))
    }
    .await;
    let (pages, subs, faq, scope) = match loaded {
        Ok(v) => v,
        Err(e) => return failure(&e),
    };
    let editing = q
        .get("page")
        .and_then(|slug| pages.iter().find(|p| &p.slug == slug))
        .map(|p| context! { slug => &p.slug, title => &p.title, body => &p.body_md, position => p.position });
    let pages: Vec<Value> = pages
        .iter()
        .map(|p| context! { slug => &p.slug, title => &p.title, position => p.position, updated => day(p.updated_at) })
        .collect();
    let subs: Vec<Value> = subs
        .iter()
        .map(|s| context! { id => s.id, name => &s.name, purpose => &s.purpose, location => &s.location, position => s.position })
        .collect();
    let faq: Vec<Value> = faq
        .iter()
        .map(|f| context! { id => f.id, question => &f.question, answer => &f.answer_md, position => f.position })
        .collect();
    let scope: Vec<Value> = scope
        .iter()
        .map(|a| context! { id => a.id, asset => &a.asset, in_scope => a.in_scope, notes => &a.notes, position => a.position })
        .collect();
    render(
        &state,
        "admin_trust_content.html",
        context! {
            session => r.session(), may_write => r.may_write(), pages => pages, editing => editing,
            subprocessors => subs, faq => faq, scope => scope,
        },
    )
    .into_response()
}

/// `GET /admin/trust/reports/{id}/attachments/{file}`: one attachment, always as a download
/// (never rendered by the browser, whatever its type).
async fn attachment(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, file)): Path<(i64, i64)>,
) -> Response {
    let r = match reader(&state, &headers).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    match r.trust.report_attachment(id, file).await {
        Ok((name, ty, bytes)) => {
            let safe: String = name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "._-".contains(c) {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            let disposition = format!("attachment; filename=\"{safe}\"");
            let mut resp = bytes.into_response();
            let h = resp.headers_mut();
            for (k, v) in [
                (header::CONTENT_TYPE, ty.as_str()),
                (header::CONTENT_DISPOSITION, disposition.as_str()),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                (header::CACHE_CONTROL, "no-store"),
            ] {
                if let Ok(v) = HeaderValue::from_str(v) {
                    h.insert(k, v);
                }
            }
            resp
        }
        Err(e) => failure(&e),
    }
}

/// The fields of a console form.
struct Fields(HashMap<String, String>);

impl Fields {
    fn get(&self, name: &str) -> &str {
        self.0.get(name).map_or("", |v| v.as_str())
    }

    fn opt(&self, name: &str) -> Option<String> {
        Some(self.get(name).trim().to_owned()).filter(|v| !v.is_empty())
    }

    fn int(&self, name: &'static str) -> Result<i64, TrustError> {
        let v = self.get(name).trim();
        if v.is_empty() {
            return Ok(0);
        }
        v.parse()
            .map_err(|_| TrustError::invalid(name, format!("`{v}` is not a whole number")))
    }

    fn id(&self) -> Result<i64, TrustError> {
        self.get("id")
            .trim()
            .parse()
            .map_err(|_| TrustError::invalid("id", "is missing"))
    }

    /// An amount in currency units (`1500` or `1500.50`) as cents.
    fn cents(&self, name: &'static str) -> Result<i64, TrustError> {
        let v = self.get(name).trim();
        custodian_trust::types::parse_amount(v).ok_or_else(|| {
            TrustError::invalid(name, format!("`{v}` is not an amount like 1500.00"))
        })
    }

    fn date(&self, name: &'static str) -> Result<Timestamp, TrustError> {
        parse_time(name, self.get(name)).map_err(|_| {
            TrustError::invalid(
                name,
                format!("`{}` is not a date (use YYYY-MM-DD)", self.get(name)),
            )
        })
    }
}

/// `POST /admin/trust/do/{action}`: one change, then back to the page it came from.
async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(action): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let r = match reader(&state, &headers).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let f = Fields(form);
    if !tokens_match(&r.csrf, f.get("csrf")) {
        return (StatusCode::FORBIDDEN, "invalid CSRF token").into_response();
    }
    if !r.may_write() {
        return (
            StatusCode::FORBIDDEN,
            "your role may not change the Trust Center",
        )
            .into_response();
    }
    let back = back_to(f.get("back"));
    match apply(&r, &action, &f).await {
        Ok(()) => Redirect::to(&back).into_response(),
        Err(e) => refused(&state, &r, &e, &back),
    }
}

/// Where to go after a change: a console page under `/admin/trust`, never elsewhere.
fn back_to(back: &str) -> String {
    let ok = back.starts_with("/admin/trust")
        && !back.contains("//")
        && back
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/-_?=&.".contains(c));
    if ok {
        back.to_owned()
    } else {
        "/admin/trust".to_owned()
    }
}

fn refused(state: &AppState, r: &Reader, e: &TrustError, back: &str) -> Response {
    let status = match e {
        TrustError::NotFound => StatusCode::NOT_FOUND,
        TrustError::Duplicate(_) | TrustError::BadTransition { .. } | TrustError::Conflict(_) => {
            StatusCode::CONFLICT
        }
        TrustError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        TrustError::WrongType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        TrustError::Invalid { .. } | TrustError::BadLink => StatusCode::UNPROCESSABLE_ENTITY,
        _ => {
            tracing::error!(error = %e, "trust console change failed");
            StatusCode::SERVICE_UNAVAILABLE
        }
    };
    let text = if status == StatusCode::SERVICE_UNAVAILABLE {
        "The change could not be saved; please try again.".to_owned()
    } else {
        e.to_string()
    };
    (
        status,
        render(
            state,
            "admin_message.html",
            context! { session => r.session(), title => "Not saved", text => text, back => back },
        ),
    )
        .into_response()
}

async fn apply(r: &Reader, action: &str, f: &Fields) -> Result<(), TrustError> {
    let t = &r.trust;
    let by = &r.principal.name;
    match action {
        "attestation" => {
            let a = NewAttestation {
                slug: f.get("slug").trim().to_owned(),
                title: f.get("title").to_owned(),
                issuer: f.get("issuer").to_owned(),
                standard: f.get("standard").to_owned(),
                scope: f.get("scope").to_owned(),
                description: f.get("description").to_owned(),
                period_start: f.date("period_start")?,
                period_end: f.date("period_end")?,
                issued_at: f.date("issued")?,
                expires_at: f.date("expires")?,
                visibility: Visibility::parse(f.get("visibility"))?,
            };
            t.create_attestation(&a).await.map(drop)
        }
        "approve" => t.approve_request(f.id()?, by).await.map(drop),
        "deny" => t.deny_request(f.id()?, by).await,
        "revoke" => t.revoke_grant(f.id()?).await,
        "auto-approve" => t.add_auto_approve(f.get("domain")).await,
        "advisory" => {
            let a = NewAdvisory {
                slug: f.get("slug").trim().to_owned(),
                kind: AdvisoryKind::parse(f.get("kind"))?,
                title: f.get("title").to_owned(),
                summary: f.get("summary").to_owned(),
                body_md: f.get("body").to_owned(),
                cvss_vector: f.opt("cvss_vector"),
                incident_id: f.opt("incident_id"),
                lookup_url: f.opt("lookup_url"),
            };
            t.create_advisory(&a).await.map(drop)
        }
        "revise" => t
            .revise_advisory(f.get("slug"), f.get("summary"), f.get("body"))
            .await
            .map(drop),
        "publish" => t.publish_advisory(f.get("slug")).await.map(drop),
        "transition" => {
            let to = ReportState::parse(f.get("state"))?;
            let dup = match f.opt("duplicate_of") {
                Some(_) => Some(f.int("duplicate_of")?),
                None => None,
            };
            t.transition_report(f.id()?, to, f.get("comment"), dup)
                .await
                .map(drop)
        }
        "close-stale" => t.close_stale_reports().await.map(drop),
        "bounty" => {
            let sev = Severity::parse(f.get("severity"))?;
            t.set_bounty(sev, f.cents("min")?, f.cents("max")?).await
        }
        "payout" => {
            t.record_payout(f.id()?, f.cents("amount")?, f.get("note"))
                .await
        }
        "page" => t
            .put_practice_page(
                f.get("slug").trim(),
                f.get("title"),
                f.get("body"),
                f.int("position")?,
            )
            .await
            .map(drop),
        "delete-page" => t.delete_practice_page(f.get("slug")).await,
        "subprocessor" => t
            .put_subprocessor(
                f.get("name"),
                f.get("purpose"),
                f.get("location"),
                f.int("position")?,
            )
            .await
            .map(drop),
        "delete-subprocessor" => t.delete_subprocessor(f.id()?).await,
        "faq" => t
            .put_faq(f.get("question"), f.get("answer"), f.int("position")?)
            .await
            .map(drop),
        "delete-faq" => t.delete_faq(f.id()?).await,
        "scope" => {
            let in_scope = match f.get("status") {
                "in" => true,
                "out" => false,
                _ => {
                    return Err(TrustError::invalid(
                        "status",
                        "choose in scope or out of scope",
                    ));
                }
            };
            t.put_scope_asset(f.get("asset"), in_scope, f.get("notes"), f.int("position")?)
                .await
                .map(drop)
        }
        "delete-scope" => t.delete_scope_asset(f.id()?).await,
        _ => Err(TrustError::NotFound),
    }
}

/// `POST /admin/trust/attestations/{slug}/document`: a multipart form with the CSRF token and
/// the file (PDF).
async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
    mut form: Multipart,
) -> Response {
    let r = match reader(&state, &headers).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    if !r.may_write() {
        return (
            StatusCode::FORBIDDEN,
            "your role may not change the Trust Center",
        )
            .into_response();
    }
    let mut csrf = String::new();
    let mut file: Option<(String, String, Vec<u8>)> = None;
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_owned();
                let file_name = field.file_name().unwrap_or("").to_owned();
                let ty = field.content_type().unwrap_or("").to_owned();
                match field.bytes().await {
                    Ok(b) if name == "csrf" => csrf = String::from_utf8_lossy(&b).into_owned(),
                    Ok(b) if name == "document" => file = Some((file_name, ty, b.to_vec())),
                    Ok(_) => {}
                    Err(e) => return (StatusCode::BAD_REQUEST, e.body_text()).into_response(),
                }
            }
            Ok(None) => break,
            Err(e) => return (e.status(), e.body_text()).into_response(),
        }
    }
    if !tokens_match(&r.csrf, &csrf) {
        return (StatusCode::FORBIDDEN, "invalid CSRF token").into_response();
    }
    let result = match file {
        Some((name, ty, bytes)) if !bytes.is_empty() => {
            r.trust.upload_document(&slug, &name, &ty, &bytes).await
        }
        _ => Err(TrustError::invalid("document", "choose a file to upload")),
    };
    match result {
        Ok(()) => Redirect::to("/admin/trust").into_response(),
        Err(e) => refused(&state, &r, &e, "/admin/trust"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_links_stay_in_the_console() {
        assert_eq!(back_to("/admin/trust/reports/4"), "/admin/trust/reports/4");
        assert_eq!(back_to("https://evil.example/"), "/admin/trust");
        assert_eq!(back_to("/admin/trust//evil.example"), "/admin/trust");
        assert_eq!(back_to("/admin/keys"), "/admin/trust");
    }

    #[test]
    fn amounts_become_cents() {
        let f = |v: &str| {
            Fields(HashMap::from([("a".to_owned(), v.to_owned())]))
                .cents("a")
                .ok()
        };
        assert_eq!(f("1500"), Some(150_000));
        assert_eq!(f("1500.5"), Some(150_050));
        assert_eq!(f("0.05"), Some(5));
        assert_eq!(f("-1"), None);
        assert_eq!(f("1.234"), None);
        assert_eq!(f(""), None);
    }
}
