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
            .spawn(move || run(&store, rx))?;
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
        let outcomes: Vec<_> = jobs.iter().map(|(entry, _)| batch.apply(entry)).collect();
        let durable = store
            .commit(&batch.into_writes())
            .and_then(|()| store.flush_blocking());
        if let Err(err) = &durable {
            tracing::error!("could not record {} requests: {err}", jobs.len());
        }
        for ((_, reply), outcome) in jobs.into_iter().zip(outcomes) {
            let result = match (&durable, outcome) {
                (Ok(()), Ok(outcome)) => Ok(outcome),
                (Err(err), _) => Err(LedgerError::Store(err.to_string())),
                (_, Err(err)) => Err(LedgerError::Store(err.to_string())),
            };
            // The requester may have gone away (client disconnected); that is fine.
            let _ = reply.send(result);
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
                self.recipients.insert(
                    (record.provider_id, record.to.clone()),
                    record.provider_message_id.clone(),
                );
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
            } => events
                .iter()
                .map(|event| self.event(*provider_id, *today, *now_ms, event))
                .collect(),
        }
    }

    fn event(
        &mut self,
        provider: u64,
        today: i32,
        now_ms: i64,
        event: &Event,
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
            self.counter(provider, today)?.unmatched += 1;
            return Ok(EventOutcome::Unmatched);
        };
        let (record, changed) = self.messages.get_mut(&key).expect("loaded above");
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
