//! How records and keys become bytes.
//!
//! Values: one format-version byte, then bincode 2 (standard config, varint integers), so a
//! later release can recognise old values and migrate them. Keys: big-endian integers, so
//! sled's byte order is numeric order and range scans come out sorted.

use bincode::de::{Decode, Decoder};
use bincode::enc::{Encode, Encoder};
use bincode::error::{DecodeError, EncodeError};

use super::error::StoreError;
use super::records::{ProviderRecord, ProviderState};

/// The format version written in front of every value by this build.
pub(super) const FORMAT_V1: u8 = 1;

/// Upper bound on the size a decoded value may claim, so a damaged length prefix cannot make
/// the decoder allocate gigabytes.
const MAX_VALUE_BYTES: usize = 16 << 20;

/// The bincode configuration shared by every value, with the allocation limit above.
fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<MAX_VALUE_BYTES>()
}

/// Encodes `value` behind the current format-version byte; `what` names it in errors.
pub(super) fn encode<T: Encode>(what: &'static str, value: &T) -> Result<Vec<u8>, StoreError> {
    let mut out = vec![FORMAT_V1];
    bincode::encode_into_std_write(value, &mut out, config()).map_err(|err| {
        StoreError::Encode {
            what,
            detail: err.to_string(),
        }
    })?;
    Ok(out)
}

/// Decodes a value written by [`encode`], refusing unknown versions and trailing bytes so
/// damage is reported instead of silently misread.
pub(super) fn decode<T: Decode<()>>(what: &'static str, bytes: &[u8]) -> Result<T, StoreError> {
    let Some((&version, body)) = bytes.split_first() else {
        return Err(StoreError::Corrupt {
            what,
            detail: "the value is empty".into(),
        });
    };
    if version > FORMAT_V1 {
        return Err(StoreError::UnknownFormat { what, version });
    }
    if version != FORMAT_V1 {
        return Err(StoreError::Corrupt {
            what,
            detail: format!("invalid format version {version}"),
        });
    }
    let (value, used) =
        bincode::decode_from_slice(body, config()).map_err(|err| StoreError::Corrupt {
            what,
            detail: err.to_string(),
        })?;
    if used != body.len() {
        return Err(StoreError::Corrupt {
            what,
            detail: format!("{} unexpected trailing bytes", body.len() - used),
        });
    }
    Ok(value)
}

/// The key of an id-keyed record: the id big-endian, so ids iterate in numeric order.
pub(super) fn id_key(id: u64) -> [u8; 8] {
    id.to_be_bytes()
}

/// Reads an id from the first 8 bytes of a key or index value.
pub(super) fn read_id(what: &'static str, bytes: &[u8]) -> Result<u64, StoreError> {
    bytes
        .get(..8)
        .and_then(|head| <[u8; 8]>::try_from(head).ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| StoreError::Corrupt {
            what,
            detail: format!("expected at least 8 bytes, found {}", bytes.len()),
        })
}

/// Flipping the sign bit maps i32 order onto unsigned byte order: day -1 sorts before day 0.
const SIGN_FLIP: u32 = 0x8000_0000;

/// The 4 key bytes of a day (days since the Unix epoch), ordered like the days themselves.
pub(super) fn day_bytes(day: i32) -> [u8; 4] {
    ((day as u32) ^ SIGN_FLIP).to_be_bytes()
}

/// The key of one provider's counters for one day: provider id, then day, both big-endian.
pub(super) fn counter_key(provider_id: u64, day: i32) -> [u8; 12] {
    let mut key = [0u8; 12];
    key[..8].copy_from_slice(&id_key(provider_id));
    key[8..].copy_from_slice(&day_bytes(day));
    key
}

/// The day in a key made by [`counter_key`].
pub(super) fn counter_key_day(key: &[u8]) -> Result<i32, StoreError> {
    let bytes =
        <[u8; 4]>::try_from(key.get(8..).unwrap_or_default()).map_err(|_| StoreError::Corrupt {
            what: "counter key",
            detail: format!("expected 12 bytes, found {}", key.len()),
        })?;
    Ok((u32::from_be_bytes(bytes) ^ SIGN_FLIP) as i32)
}

/// A key scoped to one provider: its id big-endian, then `suffix`, so one provider's entries
/// are one prefix scan (used by messages and recipients).
pub(super) fn provider_key(provider_id: u64, suffix: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(8 + suffix.len());
    key.extend_from_slice(&id_key(provider_id));
    key.extend_from_slice(suffix);
    key
}

/// bincode cannot round-trip `serde_json::Value` (it needs a self-describing format), so the
/// config travels as a JSON string in the middle of the otherwise positional record.
impl Encode for ProviderRecord {
    fn encode<E: Encoder>(&self, encoder: &mut E) -> Result<(), EncodeError> {
        let config = serde_json::to_string(&self.config)
            .map_err(|err| EncodeError::OtherString(format!("provider config: {err}")))?;
        self.id.encode(encoder)?;
        self.name.encode(encoder)?;
        self.plugin.encode(encoder)?;
        config.encode(encoder)?;
        self.secrets.encode(encoder)?;
        self.callbacks.encode(encoder)?;
        self.state.encode(encoder)?;
        self.callback_token.encode(encoder)?;
        self.created_at.encode(encoder)?;
        self.updated_at.encode(encoder)?;
        self.archived_at.encode(encoder)
    }
}

/// The mirror of the `Encode` impl above, field for field.
impl<Context> Decode<Context> for ProviderRecord {
    fn decode<D: Decoder<Context = Context>>(decoder: &mut D) -> Result<Self, DecodeError> {
        let id = Decode::decode(decoder)?;
        let name = Decode::decode(decoder)?;
        let plugin = Decode::decode(decoder)?;
        let config: String = Decode::decode(decoder)?;
        let config = serde_json::from_str(&config)
            .map_err(|err| DecodeError::OtherString(format!("provider config: {err}")))?;
        Ok(ProviderRecord {
            id,
            name,
            plugin,
            config,
            secrets: Decode::decode(decoder)?,
            callbacks: Decode::decode(decoder)?,
            state: <ProviderState as Decode<Context>>::decode(decoder)?,
            callback_token: Decode::decode(decoder)?,
            created_at: Decode::decode(decoder)?,
            updated_at: Decode::decode(decoder)?,
            archived_at: Decode::decode(decoder)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_keys_sort_like_days() {
        let days = [i32::MIN, -365, -1, 0, 1, 20_000, i32::MAX];
        let keys: Vec<_> = days.iter().map(|&d| counter_key(7, d)).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "keys out of order");
        for (&day, key) in days.iter().zip(&keys) {
            assert_eq!(counter_key_day(key).ok(), Some(day));
        }
        // Provider id dominates: provider 7's last day sorts before provider 8's first.
        assert!(counter_key(7, i32::MAX) < counter_key(8, i32::MIN));
    }

    #[test]
    fn decode_refuses_damage() {
        let bytes = encode("number", &42u64).expect("encode");
        assert_eq!(decode::<u64>("number", &bytes).ok(), Some(42));
        assert!(matches!(
            decode::<u64>("number", &[]),
            Err(StoreError::Corrupt { .. })
        ));
        let mut newer = bytes.clone();
        newer[0] = FORMAT_V1 + 1;
        assert!(matches!(
            decode::<u64>("number", &newer),
            Err(StoreError::UnknownFormat { version: 2, .. })
        ));
        let mut trailing = bytes;
        trailing.push(0);
        assert!(matches!(
            decode::<u64>("number", &trailing),
            Err(StoreError::Corrupt { .. })
        ));
    }

    #[test]
    fn read_id_needs_eight_bytes() {
        assert_eq!(read_id("id", &id_key(9)).ok(), Some(9));
        assert!(read_id("id", &[1, 2, 3]).is_err());
    }
}
