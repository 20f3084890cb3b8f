//! The body of every response: bytes already in memory, or chunks streamed from a channel.
//!
//! Almost every answer is a small buffer; a backup snapshot can be larger than memory allows,
//! so it is streamed instead. One concrete type keeps handlers simple and avoids boxing the
//! common case.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use tokio::sync::mpsc;

/// How many chunks a streamed body buffers before its producer waits for the client.
const STREAM_DEPTH: usize = 4;

/// A response body. Build it with [`Body::full`] or [`Body::channel`].
#[derive(Debug)]
pub struct Body {
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    /// The whole body; `None` once it has been sent.
    Full(Option<Bytes>),
    /// Chunks from a producer; an error aborts the response (the connection is closed, so the
    /// client sees a truncated body rather than a complete-looking one).
    Channel(mpsc::Receiver<io::Result<Bytes>>),
}

impl Body {
    /// A body of `bytes`, sent at once.
    pub fn full(bytes: impl Into<Bytes>) -> Body {
        let bytes = bytes.into();
        Body {
            kind: Kind::Full((!bytes.is_empty()).then_some(bytes)),
        }
    }

    /// A streamed body and the sender that feeds it. The body ends when the sender is
    /// dropped; a blocking producer uses [`mpsc::Sender::blocking_send`].
    pub fn channel() -> (mpsc::Sender<io::Result<Bytes>>, Body) {
        let (tx, rx) = mpsc::channel(STREAM_DEPTH);
        (
            tx,
            Body {
                kind: Kind::Channel(rx),
            },
        )
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match &mut self.get_mut().kind {
            Kind::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Kind::Channel(rx) => rx
                .poll_recv(cx)
                .map(|chunk| chunk.map(|c| c.map(Frame::data))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.kind, Kind::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Full(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Kind::Channel(_) => SizeHint::default(),
        }
    }
}
