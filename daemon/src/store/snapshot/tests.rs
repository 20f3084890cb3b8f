//! Snapshot round trips, determinism, and refusal of damaged snapshots and non-empty targets.

use super::super::test_util::{campaign, message, provider, reopen, temp_store};
use super::super::{DayCounters, Writes};
use super::*;

/// A store with a provider, a campaign, a message with its indexes and one day's counters.
fn filled() -> (tempfile::TempDir, Store) {
    let (dir, store) = temp_store();
    store.insert_provider(&provider(7, "twilio-main")).unwrap();
    store.set_default(7).unwrap();
    store.insert_campaign(&campaign(9, 7)).unwrap();
    let counters = DayCounters {
        sent: 3,
        delivered: 2,
        ..DayCounters::default()
    };
    store
        .commit(&Writes {
            messages: vec![message(11, 7, "+15550001111")],
            counters: vec![(7, 19_000, counters)],
        })
        .unwrap();
    (dir, store)
}

fn snapshot(store: &Store) -> Vec<u8> {
    let mut out = Vec::new();
    let summary = store.write_snapshot(&mut out).unwrap();
    assert_eq!(summary.bytes, out.len() as u64);
    out
}

#[test]
fn the_same_state_gives_the_same_bytes() {
    let (_dir, store) = filled();
    let first = snapshot(&store);
    assert_eq!(first, snapshot(&store));
    store.stop_campaign(9, "manual").unwrap();
    assert_ne!(
        first,
        snapshot(&store),
        "a change must show in the snapshot"
    );
}

#[test]
fn a_restore_gives_back_every_record_and_ids_stay_unique() {
    let (_dir, store) = filled();
    let bytes = snapshot(&store);
    let target = tempfile::tempdir().unwrap();
    let dir = target.path().join("restored");

    let summary = restore(&dir, &bytes[..]).unwrap();
    assert_eq!(summary.bytes, bytes.len() as u64);
    let restored = reopen(&dir).unwrap();
    assert_eq!(restored.provider(7).unwrap(), store.provider(7).unwrap());
    assert_eq!(restored.default_provider().unwrap(), Some(7));
    assert_eq!(restored.message(11).unwrap(), store.message(11).unwrap());
    assert_eq!(restored.day_counters(7, 19_000).unwrap().sent, 3);
    assert!(
        restored.next_id().unwrap() > 11,
        "a fresh database's ids must start past the restored ones"
    );

    // The restored store differs from the original only by its id floor and the reservation
    // its `next_id` just made.
    let again = snapshot(&restored);
    let meta_entry = |key: &[u8]| 1 + 4 + key.len() + 4 + 8;
    assert_eq!(
        again.len(),
        bytes.len() + meta_entry(META_ID_FLOOR) + meta_entry(META_ID_RESERVED)
    );
    // Restoring that raises the floor to the reservation and changes nothing else; from then
    // on, restoring a restored store's snapshot gives back the same bytes.
    let second = target.path().join("second");
    restore(&second, &again[..]).unwrap();
    let settled = snapshot(&reopen(&second).unwrap());
    assert_eq!(settled.len(), again.len());
    let third = target.path().join("third");
    restore(&third, &settled[..]).unwrap();
    assert_eq!(snapshot(&reopen(&third).unwrap()), settled);
}

#[test]
fn ids_handed_out_before_a_snapshot_are_never_handed_out_after_its_restore() {
    // Ids whose records are gone by the snapshot (deleted, pruned, or a send that failed):
    // here, ids that never reached a record, past the largest id of any record. More of them
    // than sled's id generator skips when a database is reopened (two million), which alone
    // would hide the reuse.
    let (_dir, store) = filled();
    let mut highest = 0;
    for _ in 0..2_500_000 {
        highest = highest.max(store.next_id().unwrap());
    }
    assert!(highest >= 2_500_000);
    let bytes = snapshot(&store);
    assert_eq!(
        snapshot(&store),
        bytes,
        "a store that handed out no id since has the same snapshot"
    );
    let target = tempfile::tempdir().unwrap();
    let dir = target.path().join("restored");
    restore(&dir, &bytes[..]).unwrap();
    let restored = reopen(&dir).unwrap();
    let next = restored.next_id().unwrap();
    assert!(
        next > highest,
        "id {next} was handed out before, up to {highest}"
    );
}

#[test]
fn a_damaged_or_truncated_snapshot_is_refused_and_leaves_nothing() {
    let (_dir, store) = filled();
    let bytes = snapshot(&store);
    let target = tempfile::tempdir().unwrap();
    let mut flipped = bytes.clone();
    let middle = bytes.len() / 2;
    flipped[middle] ^= 0x40;
    let cases: [(&str, &[u8]); 4] = [
        ("truncated", &bytes[..bytes.len() - 3]),
        ("flipped", &flipped),
        ("not a snapshot", b"PK\x03\x04 a zip file, not a snapshot"),
        ("empty", b""),
    ];
    for (name, input) in cases {
        let dir = target.path().join(name);
        let err = restore(&dir, input).unwrap_err();
        assert!(
            matches!(err, RestoreError::Invalid(_)),
            "{name}: expected Invalid, got {err:?}"
        );
        assert!(
            !dir.exists(),
            "{name}: a failed restore must remove what it created"
        );
    }
}

#[test]
fn a_non_empty_directory_is_refused_untouched() {
    let (_dir, store) = filled();
    let bytes = snapshot(&store);
    let target = tempfile::tempdir().unwrap();
    std::fs::write(target.path().join("secret.key"), "keep me").unwrap();
    let err = restore(target.path(), &bytes[..]).unwrap_err();
    assert!(matches!(err, RestoreError::NotEmpty { .. }), "{err:?}");
    assert!(err.to_string().contains("empty"), "{err}");
    let names: Vec<_> = std::fs::read_dir(target.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["secret.key"]);
}

#[test]
fn a_snapshot_from_a_newer_schema_is_refused() {
    let (_dir, store) = filled();
    let mut bytes = snapshot(&store);
    bytes[10..14].copy_from_slice(&(SCHEMA_VERSION + 1).to_be_bytes());
    let target = tempfile::tempdir().unwrap();
    let err = restore(&target.path().join("d"), &bytes[..]).unwrap_err();
    assert!(
        matches!(
            err,
            RestoreError::TooNew {
                what: "schema version",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn a_snapshot_taken_during_writes_holds_whole_batches_only() {
    // Each batch writes message n together with a counter total of n. The snapshot copies the
    // counters tree before the messages tree, so without the write gate a batch landing in
    // between would show up in one and not the other.
    let (_dir, store) = temp_store();
    store.insert_provider(&provider(7, "p")).unwrap();
    let writer = {
        let store = store.clone();
        std::thread::spawn(move || {
            for n in 1..=3_000u64 {
                let counters = DayCounters {
                    sent: n,
                    ..DayCounters::default()
                };
                store
                    .commit(&Writes {
                        messages: vec![message(100 + n, 7, &format!("+1555000{n:04}"))],
                        counters: vec![(7, 19_000, counters)],
                    })
                    .unwrap();
            }
        })
    };
    let target = tempfile::tempdir().unwrap();
    let mut taken = 0;
    while (!writer.is_finished() && taken < 20) || taken == 0 {
        let bytes = snapshot(&store);
        let dir = target.path().join(taken.to_string());
        restore(&dir, &bytes[..]).unwrap();
        let restored = reopen(&dir).unwrap();
        let sent = restored.day_counters(7, 19_000).unwrap().sent;
        let messages = restored.messages.len() as u64;
        assert_eq!(sent, messages, "snapshot {taken} holds part of a batch");
        taken += 1;
    }
    writer.join().unwrap();
}

#[test]
fn an_interrupted_restore_is_never_taken_for_a_store() {
    // What a restore killed half-way leaves: the staging directory and no db.
    let target = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(target.path().join(RESTORING).join("db")).unwrap();
    let err = Store::open(target.path()).unwrap_err();
    assert!(
        matches!(err, StoreError::InterruptedRestore { .. }),
        "{err:?}"
    );
    assert!(!target.path().join("db").exists());
}

#[test]
fn a_failed_restore_removes_only_what_it_created() {
    let target = tempfile::tempdir().unwrap();
    let dir = target.path().join("data");
    // A directory it created is removed again.
    let err = restore(&dir, &b"TERNSNAP"[..]).unwrap_err();
    assert!(matches!(err, RestoreError::Invalid(_)), "{err:?}");
    assert!(!dir.exists());
    // Someone else's staging directory is never touched.
    std::fs::create_dir(&dir).unwrap();
    std::fs::create_dir(dir.join(RESTORING)).unwrap();
    std::fs::write(dir.join(RESTORING).join("marker"), "another restore").unwrap();
    let err = restore(&dir, &b"TERNSNAP"[..]).unwrap_err();
    assert!(matches!(err, RestoreError::NotEmpty { .. }), "{err:?}");
    assert!(dir.join(RESTORING).join("marker").exists());
}
