//! Parsing a stream: the input is read as it arrives and its records are
//! handed on in batches, so memory holds one batch and one record however
//! large the input. A record (a CSV record, an NDJSON line, a JSON array
//! element) longer than [`MAX_RECORD_BYTES`] is refused, since it alone
//! would hold the memory a batch is meant to bound.

use super::Parsed;
use std::cell::RefCell;
use std::io::{self, Read};
use std::rc::Rc;

/// Records handed on at a time by [`super::parse_stream`] callers that write
/// as they read: large enough that a store batch is efficient, small
/// enough that a batch of parsed rows stays a few megabytes.
pub const BATCH_RECORDS: usize = 8192;

/// The longest record accepted, in bytes (a cell is at most 4096 bytes;
/// this leaves room for a few hundred full cells).
pub const MAX_RECORD_BYTES: usize = 1 << 20;

/// Collects records and hands them to the sink a batch at a time.
pub(crate) struct Batcher<'a> {
    pub(crate) out: Parsed,
    size: usize,
    sink: &'a mut dyn FnMut(Parsed) -> bool,
    stopped: bool,
}

impl<'a> Batcher<'a> {
    /// `sink` takes each batch and says whether to go on.
    pub(crate) fn new(size: usize, sink: &'a mut dyn FnMut(Parsed) -> bool) -> Self {
        Batcher {
            out: Parsed::default(),
            size: size.max(1),
            sink,
            stopped: false,
        }
    }

    /// Called after each record: hands on a full batch. False once the sink
    /// said stop (the parser then stops reading).
    pub(crate) fn record_done(&mut self) -> bool {
        if self.out.rows.len() + self.out.errors.len() >= self.size {
            self.flush()
        } else {
            !self.stopped
        }
    }

    /// Hands on what is collected, if anything.
    pub(crate) fn flush(&mut self) -> bool {
        let empty = self.out.rows.is_empty() && self.out.errors.is_empty();
        if !self.stopped && !empty {
            self.stopped = !(self.sink)(std::mem::take(&mut self.out));
        }
        !self.stopped
    }

    /// Whether the sink said stop.
    pub(crate) fn stopped(&self) -> bool {
        self.stopped
    }
}

/// Skips a UTF-8 byte-order mark at the start of a stream.
pub(crate) fn skip_bom<R: Read>(mut input: R) -> io::Result<impl Read> {
    let mut head = [0u8; 3];
    let mut n = 0;
    while n < 3 {
        match input.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let start = if head[..n] == *b"\xEF\xBB\xBF" { 3 } else { 0 };
    Ok(io::Cursor::new(head[start..n].to_vec()).chain(input))
}

/// What a [`Watched`] reader saw: the bytes of the record being read (when
/// asked to keep them), how many bytes since the record began, and the
/// reader's own error, kept whole (the parsers keep only its text).
#[derive(Default)]
pub(crate) struct Watch {
    /// Bytes read and not yet [`Watch::consume`]d, when `keep` is set.
    pub(crate) pending: std::collections::VecDeque<u8>,
    /// Absolute offset of `pending[0]`.
    pub(crate) base: u64,
    keep: bool,
    /// Bytes read since [`Watch::record_start`].
    in_record: usize,
    /// The current record grew past [`MAX_RECORD_BYTES`].
    pub(crate) too_long: bool,
    /// The underlying reader failed (the caller's error, not the input's).
    pub(crate) failed: Option<io::Error>,
}

impl Watch {
    /// A record begins: its length counts from here.
    pub(crate) fn record_start(&mut self) {
        self.in_record = 0;
    }

    /// Drops the kept bytes before absolute offset `to`, returning them.
    pub(crate) fn consume(&mut self, to: u64) -> impl Iterator<Item = u8> + '_ {
        let n = usize::try_from(to.saturating_sub(self.base))
            .unwrap_or(usize::MAX)
            .min(self.pending.len());
        self.base += n as u64;
        self.record_start();
        self.pending.drain(..n)
    }
}

/// A reader that bounds the record being read and keeps the reader's own
/// errors apart from the input's.
pub(crate) struct Watched<R> {
    inner: R,
    /// Extra bytes a parser may read ahead of the record it returns.
    slack: usize,
    pub(crate) watch: Rc<RefCell<Watch>>,
}

impl<R: Read> Watched<R> {
    /// `keep`: keep the bytes read for [`Watch::consume`] (line counting).
    pub(crate) fn new(inner: R, keep: bool, slack: usize) -> Self {
        let watch = Watch {
            keep,
            ..Watch::default()
        };
        Watched {
            inner,
            slack,
            watch: Rc::new(RefCell::new(watch)),
        }
    }
}

/// The error a [`Watched`] reader gives its parser for a record too long.
pub(crate) fn too_long_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("a record is longer than {MAX_RECORD_BYTES} bytes"),
    )
}

impl<R: Read> Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut w = self.watch.borrow_mut();
        let held = if w.keep { w.pending.len() } else { w.in_record };
        if held > MAX_RECORD_BYTES + self.slack {
            w.too_long = true;
            return Err(too_long_error());
        }
        match self.inner.read(buf) {
            Ok(n) => {
                if w.keep {
                    w.pending.extend(&buf[..n]);
                }
                w.in_record += n;
                Ok(n)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                let copy = io::Error::new(e.kind(), e.to_string());
                w.failed = Some(e);
                Err(copy)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bom_is_skipped_even_when_the_reader_gives_a_byte_at_a_time() {
        struct OneByte<'a>(&'a [u8]);
        impl Read for OneByte<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let Some((first, rest)) = self.0.split_first() else {
                    return Ok(0);
                };
                buf[0] = *first;
                self.0 = rest;
                Ok(1)
            }
        }
        let mut out = String::new();
        skip_bom(OneByte(b"\xEF\xBB\xBFa,b"))
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "a,b");
        let mut out = String::new();
        skip_bom(OneByte(b"ab"))
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "ab");
    }

    #[test]
    fn a_batcher_hands_on_full_batches_and_stops_when_told() {
        let mut seen = Vec::new();
        let mut sink = |p: Parsed| {
            seen.push(p.errors.len());
            seen.len() < 2
        };
        let mut b = Batcher::new(2, &mut sink);
        let mut go = true;
        for line in 1..=5 {
            b.out
                .errors
                .push(crate::model::RowError::record(line, None, String::new()));
            go = b.record_done();
            if !go {
                break;
            }
        }
        assert!(!go && b.stopped());
        assert!(!b.flush(), "a stopped batcher hands on nothing more");
        assert_eq!(seen, vec![2, 2]);
    }
}
