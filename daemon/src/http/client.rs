//! The outbound HTTP client: the only way the daemon talks to providers.
//!
//! Plugins describe requests; this performs them, with rustls for HTTPS (Mozilla's roots built
//! in), plain HTTP for loopback mocks and gateways, a time limit per request and a cap on the
//! answer size, so a slow or hostile provider cannot hold the daemon.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Method, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tern_plugin_api::payload::{HttpRequest, HttpResponse};

/// The largest provider answer read; longer ones are an error.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// Why a provider request failed before an answer was read.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The plugin built a request that cannot be sent (bad URL, method or header).
    #[error("the plugin built an invalid request: {0}")]
    Invalid(String),
    /// Connecting, TLS or the exchange failed.
    #[error("the provider could not be reached: {0}")]
    Unreachable(String),
    /// No complete answer within the time limit.
    #[error("the provider did not answer within {0:?}")]
    TimedOut(Duration),
}

/// A pooled HTTP/1.1 client with HTTPS. Cheap to clone.
#[derive(Clone)]
pub struct HttpClient {
    inner: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
}

impl HttpClient {
    /// A client whose requests each take at most `timeout`, answer included.
    pub fn new(timeout: Duration) -> HttpClient {
        let tls = rustls::ClientConfig::builder_with_provider(
            rustls::crypto::ring::default_provider().into(),
        )
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_root_certificates(rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        })
        .with_no_client_auth();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .build();
        HttpClient {
            inner: Client::builder(TokioExecutor::new()).build(connector),
            timeout,
        }
    }

    /// Performs `request` and returns the provider's answer and how long it took.
    pub async fn send(
        &self,
        request: &HttpRequest,
    ) -> Result<(HttpResponse, Duration), ClientError> {
        let outgoing = build(request)?;
        let started = Instant::now();
        let exchange = async {
            let response = self
                .inner
                .request(outgoing)
                .await
                .map_err(|err| ClientError::Unreachable(error_chain(&err)))?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, MAX_RESPONSE_BYTES)
                .collect()
                .await
                .map_err(|err| ClientError::Unreachable(format!("reading the answer: {err}")))?
                .to_bytes();
            Ok::<_, ClientError>(HttpResponse {
                status: parts.status.as_u16(),
                headers: super::payload_headers(&parts.headers),
                body: String::from_utf8_lossy(&body).into_owned(),
            })
        };
        let response = tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| ClientError::TimedOut(self.timeout))??;
        Ok((response, started.elapsed()))
    }
}

fn build(request: &HttpRequest) -> Result<hyper::Request<Full<Bytes>>, ClientError> {
    let invalid = |what: &str| ClientError::Invalid(what.to_owned());
    let uri: Uri = request
        .url
        .parse()
        .map_err(|_| invalid("its URL is not valid"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
        return Err(invalid("its URL is not an absolute http or https URL"));
    }
    let method = Method::from_bytes(request.method.as_bytes())
        .map_err(|_| invalid("its method is not valid"))?;
    let mut outgoing = hyper::Request::builder().method(method).uri(uri);
    for (name, value) in super::hyper_headers(&request.headers).map_err(ClientError::Invalid)? {
        outgoing = outgoing.header(name, value);
    }
    outgoing
        .body(Full::new(Bytes::from(request.body.clone())))
        .map_err(|_| invalid("it could not be assembled"))
}

/// The error with its causes, which is where hyper puts the useful part ("connection refused").
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
