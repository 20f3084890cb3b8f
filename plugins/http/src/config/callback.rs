//! The callback half of the configuration: format, field mapping, signature and reply.

use super::Reader;
use crate::callback::mapped::{self, FieldRef, Mapping};
use crate::callback::{CallbackConfig, CallbackFormat};
use crate::escape;
use crate::manifest::field;
use crate::signature::{Encoding, SignatureCheck};

/// Reads the callback fields, recording problems in `reader`. Mapping fields are read only
/// for the mapped format, so switching formats never strands an admin on a stale field.
pub(super) fn read(reader: &mut Reader<'_>) -> Option<CallbackConfig> {
    let format = match reader.select(field::CALLBACK_FORMAT).as_deref() {
        Some("mapped") => read_mapping(reader).map(CallbackFormat::Mapped),
        Some(_) => Some(CallbackFormat::CleverTap),
        None => None,
    };
    let signature = read_signature(reader);
    let reply = reader.value(field::CALLBACK_REPLY);
    Some(CallbackConfig {
        format: format?,
        signature: signature?,
        reply,
    })
}

fn read_mapping(reader: &mut Reader<'_>) -> Option<Mapping> {
    const WHY: &str = " for the mapped callback format";
    let id = reader
        .required(field::CALLBACK_ID_FIELD, WHY)
        .and_then(|text| reader.check(field::CALLBACK_ID_FIELD, FieldRef::parse(&text)));
    let status = reader
        .required(field::CALLBACK_STATUS_FIELD, WHY)
        .and_then(|text| reader.check(field::CALLBACK_STATUS_FIELD, FieldRef::parse(&text)));
    let error_text = reader.value(field::CALLBACK_ERROR_FIELD);
    let error = if error_text.trim().is_empty() {
        Some(None)
    } else {
        reader
            .check(field::CALLBACK_ERROR_FIELD, FieldRef::parse(&error_text))
            .map(Some)
    };
    let delivered = mapped::parse_values(&reader.value(field::CALLBACK_DELIVERED_VALUES));
    let failed = mapped::parse_values(&reader.value(field::CALLBACK_FAILED_VALUES));
    let mut values_ok = true;
    if delivered.is_empty() && failed.is_empty() {
        reader.fail(
            field::CALLBACK_DELIVERED_VALUES,
            "list at least one status value that means delivered or failed",
        );
        values_ok = false;
    }
    for value in delivered.iter().filter(|v| failed.contains(v)) {
        reader.fail(
            field::CALLBACK_FAILED_VALUES,
            format!("{value:?} is listed as both delivered and failed"),
        );
        values_ok = false;
    }
    Some(Mapping {
        id: id?,
        status: status?,
        error: error?,
        delivered: values_ok.then_some(delivered)?,
        failed,
    })
}

/// `Some(None)`: no secret, no check. `None`: a problem was recorded.
fn read_signature(reader: &mut Reader<'_>) -> Option<Option<SignatureCheck>> {
    let header = reader
        .value(field::CALLBACK_SIGNATURE_HEADER)
        .trim()
        .to_owned();
    let header_ok = escape::is_token(&header);
    if !header_ok {
        reader.fail(
            field::CALLBACK_SIGNATURE_HEADER,
            format!("{header:?} is not a valid header name"),
        );
    }
    let encoding = reader
        .select(field::CALLBACK_SIGNATURE_ENCODING)
        .map(|e| match e.as_str() {
            "base64" => Encoding::Base64,
            _ => Encoding::Hex,
        });
    let secret = reader.value(field::CALLBACK_SECRET);
    let encoding = encoding?;
    header_ok.then(|| (!secret.is_empty()).then(|| SignatureCheck::new(secret, header, encoding)))
}
