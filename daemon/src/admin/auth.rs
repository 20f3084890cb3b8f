//! The admin bearer token: where it comes from and how a request's token is checked.

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::secrets;

/// The file the generated token lives in, inside the data directory.
pub const TOKEN_FILE: &str = "admin.token";

/// Why the admin token could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The token file cannot be read or written.
    #[error("admin token file {path}: {source}; fix its permissions, or set TERN_ADMIN_TOKEN")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The token file can be read by others than its owner.
    #[error(
        "admin token file {path} has permissions {mode:04o}, wider than 0600; run `chmod 600 {path}` and make sure the file belongs to the user ternd runs as"
    )]
    Permissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The token file exists but holds no usable token.
    #[error(
        "admin token file {path} is empty or malformed; delete it to have a new token generated, or set TERN_ADMIN_TOKEN"
    )]
    Malformed {
        /// The file.
        path: PathBuf,
    },
}

/// Where the token came from, for the start-up message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// `TERN_ADMIN_TOKEN` or the config file.
    Configured,
    /// Read from the token file.
    File(PathBuf),
    /// Generated now into the token file.
    Generated(PathBuf),
}

/// The configured token, or the one in `DATA_DIR/admin.token`, generated (mode 0600) on first
/// start.
pub fn load_or_create(
    configured: Option<&str>,
    data_dir: &Path,
) -> Result<(String, TokenSource), TokenError> {
    if let Some(token) = configured {
        return Ok((token.to_owned(), TokenSource::Configured));
    }
    let path = data_dir.join(TOKEN_FILE);
    let io = |source| TokenError::Io {
        path: path.clone(),
        source,
    };
    match read_private(&path) {
        Ok(Err(mode)) => Err(TokenError::Permissions { path, mode }),
        Ok(Ok(text)) => {
            let token = text.trim();
            if token.len() < 16 || token.chars().any(char::is_whitespace) {
                return Err(TokenError::Malformed { path });
            }
            Ok((token.to_owned(), TokenSource::File(path)))
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let token = secrets::generate_token();
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .map_err(io)?;
            // create_new + mode: the file is never readable by others, even for a moment.
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(io)?;
            file.write_all(format!("{token}\n").as_bytes())
                .map_err(io)?;
            file.sync_all().map_err(io)?;
            Ok((token, TokenSource::Generated(path)))
        }
        Err(err) => Err(io(err)),
    }
}

/// Reads the file if only its owner may access it; otherwise returns its mode. The check is on
/// the opened file, so the file read is the file checked.
fn read_private(path: &Path) -> std::io::Result<Result<String, u32>> {
    let mut file = std::fs::File::open(path)?;
    if let Some(mode) = secrets::too_open(&file.metadata()?) {
        return Ok(Err(mode));
    }
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    Ok(Ok(text))
}

/// Whether an `Authorization` header carries `token`, compared in constant time so the
/// answer's timing says nothing about how much of a guess was right.
pub fn authorized(header: Option<&str>, token: &str) -> bool {
    // The scheme name is case-insensitive (RFC 9110); the token is not.
    let Some(given) = header.and_then(|h| {
        let (scheme, token) = h.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then_some(token)
    }) else {
        return false;
    };
    secrets::constant_time_eq(given.trim().as_bytes(), token.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_compared_exactly() {
        let token = "0123456789abcdef0123";
        assert!(authorized(Some("Bearer 0123456789abcdef0123"), token));
        assert!(!authorized(Some("Bearer 0123456789abcdef0124"), token));
        assert!(!authorized(Some("Bearer 0123456789abcdef012"), token));
        assert!(authorized(Some("bearer 0123456789abcdef0123"), token));
        assert!(!authorized(Some("Basic 0123456789abcdef0123"), token));
        assert!(!authorized(None, token));
    }

    #[test]
    fn generated_once_then_read_back_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let (token, source) = load_or_create(None, dir.path()).unwrap();
        assert!(matches!(source, TokenSource::Generated(_)));
        let mode = std::fs::metadata(dir.path().join(TOKEN_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let (again, source) = load_or_create(None, dir.path()).unwrap();
        assert_eq!(again, token);
        assert!(matches!(source, TokenSource::File(_)));
    }

    #[test]
    fn a_token_file_others_can_read_is_refused_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(TOKEN_FILE);
        std::fs::write(&path, "0123456789abcdef0123\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = load_or_create(None, dir.path()).unwrap_err();
        assert!(
            matches!(err, TokenError::Permissions { mode: 0o644, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("chmod 600"), "{err}");

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let (token, _) = load_or_create(None, dir.path()).unwrap();
        assert_eq!(token, "0123456789abcdef0123");
    }
}
