//! The callback listener: unsigned, forged and unreadable callbacks, callback URLs that name
//! nothing, and admin routes, which it does not serve.

use tern_tests::fixtures::path_of;

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_callbacks_are_refused_and_count_nothing() {
    let w = world(&[]).await;
    let api = w.daemon.admin();
    let callbacks = w.daemon.callbacks();
    let before = backup(&api).await;
    let path = path_of(&w.callback_url).to_owned();
    let (base, token) = path.rsplit_once('/').unwrap();
    let form = Some("application/x-www-form-urlencoded");
    let mut cases = Vec::new();
    // Well-formed but unsigned, forged, or signed for another URL.
    let params = [
        ("MessageSid", "SM00000000000000000000000000000001"),
        ("MessageStatus", "failed"),
    ];
    let mut forged = SignedCallback::form(&w.callback_url, &params, "not-the-token");
    let body = forged.body.clone();
    cases.push(case(
        "unsigned",
        "POST",
        path.clone(),
        form,
        body.clone(),
        Some(403),
    ));
    cases.push(Case {
        what: "forged".into(),
        method: "POST",
        path: forged.path.clone(),
        headers: std::mem::take(&mut forged.headers),
        body: body.clone().into(),
        status: Some(403),
    });
    for body in [
        &b"MessageSid=SM1&MessageStatus=delivered"[..],
        b"\xff\xfe\xfd",
        b"%ff%fe=%ff",
        b"{\"event_type\":",
        b"",
    ] {
        for content_type in [form, Some("application/json"), Some("text/plain"), None] {
            cases.push(case(
                format!("unsigned body {body:?} as {content_type:?}"),
                "POST",
                path.clone(),
                content_type,
                body.to_vec(),
                None,
            ));
        }
    }
    // Callback URLs that name nothing.
    for bad in [
        format!("{base}/wrong-token"),
        format!("{base}/{token}x"),
        format!("{base}/"),
        format!("{base}/{token}/extra"),
        format!("{base}/%2e%2e"),
        format!("/callbacks/999999/{token}"),
        format!("/callbacks/0{}/{token}", w.provider),
        format!("/callbacks/-1/{token}"),
        format!("/callbacks/18446744073709551616/{token}"),
        format!("/callbacks/..%2f1/{token}"),
        "/callbacks/../v1/providers".to_owned(),
        "/callbacks".to_owned(),
        "/callbacks/".to_owned(),
    ] {
        cases.push(case(
            format!("callback URL {bad}"),
            "POST",
            bad,
            form,
            body.clone(),
            None,
        ));
    }
    // The callback listener serves callbacks only.
    for admin in [
        "/v1/providers",
        "/v1/backup",
        "/v1/plugins",
        "/healthz",
        "/",
    ] {
        for method in ["GET", "POST"] {
            cases.push(case(
                format!("admin route {admin} here"),
                method,
                admin,
                None,
                "",
                Some(404),
            ));
        }
    }
    for method in ["PUT", "DELETE", "PATCH"] {
        cases.push(case(
            format!("{method} callback"),
            method,
            path.clone(),
            form,
            body.clone(),
            Some(405),
        ));
    }
    run(&callbacks, &api, cases, &before).await;
}
