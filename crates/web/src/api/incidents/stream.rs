//! Streaming the affected list of an impact version as CSV: a task reads the version page by
//! page and sends lines through a bounded channel that feeds the response body.

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use custodian_breach::{BreachService, ImpactVersion};
use custodian_vault::RequestContext;

use crate::auth::Caller;

/// Streams the affected list: a task reads the version page by page and sends lines through a
/// bounded channel, so a slow client holds back the reading, not the server's memory.
pub(super) fn affected_csv(
    svc: BreachService,
    caller: Caller,
    c: RequestContext,
    v: ImpactVersion,
) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        let Ok(r) = svc.incident_reader(&caller.0, &c) else {
            return;
        };
        let counts = v.counts_ciphertext();
        let mut page = 0;
        let mut buf = String::from(custodian_breach::report::affected_csv_header());
        loop {
            match r.affected_page(&v, page).await {
                Ok(Some(people)) => {
                    for p in &people {
                        buf.push_str(&custodian_breach::report::affected_csv_line(p, counts));
                    }
                    if tx
                        .send(Ok(Bytes::from(std::mem::take(&mut buf))))
                        .await
                        .is_err()
                    {
                        return;
                    }
                    page += 1;
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "affected list stream failed");
                    let _ = tx
                        .send(Err(std::io::Error::other(
                            "the affected list could not be completed",
                        )))
                        .await;
                    return;
                }
            }
        }
        if !buf.is_empty() {
            let _ = tx.send(Ok(Bytes::from(buf))).await;
        }
    });
    let stream = ChannelBody { rx };
    let mut resp = Response::new(Body::new(stream));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    resp
}

/// A response body fed from a channel.
struct ChannelBody {
    rx: tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>,
}

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, std::io::Error>>> {
        self.rx
            .poll_recv(cx)
            .map(|o| o.map(|r| r.map(hyper::body::Frame::data)))
    }
}
