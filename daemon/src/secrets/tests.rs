//! Tests of sealing, opening, tokens and the key file.

use super::*;

#[cfg(unix)]
use std::os::unix::fs::PermissionsExt;

fn key(byte: u8) -> SecretKey {
    SecretKey::from_bytes([byte; KEY_LEN])
}

#[test]
fn sealed_values_round_trip() {
    let key = key(7);
    for plaintext in ["", "s3cr3t", "ünïcödé 🔑", &"x".repeat(10_000)] {
        let sealed = key.seal("auth_token", plaintext);
        assert_eq!(sealed[0], SEAL_V1);
        assert_eq!(sealed.len(), 1 + NONCE_LEN + plaintext.len() + TAG_LEN);
        assert_eq!(key.open("auth_token", &sealed).expect("open"), plaintext);
    }
}

#[test]
fn sealing_twice_gives_different_bytes() {
    let key = key(7);
    assert_ne!(key.seal("f", "same"), key.seal("f", "same"));
}

#[test]
fn another_key_is_refused_as_wrong_key() {
    let sealed = key(1).seal("auth_token", "s3cr3t");
    let err = key(2).open("auth_token", &sealed).expect_err("wrong key");
    assert!(matches!(err, SecretError::WrongKey));
    let message = err.to_string();
    assert!(
        message.contains("secret.key") && message.contains("re-enter"),
        "{message}"
    );
}

#[test]
fn another_field_is_refused() {
    let key = key(1);
    let sealed = key.seal("auth_token", "s3cr3t");
    assert!(key.open("api_key", &sealed).is_err());
}

#[test]
fn every_tampered_byte_is_refused() {
    let key = key(1);
    let sealed = key.seal("auth_token", "s3cr3t");
    for i in 0..sealed.len() {
        let mut tampered = sealed.clone();
        tampered[i] ^= 0x01;
        assert!(key.open("auth_token", &tampered).is_err(), "byte {i}");
    }
}

#[test]
fn truncated_values_are_malformed() {
    let key = key(1);
    let sealed = key.seal("auth_token", "s3cr3t");
    for len in [0, 1, NONCE_LEN, NONCE_LEN + TAG_LEN] {
        let err = key.open("auth_token", &sealed[..len]).expect_err("short");
        assert!(
            matches!(err, SecretError::Malformed { .. }),
            "len {len}: {err:?}"
        );
    }
}

#[test]
fn nothing_secret_leaks_through_debug_or_errors() {
    let bytes = [0xabu8; KEY_LEN];
    let key = SecretKey::from_bytes(bytes);
    let debug = format!("{key:?}");
    assert_eq!(debug, "SecretKey(<redacted>)");
    let sealed = key.seal("auth_token", "hunter2");
    let err = SecretKey::from_bytes([0; KEY_LEN])
        .open("auth_token", &sealed)
        .expect_err("wrong key");
    let shown = format!("{err} {err:?}");
    assert!(
        !shown.contains("hunter2") && !shown.contains("abab"),
        "{shown}"
    );
}

#[test]
fn tokens_are_long_url_safe_and_unique() {
    let a = generate_token();
    let b = generate_token();
    assert_ne!(a, b);
    assert_eq!(a.len(), 43, "32 bytes in unpadded base64");
    assert!(
        a.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'),
        "{a}"
    );
}

#[test]
fn key_file_is_created_private_and_reloaded() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = SecretKey::load_or_create(dir.path()).expect("create");
    let path = dir.path().join(KEY_FILE);
    let text = fs::read_to_string(&path).expect("read key file");
    assert_eq!(text.len(), KEY_HEX_LEN + 1);
    assert!(text.ends_with('\n'));
    #[cfg(unix)]
    {
        let mode = fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // Only the key file is left: the staging file was removed.
    let names: Vec<_> = fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from(KEY_FILE)]);

    let second = SecretKey::load_or_create(dir.path()).expect("reload");
    let sealed = first.seal("auth_token", "s3cr3t");
    assert_eq!(
        second.open("auth_token", &sealed).expect("same key"),
        "s3cr3t"
    );
}

#[test]
fn key_file_accepts_uppercase_hex_without_newline() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(KEY_FILE);
    write_new_private(&path, "AB".repeat(KEY_LEN).as_bytes()).expect("write");
    let loaded = SecretKey::load_or_create(dir.path()).expect("load");
    let sealed = SecretKey::from_bytes([0xab; KEY_LEN]).seal("f", "v");
    assert_eq!(loaded.open("f", &sealed).expect("open"), "v");
}

#[test]
fn malformed_key_files_are_refused() {
    let cases: [&[u8]; 4] = [
        b"",
        b"abcd\n",
        &[b'a'; KEY_HEX_LEN + 2],
        b"zz00000000000000000000000000000000000000000000000000000000000000\n",
    ];
    for contents in cases {
        let dir = tempfile::tempdir().expect("temp dir");
        write_new_private(&dir.path().join(KEY_FILE), contents).expect("write");
        let err = SecretKey::load_or_create(dir.path()).expect_err("bad key file");
        assert!(matches!(err, SecretError::BadKeyFile { .. }), "{err:?}");
        assert!(err.to_string().contains("restore"), "{err}");
    }
}

#[cfg(unix)]
#[test]
fn key_file_readable_by_others_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    SecretKey::load_or_create(dir.path()).expect("create");
    let path = dir.path().join(KEY_FILE);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
    let err = SecretKey::load_or_create(dir.path()).expect_err("0644 refused");
    match &err {
        SecretError::Permissions { mode, .. } => assert_eq!(*mode, 0o644),
        other => panic!("expected Permissions, got {other:?}"),
    }
    assert!(err.to_string().contains("chmod 600"), "{err}");

    fs::set_permissions(&path, fs::Permissions::from_mode(0o400)).expect("chmod");
    SecretKey::load_or_create(dir.path()).expect("0400 is narrower than 0600");
}
