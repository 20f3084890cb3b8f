//! A small HTTP client for the tests, and a recording mock provider.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::Value;

/// A response as the tests look at it.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Headers, names lowercase.
    pub headers: Vec<(String, String)>,
    /// Raw body.
    pub body: Bytes,
}

impl Answer {
    /// The body as JSON (panics with the body text if it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|err| {
            panic!(
                "status {} body is not JSON ({err}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An HTTP/1.1 client for one base URL, optionally with a bearer token.
#[derive(Clone)]
pub struct Api {
    base: String,
    token: Option<String>,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Api {
    /// A client for `base` (such as `http://127.0.0.1:1234`).
    pub fn new(base: &str, token: Option<&str>) -> Self {
        Api {
            base: base.trim_end_matches('/').to_owned(),
            token: token.map(str::to_owned),
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    /// The same client with another token (or none).
    pub fn with_token(&self, token: Option<&str>) -> Self {
        Api {
            token: token.map(str::to_owned),
            ..self.clone()
        }
    }

    /// Sends a request with arbitrary headers and body.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Answer {
        self.try_raw(method, path, headers, body)
            .await
            .unwrap_or_else(|err| panic!("{method} {path}: {err}"))
    }

    /// Like [`Api::raw`], but a request that gets no answer (the daemon was killed, or closed
    /// the connection) is an error instead of a panic.
    pub async fn try_raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Result<Answer, String> {
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Full::new(body.into())).expect("valid request");
        let response = self
            .client
            .request(request)
            .await
            .map_err(|err| format!("no answer: {err:?}"))?;
        let (parts, body) = response.into_parts();
        Ok(Answer {
            status: parts.status.as_u16(),
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
                .collect(),
            body: body
                .collect()
                .await
                .map_err(|err| format!("body cut off: {err}"))?
                .to_bytes(),
        })
    }

    /// Sends `body` as JSON (or nothing).
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        match body {
            Some(body) => {
                self.raw(
                    method,
                    path,
                    &[("content-type", "application/json")],
                    serde_json::to_vec(&body).unwrap(),
                )
                .await
            }
            None => self.raw(method, path, &[], Bytes::new()).await,
        }
    }

    /// GET.
    pub async fn get(&self, path: &str) -> Answer {
        self.call("GET", path, None).await
    }

    /// POST with a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.call("POST", path, Some(body)).await
    }

    /// PATCH with a JSON body.
    pub async fn patch(&self, path: &str, body: Value) -> Answer {
        self.call("PATCH", path, Some(body)).await
    }

    /// DELETE.
    pub async fn delete(&self, path: &str) -> Answer {
        self.call("DELETE", path, None).await
    }
}

/// A request the mock received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// Method.
    pub method: String,
    /// Path and query.
    pub uri: String,
    /// Headers, names lowercase.
    pub headers: Vec<(String, String)>,
    /// Body as text.
    pub body: String,
}

impl Recorded {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body's form fields.
    pub fn form(&self) -> Vec<(String, String)> {
        url_decode_form(&self.body)
    }
}

/// What the mock answers: status, content type and body.
pub type Reply = (u16, &'static str, String);

/// A provider on loopback that records every request and answers with a function of it.
pub struct MockProvider {
    /// Its address.
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl MockProvider {
    /// Starts the mock on a free port. It runs until the test's runtime ends.
    pub async fn start(reply: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Self {
        let (_, open) = tokio::sync::watch::channel(true);
        Self::serve(reply, open).await
    }

    /// Like [`MockProvider::start`], but every request is recorded at once and answered only
    /// once the returned [`Gate`] is opened: requests to it stay in flight as long as a test
    /// needs them to.
    pub async fn start_gated(
        reply: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
    ) -> (Self, Gate) {
        let (gate, open) = tokio::sync::watch::channel(false);
        (Self::serve(reply, open).await, Gate(gate))
    }

    async fn serve(
        reply: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
        open: tokio::sync::watch::Receiver<bool>,
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let reply = Arc::new(reply);
        let recorded = requests.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let recorded = recorded.clone();
                let reply = reply.clone();
                let open = open.clone();
                tokio::spawn(async move {
                    let service =
                        hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                            let recorded = recorded.clone();
                            let reply = reply.clone();
                            let mut open = open.clone();
                            async move {
                                let (parts, body) = req.into_parts();
                                let body = body
                                    .collect()
                                    .await
                                    .map(|b| b.to_bytes())
                                    .unwrap_or_default();
                                let request = Recorded {
                                    method: parts.method.to_string(),
                                    uri: parts.uri.to_string(),
                                    headers: parts
                                        .headers
                                        .iter()
                                        .map(|(n, v)| {
                                            (
                                                n.as_str().to_owned(),
                                                v.to_str().unwrap_or("").to_owned(),
                                            )
                                        })
                                        .collect(),
                                    body: String::from_utf8_lossy(&body).into_owned(),
                                };
                                let (status, content_type, body) = reply(&request);
                                recorded.lock().unwrap().push(request);
                                let _ = open.wait_for(|open| *open).await;
                                let response = hyper::Response::builder()
                                    .status(status)
                                    .header("content-type", content_type)
                                    .body(Full::new(Bytes::from(body)))
                                    .unwrap();
                                Ok::<_, Infallible>(response)
                            }
                        });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        MockProvider { addr, requests }
    }

    /// Its base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

/// Holds the answers of a gated [`MockProvider`] until opened.
pub struct Gate(tokio::sync::watch::Sender<bool>);

impl Gate {
    /// Lets every held request, and every later one, be answered.
    pub fn open(&self) {
        let _ = self.0.send(true);
    }
}

/// Decodes `application/x-www-form-urlencoded` text.
pub fn url_decode_form(body: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(body.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}
