//! The one writer of message records and counters: sends and callbacks hand it their
//! changes, it applies many requests' changes in one transaction, flushes once, and only then
//! tells each request it is durable (group commit).
//!
//! One writer, because sled serialises batches anyway and because counting exactly once is a
//! read-modify-write (is the flag set? then count and set it) that must not interleave with
//! another. It runs on its own thread: its work is sled calls and an fsync, which would
//! otherwise block an async worker.

use std::collections::HashMap;
use std::collections::hash_map::Entry as MapEntry;

use tern_plugin_api::payload::{Event, EventKind as PluginKind};
use tokio::sync::{mpsc, oneshot};

use crate::store::{
    DayCounters, EventKind, MessageEvent, MessageRecord, Store, StoreError, Writes,
};

/// Most requests applied in one transaction; more wait for the next round.
const MAX_BATCH: usize = 512;
/// Requests queued for the writer before senders wait: backpressure instead of memory growth.
const QUEUE: usize = 4096;

/// A change to record.
#[derive(Debug)]
pub enum Entry {
    /// A message the provider accepted: stored, and counted as sent on its day.
    Sent(MessageRecord),
    /// A send that failed: counted as a send error on `day`.
    SendFailed {
        /// The provider.
        provider_id: u64,
        /// The day it counts on.
        day: i32,
    },
    /// Events from one callback request.
    Events {
        /// The provider the callback URL belongs to.
        provider_id: u64,
        /// Today, where unmatched events count.
        today: i32,
        /// When the callback arrived, Unix milliseconds (for events without a time).
        now_ms: i64,
        /// The events the plugin found.
        events: Vec<Event>,
        /// Leave events about unknown messages uncounted and report them as
        /// [`EventOutcome::Held`]: a send of this provider is in flight, and its record may be
        /// what they are about.
        hold_unmatched: bool,
    },
}

/// What happened to one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventOutcome {
    /// Counted now.
    Counted,
    /// This kind was already counted for the message (a retry, a duplicate, or a delivery
    /// result contradicting the first one): nothing changed.
    Duplicate,
    /// No known message: counted as unmatched for the day.
    Unmatched,
    /// No known message yet, and not counted: the caller asked to hold such events.
    Held,
    /// A kind this daemon does not count.
    Ignored,
}

/// Why a change could not be made durable. Nothing of it may be acknowledged.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LedgerError {
    /// The store failed to apply or flush the batch.
    #[error("recording failed: {0}")]
    Store(String),
    /// The writer has stopped (the daemon is shutting down).
    #[error("the writer has stopped")]
    Stopped,
}

type Reply = oneshot::Sender<Result<Vec<EventOutcome>, LedgerError>>;

/// The handle requests use to reach the writer. Cheap to clone.
#[derive(Clone)]
pub struct Ledger {
    tx: mpsc::Sender<(Entry, Reply)>,
}

impl Ledger {
    /// Starts the writer thread over `store`. It stops when every handle is dropped, after
    /// finishing what was queued.
    pub fn start(store: Store) -> std::io::Result<(Ledger, std::thread::JoinHandle<()>)> {
        let (tx, rx) = mpsc::channel(QUEUE);
        let handle = std::thread::Builder::new()
            .name("ledger".into())
            .spawn(move || {
                // Without its writer the daemon can neither send nor count: a panic here must
                // stop the process (a supervisor restarts it) rather than leave it half alive.
                if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&store, rx)))
                    .is_err()
                {
                    tracing::error!("the writer thread panicked; stopping");
                    std::process::abort();
                }
            })?;
        Ok((Ledger { tx }, handle))
    }

    /// Records `entry` and waits until it is on disk. Returns the outcome of each event for
    /// [`Entry::Events`], and nothing for the other entries.
    pub async fn record(&self, entry: Entry) -> Result<Vec<EventOutcome>, LedgerError> {
        let (reply, done) = oneshot::channel();
        self.tx
            .send((entry, reply))
            .await
            .map_err(|_| LedgerError::Stopped)?;
        done.await.map_err(|_| LedgerError::Stopped)?
    }
}

fn run(store: &Store, mut rx: mpsc::Receiver<(Entry, Reply)>) {
    while let Some(first) = rx.blocking_recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let mut batch = Batch::new(store);
        // All or nothing: a request that failed halfway must leave no partial change behind,
        // because its sender will retry it.
        let outcomes: Result<Vec<_>, _> =
            jobs.iter().map(|(entry, _)| batch.apply(entry)).collect();
        let durable = outcomes.and_then(|outcomes| {
            store.commit(&batch.into_writes())?;
            store.flush_blocking()?;
            Ok(outcomes)
        });
        match durable {
            Ok(outcomes) => {
                for ((_, reply), outcome) in jobs.into_iter().zip(outcomes) {
                    // The requester may have gone away (client disconnected); that is fine.
                    let _ = reply.send(Ok(outcome));
                }
            }
            Err(err) => {
                tracing::error!("could not record {} requests: {err}", jobs.len());
                for (_, reply) in jobs {
                    let _ = reply.send(Err(LedgerError::Store(err.to_string())));
                }
            }
        }
    }
}

/// One batch's view of the data: what it read, overlaid with what it changed, so several
/// requests in one batch about the same message see each other's effects.
struct Batch<'a> {
    store: &'a Store,
    /// (provider, provider message id) -> (record, changed).
    messages: HashMap<(u64, String), (MessageRecord, bool)>,
    /// (provider, number) -> provider message id of the latest message sent there.
    recipients: HashMap<(u64, String), String>,
    counters: HashMap<(u64, i32), DayCounters>,
}

impl<'a> Batch<'a> {
    fn new(store: &'a Store) -> Self {
        Batch {
            store,
            messages: HashMap::new(),
            recipients: HashMap::new(),
            counters: HashMap::new(),
        }
    }

    fn apply(&mut self, entry: &Entry) -> Result<Vec<EventOutcome>, StoreError> {
        match entry {
            Entry::Sent(record) => {
                self.counter(record.provider_id, record.day)?.sent += 1;
                let key = (record.provider_id, record.provider_message_id.clone());
                // As in the store: the recipient entry points at the newest message (ids grow).
                let newest = match self.latest_to(record.provider_id, &record.to)? {
                    Some(current) => self
                        .messages
                        .get(&(record.provider_id, current))
                        .is_none_or(|(m, _)| m.id <= record.id),
                    None => true,
                };
                if newest {
                    self.recipients.insert(
                        (record.provider_id, record.to.clone()),
                        record.provider_message_id.clone(),
                    );
                }
                self.messages.insert(key, (record.clone(), true));
                Ok(Vec::new())
            }
            Entry::SendFailed { provider_id, day } => {
                self.counter(*provider_id, *day)?.send_errors += 1;
                Ok(Vec::new())
            }
            Entry::Events {
                provider_id,
                today,
                now_ms,
                events,
                hold_unmatched,
            } => events
                .iter()
                .map(|event| self.event(*provider_id, *today, *now_ms, event, *hold_unmatched))
                .collect(),
        }
    }

    fn event(
        &mut self,
        provider: u64,
        today: i32,
        now_ms: i64,
        event: &Event,
        hold_unmatched: bool,
    ) -> Result<EventOutcome, StoreError> {
        let kind = match event.kind {
            PluginKind::Delivered => EventKind::Delivered,
            PluginKind::Failed => EventKind::Failed,
            PluginKind::Clicked => EventKind::Clicked,
            PluginKind::Replied => EventKind::Replied,
            PluginKind::Other => return Ok(EventOutcome::Ignored),
        };
        let mut key = None;
        if let Some(id) = event
            .provider_message_id
            .as_deref()
            .filter(|id| !id.is_empty())
        {
            if self.load(provider, id)? {
                key = Some((provider, id.to_owned()));
            }
        }
        // A reply names its sender; it counts against the latest message sent there.
        if key.is_none() && kind == EventKind::Replied {
            if let Some(from) = event.from.as_deref() {
                key = self.latest_to(provider, from)?.map(|id| (provider, id));
            }
        }
        let Some(key) = key else {
            // Only an event naming a message can be about a send still in flight; a reply
            // found by number cannot precede the message it answers.
            if hold_unmatched && event.provider_message_id.is_some() {
                return Ok(EventOutcome::Held);
            }
            self.counter(provider, today)?.unmatched += 1;
            return Ok(EventOutcome::Unmatched);
        };
        let Some((record, changed)) = self.messages.get_mut(&key) else {
            // `load` and `latest_to` put the record in the batch before returning its key.
            return Ok(EventOutcome::Ignored);
        };
        // Delivered and failed are one terminal state: the first one wins.
        let blocking = match kind {
            EventKind::Delivered | EventKind::Failed => {
                EventKind::Delivered.flag() | EventKind::Failed.flag()
            }
            other => other.flag(),
        };
        if record.flags & blocking != 0 {
            return Ok(EventOutcome::Duplicate);
        }
        record.flags |= kind.flag();
        record.events.push(MessageEvent {
            kind,
            at: event.at.map_or(now_ms, |s| s.saturating_mul(1000)),
            error_code: event.error_code.clone(),
        });
        *changed = true;
        let (provider, day) = (record.provider_id, record.day);
        let counters = self.counter(provider, day)?;
        match kind {
            EventKind::Delivered => counters.delivered += 1,
            EventKind::Failed => counters.failed += 1,
            EventKind::Clicked => counters.clicked += 1,
            EventKind::Replied => counters.replied += 1,
        }
        Ok(EventOutcome::Counted)
    }

    /// Brings a message into the batch; whether it exists.
    fn load(&mut self, provider: u64, id: &str) -> Result<bool, StoreError> {
        let key = (provider, id.to_owned());
        if self.messages.contains_key(&key) {
            return Ok(true);
        }
        match self.store.message_by_provider_id(provider, id)? {
            Some(record) => {
                self.messages.insert(key, (record, false));
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// The provider message id of the latest message sent to `number`, loaded into the batch.
    fn latest_to(&mut self, provider: u64, number: &str) -> Result<Option<String>, StoreError> {
        if let Some(id) = self.recipients.get(&(provider, number.to_owned())) {
            return Ok(Some(id.clone()));
        }
        let Some(record) = self.store.last_message_to(provider, number)? else {
            return Ok(None);
        };
        let id = record.provider_message_id.clone();
        self.messages
            .entry((provider, id.clone()))
            .or_insert((record, false));
        self.recipients
            .insert((provider, number.to_owned()), id.clone());
        Ok(Some(id))
    }

    fn counter(&mut self, provider: u64, day: i32) -> Result<&mut DayCounters, StoreError> {
        Ok(match self.counters.entry((provider, day)) {
            MapEntry::Occupied(entry) => entry.into_mut(),
            MapEntry::Vacant(entry) => entry.insert(self.store.day_counters(provider, day)?),
        })
    }

    fn into_writes(self) -> Writes {
        Writes {
            messages: self
                .messages
                .into_values()
                .filter(|(_, changed)| *changed)
                .map(|(record, _)| record)
                .collect(),
            counters: self
                .counters
                .into_iter()
                .map(|((provider, day), totals)| (provider, day, totals))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_util::{message, provider, temp_store};

    fn event(kind: PluginKind, id: Option<&str>, from: Option<&str>) -> Event {
        Event {
            kind,
            provider_message_id: id.map(str::to_owned),
            from: from.map(str::to_owned),
            at: None,
            error_code: None,
        }
    }

    fn events(provider_id: u64, events: Vec<Event>, hold_unmatched: bool) -> Entry {
        Entry::Events {
            provider_id,
            today: 19_001,
            now_ms: 5_000,
            events,
            hold_unmatched,
        }
    }

    #[tokio::test]
    async fn each_kind_counts_once_and_the_first_terminal_state_wins() {
        let (_dir, store) = temp_store();
        store.insert_provider(&provider(1, "a")).unwrap();
        let (ledger, _writer) = Ledger::start(store.clone()).unwrap();
        ledger
            .record(Entry::Sent(message(10, 1, "+14155550100")))
            .await
            .unwrap();
        let outcomes = ledger
            .record(events(
                1,
                vec![
                    event(PluginKind::Delivered, Some("pm-10"), None),
                    event(PluginKind::Delivered, Some("pm-10"), None),
                    event(PluginKind::Failed, Some("pm-10"), None),
                    event(PluginKind::Clicked, Some("pm-10"), None),
                    event(PluginKind::Replied, None, Some("+14155550100")),
                    event(PluginKind::Replied, None, Some("+14155550100")),
                    event(PluginKind::Delivered, Some("pm-unknown"), None),
                    event(PluginKind::Other, Some("pm-10"), None),
                ],
                false,
            ))
            .await
            .unwrap();
        use EventOutcome::*;
        assert_eq!(
            outcomes,
            [
                Counted, Duplicate, Duplicate, Counted, Counted, Duplicate, Unmatched, Ignored
            ]
        );
        let day = store.day_counters(1, 19_000).unwrap();
        assert_eq!(
            (
                day.sent,
                day.delivered,
                day.failed,
                day.clicked,
                day.replied
            ),
            (1, 1, 0, 1, 1)
        );
        assert_eq!(store.day_counters(1, 19_001).unwrap().unmatched, 1);
        let record = store.message(10).unwrap().unwrap();
        assert_eq!(record.events.len(), 3);
    }

    #[tokio::test]
    async fn held_events_are_not_counted_and_replies_go_to_the_latest_message() {
        let (_dir, store) = temp_store();
        store.insert_provider(&provider(1, "a")).unwrap();
        let (ledger, _writer) = Ledger::start(store.clone()).unwrap();
        let held = ledger
            .record(events(
                1,
                vec![event(PluginKind::Delivered, Some("pm-11"), None)],
                true,
            ))
            .await
            .unwrap();
        assert_eq!(held, [EventOutcome::Held]);
        assert_eq!(store.day_counters(1, 19_001).unwrap().unmatched, 0);

        ledger
            .record(Entry::Sent(message(11, 1, "+14155550100")))
            .await
            .unwrap();
        ledger
            .record(Entry::Sent(message(12, 1, "+14155550100")))
            .await
            .unwrap();
        let late = ledger
            .record(events(
                1,
                vec![
                    event(PluginKind::Delivered, Some("pm-11"), None),
                    event(PluginKind::Replied, None, Some("+14155550100")),
                ],
                false,
            ))
            .await
            .unwrap();
        assert_eq!(late, [EventOutcome::Counted, EventOutcome::Counted]);
        assert!(
            store
                .message(12)
                .unwrap()
                .unwrap()
                .has(crate::store::EventKind::Replied)
        );
        assert!(
            !store
                .message(11)
                .unwrap()
                .unwrap()
                .has(crate::store::EventKind::Replied)
        );
    }

    #[tokio::test]
    async fn nothing_is_written_for_a_deleted_provider() {
        let (_dir, store) = temp_store();
        store.insert_provider(&provider(1, "a")).unwrap();
        store.delete_provider(1).unwrap();
        let (ledger, _writer) = Ledger::start(store.clone()).unwrap();
        ledger
            .record(Entry::Sent(message(13, 1, "+14155550100")))
            .await
            .unwrap();
        ledger
            .record(Entry::SendFailed {
                provider_id: 1,
                day: 19_000,
            })
            .await
            .unwrap();
        assert_eq!(store.message(13).unwrap(), None);
        assert_eq!(
            store.day_counters(1, 19_000).unwrap(),
            DayCounters::default()
        );
    }
}
