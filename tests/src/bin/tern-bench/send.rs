//! The send path: `POST /v1/messages` through ternd to a mock Twilio, against the same client
//! posting the same kind of form straight to the mock.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use serde_json::{Value, json};
use tern_tests::fixtures::{ACCOUNT_SID, AUTH_TOKEN, basic_auth};

use crate::figures::{CpuUse, Measured, report_rates};
use crate::load::{MakeRequest, Run, load};

/// What the phase measured.
pub struct SendFigures {
    /// Through ternd.
    pub ternd: Run,
    /// Straight to the mock.
    pub direct: Run,
    /// The CPU each took.
    pub cpu: (CpuUse, CpuUse),
    /// The provider message ids of the messages ternd recorded, sorted and distinct.
    pub sids: Vec<String>,
}

/// Where the phase sends.
pub struct SendTarget<'a> {
    /// ternd's admin listener.
    pub admin: SocketAddr,
    /// Its bearer token.
    pub token: &'a str,
    /// The provider to send through.
    pub provider_id: &'a str,
    /// The provider's callback URL (the mock is told it, as Twilio would be).
    pub callback_url: &'a str,
    /// The mock Twilio.
    pub mock: SocketAddr,
    /// ternd's process id, for its CPU time.
    pub pid: u32,
}

fn recipient(i: u64) -> String {
    format!("+1415{:07}", i % 10_000_000)
}

/// Runs both halves for `secs` each.
pub async fn run(target: SendTarget<'_>, secs: Duration) -> SendFigures {
    let admin = target.admin;
    let make: MakeRequest = {
        let auth = format!("Bearer {}", target.token);
        let provider_id = target.provider_id.to_owned();
        Arc::new(move |i| {
            let body = json!({"to": recipient(i), "body": "Benchmark message", "provider_id": provider_id});
            hyper::Request::post("/v1/messages")
                .header("host", admin.to_string())
                .header("authorization", &auth)
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(body.to_string())))
                .unwrap()
        })
    };
    let (ternd, ternd_cpu) =
        CpuUse::measure(Some(target.pid), load(admin, make, u64::MAX, secs, true)).await;
    let mut sids: Vec<String> = ternd
        .samples
        .iter()
        .filter(|s| s.status == 201)
        .filter_map(|s| {
            let body: Value = serde_json::from_slice(s.body.as_ref()?).ok()?;
            body["provider_message_id"].as_str().map(str::to_owned)
        })
        .collect();
    sids.sort();
    sids.dedup();

    let mock_path = format!("/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json");
    let make: MakeRequest = {
        let callback_url = target.callback_url.to_owned();
        let basic = basic_auth(AUTH_TOKEN);
        let host = target.mock.to_string();
        Arc::new(move |i| {
            let to = recipient(i);
            let form: String = form_urlencoded::Serializer::new(String::new())
                .extend_pairs([
                    ("To", to.as_str()),
                    ("From", "+14155552345"),
                    ("Body", "Benchmark message"),
                    ("StatusCallback", callback_url.as_str()),
                ])
                .finish();
            hyper::Request::post(mock_path.as_str())
                .header("host", &host)
                .header("authorization", &basic)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Full::new(Bytes::from(form)))
                .unwrap()
        })
    };
    let (direct, direct_cpu) =
        CpuUse::measure(None, load(target.mock, make, u64::MAX, secs, false)).await;
    SendFigures {
        ternd,
        direct,
        cpu: (ternd_cpu, direct_cpu),
        sids,
    }
}

impl SendFigures {
    /// Prints the phase's figures.
    pub fn print(&self) {
        println!("== Send path: POST /v1/messages -> twilio plugin -> mock Twilio (201 + sid)");
        report_rates(
            Measured {
                name: "ternd",
                run: &self.ternd,
                cpu: self.cpu.0,
            },
            Measured {
                name: "direct to the mock",
                run: &self.direct,
                cpu: self.cpu.1,
            },
            "send path ≥ 0.4x direct",
            0.4,
        );
        println!(
            "   {} distinct message records created for the ingest phase",
            self.sids.len()
        );
        println!();
    }
}
