//! CSV: a header line naming the columns, then one record per line.

use super::Parsed;
use super::fields::MAX_FIELD_BYTES;
use super::mapping::Compiled;
use super::row::Engine;
use crate::model::RowError;
use std::collections::HashSet;

fn fatal(out: &mut Parsed, line: usize, column: Option<String>, reason: String) {
    out.errors.push(RowError {
        line,
        column,
        reason,
    });
}

/// Line numbers of records from their byte offsets. (The csv crate's own
/// line count is off after CRLF line ends and skipped blank lines.)
struct Lines<'a> {
    input: &'a [u8],
    pos: usize,
    line: usize,
}

impl Lines<'_> {
    /// The 1-based line a record starts on; `pos` is the csv crate's
    /// position, which may point at the line ends before the record.
    fn at(&mut self, pos: Option<&csv::Position>) -> usize {
        let Some(pos) = pos else { return 0 };
        let input = self.input;
        let mut start = usize::try_from(pos.byte())
            .unwrap_or(usize::MAX)
            .min(input.len());
        while start < input.len() && matches!(input[start], b'\r' | b'\n') {
            start += 1;
        }
        if start < self.pos {
            (self.pos, self.line) = (0, 1);
        }
        for i in self.pos..start {
            let b = input[i];
            if b == b'\n' || (b == b'\r' && input.get(i + 1) != Some(&b'\n')) {
                self.line += 1;
            }
        }
        self.pos = start;
        self.line
    }
}

pub(crate) fn parse(input: &[u8], compiled: Compiled<'_>, out: &mut Parsed) {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .from_reader(input);
    let mut lines = Lines {
        input,
        pos: 0,
        line: 1,
    };
    let mut record = csv::ByteRecord::new();
    match reader.read_byte_record(&mut record) {
        Ok(true) => {}
        Ok(false) => {
            let reason = "the input is empty: a CSV file needs a header line".to_owned();
            return fatal(out, 0, None, reason);
        }
        Err(e) => return fatal(out, lines.at(e.position()), None, format!("header: {e}")),
    }
    let header_line = lines.at(record.position()).max(1);
    let mut engine = Engine::new(compiled);
    let mut names: Vec<String> = Vec::with_capacity(record.len());
    let mut seen = HashSet::new();
    for (i, raw) in record.iter().enumerate() {
        let number = i + 1;
        let Ok(name) = std::str::from_utf8(raw) else {
            let reason = format!("header column {number} is not valid UTF-8");
            return fatal(out, header_line, Some(format!("#{number}")), reason);
        };
        let name = name.trim();
        if name.len() > MAX_FIELD_BYTES {
            let reason = format!("header column {number} is longer than {MAX_FIELD_BYTES} bytes");
            return fatal(out, header_line, Some(format!("#{number}")), reason);
        }
        if !seen.insert(name) {
            let reason = format!("duplicate column {name:?} in the header");
            return fatal(out, header_line, Some(name.to_owned()), reason);
        }
        if let Err(reason) = engine.add_column(name) {
            let column = if name.is_empty() {
                format!("#{number}")
            } else {
                name.to_owned()
            };
            return fatal(out, header_line, Some(column), reason);
        }
        names.push(name.to_owned());
    }
    if let Err((column, reason)) = engine.check_header() {
        return fatal(out, header_line, column, reason);
    }
    let used: Vec<usize> = (0..names.len())
        .filter(|&i| !engine.is_ignored(i))
        .collect();
    loop {
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
                let line = lines.at(e.position());
                match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => {
                        let reason =
                            format!("the line has {len} fields but the header has {expected_len}");
                        out.errors.push(RowError {
                            line,
                            column: None,
                            reason,
                        });
                    }
                    _ => {
                        out.errors.push(RowError {
                            line,
                            column: None,
                            reason: e.to_string(),
                        });
                        break;
                    }
                }
            }
        }
    }
}
