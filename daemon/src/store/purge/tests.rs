//! Tests of the bounded, resumable purge of deleted providers.

use crate::store::test_util::{message, provider, reopen, temp_store};
use crate::store::{DayCounters, Store};

/// Entries in every tree the purge cleans.
fn purgeable_entries(store: &Store) -> usize {
    store.counters.len() + store.messages.len() + store.message_ids.len() + store.recipients.len()
}

/// Fills provider `id` with `days` counter days and `messages` messages to distinct numbers.
fn fill(store: &Store, id: u64, days: i32, messages: u64) {
    let one = DayCounters {
        sent: 1,
        ..DayCounters::default()
    };
    for day in -days / 2..days - days / 2 {
        store.add_counters(id, day, &one).expect("counters");
    }
    for n in 0..messages {
        let mid = id * 1_000 + n;
        store
            .put_message(&message(mid, id, &format!("+1555{n:07}")))
            .expect("message");
    }
}

#[test]
fn purge_removes_everything_in_bounded_steps() {
    let (_dir, store) = temp_store();
    store.insert_provider(&provider(1, "gone")).expect("insert");
    store.insert_provider(&provider(2, "kept")).expect("insert");
    fill(&store, 1, 30, 25);
    fill(&store, 2, 3, 2);
    let kept = purgeable_entries(&store) - (30 + 3 * 25);
    assert!(!store.purge_step(10).expect("nothing to do"));

    store.delete_provider(1).expect("delete");
    let mut steps = 0;
    loop {
        let before = purgeable_entries(&store);
        let more = store.purge_step(10).expect("step");
        let removed = before - purgeable_entries(&store);
        // At most 10 entries, where a message and its by-id entry count as one.
        assert!(removed <= 20, "step removed {removed}");
        steps += 1;
        if !more {
            break;
        }
        assert!(steps < 100, "purge does not finish");
    }
    assert!(
        steps >= 8,
        "30 + 25 + 25 entries need 8 steps of 10, took {steps}"
    );
    assert_eq!(store.pending_purges().expect("pending"), 0);
    assert_eq!(purgeable_entries(&store), kept);
    assert!(
        store
            .counters(1, i32::MIN, i32::MAX)
            .expect("read")
            .is_empty()
    );
    assert_eq!(store.message(1_000).expect("by id"), None);
    assert_eq!(
        store.last_message_to(1, "+15550000000").expect("last"),
        None
    );
    // The other provider is untouched.
    assert_eq!(
        store.counters(2, i32::MIN, i32::MAX).expect("read").len(),
        3
    );
    assert!(store.message(2_001).expect("by id").is_some());
}

#[test]
fn purge_resumes_after_reopen() {
    let (dir, store) = temp_store();
    for id in [1, 2] {
        store
            .insert_provider(&provider(id, &format!("p{id}")))
            .expect("insert");
        fill(&store, id, 10, 10);
    }
    store.delete_provider(1).expect("delete 1");
    store.delete_provider(2).expect("delete 2");
    assert_eq!(store.pending_purges().expect("pending"), 2);
    assert!(store.purge_step(7).expect("step"));
    assert!(store.purge_step(7).expect("step"));
    store.db.flush().expect("flush");
    drop(store);

    let store = reopen(dir.path()).expect("reopen");
    assert!(store.pending_purges().expect("pending") >= 1);
    while store.purge_step(7).expect("step") {}
    assert_eq!(store.pending_purges().expect("pending"), 0);
    assert_eq!(purgeable_entries(&store), 0);
}

#[test]
fn a_zero_budget_still_makes_progress() {
    let (_dir, store) = temp_store();
    store.insert_provider(&provider(1, "a")).expect("insert");
    fill(&store, 1, 2, 1);
    store.delete_provider(1).expect("delete");
    let mut steps = 0;
    while store.purge_step(0).expect("step") {
        steps += 1;
        assert!(steps < 10, "purge does not finish");
    }
    assert_eq!(purgeable_entries(&store), 0);
}
