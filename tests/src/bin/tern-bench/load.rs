//! Load generation: `CONCURRENCY` keep-alive HTTP/1.1 connections, each sending its next
//! request as soon as the previous answer is read; and the bare hyper server that is the
//! callback ingest baseline.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;

/// Connections (and requests in flight) in every load phase.
pub const CONCURRENCY: usize = 32;

/// Builds request number `i` (path, headers, body).
pub type MakeRequest = Arc<dyn Fn(u64) -> hyper::Request<Full<Bytes>> + Send + Sync>;

/// One answered request.
pub struct Sample {
    /// Which request it was.
    pub index: u64,
    /// The answer's status.
    pub status: u16,
    /// From sending the request to the end of the answer.
    pub micros: u64,
    /// When the answer ended, from the start of the run.
    pub done_micros: u64,
    /// The answer's body, when asked for.
    pub body: Option<Bytes>,
}

/// One timed run.
pub struct Run {
    /// Its length.
    pub elapsed: Duration,
    /// Every answer.
    pub samples: Vec<Sample>,
    /// Requests that got no answer.
    pub transport_errors: u64,
}

impl Run {
    /// Answers with a 2xx status.
    pub fn ok(&self) -> usize {
        self.samples
            .iter()
            .filter(|s| (200..300).contains(&s.status))
            .count()
    }

    /// 2xx answers per second.
    pub fn rate(&self) -> f64 {
        self.ok() as f64 / self.elapsed.as_secs_f64()
    }

    /// Answers with another status.
    pub fn not_ok(&self) -> usize {
        self.samples.len() - self.ok()
    }
}

/// Runs requests `0..max` (or until `limit` has passed) against `addr`.
pub async fn load(
    addr: SocketAddr,
    make: MakeRequest,
    max: u64,
    limit: Duration,
    keep_bodies: bool,
) -> Run {
    let next = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + limit;
    let mut workers = Vec::new();
    for _ in 0..CONCURRENCY {
        let make = make.clone();
        let next = next.clone();
        let errors = errors.clone();
        workers.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut sender = None;
            loop {
                if Instant::now() >= deadline {
                    break;
                }
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= max {
                    break;
                }
                if sender.is_none() {
                    sender = connect(addr).await;
                    if sender.is_none() {
                        errors.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                }
                let request = make(index);
                let began = Instant::now();
                let s = sender.as_mut().unwrap();
                let answer = match s.ready().await {
                    Ok(()) => s.send_request(request).await,
                    Err(err) => Err(err),
                };
                let response = match answer {
                    Ok(response) => response,
                    Err(_) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        sender = None;
                        continue;
                    }
                };
                let status = response.status().as_u16();
                let body = match response.into_body().collect().await {
                    Ok(body) => body.to_bytes(),
                    Err(_) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        sender = None;
                        continue;
                    }
                };
                samples.push(Sample {
                    index,
                    status,
                    micros: began.elapsed().as_micros() as u64,
                    done_micros: start.elapsed().as_micros() as u64,
                    body: keep_bodies.then_some(body),
                });
            }
            samples
        }));
    }
    let mut samples = Vec::new();
    for worker in workers {
        samples.extend(worker.await.expect("load worker"));
    }
    Run {
        elapsed: start.elapsed(),
        samples,
        transport_errors: errors.load(Ordering::Relaxed),
    }
}

async fn connect(addr: SocketAddr) -> Option<hyper::client::conn::http1::SendRequest<Full<Bytes>>> {
    let stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    stream.set_nodelay(true).ok()?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .ok()?;
    tokio::spawn(connection);
    Some(sender)
}

/// A bare hyper server: reads the body and answers 200 with an empty body.
pub async fn bare_server() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|req: hyper::Request<Incoming>| async {
                    let _ = req.into_body().collect().await;
                    Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::new())))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// The `host:port` of an `http://` URL.
pub fn addr_of(url: &str) -> SocketAddr {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split('/').next().unwrap();
    host.parse().expect("a loopback address with a port")
}
