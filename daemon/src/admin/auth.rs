//! The admin bearer token: where it comes from and how a request's token is checked.

use std::fs::OpenOptions;
use std::io::Write;
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
    match std::fs::read_to_string(&path) {
        Ok(text) => {
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
}
