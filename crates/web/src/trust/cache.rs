//! A cache of rendered public pages and feeds, so the Trust Center's busiest answers (the home
//! page, the Atom feed, notices) cost a map lookup rather than queries and a render.
//!
//! Only anonymous `GET`s of pages that are the same for every visitor are cached: no query
//! string, no cookie set by the answer, status 200. An entry is served while two things hold:
//! the Trust Center's content generation is the one it was rendered under (every change made
//! through this process bumps it, so an edit shows at once), and the clock is still in the same
//! second (so changes made by another process, and anything that depends on the time, such as
//! an attestation becoming "expiring soon", show within a second or two).
//!
//! When an entry's second has passed, the first request renders it anew while the others keep
//! getting the previous answer (for at most one more second), so a busy page is not rendered by
//! every waiting connection at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// The most entries kept (the cache is emptied when full; the cacheable paths are few).
const MAX_ENTRIES: usize = 512;
/// The largest body kept.
const MAX_BODY: usize = 4 * 1024 * 1024;

struct Entry {
    generation: u64,
    second: i64,
    headers: HeaderMap,
    body: Bytes,
    /// A request is rendering the next answer.
    is_refreshing: bool,
}

/// What the cache has for a request.
enum Lookup {
    /// A current answer.
    Fresh(Response),
    /// The previous second's answer while another request renders the next one.
    Stale(Response),
    /// Nothing usable: render (and keep) the answer.
    Miss,
}

/// The rendered pages, shared by every request of one server.
#[derive(Clone, Default)]
pub(crate) struct PageCache(Arc<Mutex<HashMap<String, Entry>>>);

/// Whether a path's answer is the same for every visitor. Forms with a CSRF cookie, attestation
/// pages (each view is recorded), links with secrets and anything under `/admin` or `/v1` are
/// not.
fn is_cacheable(path: &str) -> bool {
    matches!(
        path,
        "/" | "/trust"
            | "/practices"
            | "/advisories"
            | "/advisories/feed.atom"
            | "/security/policy"
            | "/security/hall-of-fame"
            | "/.well-known/security.txt"
    ) || path.starts_with("/practices/")
        || path.starts_with("/advisories/")
        || path.starts_with("/.well-known/csaf/")
}

/// The middleware: answers from the cache, or renders and keeps the answer.
pub(crate) async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(trust) = state.trust.as_ref() else {
        return next.run(req).await;
    };
    let path = req.uri().path();
    if req.method() != Method::GET || req.uri().query().is_some() || !is_cacheable(path) {
        return next.run(req).await;
    }
    let key = path.to_owned();
    let generation = trust.generation();
    let second = trust.now().0.div_euclid(1_000_000);
    match state.page_cache.lookup(&key, generation, second) {
        Lookup::Fresh(r) | Lookup::Stale(r) => return r,
        Lookup::Miss => {}
    }
    let resp = next.run(req).await;
    if resp.status() != StatusCode::OK || resp.headers().contains_key(header::SET_COOKIE) {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "response too large").into_response();
    };
    state.page_cache.put(
        key,
        Entry {
            generation,
            second,
            headers: parts.headers.clone(),
            body: bytes.clone(),
            is_refreshing: false,
        },
    );
    Response::from_parts(parts, Body::from(bytes))
}

impl PageCache {
    fn lookup(&self, key: &str, generation: u64, second: i64) -> Lookup {
        let Ok(mut map) = self.0.lock() else {
            return Lookup::Miss;
        };
        let Some(e) = map.get_mut(key) else {
            return Lookup::Miss;
        };
        let answer = |e: &Entry| {
            let mut resp = Response::new(Body::from(e.body.clone()));
            *resp.headers_mut() = e.headers.clone();
            resp
        };
        if e.generation != generation {
            return Lookup::Miss;
        }
        if e.second == second {
            return Lookup::Fresh(answer(e));
        }
        if second - e.second == 1 {
            if e.is_refreshing {
                return Lookup::Stale(answer(e));
            }
            e.is_refreshing = true;
        }
        Lookup::Miss
    }

    fn put(&self, key: String, entry: Entry) {
        let Ok(mut map) = self.0.lock() else {
            return;
        };
        if map.len() >= MAX_ENTRIES && !map.contains_key(&key) {
            map.clear();
        }
        map.insert(key, entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pages_alike_for_everyone_are_cacheable() {
        for p in [
            "/",
            "/advisories/feed.atom",
            "/advisories/x",
            "/practices/y",
            "/.well-known/csaf/provider-metadata.json",
        ] {
            assert!(is_cacheable(p), "{p}");
        }
        for p in [
            "/subscribe",
            "/security/report",
            "/trust/soc2",
            "/trust/access/secret",
            "/unsubscribe/x",
            "/security/reports/x",
            "/admin/trust",
            "/v1/trust/pages",
            "/was-i-affected",
        ] {
            assert!(!is_cacheable(p), "{p}");
        }
    }

    #[test]
    fn entries_expire_with_the_generation_and_the_second() {
        let c = PageCache::default();
        let entry = |g, s| Entry {
            generation: g,
            second: s,
            headers: HeaderMap::new(),
            body: Bytes::from_static(b"x"),
            is_refreshing: false,
        };
        c.put("/".into(), entry(1, 10));
        assert!(matches!(c.lookup("/", 1, 10), Lookup::Fresh(_)));
        assert!(
            matches!(c.lookup("/", 2, 10), Lookup::Miss),
            "content changed"
        );
        // The next second: the first request renders, the others get the previous answer…
        assert!(matches!(c.lookup("/", 1, 11), Lookup::Miss));
        assert!(matches!(c.lookup("/", 1, 11), Lookup::Stale(_)));
        // …but never after a change, nor two seconds on.
        assert!(matches!(c.lookup("/", 2, 11), Lookup::Miss));
        assert!(matches!(c.lookup("/", 1, 12), Lookup::Miss));
        for i in 0..MAX_ENTRIES {
            c.put(format!("/p{i}"), entry(1, 10));
        }
        assert!(c.0.lock().unwrap().len() <= MAX_ENTRIES);
    }
}
