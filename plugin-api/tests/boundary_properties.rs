//! Property tests of the host side of the JSON boundary: whatever bytes a plugin writes, with
//! whatever status, the host never panics and gets either the call's document or a typed
//! error matching the status.

#![cfg(feature = "host")]

use proptest::prelude::*;
use serde::de::DeserializeOwned;
use tern_plugin_api::abi::{
    STATUS_BAD_INPUT, STATUS_ERROR, STATUS_OK, STATUS_PANIC, STATUS_UNSUPPORTED,
};
use tern_plugin_api::host::{CallError, Function, OUTPUT_LIMIT, decode_answer};
use tern_plugin_api::{CallbackOutcome, ConfigReport, HttpRequest, Manifest, SendOutcome};

/// Bytes a plugin might write: raw noise, or text close to JSON so the decoder gets past the
/// first byte.
fn written() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..256),
        proptest::collection::vec(
            prop::sample::select(&b"{}[]\":,0-1.e nulltruefalse\\u\xff\x00abc"[..]),
            0..64,
        ),
        Just(br#"{"code":"malformed","message":"m"}"#.to_vec()),
    ]
}

/// Checks one decode against the status it came with.
fn check<Out: DeserializeOwned + std::fmt::Debug>(
    function: Function,
    status: i32,
    bytes: &[u8],
) -> Result<(), TestCaseError> {
    match decode_answer::<Out>(function, status, Ok(bytes.to_vec())) {
        Ok(_) => {
            prop_assert_eq!(status, STATUS_OK);
            prop_assert!(serde_json::from_slice::<serde_json::Value>(bytes).is_ok());
        }
        Err(err) => match status {
            STATUS_OK => prop_assert!(matches!(err, CallError::InvalidOutput(_)), "{err:?}"),
            STATUS_ERROR => prop_assert!(matches!(err, CallError::Failed(_)), "{err:?}"),
            STATUS_PANIC => prop_assert!(matches!(err, CallError::Panicked(_)), "{err:?}"),
            STATUS_BAD_INPUT => prop_assert!(matches!(err, CallError::BadInput(_)), "{err:?}"),
            STATUS_UNSUPPORTED => {
                prop_assert!(matches!(err, CallError::Unsupported(_)), "{err:?}")
            }
            other => prop_assert_eq!(err, CallError::UnknownStatus(other)),
        },
    }
    // Too much output is refused whatever the status, before the bytes are looked at.
    let over = decode_answer::<Out>(function, status, Err(OUTPUT_LIMIT + 1));
    prop_assert!(matches!(over, Err(CallError::InvalidOutput(_))), "{over:?}");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_bytes_with_any_status_decode_or_give_a_typed_error(
        status in prop_oneof![0..6i32, any::<i32>()],
        bytes in written(),
    ) {
        check::<Manifest>(Function::Manifest, status, &bytes)?;
        check::<ConfigReport>(Function::ValidateConfig, status, &bytes)?;
        check::<HttpRequest>(Function::BuildSend, status, &bytes)?;
        check::<SendOutcome>(Function::ParseSendResponse, status, &bytes)?;
        check::<CallbackOutcome>(Function::ParseCallback, status, &bytes)?;
    }
}
