//! The console's files over plain HTTP: what is served, without a token, and with which
//! headers.

use serde_json::json;
use tern_tests::fixtures::Setup;

/// The console's files are served without a token, with headers that forbid inline script,
/// framing and sniffing; anything else off `/v1` keeps the API's JSON errors.
#[tokio::test]
async fn console_files_and_headers() {
    let setup = Setup::new();
    let daemon = setup.start();
    let anonymous = daemon.admin().with_token(None);

    let page = anonymous.get("/").await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("cache-control"), Some("no-cache"));
    let html = page.text();
    assert!(!html.contains("<script>"), "no inline script");

    // Every file the page links to is served, from this origin only.
    let mut linked: Vec<&str> = html
        .split(['"', '\''])
        .filter(|part| part.starts_with("/console/"))
        .collect();
    linked.sort_unstable();
    linked.dedup();
    assert!(linked.contains(&"/console/js/app.js"), "{linked:?}");
    assert!(!html.contains("http://") && !html.contains("https://"));
    for path in linked {
        let file = anonymous.get(path).await;
        assert_eq!(file.status, 200, "{path}");
        assert!(file.header("content-security-policy").is_some(), "{path}");
    }
    let script = anonymous.get("/console/js/app.js").await;
    assert_eq!(
        script.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );

    let missing = anonymous.get("/console/js/nothing.js").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["error"]["code"], "not_found");
    let post = anonymous.call("POST", "/", Some(json!({}))).await;
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET, HEAD"));
    assert_eq!(anonymous.get("/elsewhere").await.status, 404);
    assert_eq!(anonymous.get("/v1/providers").await.status, 401);
    daemon.stop();
}
