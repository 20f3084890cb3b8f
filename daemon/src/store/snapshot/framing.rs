//! The byte-level framing of snapshots: writing and reading with a running CRC-32 and byte
//! count, and length-prefixed chunks with a size limit.

use std::io::{self, Read, Write};

use super::{MAX_LEN, RestoreError, read_error};

/// A writer that counts bytes and keeps a running CRC-32 of them.
pub(super) struct Framer<W> {
    pub(super) inner: W,
    pub(super) crc: crc32fast::Hasher,
    pub(super) bytes: u64,
}

impl<W: Write> Framer<W> {
    pub(super) fn new(inner: W) -> Self {
        Framer {
            inner,
            crc: crc32fast::Hasher::new(),
            bytes: 0,
        }
    }

    pub(super) fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.inner.write_all(bytes)?;
        self.crc.update(bytes);
        self.bytes += bytes.len() as u64;
        Ok(())
    }
}

/// A reader that counts bytes and keeps a running CRC-32 of them.
pub(super) struct Reader<R> {
    pub(super) inner: R,
    pub(super) crc: crc32fast::Hasher,
    pub(super) bytes: u64,
}

impl<R: Read> Reader<R> {
    pub(super) fn new(inner: R) -> Self {
        Reader {
            inner,
            crc: crc32fast::Hasher::new(),
            bytes: 0,
        }
    }

    pub(super) fn array<const N: usize>(&mut self) -> Result<[u8; N], RestoreError> {
        let mut buf = [0u8; N];
        self.fill(&mut buf)?;
        Ok(buf)
    }

    /// A length-prefixed key or value.
    pub(super) fn chunk(&mut self) -> Result<Vec<u8>, RestoreError> {
        let len = u32::from_be_bytes(self.array()?);
        if len > MAX_LEN {
            return Err(RestoreError::Invalid(format!(
                "it claims an entry of {len} bytes"
            )));
        }
        let mut buf = vec![0u8; len as usize];
        self.fill(&mut buf)?;
        Ok(buf)
    }

    fn fill(&mut self, buf: &mut [u8]) -> Result<(), RestoreError> {
        self.inner.read_exact(buf).map_err(|err| {
            if err.kind() == io::ErrorKind::UnexpectedEof {
                RestoreError::Invalid("it ends before its end marker".into())
            } else {
                read_error(err)
            }
        })?;
        self.crc.update(buf);
        self.bytes += buf.len() as u64;
        Ok(())
    }
}
