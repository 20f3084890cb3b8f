//! The accept loop both listeners share: HTTP/1.1 with a header read timeout, a body size
//! limit, a cap on concurrent connections, and graceful shutdown.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{HeaderMap, Method, StatusCode, Uri};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use serde::de::DeserializeOwned;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::response::{ApiError, Response};

/// The limits every listener enforces, from the config.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// How long a client may take to send its request headers. Needs hyper's timer, which
    /// `serve` sets: without one hyper silently ignores the timeout.
    pub header_timeout: Duration,
    /// Largest request body; larger ones get 413 before the handler runs.
    pub max_body_bytes: usize,
    /// Most connections served at once; further ones wait in the listen backlog.
    pub max_connections: usize,
    /// How long a client may take to send its body once the headers are in; a client that
    /// trickles its body gets 408, so it cannot hold a connection slot forever.
    pub body_timeout: Duration,
    /// How long requests in flight may take to finish once shutdown starts.
    pub shutdown_grace: Duration,
}

/// A request with its body already read (within the limit), so handlers are plain async
/// functions over data.
pub struct Request {
    /// Method.
    pub method: Method,
    /// Path and query as received.
    pub uri: Uri,
    /// Headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
    /// The client's address.
    pub peer: SocketAddr,
}

/// By hand: header values (the admin token) and the body (callback payloads) never reach a
/// log through `{:?}`.
impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path", &self.uri.path())
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("body_len", &self.body.len())
            .field("peer", &self.peer)
            .finish()
    }
}

impl Request {
    /// The path, without the query.
    pub fn path(&self) -> &str {
        self.uri.path()
    }

    /// The raw query string, if any.
    pub fn query(&self) -> Option<&str> {
        self.uri.query()
    }

    /// A header as text, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Decodes a JSON body. Refuses another content type with 415 and a body that does not
    /// match `T` with 400 naming the problem, so bad input never reaches a handler.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        let content_type = self.header(CONTENT_TYPE.as_str()).unwrap_or("");
        let essence = content_type.split(';').next().unwrap_or("").trim();
        if !essence.eq_ignore_ascii_case("application/json") {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with Content-Type: application/json",
            ));
        }
        serde_json::from_slice(&self.body)
            .map_err(|err| ApiError::bad_request(format!("the JSON body is not valid: {err}")))
    }
}

/// What a listener serves. Implemented by the admin API and the callback listener.
pub trait Handler: Send + Sync + 'static {
    /// Answers one request. Errors are answers too: a handler never fails.
    fn handle(&self, request: Request) -> impl Future<Output = Response> + Send;

    /// The path as request logs show it. Handlers whose paths carry secrets (the callback
    /// tokens) return a redacted form.
    fn log_path(&self, path: &str) -> String {
        path.to_owned()
    }
}

/// Serves `listener` with `handler` until `shutdown` completes, then stops accepting (new
/// connections are refused) and gives requests in flight `limits.shutdown_grace` to finish.
///
/// Taking the listener rather than an address lets tests bind port 0 and lets `main` fail on
/// a taken port before anything else starts.
pub async fn serve<H: Handler>(
    listener: TcpListener,
    handler: Arc<H>,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let mut shutdown = pin!(shutdown);
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);

    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Usually out of file descriptors: back off instead of spinning.
                    tracing::warn!("accept failed: {err}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Each answer is written whole, so Nagle's algorithm could only hold back its last
        // segment until the client's delayed ACK, which shows as a latency tail.
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(%peer, "could not set TCP_NODELAY: {err}");
        }
        let handler = handler.clone();
        let service = hyper::service::service_fn(move |request| {
            let handler = handler.clone();
            async move { Ok::<_, Infallible>(dispatch(&*handler, request, peer, limits).await) }
        });
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(%peer, "connection ended: {err}");
            }
            drop(permit);
        });
    }

    // Closing the listener makes new connections fail at once rather than hang.
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "requests still in flight after the {:?} shutdown grace period were cut off",
            limits.shutdown_grace
        );
    }
}

/// Reads the body within the limit and hands the request to the handler.
async fn dispatch<H: Handler>(
    handler: &H,
    request: hyper::Request<Incoming>,
    peer: SocketAddr,
    limits: ServerLimits,
) -> Response {
    let max_body_bytes = limits.max_body_bytes;
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body is larger than {max_body_bytes} bytes"),
        )
        .into_response()
    };
    let (parts, body) = request.into_parts();
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > max_body_bytes as u64) {
        return too_large();
    }
    let read = tokio::time::timeout(
        limits.body_timeout,
        Limited::new(body, max_body_bytes).collect(),
    );
    let body = match read.await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(err)) if err.is::<http_body_util::LengthLimitError>() => return too_large(),
        Ok(Err(err)) => {
            return ApiError::bad_request(format!("the request body could not be read: {err}"))
                .into_response();
        }
        Err(_) => {
            let mut response = ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                format!(
                    "the request body did not arrive within {:?}",
                    limits.body_timeout
                ),
            )
            .into_response();
            response.headers_mut().insert(
                hyper::header::CONNECTION,
                hyper::header::HeaderValue::from_static("close"),
            );
            return response;
        }
    };
    let path = handler.log_path(parts.uri.path());
    let span = tracing::info_span!("request", method = %parts.method, %path, %peer);
    let request = Request {
        method: parts.method,
        uri: parts.uri,
        headers: parts.headers,
        body,
        peer,
    };
    let response = tracing::Instrument::instrument(handler.handle(request), span.clone()).await;
    span.in_scope(|| tracing::debug!(status = response.status().as_u16(), "answered"));
    response
}
