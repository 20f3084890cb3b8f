//! Tests of provider records, names, the default and the lifecycle operations.

use crate::store::test_util::{campaign, provider, temp_store};
use crate::store::{
    CampaignState, Entity, ProviderState, STOP_PROVIDER_ARCHIVED, STOP_PROVIDER_DELETED, StoreError,
};

#[test]
fn providers_round_trip_in_id_order() {
    let (_dir, store) = temp_store();
    for (id, name) in [(300, "c"), (2, "a"), (1 << 40, "d"), (20, "b")] {
        store.insert_provider(&provider(id, name)).expect("insert");
    }
    assert_eq!(store.provider(2).expect("read"), Some(provider(2, "a")));
    assert_eq!(store.provider(3).expect("read"), None);
    let ids: Vec<u64> = store
        .providers()
        .expect("list")
        .iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(ids, vec![2, 20, 300, 1 << 40]);
    assert_eq!(store.provider_id_by_name("c").expect("by name"), Some(300));
    assert_eq!(store.provider_id_by_name("zz").expect("by name"), None);
}

#[test]
fn names_are_unique_and_ids_not_reused() {
    let (_dir, store) = temp_store();
    store.insert_provider(&provider(1, "a")).expect("insert");
    let err = store
        .insert_provider(&provider(2, "a"))
        .expect_err("same name");
    assert!(matches!(&err, StoreError::NameTaken { name } if name == "a"));
    assert!(err.to_string().contains("choose another name"), "{err}");
    assert_eq!(store.provider(2).expect("read"), None, "nothing written");

    let err = store
        .insert_provider(&provider(1, "b"))
        .expect_err("same id");
    assert!(matches!(
        err,
        StoreError::Duplicate {
            entity: Entity::Provider,
            id: 1
        }
    ));
    assert_eq!(store.provider_id_by_name("b").expect("by name"), None);
}

#[test]
fn update_rewrites_and_moves_the_name() {
    let (_dir, store) = temp_store();
    store.insert_provider(&provider(1, "a")).expect("insert a");
    store.insert_provider(&provider(2, "b")).expect("insert b");

    let mut edited = provider(1, "renamed");
    edited
        .config
        .insert("from".into(), serde_json::json!("+15550001"));
    edited.secrets.insert("api_key".into(), vec![9; 40]);
    edited.updated_at = 5_000;
    store.update_provider(&edited).expect("update");
    assert_eq!(store.provider(1).expect("read"), Some(edited.clone()));
    assert_eq!(store.provider_id_by_name("renamed").expect("new"), Some(1));
    assert_eq!(store.provider_id_by_name("a").expect("old"), None);

    // The old name is free again.
    store
        .insert_provider(&provider(3, "a"))
        .expect("reuse old name");

    let err = store
        .update_provider(&provider(1, "b"))
        .expect_err("taken by 2");
    assert!(matches!(err, StoreError::NameTaken { .. }));
    assert_eq!(store.provider(1).expect("read"), Some(edited), "unchanged");

    let err = store
        .update_provider(&provider(9, "nine"))
        .expect_err("missing");
    assert!(matches!(
        err,
        StoreError::NotFound {
            entity: Entity::Provider,
            id: 9
        }
    ));
    assert_eq!(store.provider_id_by_name("nine").expect("by name"), None);
}

#[test]
fn update_cannot_change_the_state() {
    let (_dir, store) = temp_store();
    store.insert_provider(&provider(1, "a")).expect("insert");
    let mut archived = provider(1, "a");
    archived.state = ProviderState::Archived;
    archived.archived_at = Some(7);
    let err = store
        .update_provider(&archived)
        .expect_err("archive by edit");
    assert!(matches!(err, StoreError::StateChange { id: 1 }));

    store.archive_provider(1, 9_000).expect("archive");
    let err = store
        .update_provider(&provider(1, "a"))
        .expect_err("revive by edit");
    assert!(matches!(err, StoreError::Archived { id: 1 }));

    // Editing an archived provider without touching its state is allowed.
    let mut renamed = store.provider(1).expect("read").expect("exists");
    renamed.name = "old a".into();
    store.update_provider(&renamed).expect("rename archived");
}

#[test]
fn exactly_one_default_or_none() {
    let (_dir, store) = temp_store();
    assert_eq!(store.default_provider().expect("read"), None);
    let err = store.set_default(1).expect_err("missing");
    assert!(matches!(err, StoreError::NotFound { id: 1, .. }));

    store.insert_provider(&provider(1, "a")).expect("insert a");
    store.insert_provider(&provider(2, "b")).expect("insert b");
    store.set_default(1).expect("default a");
    store.set_default(2).expect("default b");
    assert_eq!(store.default_provider().expect("read"), Some(2));
    store.clear_default().expect("clear");
    assert_eq!(store.default_provider().expect("read"), None);

    store.archive_provider(1, 10).expect("archive a");
    let err = store.set_default(1).expect_err("archived");
    assert!(matches!(err, StoreError::Archived { id: 1 }));
    assert_eq!(store.default_provider().expect("read"), None);
}

#[test]
fn archive_stops_campaigns_and_clears_the_default() {
    let (_dir, store) = temp_store();
    store.insert_provider(&provider(1, "a")).expect("insert a");
    store.insert_provider(&provider(2, "b")).expect("insert b");
    store.set_default(1).expect("default");
    for (id, provider_id) in [(10, 1), (11, 1), (12, 2), (13, 1)] {
        store
            .insert_campaign(&campaign(id, provider_id))
            .expect("campaign");
    }
    store.stop_campaign(13, "manual").expect("stop 13");

    let (record, stopped) = store.archive_provider(1, 50_000).expect("archive");
    assert_eq!(record.state, ProviderState::Archived);
    assert_eq!(record.archived_at, Some(50_000));
    assert_eq!(record.updated_at, 50_000);
    assert_eq!(store.provider(1).expect("read"), Some(record));
    assert_eq!(stopped, vec![10, 11]);
    assert_eq!(store.default_provider().expect("default"), None);

    for id in [10, 11] {
        let c = store.campaign(id).expect("read").expect("exists");
        assert_eq!(c.state, CampaignState::Stopped);
        assert_eq!(c.stop_reason.as_deref(), Some(STOP_PROVIDER_ARCHIVED));
    }
    let manual = store.campaign(13).expect("read").expect("exists");
    assert_eq!(manual.stop_reason.as_deref(), Some("manual"), "untouched");
    let other = store.campaign(12).expect("read").expect("exists");
    assert_eq!(other.state, CampaignState::Active, "other provider's");

    let err = store.archive_provider(1, 60_000).expect_err("twice");
    assert!(matches!(err, StoreError::AlreadyArchived { id: 1 }));
    let err = store.archive_provider(7, 60_000).expect_err("missing");
    assert!(matches!(err, StoreError::NotFound { id: 7, .. }));
}

#[test]
fn archive_keeps_another_default() {
    let (_dir, store) = temp_store();
    store.insert_provider(&provider(1, "a")).expect("insert a");
    store.insert_provider(&provider(2, "b")).expect("insert b");
    store.set_default(2).expect("default");
    store.archive_provider(1, 1).expect("archive");
    assert_eq!(store.default_provider().expect("default"), Some(2));
}

#[test]
fn delete_removes_the_provider_and_schedules_a_purge() {
    let (_dir, store) = temp_store();
    store.insert_provider(&provider(1, "a")).expect("insert a");
    store.insert_provider(&provider(2, "b")).expect("insert b");
    store.set_default(1).expect("default");
    store.insert_campaign(&campaign(10, 1)).expect("campaign");
    store.insert_campaign(&campaign(11, 2)).expect("campaign");

    let stopped = store.delete_provider(1).expect("delete");
    assert_eq!(stopped, vec![10]);
    assert_eq!(store.provider(1).expect("read"), None);
    assert_eq!(store.provider_id_by_name("a").expect("name"), None);
    assert_eq!(store.default_provider().expect("default"), None);
    assert_eq!(store.pending_purges().expect("purges"), 1);
    let c = store.campaign(10).expect("read").expect("kept, stopped");
    assert_eq!(c.state, CampaignState::Stopped);
    assert_eq!(c.stop_reason.as_deref(), Some(STOP_PROVIDER_DELETED));
    assert_eq!(
        store.campaign(11).expect("read").expect("exists").state,
        CampaignState::Active
    );

    // The name can be used again; the deleted provider cannot be deleted twice.
    store
        .insert_provider(&provider(3, "a"))
        .expect("reuse name");
    let err = store.delete_provider(1).expect_err("twice");
    assert!(matches!(err, StoreError::NotFound { id: 1, .. }));
}

#[test]
fn archived_providers_can_be_deleted() {
    let (_dir, store) = temp_store();
    store.insert_provider(&provider(1, "a")).expect("insert");
    store.insert_campaign(&campaign(10, 1)).expect("campaign");
    store.archive_provider(1, 5).expect("archive");
    assert_eq!(store.delete_provider(1).expect("delete"), Vec::<u64>::new());
    assert_eq!(store.providers().expect("list"), vec![]);
}

#[test]
fn debug_output_hides_the_callback_token_and_ciphertext() {
    let record = provider(1, "a");
    let shown = format!("{record:?}");
    assert!(!shown.contains("token-1"), "{shown}");
    assert!(
        shown.contains("auth_token") && !shown.contains("[1, 2, 3, 4]"),
        "{shown}"
    );
}
