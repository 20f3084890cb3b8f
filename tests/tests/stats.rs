//! Statistics over several days, asserted exactly. The real daemon runs under libfaketime
//! (Debian's `faketime` package), so its clock, and so its calendar days, are set by the test
//! without the product knowing about test clocks.

use serde_json::{Value, json};
use tern_tests::daemon::{Daemon, Options};
use tern_tests::fixtures::{
    ACCOUNT_SID, AUTH_TOKEN, REFUSED_NUMBER, Setup, mock_twilio, post_twilio_click,
    post_twilio_form, twilio_config, twilio_config_with_clicks,
};
use tern_tests::http::Api;

/// The multi-threaded libfaketime, wherever the distribution put it.
fn libfaketime() -> String {
    let candidates = [
        "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
        "/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1",
        "/usr/lib/faketime/libfaketimeMT.so.1",
    ];
    candidates
        .iter()
        .find(|p| std::path::Path::new(p).exists())
        .unwrap_or_else(|| panic!("libfaketime is not installed: apt-get install faketime"))
        .to_string()
}

/// A daemon whose wall clock reads the time written in `clock`.
fn start_at(setup: &Setup, clock: &std::path::Path, extra: &[&str]) -> Daemon {
    let mut options: Options = setup.options();
    options.args = extra.iter().map(|s| s.to_string()).collect();
    options.env.extend([
        ("LD_PRELOAD".into(), libfaketime()),
        (
            "FAKETIME_TIMESTAMP_FILE".into(),
            clock.display().to_string(),
        ),
        ("FAKETIME_NO_CACHE".into(), "1".into()),
        ("DONT_FAKE_MONOTONIC".into(), "1".into()),
    ]);
    Daemon::start(&options)
}

fn set_clock(clock: &std::path::Path, when: &str) {
    std::fs::write(clock, format!("{when}\n")).unwrap();
}

async fn status(d: &Daemon, url: &str, sid: &str, state: &str) -> u16 {
    let params = [
        ("AccountSid", ACCOUNT_SID),
        ("MessageSid", sid),
        ("MessageStatus", state),
        ("ErrorCode", if state == "failed" { "30003" } else { "" }),
    ];
    let params: Vec<(&str, &str)> = params.into_iter().filter(|(_, v)| !v.is_empty()).collect();
    post_twilio_form(d, url, &params, AUTH_TOKEN).await.status
}

async fn reply(d: &Daemon, url: &str, from: &str) -> u16 {
    let params = [
        ("AccountSid", ACCOUNT_SID),
        ("Body", "YES"),
        ("From", from),
        ("MessageSid", "SMcccccccccccccccccccccccccccccccc"),
        ("To", "+14155552345"),
    ];
    post_twilio_form(d, url, &params, AUTH_TOKEN).await.status
}

async fn sid_of(api: &Api, to: &str) -> String {
    let sent = api
        .post("/v1/messages", json!({"to": to, "body": "Hello"}))
        .await;
    assert_eq!(sent.status, 201, "{}", sent.text());
    sent.json()["provider_message_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scripted_three_day_scenario_gives_exact_numbers() {
    let setup = Setup::new();
    let clock = setup.data.path().join("clock");
    set_clock(&clock, "2026-03-01 10:00:00");
    let daemon = start_at(&setup, &clock, &[]);
    let api = daemon.admin();
    let twilio = mock_twilio().await;
    let config = twilio_config_with_clicks(&twilio.url());
    let p = api
        .post(
            "/v1/providers",
            json!({"name": "T", "plugin": "twilio", "config": config}),
        )
        .await
        .json();
    let pid = p["id"].as_str().unwrap().to_owned();
    let url = p["callback_url"].as_str().unwrap().to_owned();
    api.post(&format!("/v1/providers/{pid}/default"), json!({}))
        .await;

    // Day 1: four sent, one refused; two delivered, one failed, a retry and a contradiction
    // that change nothing; a click and a reply.
    let a1 = sid_of(&api, "+14155550101").await;
    let a2 = sid_of(&api, "+14155550102").await;
    let a3 = sid_of(&api, "+14155550103").await;
    let a4 = sid_of(&api, "+14155550104").await;
    let refused = api
        .post("/v1/messages", json!({"to": REFUSED_NUMBER, "body": "x"}))
        .await;
    assert_eq!(refused.status, 502);
    for (sid, state) in [
        (&a1, "delivered"),
        (&a2, "delivered"),
        (&a3, "failed"),
        (&a1, "delivered"),
        (&a2, "failed"),
    ] {
        assert_eq!(status(&daemon, &url, sid, state).await, 200);
    }
    assert_eq!(
        post_twilio_click(&daemon, &url, &a1, AUTH_TOKEN)
            .await
            .status,
        200
    );
    assert_eq!(reply(&daemon, &url, "+14155550101").await, 200);

    // Day 2: two sent; a late delivery for day 1's a4 counts on day 1; an unknown message
    // counts as unmatched today; a reply and its retry count once.
    set_clock(&clock, "2026-03-02 09:30:00");
    let b1 = sid_of(&api, "+14155550201").await;
    let b2 = sid_of(&api, "+14155550202").await;
    assert_eq!(status(&daemon, &url, &b1, "delivered").await, 200);
    assert_eq!(status(&daemon, &url, &a4, "delivered").await, 200);
    assert_eq!(
        status(
            &daemon,
            &url,
            "SMdddddddddddddddddddddddddddddddd",
            "delivered"
        )
        .await,
        200
    );
    assert_eq!(reply(&daemon, &url, "+14155550202").await, 200);
    assert_eq!(reply(&daemon, &url, "+14155550202").await, 200);

    // Day 3: nothing sent; b2's delivery and b1's click count on day 2.
    set_clock(&clock, "2026-03-03 18:00:00");
    assert_eq!(status(&daemon, &url, &b2, "delivered").await, 200);
    assert_eq!(
        post_twilio_click(&daemon, &url, &b1, AUTH_TOKEN)
            .await
            .status,
        200
    );

    let stats = api
        .get(&format!(
            "/v1/providers/{pid}/stats?from=2026-03-01&to=2026-03-03"
        ))
        .await;
    assert_eq!(stats.status, 200, "{}", stats.text());
    let stats = stats.json();
    assert_eq!(
        stats,
        json!({
            "provider_id": pid,
            "from": "2026-03-01",
            "to": "2026-03-03",
            "days": 3,
            "callbacks": {"delivery": true, "clicks": true, "replies": true},
            "totals": {"sent": 6, "delivered": 5, "failed": 1, "send_errors": 1, "errors": 2,
                       "clicked": 2, "replied": 2, "unmatched": 1},
            "delivery_rate": 83.33,
            "daily_avg_sent": 2.0,
            "daily_avg_delivered": 1.67,
            "ctr": 40.0,
            "series": [
                {"date": "2026-03-01", "sent": 4, "delivered": 3, "failed": 1, "errors": 2, "clicked": 1, "replied": 1},
                {"date": "2026-03-02", "sent": 2, "delivered": 2, "failed": 0, "errors": 0, "clicked": 1, "replied": 1},
                {"date": "2026-03-03", "sent": 0, "delivered": 0, "failed": 0, "errors": 0, "clicked": 0, "replied": 0}
            ]
        })
    );

    let csv = api
        .get(&format!(
            "/v1/providers/{pid}/stats?from=2026-03-01&to=2026-03-03&format=csv"
        ))
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let expected = "date,sent,delivered,failed,errors,clicked,replied\n\
                    2026-03-01,4,3,1,2,1,1\n\
                    2026-03-02,2,2,0,0,1,1\n\
                    2026-03-03,0,0,0,0,0,0\n";
    assert_eq!(csv.text(), expected);
    let by_accept = api
        .raw(
            "GET",
            &format!("/v1/providers/{pid}/stats?from=2026-03-01&to=2026-03-03"),
            &[("accept", "text/csv")],
            "",
        )
        .await;
    assert_eq!(by_accept.text(), expected);

    // The default range: the last 30 days ending today (2026-03-03).
    let default: Value = api.get(&format!("/v1/providers/{pid}/stats")).await.json();
    assert_eq!(
        (default["from"].as_str(), default["to"].as_str()),
        (Some("2026-02-02"), Some("2026-03-03"))
    );
    assert_eq!(default["days"], 30);
    assert_eq!(default["series"].as_array().unwrap().len(), 30);
    assert_eq!(default["totals"]["sent"], 6);
    assert_eq!(default["daily_avg_sent"], 0.2);

    // Archived providers keep their stats.
    api.post(&format!("/v1/providers/{pid}/archive"), json!({}))
        .await;
    let archived = api
        .get(&format!(
            "/v1/providers/{pid}/stats?from=2026-03-01&to=2026-03-03"
        ))
        .await
        .json();
    assert_eq!(archived["totals"], stats["totals"]);

    for (query, field) in [
        ("from=2026-03-04&to=2026-03-03", "from"),
        ("from=2023-03-01&to=2026-03-03", "from"),
        ("from=2026-02-30", "from"),
        ("to=yesterday", "to"),
        ("format=xml", "format"),
    ] {
        let answer = api.get(&format!("/v1/providers/{pid}/stats?{query}")).await;
        assert_eq!(answer.status, 422, "{query}: {}", answer.text());
        assert_eq!(answer.json()["error"]["field"], field, "{query}");
    }
    assert_eq!(api.get("/v1/providers/424242/stats").await.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn days_follow_the_configured_time_zone() {
    let setup = Setup::new();
    let clock = setup.data.path().join("clock");
    // 23:30 UTC on the 1st is already the 2nd in Tokyo.
    set_clock(&clock, "2026-03-01 23:30:00");
    let daemon = start_at(&setup, &clock, &["--timezone", "Asia/Tokyo"]);
    let api = daemon.admin();
    let twilio = mock_twilio().await;
    let p = api
        .post(
            "/v1/providers",
            json!({"name": "T", "plugin": "twilio", "config": twilio_config(&twilio.url())}),
        )
        .await
        .json();
    let pid = p["id"].as_str().unwrap();
    let sent = api
        .post(
            "/v1/messages",
            json!({"to": "+14155550100", "body": "x", "provider_id": pid}),
        )
        .await;
    assert_eq!(sent.status, 201);
    let stats = api
        .get(&format!(
            "/v1/providers/{pid}/stats?from=2026-03-01&to=2026-03-02"
        ))
        .await
        .json();
    assert_eq!(stats["series"][0]["sent"], 0);
    assert_eq!(stats["series"][1]["sent"], 1);
    assert_eq!(stats["callbacks"]["delivery"], true);
    assert_eq!(stats["callbacks"]["clicks"], false);
    // With delivery callbacks the CTR is taken over delivered messages; with no clicks it is 0.
    assert_eq!(stats["ctr"], 0.0);
}
