//! Bodies: malformed JSON, wrong content types, missing, extra and mistyped fields, invalid
//! UTF-8, and ids and numbers that name nothing or overflow.

use super::*;

const MALFORMED: &[&str] = &[
    "",
    "{",
    "{\"name\":",
    "[1,2",
    "nul",
    "{\"a\":1}}",
    "{'name': 'x'}",
    "{\"name\": \"x\",}",
    "\u{feff}{}",
    "{\"name\": \"x\", \"name\": \"y\"}",
    "null",
    "[]",
    "\"text\"",
    "42",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_are_refused_and_change_nothing() {
    let w = world(&[]).await;
    let api = w.daemon.admin();
    let before = backup(&api).await;
    let deep = "[".repeat(100_000);

    let mut malformed = Vec::new();
    let mut content_types = Vec::new();
    let mut fields = Vec::new();
    let mut utf8 = Vec::new();
    let mut numbers = Vec::new();
    for (method, path, good) in json_routes(&w) {
        let json = Some("application/json");
        for body in MALFORMED.iter().copied().chain([deep.as_str()]) {
            let what = format!("malformed {:?}", &body[..body.len().min(20)]);
            malformed.push(case(
                what,
                method,
                path.clone(),
                json,
                body.to_owned(),
                Some(400),
            ));
        }
        for content_type in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("application/jsonx"),
            Some("multipart/form-data; boundary=x"),
            Some("json"),
        ] {
            let what = format!("content type {content_type:?}");
            content_types.push(case(
                what,
                method,
                path.clone(),
                content_type,
                good.to_string(),
                Some(415),
            ));
        }
        let mut extra = good.clone();
        extra["extra"] = json!(1);
        fields.push(case(
            "an unknown member",
            method,
            path.clone(),
            json,
            extra.to_string(),
            Some(400),
        ));
        for (name, _) in good.as_object().unwrap() {
            let mut missing = good.clone();
            missing.as_object_mut().unwrap().remove(name);
            // PATCH takes any subset of its members; the others are required.
            if method != "PATCH" && name != "config" {
                fields.push(case(
                    format!("{name} missing"),
                    method,
                    path.clone(),
                    json,
                    missing.to_string(),
                    Some(400),
                ));
            }
            for wrong in [json!(5), json!(true), json!(["x"]), json!({"x": 1})] {
                let mut body = good.clone();
                body[name] = wrong.clone();
                if name == "config" && wrong.is_object() {
                    continue;
                }
                fields.push(case(
                    format!("{name} = {wrong}"),
                    method,
                    path.clone(),
                    json,
                    body.to_string(),
                    Some(400),
                ));
            }
        }
        let text = good.to_string();
        for bad in [
            &b"\xff\xfe"[..],
            b"\xc3\x28",
            b"\xed\xa0\x80",
            b"\xf4\x90\x80\x80",
        ] {
            // At the start of the last string value (every good body ends with one), so the
            // document is valid JSON apart from the bytes.
            let mut body = text.clone().into_bytes();
            assert!(text.ends_with("\"}"), "{text}");
            let quote = body[..body.len() - 2]
                .iter()
                .rposition(|b| *b == b'"')
                .unwrap();
            body.splice(quote + 1..quote + 1, bad.iter().copied());
            utf8.push(case(
                format!("invalid UTF-8 {bad:?}"),
                method,
                path.clone(),
                json,
                body,
                Some(400),
            ));
        }
        utf8.push(case(
            "an escaped lone surrogate",
            method,
            path.clone(),
            json,
            text.replacen("\":\"", "\":\"\\ud800", 1),
            None,
        ));
    }
    // Ids and numbers inside bodies.
    for value in [
        json!(-1),
        json!(1),
        json!(18446744073709551615u64),
        json!(1.5),
        json!("-1"),
        json!("18446744073709551616"),
        json!("99999999999999999999999999"),
        json!("../1"),
        json!("1/../1"),
        json!(""),
        json!("0"),
    ] {
        numbers.push(case(
            format!("provider_id {value}"),
            "POST",
            "/v1/messages",
            Some("application/json"),
            json!({"to": "+14155550100", "body": "hi", "provider_id": value}).to_string(),
            None,
        ));
        numbers.push(case(
            format!("campaign_id {value}"),
            "POST",
            "/v1/messages",
            Some("application/json"),
            json!({"to": "+14155550100", "body": "hi", "campaign_id": value}).to_string(),
            None,
        ));
        numbers.push(case(
            format!("campaign provider_id {value}"),
            "POST",
            "/v1/campaigns",
            Some("application/json"),
            json!({"name": "N", "kind": "campaign", "provider_id": value}).to_string(),
            None,
        ));
    }
    for raw in [
        "1e400",
        "-1e400",
        "18446744073709551616",
        "-9223372036854775809",
        "1",
    ] {
        numbers.push(case(
            format!("to = {raw}"),
            "POST",
            "/v1/messages",
            Some("application/json"),
            format!("{{\"to\": {raw}, \"body\": \"hi\"}}"),
            Some(400),
        ));
    }
    for to in [
        "",
        "+",
        "+0123",
        "14155550100",
        "+1415555010012345678",
        "+1 415",
        "+١٤١٥٥٥٥٠١٠٠",
    ] {
        numbers.push(case(
            format!("to = {to:?}"),
            "POST",
            "/v1/messages",
            Some("application/json"),
            json!({"to": to, "body": "hi"}).to_string(),
            Some(422),
        ));
    }
    for (name, cases) in [
        ("malformed JSON", malformed),
        ("content types", content_types),
        ("missing, extra and mistyped fields", fields),
        ("invalid UTF-8", utf8),
        ("ids and numbers", numbers),
    ] {
        println!("{name}: {} requests", cases.len());
        run(&api, &api, cases, &before).await;
    }
}
