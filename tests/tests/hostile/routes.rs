//! Paths and queries: ids that name nothing or look like path traversal, paths that are no
//! route, bad dates, ranges and filters, and requests without the right token.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_that_name_nothing_are_404_on_every_route() {
    let w = world(&[]).await;
    let api = w.daemon.admin();
    let before = backup(&api).await;
    let ids = [
        "999999",
        "0",
        "00",
        "-1",
        "+1",
        "1.0",
        "1e3",
        "0x1",
        "18446744073709551615",
        "18446744073709551616",
        "99999999999999999999999999999999",
        "..",
        "%2e%2e",
        "..%2f..%2fetc%2fpasswd",
        "%2e%2e%2f1",
        "1%2f..%2f1",
        "%00",
        "1%00",
        "%20",
        "%ff",
        "%c3%a9",
        "%e2%80%ae1",
    ];
    // A real id with a leading zero is another spelling, not the same id.
    let padded = [
        format!("0{}", w.provider),
        format!("0{}", w.campaign),
        format!("0{}", w.message),
    ];
    let mut cases = Vec::new();
    let json = Some("application/json");
    for id in ids.iter().copied().chain(padded.iter().map(String::as_str)) {
        for (method, path, body) in [
            ("GET", format!("/v1/providers/{id}"), ""),
            ("PATCH", format!("/v1/providers/{id}"), "{\"name\":\"X\"}"),
            ("DELETE", format!("/v1/providers/{id}"), ""),
            (
                "POST",
                format!("/v1/providers/{id}/test"),
                "{\"to\":\"+14155550100\"}",
            ),
            ("POST", format!("/v1/providers/{id}/default"), "{}"),
            ("POST", format!("/v1/providers/{id}/archive"), "{}"),
            ("GET", format!("/v1/providers/{id}/stats"), ""),
            ("GET", format!("/v1/campaigns/{id}"), ""),
            ("POST", format!("/v1/campaigns/{id}/stop"), "{}"),
            ("GET", format!("/v1/messages/{id}"), ""),
        ] {
            cases.push(case(
                format!("id {id:?}"),
                method,
                path,
                json,
                body,
                Some(404),
            ));
        }
    }
    // Paths that are not routes at all, traversal-shaped or not.
    for path in [
        "/v1/../v1/providers/1",
        "/v1/providers/1/../../backup",
        "/v1/providers//default",
        "/v1/providers/1/stats/x",
        "/v1/providers/1/nothing",
        "/v1/campaigns/1/stop/now",
        "/v1/messages",
        "/v1/messages/1/events",
        "/v1/backup/1",
        "/v1/plugins/twilio",
        "/v1",
        "/v1/",
        "/v2/providers",
        "/%2e%2e/etc/passwd",
        "/callbacks/1/x",
    ] {
        let method = if path == "/v1/messages" {
            "GET"
        } else {
            "POST"
        };
        cases.push(case(
            format!("no route {path}"),
            method,
            path,
            json,
            "{}",
            None,
        ));
    }
    run(&api, &api, cases, &before).await;
    // The real ids still work: nothing above touched them.
    for path in [
        format!("/v1/providers/{}", w.provider),
        format!("/v1/campaigns/{}", w.campaign),
        format!("/v1/messages/{}", w.message),
    ] {
        assert_eq!(api.get(&path).await.status, 200, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_queries_dates_and_ranges_are_refused() {
    let w = world(&[]).await;
    let api = w.daemon.admin();
    let before = backup(&api).await;
    let stats = format!("/v1/providers/{}/stats", w.provider);
    let mut cases = Vec::new();
    for query in [
        "from=2026-02-30",
        "from=2026-13-01",
        "from=2026-00-10",
        "from=26-01-01",
        "from=2026/01/01",
        "from=2026-01-01T00:00:00Z",
        "from=-2026-01-01",
        "from=99999-01-01",
        "from=0000-01-01",
        "from=%ff",
        "from=",
        "to=yesterday",
        "from=2026-03-02&to=2026-03-01",
        "from=1900-01-01&to=2026-01-01",
        "from=2026-01-01&from=x",
        "format=xml",
        "format=",
        "nope=1",
        "from=2026-01-01&extra=1",
    ] {
        cases.push(case(
            format!("stats ?{query}"),
            "GET",
            format!("{stats}?{query}"),
            None,
            "",
            None,
        ));
        cases.push(Case {
            headers: vec![("accept", "text/csv".to_owned())],
            ..case(
                format!("CSV stats ?{query}"),
                "GET",
                format!("{stats}?{query}"),
                None,
                "",
                None,
            )
        });
    }
    for query in ["state=deleted", "state=", "state=ACTIVE", "other=1"] {
        cases.push(case(
            format!("providers ?{query}"),
            "GET",
            format!("/v1/providers?{query}"),
            None,
            "",
            None,
        ));
    }
    for query in ["provider=1", "state=active"] {
        cases.push(case(
            format!("campaigns ?{query}"),
            "GET",
            format!("/v1/campaigns?{query}"),
            None,
            "",
            None,
        ));
    }
    run(&api, &api, cases, &before).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_v1_route_needs_the_token() {
    let w = world(&[]).await;
    let api = w.daemon.admin();
    let before = backup(&api).await;
    let mut cases = Vec::new();
    for (method, path) in every_v1_route(&w) {
        for (what, token) in [
            ("no token", None),
            ("wrong token", Some("Bearer wrong-token-0123456789")),
            (
                "token with a prefix",
                Some(&*format!("Bearer x{}", w.daemon.token)),
            ),
            ("basic scheme", Some(&*format!("Basic {}", w.daemon.token))),
            ("no scheme", Some(w.daemon.token.as_str())),
            ("empty bearer", Some("Bearer ")),
        ] {
            let mut c = case(
                what,
                method,
                path.clone(),
                Some("application/json"),
                "{}",
                Some(401),
            );
            if let Some(token) = token {
                c.headers.push(("authorization", token.to_owned()));
            }
            cases.push(c);
        }
    }
    run(&api.with_token(None), &api, cases, &before).await;
}

/// Every `/v1` route, with real ids.
fn every_v1_route(w: &World) -> Vec<(&'static str, String)> {
    let (p, c, m) = (&w.provider, &w.campaign, &w.message);
    vec![
        ("GET", "/v1/plugins".into()),
        ("GET", "/v1/providers".into()),
        ("POST", "/v1/providers".into()),
        ("GET", "/v1/providers/default".into()),
        ("POST", "/v1/providers/test".into()),
        ("GET", format!("/v1/providers/{p}")),
        ("PATCH", format!("/v1/providers/{p}")),
        ("DELETE", format!("/v1/providers/{p}")),
        ("POST", format!("/v1/providers/{p}/test")),
        ("POST", format!("/v1/providers/{p}/default")),
        ("POST", format!("/v1/providers/{p}/archive")),
        ("GET", format!("/v1/providers/{p}/stats")),
        ("GET", "/v1/campaigns".into()),
        ("POST", "/v1/campaigns".into()),
        ("GET", format!("/v1/campaigns/{c}")),
        ("POST", format!("/v1/campaigns/{c}/stop")),
        ("POST", "/v1/messages".into()),
        ("GET", format!("/v1/messages/{m}")),
        ("GET", "/v1/backup".into()),
        ("GET", "/v1/nothing".into()),
    ]
}
