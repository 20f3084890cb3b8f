//! Crash safety: a bounded flood of signed Twilio callbacks with sends alongside, while ternd
//! is killed with SIGKILL at random moments and restarted on the same data directory.
//!
//! What must hold: every send answered 201 keeps its message record; every event answered
//! 2xx is counted, and none twice: after the last restart every event is posted once more and
//! no count changes. The provider and the campaign come back exactly as they were.
//!
//! The kill points are random (the seed is printed; `TERN_TEST_SEED` repeats a run). They are
//! chosen as a number of answered requests, not a time, so the test is equally hard on a fast
//! and a slow machine.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tern_tests::daemon::{Daemon, Options};
use tern_tests::fixtures::{
    ACCOUNT_SID, AUTH_TOKEN, Setup, SignedCallback, mock_twilio, twilio_config_with_clicks,
};
use tern_tests::http::Api;
use tern_tests::rng::Rng;

/// How many times ternd is killed.
const KILLS: usize = 4;
/// Concurrent senders and callback posters during the flood.
const SENDERS: usize = 2;
const POSTERS: usize = 4;
/// Sends per sender per round: bounds the flood.
const SENDS_PER_SENDER: usize = 20;

/// What one event should do to its message.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Effect {
    Delivered,
    Failed,
    Clicked,
}

#[derive(Debug, Clone)]
struct Event {
    effect: Effect,
    callback: SignedCallback,
}

/// Everything the flood did, across rounds.
struct Flood {
    /// The 201 answers of acknowledged sends.
    sent: Vec<Value>,
    events: Vec<Event>,
    /// Per event: answered 2xx at least once.
    acked: Vec<bool>,
    /// Events to post, in a random order; an event whose post got no answer goes back here.
    pending: VecDeque<usize>,
    rng: Rng,
}

impl Flood {
    /// Records an acknowledged send and the events its provider will report for it.
    fn sent(&mut self, answer: Value, callback_url: &str) {
        let message = self.sent.len();
        let sid = answer["provider_message_id"].as_str().unwrap().to_owned();
        let (status, effect) = if message % 2 == 0 {
            ("delivered", Effect::Delivered)
        } else {
            ("undelivered", Effect::Failed)
        };
        let mut params = vec![
            ("AccountSid", ACCOUNT_SID),
            ("MessageSid", sid.as_str()),
            ("MessageStatus", status),
        ];
        if effect == Effect::Failed {
            params.push(("ErrorCode", "30003"));
        }
        let mut events = vec![Event {
            effect,
            callback: SignedCallback::form(callback_url, &params, AUTH_TOKEN),
        }];
        if message % 3 == 0 {
            events.push(Event {
                effect: Effect::Clicked,
                callback: SignedCallback::click(callback_url, &sid, AUTH_TOKEN),
            });
        }
        self.sent.push(answer);
        for event in events {
            let index = self.events.len();
            self.events.push(event);
            self.acked.push(false);
            let at = self.rng.range(0..self.pending.len() as u64 + 1) as usize;
            self.pending.insert(at, index);
        }
    }

    /// How many events have each effect.
    fn count(&self, effect: Effect) -> u64 {
        self.events.iter().filter(|e| e.effect == effect).count() as u64
    }
}

/// One round of the flood against `daemon`, killed with SIGKILL once `kill_after` requests
/// have been answered (or when the round's traffic is done, whichever comes first).
async fn flood_then_kill(
    daemon: Daemon,
    flood: &Arc<Mutex<Flood>>,
    campaign_id: &str,
    callback_url: &str,
    kill_after: u64,
) {
    let answered = Arc::new(AtomicU64::new(0));
    let senders_left = Arc::new(AtomicUsize::new(SENDERS));
    let mut tasks = Vec::new();
    for sender in 0..SENDERS {
        let (api, flood, answered, left) = (
            daemon.admin(),
            flood.clone(),
            answered.clone(),
            senders_left.clone(),
        );
        let (campaign_id, callback_url) = (campaign_id.to_owned(), callback_url.to_owned());
        tasks.push(tokio::spawn(async move {
            for i in 0..SENDS_PER_SENDER {
                let n = flood.lock().unwrap().sent.len();
                let body = json!({
                    "to": format!("+1415555{sender}{:03}", n % 1000),
                    "body": format!("flood {sender}/{i}"),
                    "campaign_id": campaign_id,
                });
                let answer = api
                    .try_raw(
                        "POST",
                        "/v1/messages",
                        &[("content-type", "application/json")],
                        body.to_string(),
                    )
                    .await;
                let Ok(answer) = answer else { break };
                assert_eq!(answer.status, 201, "{}", answer.text());
                flood.lock().unwrap().sent(answer.json(), &callback_url);
                answered.fetch_add(1, Ordering::SeqCst);
            }
            left.fetch_sub(1, Ordering::SeqCst);
        }));
    }
    for _ in 0..POSTERS {
        let (callbacks, flood, answered, senders_left) = (
            daemon.callbacks(),
            flood.clone(),
            answered.clone(),
            senders_left.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let next = flood.lock().unwrap().pending.pop_front();
                let Some(index) = next else {
                    if senders_left.load(Ordering::SeqCst) == 0 {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    continue;
                };
                let callback = flood.lock().unwrap().events[index].callback.clone();
                match callback.post(&callbacks).await {
                    Ok(answer) => {
                        assert_eq!(answer.status, 200, "{}", answer.text());
                        flood.lock().unwrap().acked[index] = true;
                        answered.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(_) => {
                        // No answer: the daemon is gone. The provider would retry it later.
                        flood.lock().unwrap().pending.push_back(index);
                        break;
                    }
                }
            }
        }));
    }
    while answered.load(Ordering::SeqCst) < kill_after && !tasks.iter().all(|t| t.is_finished()) {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    println!(
        "SIGKILL after {} answered requests",
        answered.load(Ordering::SeqCst)
    );
    tokio::task::block_in_place(|| daemon.kill());
    for task in tasks {
        task.await.expect("a flood task failed");
    }
}

/// Posts each of `events` with `POSTERS` posters at once; every one must be answered 200.
async fn post_all(callbacks: &Api, flood: &Arc<Mutex<Flood>>, events: Vec<usize>) {
    let queue = Arc::new(Mutex::new(events));
    let mut tasks = Vec::new();
    for _ in 0..POSTERS {
        let (callbacks, flood, queue) = (callbacks.clone(), flood.clone(), queue.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let Some(index) = queue.lock().unwrap().pop() else {
                    break;
                };
                let callback = flood.lock().unwrap().events[index].callback.clone();
                let answer = callback.post(&callbacks).await.expect("an answer");
                assert_eq!(answer.status, 200, "{}", answer.text());
                flood.lock().unwrap().acked[index] = true;
            }
        }));
    }
    for task in tasks {
        task.await.expect("a poster failed");
    }
}

/// The provider's totals and every acknowledged message as stored.
async fn snapshot(api: &Api, provider_id: &str, flood: &Arc<Mutex<Flood>>) -> (Value, Vec<Value>) {
    let stats = api.get(&format!("/v1/providers/{provider_id}/stats")).await;
    assert_eq!(stats.status, 200, "{}", stats.text());
    let ids: Vec<String> = flood
        .lock()
        .unwrap()
        .sent
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    let mut messages = Vec::new();
    for id in ids {
        let message = api.get(&format!("/v1/messages/{id}")).await;
        assert_eq!(message.status, 200, "message {id} lost: {}", message.text());
        messages.push(message.json());
    }
    (stats.json()["totals"].clone(), messages)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_events_survive_sigkill_and_count_exactly_once() {
    let mut rng = Rng::from_env();
    let setup = Setup::new();
    let twilio = mock_twilio().await;
    // A fixed public URL: the callback port changes with each restart, the signed URL must not.
    let options = Options {
        args: vec!["--public-url".into(), "https://sms.example.com".into()],
        ..setup.options()
    };
    let daemon = Daemon::start(&options);
    let api = daemon.admin();
    let created = api
        .post(
            "/v1/providers",
            json!({"name": "Twilio", "plugin": "twilio", "config": twilio_config_with_clicks(&twilio.url())}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let provider_id = created.json()["id"].as_str().unwrap().to_owned();
    let campaign = api
        .post(
            "/v1/campaigns",
            json!({"name": "Flood", "kind": "campaign", "provider_id": provider_id}),
        )
        .await;
    assert_eq!(campaign.status, 201, "{}", campaign.text());
    let campaign_id = campaign.json()["id"].as_str().unwrap().to_owned();
    let provider_path = format!("/v1/providers/{provider_id}");
    let campaign_path = format!("/v1/campaigns/{campaign_id}");
    let provider = api.get(&provider_path).await.json();
    let campaign = api.get(&campaign_path).await.json();
    let callback_url = provider["callback_url"].as_str().unwrap().to_owned();

    let flood = Arc::new(Mutex::new(Flood {
        sent: Vec::new(),
        events: Vec::new(),
        acked: Vec::new(),
        pending: VecDeque::new(),
        rng: Rng::new(rng.next_u64()),
    }));
    let mut daemon = daemon;
    for _ in 0..KILLS {
        // Somewhere inside the round's traffic: each send brings one or two callbacks.
        let kill_after = rng.range(5..(SENDERS * SENDS_PER_SENDER) as u64 * 2);
        flood_then_kill(daemon, &flood, &campaign_id, &callback_url, kill_after).await;
        daemon = Daemon::start(&options);
    }

    let api = daemon.admin();
    assert_eq!(api.get(&provider_path).await.json(), provider);
    assert_eq!(api.get(&campaign_path).await.json(), campaign);

    // The provider retries whatever got no answer; then every event has been answered 200.
    let unanswered: Vec<usize> = {
        let flood = flood.lock().unwrap();
        let unanswered: Vec<usize> = (0..flood.events.len())
            .filter(|&i| !flood.acked[i])
            .collect();
        println!(
            "{} sends and {} events acknowledged; {} events retried after the last restart",
            flood.sent.len(),
            flood.events.len() - unanswered.len(),
            unanswered.len()
        );
        unanswered
    };
    post_all(&daemon.callbacks(), &flood, unanswered).await;
    let (totals, messages) = snapshot(&api, &provider_id, &flood).await;

    {
        let flood = flood.lock().unwrap();
        assert!(
            flood.sent.len() >= KILLS,
            "the flood sent too little to test anything"
        );
        // Each event counted exactly once.
        assert_eq!(
            totals["delivered"],
            flood.count(Effect::Delivered),
            "{totals}"
        );
        assert_eq!(totals["failed"], flood.count(Effect::Failed), "{totals}");
        assert_eq!(totals["clicked"], flood.count(Effect::Clicked), "{totals}");
        assert_eq!(totals["unmatched"], 0, "{totals}");
        assert_eq!(totals["send_errors"], 0, "{totals}");
        // Every acknowledged send is counted; a send killed after its record was committed but
        // before its answer is counted too, so there may be a few more than acknowledged.
        let sent = totals["sent"].as_u64().unwrap();
        let acknowledged = flood.sent.len() as u64;
        assert!(
            (acknowledged..=acknowledged + (KILLS * SENDERS) as u64).contains(&sent),
            "{sent} counted for {acknowledged} acknowledged sends"
        );
        // Each acknowledged message kept its record and got its events.
        for (index, (answer, stored)) in flood.sent.iter().zip(&messages).enumerate() {
            // Every field of the 201 answer is kept, except the state, which moved on.
            for (field, value) in answer.as_object().unwrap() {
                if field != "state" {
                    assert_eq!(&stored[field], value, "{field} of {stored}");
                }
            }
            let expected = if index % 2 == 0 {
                "delivered"
            } else {
                "failed"
            };
            assert_eq!(stored["state"], expected, "{stored}");
            assert_eq!(stored["clicked"], index % 3 == 0, "{stored}");
        }
    }

    // Replaying every event changes nothing.
    let all: Vec<usize> = (0..flood.lock().unwrap().events.len()).collect();
    post_all(&daemon.callbacks(), &flood, all).await;
    let (totals_after, messages_after) = snapshot(&api, &provider_id, &flood).await;
    assert_eq!(totals_after, totals);
    assert_eq!(messages_after, messages);

    let (status, log) = daemon.stop();
    assert_eq!(status.code(), Some(0), "{log}");
}
