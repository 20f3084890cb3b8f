//! Limits: oversized bodies (declared or chunked), and clients that send their headers or body
//! too slowly.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use tern_tests::fixtures::path_of;

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_and_slow_requests_are_refused() {
    let w = world(&[
        "--max-body-bytes",
        "4096",
        "--header-timeout-secs",
        "1",
        "--body-timeout-secs",
        "1",
    ])
    .await;
    let api = w.daemon.admin();
    let before = backup(&api).await;
    let callback_path = path_of(&w.callback_url).to_owned();
    let big = format!(
        "{{\"name\": \"{}\", \"plugin\": \"twilio\"}}",
        "x".repeat(5000)
    );
    let mut cases = Vec::new();
    for (method, path, _) in json_routes(&w) {
        cases.push(case(
            "oversized",
            method,
            path,
            Some("application/json"),
            big.clone(),
            Some(413),
        ));
    }
    run(&api, &api, cases, &before).await;
    let cases = vec![case(
        "oversized callback",
        "POST",
        callback_path.clone(),
        Some("application/x-www-form-urlencoded"),
        big.clone(),
        Some(413),
    )];
    run(&w.daemon.callbacks(), &api, cases, &before).await;

    // A chunked body that only turns out too large while it is read.
    for (base, path) in [
        (&w.daemon.admin_url, "/v1/providers"),
        (&w.daemon.callback_url, callback_path.as_str()),
    ] {
        let answer = exchange(
            base,
            &format!(
                "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{big}\r\n0\r\n\r\n",
                w.daemon.token,
                big.len()
            ),
        );
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.contains("\"payload_too_large\""), "{answer}");
    }

    // Slow headers: the connection is closed without an answer. Slow body: 408 in the error
    // shape, then the connection is closed.
    for base in [&w.daemon.admin_url, &w.daemon.callback_url] {
        let answer = exchange(base, "POST /v1/providers HTTP/1.1\r\nHost: x\r\n");
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
            "{answer}"
        );
        let path = if base == &w.daemon.admin_url {
            "/v1/providers"
        } else {
            callback_path.as_str()
        };
        let answer = exchange(
            base,
            &format!(
                "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"name\":",
                w.daemon.token
            ),
        );
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("\"request_timeout\""), "{answer}");
    }
    assert_eq!(backup(&api).await, before);
}

/// Writes `request` on a fresh connection to `base` and reads until the daemon closes it
/// (bounded by a 30 s read timeout, far longer than the 1 s limits under test).
fn exchange(base: &str, request: &str) -> String {
    let mut stream = TcpStream::connect(base.trim_start_matches("http://")).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut answer = Vec::new();
    match stream.read_to_end(&mut answer) {
        Ok(_) => {}
        Err(err) if err.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(err) => panic!("the daemon kept the connection open: {err}"),
    }
    String::from_utf8_lossy(&answer).into_owned()
}
