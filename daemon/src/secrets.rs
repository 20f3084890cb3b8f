//! Encryption of provider secrets at rest, and the random tokens ternd hands out.
//!
//! Secret config fields (API keys, auth tokens) are sealed with XChaCha20-Poly1305 under a
//! 32-byte key kept in `secret.key` in the data directory, so a copied database alone does
//! not reveal credentials. The field name is authenticated with each value, so a sealed
//! value cannot be moved to another field unnoticed.
//!
//! The key file holds the key as 64 hex characters and a newline: text survives being
//! copied into a password manager or a backup tool, where raw bytes often do not.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{Key, KeyInit, XChaCha20Poly1305, XNonce};
use zeroize::Zeroize;

/// Name of the key file inside the data directory.
pub const KEY_FILE: &str = "secret.key";

/// Key length in bytes (256 bits).
const KEY_LEN: usize = 32;
/// Key file length without its trailing newline: two hex digits per byte.
const KEY_HEX_LEN: usize = 2 * KEY_LEN;
/// Version byte in front of every sealed value, so the scheme can change later.
const SEAL_V1: u8 = 1;
/// XChaCha20's nonce is long enough to pick at random without fear of repeats.
const NONCE_LEN: usize = 24;
/// Poly1305 authentication tag length.
const TAG_LEN: usize = 16;

/// What can go wrong loading the key or opening a sealed value. No variant carries key
/// bytes or plaintext, so these errors are safe to log and show.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The key file or its directory could not be read or written.
    #[error(
        "cannot read or create the secret key file {path}: {source}; check that the data \
         directory exists and is readable and writable by the user ternd runs as"
    )]
    Io {
        /// The key file.
        path: PathBuf,
        /// What the operating system reported.
        #[source]
        source: io::Error,
    },

    /// The key file exists but does not hold a key.
    #[error(
        "the secret key file {path} is invalid ({reason}): it must hold exactly {KEY_HEX_LEN} \
         hex characters; restore the key file that belongs to this data directory from a \
         backup (without it the stored credentials cannot be decrypted)"
    )]
    BadKeyFile {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// The key file can be read by others than its owner.
    #[error(
        "the secret key file {path} has permissions {mode:04o}, wider than 0600; run \
         `chmod 600 {path}` and make sure the file belongs to the user ternd runs as"
    )]
    Permissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },

    /// Authentication failed: the value was sealed under another key (or altered).
    #[error(
        "the stored secrets were sealed with a different secret.key (or have been altered); \
         restore the key file that belongs to this data, or re-enter the credentials"
    )]
    WrongKey,

    /// The sealed value is too short or of an unknown format, so it was damaged in storage.
    #[error(
        "the stored secret for field {field:?} is damaged (truncated or of an unknown format); \
         re-enter the credentials"
    )]
    Malformed {
        /// The config field it belongs to.
        field: String,
    },
}

/// The key that seals provider secrets. `Debug` is redacted and the key bytes are wiped
/// from memory when it is dropped.
#[derive(Clone)]
pub struct SecretKey {
    cipher: XChaCha20Poly1305,
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

impl SecretKey {
    /// Loads `data_dir/secret.key`, or creates it with a fresh random key (mode 0600) on
    /// first start. Creation writes a temporary file, syncs it and hard-links it into place,
    /// which fails if the file appeared meanwhile: a race never overwrites a key and a
    /// crash never leaves a half-written one. Refuses a key file that is malformed or readable
    /// by group or others.
    pub fn load_or_create(data_dir: &Path) -> Result<SecretKey, SecretError> {
        let path = data_dir.join(KEY_FILE);
        match File::open(&path) {
            Ok(file) => return read_key_file(&path, file),
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(SecretError::Io { path, source }),
        }
        let mut key = [0u8; KEY_LEN];
        fill_random(&mut key);
        let created = create_key_file(data_dir, &path, &key);
        let result = match created {
            Ok(true) => Ok(SecretKey::from_bytes(key)),
            // Another process created it first: use theirs.
            Ok(false) => File::open(&path)
                .map_err(|source| SecretError::Io {
                    path: path.clone(),
                    source,
                })
                .and_then(|file| read_key_file(&path, file)),
            Err(source) => Err(SecretError::Io { path, source }),
        };
        key.zeroize();
        result
    }

    /// A key from raw bytes, for tests and tools that keep the key somewhere else.
    pub fn from_bytes(mut bytes: [u8; KEY_LEN]) -> SecretKey {
        let cipher = XChaCha20Poly1305::new(&Key::from(bytes));
        bytes.zeroize();
        SecretKey { cipher }
    }

    /// Seals `plaintext` as the value of config field `field`: version byte, random 24-byte
    /// nonce, ciphertext with tag. The field name is authenticated, so the result opens only
    /// under the same field name.
    ///
    /// # Panics
    ///
    /// If the operating system's random number generator fails, since continuing with a
    /// predictable nonce would expose the secret.
    pub fn seal(&self, field: &str, plaintext: &str) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce);
        let payload = Payload {
            msg: plaintext.as_bytes(),
            aad: field.as_bytes(),
        };
        let ciphertext = self
            .cipher
            .encrypt(&XNonce::from(nonce), payload)
            .expect("XChaCha20-Poly1305 only fails for messages of 256 GiB or more");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        out.push(SEAL_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        out
    }

    /// Opens a value made by [`SecretKey::seal`] for the same `field`. Fails with
    /// [`SecretError::WrongKey`] when authentication fails (another key, another field, or
    /// altered bytes: the cipher cannot tell these apart) and [`SecretError::Malformed`] when
    /// the value cannot even be parsed.
    pub fn open(&self, field: &str, sealed: &[u8]) -> Result<String, SecretError> {
        let malformed = || SecretError::Malformed {
            field: field.to_owned(),
        };
        let (&version, rest) = sealed.split_first().ok_or_else(malformed)?;
        if version != SEAL_V1 || rest.len() < NONCE_LEN + TAG_LEN {
            return Err(malformed());
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).map_err(|_| malformed())?;
        let payload = Payload {
            msg: ciphertext,
            aad: field.as_bytes(),
        };
        let plaintext = self
            .cipher
            .decrypt(&nonce, payload)
            .map_err(|_| SecretError::WrongKey)?;
        String::from_utf8(plaintext).map_err(|err| {
            err.into_bytes().zeroize();
            malformed()
        })
    }
}

/// A fresh unguessable token: 32 random bytes (256 bits), URL-safe base64 without padding,
/// so it can sit in a URL path or a bearer header as is. Used for callback URLs and the admin
/// token.
///
/// # Panics
///
/// If the operating system's random number generator fails.
pub fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    fill_random(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Fills `buf` from the operating system's random number generator.
fn fill_random(buf: &mut [u8]) {
    getrandom::fill(buf).expect(
        "the operating system's random number generator failed; ternd cannot create keys, \
         nonces or tokens safely without it",
    );
}

/// Checks the permissions of an opened key file, then reads and parses it. Checking the
/// opened file (not the path) means the file judged is the file read.
fn read_key_file(path: &Path, mut file: File) -> Result<SecretKey, SecretError> {
    let io_err = |source| SecretError::Io {
        path: path.to_owned(),
        source,
    };
    let meta = file.metadata().map_err(io_err)?;
    check_permissions(path, &meta)?;
    let bad = |reason: String| SecretError::BadKeyFile {
        path: path.to_owned(),
        reason,
    };
    if !meta.is_file() {
        return Err(bad("it is not a regular file".into()));
    }
    let mut text = Vec::with_capacity(KEY_HEX_LEN + 2);
    // Read a little more than a key needs, to tell "too long" apart without reading a
    // huge file into memory.
    Read::by_ref(&mut file)
        .take(KEY_HEX_LEN as u64 + 3)
        .read_to_end(&mut text)
        .map_err(io_err)?;
    let trimmed = text.trim_ascii_end();
    let parsed = if trimmed.len() == KEY_HEX_LEN {
        parse_hex(trimmed)
            .ok_or_else(|| bad("it contains characters that are not hex digits".into()))
    } else {
        Err(bad(format!(
            "it holds {} characters instead of {KEY_HEX_LEN}",
            trimmed.len()
        )))
    };
    text.zeroize();
    parsed.map(SecretKey::from_bytes)
}

/// Refuses a key file that group or others may access in any way.
fn check_permissions(path: &Path, meta: &fs::Metadata) -> Result<(), SecretError> {
    match too_open(meta) {
        Some(mode) => Err(SecretError::Permissions {
            path: path.to_owned(),
            mode,
        }),
        None => Ok(()),
    }
}

/// The permission bits of a credential file (the secret key, the admin token) when group or
/// others may access it in any way, which ternd refuses: whoever can read the file holds what
/// it guards.
#[cfg(unix)]
pub fn too_open(meta: &fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o7777;
    (mode & !0o600 != 0).then_some(mode)
}

/// Other systems have no Unix mode bits to check.
#[cfg(not(unix))]
pub fn too_open(_meta: &fs::Metadata) -> Option<u32> {
    None
}

/// Writes `key` to `path` atomically without ever replacing an existing file. Returns
/// `Ok(false)` if `path` already existed (someone else created it first).
fn create_key_file(data_dir: &Path, path: &Path, key: &[u8; KEY_LEN]) -> io::Result<bool> {
    fs::create_dir_all(data_dir)?;
    let mut suffix = [0u8; 8];
    fill_random(&mut suffix);
    let tmp = data_dir.join(format!(".{KEY_FILE}.{}.tmp", to_hex(&suffix)));
    let mut text = to_hex(key);
    text.push('\n');
    let written = write_new_private(&tmp, text.as_bytes());
    text.zeroize();
    written?;
    let linked = fs::hard_link(&tmp, path);
    // The temporary name is only a staging step; if removing it fails, a stray file that
    // nothing reads is left behind, which is harmless.
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            // Make the new directory entry durable too.
            File::open(data_dir)?.sync_all()?;
            Ok(true)
        }
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(err) => Err(err),
    }
}

/// Creates `path` (which must not exist) readable and writable by its owner only, writes
/// `contents` and syncs it to disk.
fn write_new_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// Lowercase hex of `bytes`.
fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// Parses exactly [`KEY_HEX_LEN`] hex digits (either case) into a key.
fn parse_hex(text: &[u8]) -> Option<[u8; KEY_LEN]> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    if text.len() != KEY_HEX_LEN {
        return None;
    }
    let mut key = [0u8; KEY_LEN];
    for (byte, pair) in key.iter_mut().zip(text.chunks_exact(2)) {
        *byte = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(key)
}

#[cfg(test)]
mod tests;

/// Compares two secrets (tokens, signatures) in time that does not depend on where they
/// differ, so timing reveals nothing about how close a guess was. The length is not secret.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
