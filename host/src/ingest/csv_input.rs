//! CSV: a header line naming the columns, then one record per line.

use super::Parsed;
use super::fields::MAX_FIELD_BYTES;
use super::row::Engine;
use super::stream::{Batcher, MAX_RECORD_BYTES, Watch, Watched, skip_bom};
use crate::model::RowError;
use std::cell::RefCell;
use std::collections::HashSet;
use std::io::{self, Read};
use std::rc::Rc;

/// An error of the whole file: its header, or a record past which
/// nothing can be read.
fn fatal(out: &mut Parsed, line: usize, column: Option<String>, reason: String) {
    out.errors.push(RowError::file(line, column, reason));
}

/// Line numbers of records from their byte offsets, counted over the bytes
/// the [`Watched`] reader keeps. (The csv crate's own line count is off
/// after CRLF line ends and skipped blank lines.)
struct Lines {
    watch: Rc<RefCell<Watch>>,
    line: usize,
}

impl Lines {
    /// The 1-based line a record starts on; `pos` is the csv crate's
    /// position, which may point at the line ends before the record.
    /// Positions only move forward; the bytes before one are let go.
    fn at(&mut self, pos: Option<&csv::Position>) -> usize {
        let Some(pos) = pos else { return 0 };
        let mut w = self.watch.borrow_mut();
        let mut start = pos.byte().max(w.base);
        let offset = |w: &Watch, at: u64| usize::try_from(at - w.base).ok();
        while let Some(b) = offset(&w, start).and_then(|i| w.pending.get(i))
            && matches!(*b, b'\r' | b'\n')
        {
            start += 1;
        }
        // A CR followed by LF is one line break, counted at the LF.
        let mut prev_cr = false;
        let next_is_lf = offset(&w, start).and_then(|i| w.pending.get(i)) == Some(&b'\n');
        for b in w.consume(start) {
            if prev_cr && b != b'\n' {
                self.line += 1;
            }
            if b == b'\n' {
                self.line += 1;
            }
            prev_cr = b == b'\r';
        }
        if prev_cr && !next_is_lf {
            self.line += 1;
        }
        self.line
    }
}

/// The csv crate's read buffer: what it may read ahead of a record.
const READ_AHEAD: usize = 64 << 10;

/// Parses a CSV stream into `batches`. Fails only when `input` itself
/// fails (its error is returned whole); a bad input is errors in the batch.
pub(crate) fn parse(
    input: impl Read,
    engine: &mut Engine<'_>,
    batches: &mut Batcher<'_>,
) -> io::Result<()> {
    let watched = Watched::new(skip_bom(input)?, true, READ_AHEAD);
    let watch = watched.watch.clone();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .buffer_capacity(READ_AHEAD)
        .from_reader(watched);
    let mut lines = Lines {
        watch: watch.clone(),
        line: 1,
    };
    // A read error: the caller's if the reader failed, else the input's.
    let read_failed = |e: &csv::Error| -> Option<io::Error> {
        matches!(e.kind(), csv::ErrorKind::Io(_))
            .then(|| watch.borrow_mut().failed.take())
            .flatten()
    };
    let too_long = |lines: &Lines| lines.watch.borrow().too_long;
    let out = &mut batches.out;
    let mut record = csv::ByteRecord::new();
    match reader.read_byte_record(&mut record) {
        Ok(true) => {}
        Ok(false) => {
            let reason = "the input is empty: a CSV file needs a header line".to_owned();
            fatal(out, 0, None, reason);
            batches.flush();
            return Ok(());
        }
        Err(e) => {
            if let Some(failed) = read_failed(&e) {
                return Err(failed);
            }
            let reason = if too_long(&lines) {
                format!("header: the line is longer than {MAX_RECORD_BYTES} bytes")
            } else {
                format!("header: {e}")
            };
            fatal(out, lines.at(e.position()).max(1), None, reason);
            batches.flush();
            return Ok(());
        }
    }
    let header_line = lines.at(record.position()).max(1);
    let Ok(names) = check_header(&record, header_line, engine, out) else {
        batches.flush();
        return Ok(());
    };
    let used: Vec<usize> = (0..names.len())
        .filter(|&i| !engine.is_ignored(i))
        .collect();
    loop {
        let out = &mut batches.out;
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = lines.at(record.position());
                let mut cells = Vec::with_capacity(used.len());
                for &i in &used {
                    let raw = record.get(i).unwrap_or_default();
                    match std::str::from_utf8(raw) {
                        Ok(text) => cells.push((i, text)),
                        Err(e) => {
                            let at = e.valid_up_to();
                            let reason = format!("the value is not valid UTF-8 (at byte {at})");
                            engine.reject(line, &names[i], reason);
                        }
                    }
                }
                engine.row(line, &cells, out);
            }
            Err(e) => {
                if let Some(failed) = read_failed(&e) {
                    return Err(failed);
                }
                let line = lines.at(e.position());
                match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => {
                        let reason =
                            format!("the line has {len} fields but the header has {expected_len}");
                        out.errors.push(RowError::record(line, None, reason));
                    }
                    _ => {
                        let reason = if too_long(&lines) {
                            format!(
                                "the record is longer than {MAX_RECORD_BYTES} bytes; nothing after it was read"
                            )
                        } else {
                            e.to_string()
                        };
                        // Line 0: the rest of the input is unread, so the
                        // whole ingest fails, whatever the mode.
                        fatal(out, 0, None, format!("line {line}: {reason}"));
                        break;
                    }
                }
            }
        }
        if !batches.record_done() {
            return Ok(());
        }
    }
    batches.flush();
    Ok(())
}

/// Reads the header into the row engine's plans and returns the column
/// names, or records why the file cannot be read: every column the mapping
/// refuses and every mapping column the header lacks, all at once.
fn check_header(
    record: &csv::ByteRecord,
    header_line: usize,
    engine: &mut Engine<'_>,
    out: &mut Parsed,
) -> Result<Vec<String>, ()> {
    let mut names: Vec<String> = Vec::with_capacity(record.len());
    let mut seen = HashSet::new();
    let mut refused = Vec::new();
    for (i, raw) in record.iter().enumerate() {
        let number = i + 1;
        let Ok(name) = std::str::from_utf8(raw) else {
            let reason = format!("header column {number} is not valid UTF-8");
            fatal(out, header_line, Some(format!("#{number}")), reason);
            return Err(());
        };
        let name = name.trim();
        if name.len() > MAX_FIELD_BYTES {
            let reason = format!("header column {number} is longer than {MAX_FIELD_BYTES} bytes");
            fatal(out, header_line, Some(format!("#{number}")), reason);
            return Err(());
        }
        if !seen.insert(name) {
            let reason = format!("duplicate column {name:?} in the header");
            fatal(out, header_line, Some(name.to_owned()), reason);
            return Err(());
        }
        // Past a refused column the plans no longer line up with the
        // header; they are not used (the file is refused), only checked.
        if let Err(reason) = engine.add_column(name) {
            let column = if name.is_empty() {
                format!("#{number}")
            } else {
                name.to_owned()
            };
            refused.push(RowError::file(header_line, Some(column), reason));
        }
        names.push(name.to_owned());
    }
    let present: HashSet<&str> = names.iter().map(String::as_str).collect();
    let columns = names.iter().map(String::as_str);
    refused.extend(engine.absent_sources(header_line, &|s| present.contains(s), columns));
    if !refused.is_empty() {
        out.errors.append(&mut refused);
        return Err(());
    }
    if let Err((column, reason)) = engine.check_header() {
        fatal(out, header_line, column, reason);
        return Err(());
    }
    Ok(names)
}
