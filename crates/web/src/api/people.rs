//! `/v1/people`: the vault over HTTP. Create (one or a batch, per-item results), read masked with
//! optional reveal and purpose, search by blind index, shred, and bulk import as NDJSON. Every
//! call is in the vault's access log under the caller's principal and the request id.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use custodian_vault::{
    CanonicalRecord, Field, FieldValue, Lookup, PersonRef, ReadRequest, Vault, VaultError,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::ctx;
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::ApiJson;

/// The largest NDJSON import body accepted over HTTP (larger files: `custodian vault import`).
const IMPORT_LIMIT: usize = 64 * 1024 * 1024;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/people", post(create))
        .route("/v1/people/search", post(search))
        .route("/v1/people/read", post(read_many))
        .route("/v1/people/tokenize", post(tokenize))
        .route("/v1/people/rewrap", post(rewrap))
        .route(
            "/v1/people/import",
            post(import).layer(DefaultBodyLimit::max(IMPORT_LIMIT)),
        )
        .route("/v1/people/{id}", get(read).delete(shred))
}

#[derive(OpenApi)]
#[openapi(
    paths(create, read, read_many, tokenize, rewrap, search, shred, import),
    components(schemas(
        PersonIn,
        ItemResult,
        PersonOut,
        FieldOut,
        SearchIn,
        SearchHit,
        ImportOut,
        ReadManyIn,
        ReadItem,
        TokenizeIn,
        TokenizedItem,
        RewrapIn,
        RewrapItem
    ))
)]
pub(super) struct Doc;

/// A record in the canonical format; every value a string, every field but `external_id` and
/// `account_kind` optional.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PersonIn {
    external_id: String,
    account_kind: String,
    first_name: Option<String>,
    last_name: Option<String>,
    street: Option<String>,
    city: Option<String>,
    state: Option<String>,
    zip: Option<String>,
    dob: Option<String>,
    ssn: Option<String>,
    dl_number: Option<String>,
    dl_state: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    imei: Option<String>,
    imsi: Option<String>,
}

impl PersonIn {
    fn get(&self, c: &str) -> Option<&str> {
        match c {
            "external_id" => Some(&self.external_id),
            "account_kind" => Some(&self.account_kind),
            "first_name" => self.first_name.as_deref(),
            "last_name" => self.last_name.as_deref(),
            "street" => self.street.as_deref(),
            "city" => self.city.as_deref(),
            "state" => self.state.as_deref(),
            "zip" => self.zip.as_deref(),
            "dob" => self.dob.as_deref(),
            "ssn" => self.ssn.as_deref(),
            "dl_number" => self.dl_number.as_deref(),
            "dl_state" => self.dl_state.as_deref(),
            "phone" => self.phone.as_deref(),
            "email" => self.email.as_deref(),
            "imei" => self.imei.as_deref(),
            "imsi" => self.imsi.as_deref(),
            _ => None,
        }
    }
}

/// One or many records.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    Many(Vec<PersonIn>),
    One(Box<PersonIn>),
}

/// The outcome of one item.
#[derive(Serialize, ToSchema)]
struct ItemResult {
    index: usize,
    external_id: String,
    /// `created`, `updated`, `unchanged` or `rejected`.
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
}

/// A person as the caller may see them.
#[derive(Serialize, ToSchema)]
struct PersonOut {
    id: String,
    external_id: String,
    account_kind: String,
    state: Option<String>,
    shredded: bool,
    fields: Vec<FieldOut>,
}

/// One field: masked unless revealed.
#[derive(Serialize, ToSchema)]
struct FieldOut {
    field: &'static str,
    value: String,
    revealed: bool,
}

#[derive(Deserialize, IntoParams)]
struct ReadQuery {
    /// Comma-separated fields to reveal in full (the role must allow each).
    reveal: Option<String>,
    /// Why the values are needed (required with `reveal`).
    purpose: Option<String>,
}

/// A batch read: many people, the same reveal and purpose for each.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReadManyIn {
    /// Opaque ids (32 hex) or external ids; at most 1,000.
    ids: Vec<String>,
    /// Fields to reveal in full (the role must allow each).
    #[serde(default)]
    reveal: Vec<String>,
    /// Why the values are needed (required with `reveal`).
    purpose: Option<String>,
}

/// One person of a batch read: the person, or why not.
#[derive(Serialize, ToSchema)]
struct ReadItem {
    index: usize,
    /// `ok`, `not_found` or `error`.
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    person: Option<PersonOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// An exact-match search on one indexed field.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SearchIn {
    /// `ssn`, `phone`, `email`, `imei`, `imsi` or `drivers_license` (value `STATE:NUMBER`).
    field: String,
    value: String,
}

/// A search hit: who, never what.
#[derive(Serialize, ToSchema)]
struct SearchHit {
    id: String,
    external_id: String,
    account_kind: String,
    state: Option<String>,
}

/// What an NDJSON import did.
#[derive(Serialize, ToSchema)]
struct ImportOut {
    lines: usize,
    created: usize,
    updated: usize,
    unchanged: usize,
    rejected: usize,
    errors: Vec<ItemResult>,
}

fn vault(s: &AppState) -> Result<&Vault, ApiError> {
    s.vault.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the vault is not configured",
        )
    })
}

impl From<VaultError> for ApiError {
    fn from(e: VaultError) -> Self {
        match e {
            VaultError::Auth(a) => a.into(),
            VaultError::Policy(p) => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", p.to_string())
            }
            VaultError::NotFound => ApiError::not_found("no person with that id"),
            VaultError::Shredded => ApiError::new(StatusCode::GONE, "shredded", e.to_string()),
            VaultError::Invalid(m) => ApiError::invalid("field", m),
            VaultError::Db(d) if d.is_unavailable() => ApiError::unavailable(d),
            other => ApiError::internal(other),
        }
    }
}

fn today(s: &AppState) -> time::Date {
    s.clock.now().to_datetime().date()
}

fn parse_people(
    s: &AppState,
    items: &[PersonIn],
) -> (Vec<CanonicalRecord>, Vec<usize>, Vec<ItemResult>) {
    let mut ok = Vec::new();
    let mut ok_index = Vec::new();
    let mut bad = Vec::new();
    for (i, p) in items.iter().enumerate() {
        match custodian_vault::record::parse_row(0, |c| p.get(c), today(s)) {
            Ok(r) => {
                ok.push(r);
                ok_index.push(i);
            }
            Err(e) => bad.push(ItemResult {
                index: i,
                external_id: p.external_id.clone(),
                status: "rejected",
                id: None,
                error: Some(e.reason),
                field: Some(e.field),
            }),
        }
    }
    (ok, ok_index, bad)
}

async fn write_batch(
    caller: &Caller,
    s: &AppState,
    headers: &HeaderMap,
    records: &[CanonicalRecord],
    index: &[usize],
) -> Result<Vec<ItemResult>, ApiError> {
    let v = vault(s)?;
    let c = ctx(headers);
    let out = v.writer(&caller.0, &c)?.upsert_batch(records).await?;
    Ok(out
        .items
        .into_iter()
        .enumerate()
        .map(|(i, (ext, o, _))| {
            let (status, error) = match o {
                custodian_vault::ItemOutcome::Created => ("created", None),
                custodian_vault::ItemOutcome::Updated => ("updated", None),
                custodian_vault::ItemOutcome::Unchanged => ("unchanged", None),
                custodian_vault::ItemOutcome::Rejected(r) => ("rejected", Some(r)),
            };
            ItemResult {
                index: index.get(i).copied().unwrap_or(i),
                external_id: ext,
                status,
                id: None,
                error,
                field: None,
            }
        })
        .collect())
}

/// Create or update people (one object or an array). Needs `people.write`.
#[utoipa::path(post, path = "/v1/people", tag = "vault", security(("api_key" = [])), request_body = PersonIn,
    responses((status = 200, body = [ItemResult]), (status = 401, body = crate::error::ErrorBody),
               (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create(
    caller: Caller,
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<OneOrMany>,
) -> Result<Json<Vec<ItemResult>>, ApiError> {
    caller.require("people.write")?;
    let items = match body {
        OneOrMany::Many(v) => v,
        OneOrMany::One(p) => vec![*p],
    };
    if items.len() > 10_000 {
        return Err(ApiError::invalid(
            "body",
            "at most 10,000 people per request",
        ));
    }
    let (ok, idx, mut results) = parse_people(&s, &items);
    results.extend(write_batch(&caller, &s, &headers, &ok, &idx).await?);
    results.sort_by_key(|r| r.index);
    Ok(Json(results))
}

/// Read a person, masked; `?reveal=ssn&purpose=…` reveals fields the role allows. Needs
/// `people.read`.
#[utoipa::path(get, path = "/v1/people/{id}", tag = "vault", security(("api_key" = [])),
    params(("id" = String, Path, description = "Opaque id (32 hex) or external id"), ReadQuery),
    responses((status = 200, body = PersonOut), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn read(
    caller: Caller,
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<ReadQuery>,
) -> Result<Json<PersonOut>, ApiError> {
    caller.require("people.read")?;
    let mut reveal = Vec::new();
    for name in q
        .reveal
        .as_deref()
        .unwrap_or("")
        .split(',')
        .filter(|s| !s.trim().is_empty())
    {
        reveal.push(Field::parse(name).ok_or_else(|| {
            ApiError::invalid("reveal", format!("unknown field `{}`", name.trim()))
        })?);
    }
    let c = ctx(&headers);
    let view = vault(&s)?
        .reader(&caller.0, &c)?
        .get(
            &PersonRef::parse(&id),
            &ReadRequest {
                reveal,
                purpose: q.purpose,
            },
        )
        .await?;
    Ok(Json(person_out(view)))
}

fn person_out(view: custodian_vault::PersonView) -> PersonOut {
    PersonOut {
        id: view.id,
        external_id: view.external_id,
        account_kind: view.account_kind,
        state: view.state,
        shredded: view.shredded_at.is_some(),
        fields: view
            .fields
            .into_iter()
            .map(|(f, v)| match v {
                FieldValue::Masked(m) => FieldOut {
                    field: f.as_str(),
                    value: m,
                    revealed: false,
                },
                FieldValue::Revealed(r) => FieldOut {
                    field: f.as_str(),
                    value: r.expose().clone(),
                    revealed: true,
                },
            })
            .collect(),
    }
}

/// Read many people in one call, each with its own result (an unknown id does not fail the
/// batch); one access-log entry names everyone read. Needs `people.read`.
#[utoipa::path(post, path = "/v1/people/read", tag = "vault", security(("api_key" = [])), request_body = ReadManyIn,
    responses((status = 200, body = [ReadItem]), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn read_many(
    caller: Caller,
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ReadManyIn>,
) -> Result<Json<Vec<ReadItem>>, ApiError> {
    caller.require("people.read")?;
    if body.ids.len() > custodian_vault::MAX_BATCH_READ {
        return Err(ApiError::invalid(
            "ids",
            format!(
                "at most {} people per batch read",
                custodian_vault::MAX_BATCH_READ
            ),
        ));
    }
    let mut reveal = Vec::new();
    for name in &body.reveal {
        reveal.push(
            Field::parse(name)
                .ok_or_else(|| ApiError::invalid("reveal", format!("unknown field `{name}`")))?,
        );
    }
    let refs: Vec<PersonRef> = body.ids.iter().map(|i| PersonRef::parse(i)).collect();
    let c = ctx(&headers);
    let results = vault(&s)?
        .reader(&caller.0, &c)?
        .get_many(
            &refs,
            &ReadRequest {
                reveal,
                purpose: body.purpose,
            },
        )
        .await?;
    Ok(Json(
        results
            .into_iter()
            .enumerate()
            .map(|(index, r)| match r {
                Ok(view) => ReadItem {
                    index,
                    status: "ok",
                    person: Some(person_out(view)),
                    error: None,
                },
                Err(VaultError::NotFound) => ReadItem {
                    index,
                    status: "not_found",
                    person: None,
                    error: Some("no person with that id".into()),
                },
                Err(e) => {
                    tracing::warn!(error = %e, "batch read item failed");
                    ReadItem {
                        index,
                        status: "error",
                        person: None,
                        error: Some("this person could not be read".into()),
                    }
                }
            })
            .collect(),
    ))
}

/// A batch of people to tokenize for a test environment.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TokenizeIn {
    /// Opaque ids (32 hex) or external ids; at most 1,000.
    ids: Vec<String>,
    /// A named export key: the same person gets the same tokens under the same name, across
    /// calls and exports. Without it the tokens are made under a fresh key and link nothing.
    #[serde(default)]
    key: Option<String>,
    /// Keep the company's external ids instead of tokenizing them.
    #[serde(default)]
    keep_external_ids: bool,
    /// Why (recorded in the access log).
    purpose: String,
}

/// One person of a tokenize batch: the record in canonical columns with every sensitive value
/// replaced by its format-preserving token, or why not.
#[derive(Serialize, ToSchema)]
struct TokenizedItem {
    index: usize,
    /// `ok`, `not_found`, `shredded` or `error`.
    status: &'static str,
    /// Column name to value (canonical CSV columns; `pin` is never exported).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    record: Option<std::collections::BTreeMap<&'static str, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Tokenize many people in one call (the batch form of `vault export --tokenized`), each with
/// its own result; one access-log entry names everyone tokenized. Needs `people.export`.
#[utoipa::path(post, path = "/v1/people/tokenize", tag = "vault", security(("api_key" = [])), request_body = TokenizeIn,
    responses((status = 200, body = [TokenizedItem]), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn tokenize(
    caller: Caller,
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<TokenizeIn>,
) -> Result<Json<Vec<TokenizedItem>>, ApiError> {
    use custodian_vault::export::{ExportKey, ExportKeyName, ExportOptions, ExternalIds};
    caller.require("people.export")?;
    if body.ids.len() > custodian_vault::MAX_BATCH_READ {
        return Err(ApiError::invalid(
            "ids",
            format!(
                "at most {} people per batch",
                custodian_vault::MAX_BATCH_READ
            ),
        ));
    }
    if body.purpose.trim().is_empty() {
        return Err(ApiError::invalid(
            "purpose",
            "say why the tokens are needed",
        ));
    }
    let key = match &body.key {
        None => ExportKey::Ephemeral,
        Some(k) => ExportKey::Named(
            ExportKeyName::parse(k).map_err(|e| ApiError::invalid("key", e.to_string()))?,
        ),
    };
    let opts = ExportOptions {
        key,
        external_ids: if body.keep_external_ids {
            ExternalIds::Keep
        } else {
            ExternalIds::Tokenize
        },
        purpose: body.purpose.clone(),
        ..ExportOptions::default()
    };
    let refs: Vec<PersonRef> = body.ids.iter().map(|i| PersonRef::parse(i)).collect();
    let c = ctx(&headers);
    let vault = vault(&s)?;
    let exporter = vault.exporter(&caller.0, &c)?;
    let results = exporter.tokenized(&opts)?.tokenize_people(&refs).await?;
    Ok(Json(
        results
            .into_iter()
            .enumerate()
            .map(|(index, r)| match r {
                Ok(rec) => TokenizedItem {
                    index,
                    status: "ok",
                    record: Some(
                        custodian_vault::record::COLUMNS
                            .iter()
                            .copied()
                            .zip(rec.columns().iter().map(|v| (*v).to_owned()))
                            .collect(),
                    ),
                    error: None,
                },
                Err(VaultError::NotFound) => TokenizedItem {
                    index,
                    status: "not_found",
                    record: None,
                    error: Some("no person with that id".into()),
                },
                Err(VaultError::Shredded) => TokenizedItem {
                    index,
                    status: "shredded",
                    record: None,
                    error: Some("the person was shredded".into()),
                },
                Err(e) => {
                    tracing::warn!(error = %e, "batch tokenize item failed");
                    TokenizedItem {
                        index,
                        status: "error",
                        record: None,
                        error: Some("this person could not be tokenized".into()),
                    }
                }
            })
            .collect(),
    ))
}

/// People whose data keys to move to the current key version now.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RewrapIn {
    /// Opaque ids (32 hex) or external ids; at most 1,000.
    ids: Vec<String>,
}

/// What a batch re-wrap did to one person.
#[derive(Serialize, ToSchema)]
struct RewrapItem {
    index: usize,
    /// `rewrapped`, `current` (already on the current version), `not_found`, `shredded`,
    /// `skipped` (changed by another process meanwhile) or `error`.
    status: &'static str,
    /// For `rewrapped`: the key version the data key was wrapped under before.
    #[serde(skip_serializing_if = "Option::is_none")]
    from_version: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Re-wrap many people's data keys under the current key version in one call (the batch form
/// of the re-wrap `custodian keys rotate` runs), each with its own result, in one transaction
/// with one `rotate` access-log entry. Needs `keys.rotate`.
#[utoipa::path(post, path = "/v1/people/rewrap", tag = "vault", security(("api_key" = [])), request_body = RewrapIn,
    responses((status = 200, body = [RewrapItem]), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn rewrap(
    caller: Caller,
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RewrapIn>,
) -> Result<Json<Vec<RewrapItem>>, ApiError> {
    use custodian_vault::rotate::{MAX_BATCH_REWRAP, RewrapOutcome};
    caller.require("keys.rotate")?;
    if body.ids.len() > MAX_BATCH_REWRAP {
        return Err(ApiError::invalid(
            "ids",
            format!("at most {MAX_BATCH_REWRAP} people per batch"),
        ));
    }
    let refs: Vec<PersonRef> = body.ids.iter().map(|i| PersonRef::parse(i)).collect();
    let c = ctx(&headers);
    let vault = vault(&s)?;
    let results = vault.key_admin(&caller.0, &c)?.rewrap(&refs).await?;
    Ok(Json(
        results
            .into_iter()
            .enumerate()
            .map(|(index, r)| {
                let (status, from_version, error) = match r {
                    RewrapOutcome::Rewrapped { from } => ("rewrapped", Some(from), None),
                    RewrapOutcome::Current => ("current", None, None),
                    RewrapOutcome::NotFound => {
                        ("not_found", None, Some("no person with that id".to_owned()))
                    }
                    RewrapOutcome::Shredded => (
                        "shredded",
                        None,
                        Some("the person was shredded; there is no key".to_owned()),
                    ),
                    RewrapOutcome::Skipped => ("skipped", None, None),
                    RewrapOutcome::Failed(e) => {
                        tracing::warn!(error = %e, "batch re-wrap item failed");
                        (
                            "error",
                            None,
                            Some("this key could not be re-wrapped".to_owned()),
                        )
                    }
                };
                RewrapItem {
                    index,
                    status,
                    from_version,
                    error,
                }
            })
            .collect(),
    ))
}

/// Find people by an exact identifier, without decrypting anything. Needs `people.search`.
#[utoipa::path(post, path = "/v1/people/search", tag = "vault", security(("api_key" = [])), request_body = SearchIn,
    responses((status = 200, body = [SearchHit]), (status = 422, body = crate::error::ErrorBody)))]
async fn search(
    caller: Caller,
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiJson(q): ApiJson<SearchIn>,
) -> Result<Json<Vec<SearchHit>>, ApiError> {
    caller.require("people.search")?;
    let field = Field::parse(&q.field)
        .ok_or_else(|| ApiError::invalid("field", format!("unknown field `{}`", q.field)))?;
    let normalized = custodian_vault::record::normalize(field, &q.value)
        .map_err(|e| ApiError::invalid("value", e.to_string()))?;
    let c = ctx(&headers);
    let hits = vault(&s)?
        .searcher(&caller.0, &c)?
        .find(&Lookup {
            field,
            normalized: &normalized,
        })
        .await?;
    Ok(Json(
        hits.into_iter()
            .map(|h| SearchHit {
                id: h.id,
                external_id: h.external_id,
                account_kind: h.account_kind,
                state: h.state,
            })
            .collect(),
    ))
}

#[derive(Deserialize, IntoParams)]
struct ShredQuery {
    /// Why (recorded in the access log).
    purpose: String,
}

/// Crypto-shred a person: their data key and every sealed field are destroyed; a tombstone
/// remains. Needs `people.delete`.
#[utoipa::path(delete, path = "/v1/people/{id}", tag = "vault", security(("api_key" = [])),
    params(("id" = String, Path, description = "Opaque id or external id"), ShredQuery),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
async fn shred(
    caller: Caller,
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<ShredQuery>,
) -> Result<StatusCode, ApiError> {
    caller.require("people.delete")?;
    if q.purpose.trim().len() < 3 {
        return Err(ApiError::invalid(
            "purpose",
            "state why the person is shredded",
        ));
    }
    let c = ctx(&headers);
    vault(&s)?
        .shredder(&caller.0, &c)?
        .shred(&PersonRef::parse(&id), &q.purpose)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Bulk import: an NDJSON body, one canonical record per line. Needs `people.write`.
#[utoipa::path(post, path = "/v1/people/import", tag = "vault", security(("api_key" = [])),
    request_body(content = String, content_type = "application/x-ndjson"),
    responses((status = 200, body = ImportOut)))]
async fn import(
    caller: Caller,
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ImportOut>, ApiError> {
    caller.require("people.write")?;
    let mut out = ImportOut {
        lines: 0,
        created: 0,
        updated: 0,
        unchanged: 0,
        rejected: 0,
        errors: Vec::new(),
    };
    let lines: Vec<&[u8]> = body
        .split(|b| *b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .collect();
    out.lines = lines.len();
    for (ci, chunk) in lines.chunks(2000).enumerate() {
        let mut items = Vec::with_capacity(chunk.len());
        for (i, l) in chunk.iter().enumerate() {
            let line = ci * 2000 + i + 1;
            match serde_json::from_slice::<PersonIn>(l) {
                Ok(p) => items.push(p),
                Err(e) => out.errors.push(ItemResult {
                    index: line,
                    external_id: String::new(),
                    status: "rejected",
                    id: None,
                    error: Some(format!("not a canonical record: {}", e.classify_name())),
                    field: Some("row".into()),
                }),
            }
        }
        let (ok, idx, bad) = parse_people(&s, &items);
        out.errors.extend(bad);
        for r in write_batch(&caller, &s, &headers, &ok, &idx).await? {
            match r.status {
                "created" => out.created += 1,
                "updated" => out.updated += 1,
                "unchanged" => out.unchanged += 1,
                _ => out.errors.push(r),
            }
        }
    }
    out.rejected = out.errors.len();
    Ok(Json(out))
}

trait Classify {
    fn classify_name(&self) -> &'static str;
}

impl Classify for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O",
            serde_json::error::Category::Syntax => "JSON syntax",
            serde_json::error::Category::Data => "unknown or mistyped field",
            serde_json::error::Category::Eof => "truncated JSON",
        }
    }
}
