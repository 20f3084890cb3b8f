//! Tests of message records and their indexes.

use crate::store::test_util::{message, provider, temp_store};
use crate::store::{EventKind, MessageEvent, StoreError};

#[test]
fn messages_are_found_by_provider_id_and_by_our_id() {
    let (_dir, store) = temp_store();
    store.insert_provider(&provider(1, "a")).expect("insert");
    let mut sent = message(100, 1, "+15550001");
    sent.campaign_id = Some(7);
    store.put_message(&sent).expect("put");

    assert_eq!(
        store.message_by_provider_id(1, "pm-100").expect("read"),
        Some(sent.clone())
    );
    assert_eq!(
        store.message_by_provider_id(2, "pm-100").expect("read"),
        None
    );
    assert_eq!(store.message(100).expect("by id"), Some(sent.clone()));
    assert_eq!(store.message(101).expect("by id"), None);

    // An update records an event and its flag.
    sent.flags |= EventKind::Delivered.flag();
    sent.events.push(MessageEvent {
        kind: EventKind::Delivered,
        at: 9_000,
        error_code: None,
    });
    store.put_message(&sent).expect("update");
    let stored = store.message(100).expect("by id").expect("exists");
    assert!(stored.has(EventKind::Delivered));
    assert!(!stored.has(EventKind::Failed));
    assert_eq!(stored, sent);
}

#[test]
fn replies_are_attributed_to_the_newest_message() {
    let (_dir, store) = temp_store();
    store.insert_provider(&provider(1, "a")).expect("insert");
    let old = message(10, 1, "+15550001");
    let new = message(11, 1, "+15550001");
    store.put_message(&old).expect("old");
    store.put_message(&new).expect("new");
    assert_eq!(
        store.last_message_to(1, "+15550001").expect("last"),
        Some(new.clone())
    );

    // Updating the older message does not move the attribution back.
    let mut updated = old;
    updated.flags = EventKind::Failed.flag();
    store.put_message(&updated).expect("update old");
    assert_eq!(
        store.last_message_to(1, "+15550001").expect("last"),
        Some(new)
    );
    assert_eq!(store.last_message_to(1, "+15550002").expect("none"), None);
}

#[test]
fn indexes_follow_a_changed_key() {
    let (_dir, store) = temp_store();
    store.insert_provider(&provider(1, "a")).expect("insert");
    let mut moved = message(10, 1, "+1");
    store.put_message(&moved).expect("put");
    moved.provider_message_id = "pm-new".into();
    store.put_message(&moved).expect("move");
    assert_eq!(store.message_by_provider_id(1, "pm-10").expect("old"), None);
    assert_eq!(store.message(10).expect("by id"), Some(moved));

    // Another message taking an existing key drops the first one's by-id entry.
    let mut clash = message(11, 1, "+2");
    clash.provider_message_id = "pm-new".into();
    store.put_message(&clash).expect("clash");
    assert_eq!(store.message(10).expect("by id"), None);
    assert_eq!(store.message(11).expect("by id"), Some(clash));
}

#[test]
fn messages_need_an_existing_provider() {
    let (_dir, store) = temp_store();
    let err = store
        .put_message(&message(1, 5, "+1"))
        .expect_err("no provider");
    assert!(matches!(err, StoreError::NotFound { id: 5, .. }));
    assert_eq!(store.message(1).expect("by id"), None);
}
