//! Tests of opening, locking, schema checks, ids and flushing.

use super::test_util::{provider, reopen, temp_store};
use super::*;

#[test]
fn store_is_cheap_to_share() {
    fn assert_traits<T: Clone + Send + Sync + 'static>() {}
    assert_traits::<Store>();
}

#[test]
fn data_survives_reopen() {
    let (dir, store) = temp_store();
    store.insert_provider(&provider(1, "a")).expect("insert");
    store.set_default(1).expect("default");
    let before = store.next_id().expect("id");
    drop(store);

    let store = reopen(dir.path()).expect("reopen");
    assert_eq!(store.provider(1).expect("read"), Some(provider(1, "a")));
    assert_eq!(store.default_provider().expect("default"), Some(1));
    assert!(
        store.next_id().expect("id") > before,
        "ids must keep growing"
    );
}

#[test]
fn ids_grow_and_are_never_zero() {
    let (_dir, store) = temp_store();
    let first = store.next_id().expect("id");
    let second = store.next_id().expect("id");
    assert!(first >= 1);
    assert!(second > first);
}

#[test]
fn second_open_of_the_same_directory_is_locked() {
    let (dir, store) = temp_store();
    let err = Store::open(dir.path()).expect_err("second open must fail");
    match &err {
        StoreError::Locked { path } => assert_eq!(path, &dir.path().join("db")),
        other => panic!("expected Locked, got {other:?}"),
    }
    assert!(err.to_string().contains("another ternd"), "{err}");
    // The first handle keeps working after the refused open.
    store.insert_provider(&provider(1, "a")).expect("insert");
}

#[test]
fn schema_version_is_recorded_and_newer_schemas_refused() {
    let (dir, store) = temp_store();
    let stored = store
        .meta
        .get(META_SCHEMA)
        .expect("read")
        .expect("recorded");
    assert_eq!(
        codec::decode::<u32>("v", &stored).ok(),
        Some(SCHEMA_VERSION)
    );

    let newer = codec::encode("v", &(SCHEMA_VERSION + 1)).expect("encode");
    store.meta.insert(META_SCHEMA, newer).expect("write");
    store.db.flush().expect("flush");
    drop(store);

    match reopen(dir.path()) {
        Err(StoreError::SchemaTooNew { found, supported }) => {
            assert_eq!((found, supported), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

#[test]
fn undecodable_records_are_reported_not_panicked_on() {
    let (_dir, store) = temp_store();
    store
        .providers
        .insert(codec::id_key(5), &[codec::FORMAT_V1, 0xff, 0xff][..])
        .expect("write");
    assert!(matches!(store.provider(5), Err(StoreError::Corrupt { .. })));
    assert!(matches!(store.providers(), Err(StoreError::Corrupt { .. })));
}

#[tokio::test]
async fn flush_persists_writes() {
    let (dir, store) = temp_store();
    store.insert_provider(&provider(1, "a")).expect("insert");
    store.flush().await.expect("flush");
    drop(store);
    let store = reopen(dir.path()).expect("reopen");
    assert!(store.provider(1).expect("read").is_some());
}
