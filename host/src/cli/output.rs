//! Output for people (aligned tables) or machines (`--json`, `--csv`).

use serde::Serialize;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once standard output can take no more: the reader has gone
/// (`vitals results | head`) or the write failed. The command still
/// finishes its work; only its printing stops.
static STDOUT_DONE: AtomicBool = AtomicBool::new(false);
/// Set when a write failed for a reason other than a reader that has gone.
static STDOUT_FAILED: AtomicBool = AtomicBool::new(false);

/// Writes to standard output. `println!` would panic with a backtrace when
/// the reader has gone; this stops printing quietly instead, as `head`
/// expects, and a real failure (a full disk) is said once on stderr and
/// turns into exit code 1 (see [`stdout_failed`]).
pub fn write_stdout(args: std::fmt::Arguments) {
    if STDOUT_DONE.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        STDOUT_DONE.store(true, Ordering::Relaxed);
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            STDOUT_FAILED.store(true, Ordering::Relaxed);
            eprintln!("error: could not write the output: {e}");
        }
    }
}

/// Whether standard output takes no more (the reader went, or a write
/// failed): a long stream stops asking for more.
pub fn stdout_done() -> bool {
    STDOUT_DONE.load(Ordering::Relaxed)
}

/// Says a warning on standard error (`warning: ...`), control characters
/// escaped: the command goes on and exits 0; its output stays clean.
pub fn warn(message: &str) {
    eprintln!("warning: {}", terminal_safe(message));
}

/// Whether writing standard output failed (a reader that went away is no failure).
pub fn stdout_failed() -> bool {
    STDOUT_FAILED.load(Ordering::Relaxed)
}

/// `println!` for the CLI, through [`write_stdout`], with control
/// characters escaped ([`terminal_safe`]): a name holding `ESC ] 0;... BEL`
/// must not retitle or reprogram the operator's terminal.
macro_rules! outln {
    () => {
        $crate::cli::output::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::output::write_stdout(format_args!(
            "{}\n",
            $crate::cli::output::terminal_safe(&format!($($arg)*))
        ))
    };
}
pub(crate) use outln;

/// `text` with every control character but newline and tab (C0, DEL, C1)
/// and every bidirectional override written as `\u{..}`, as Rust's `{:?}`
/// writes them: terminals act on them (escape sequences retitle the window,
/// rewrite earlier lines, or hide text; overrides reorder it).
pub fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A CSV cell a spreadsheet will not run: text starting with `=`, `+`,
/// `-`, `@`, tab or CR is a formula to Excel and LibreOffice, so it gets a
/// leading `'` (OWASP's advice). Numbers (`-12.5`, `-1,000`) stay as they
/// are: a spreadsheet reads them as the number they are.
pub fn csv_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let number = cell
        .replace(',', "")
        .parse::<f64>()
        .is_ok_and(f64::is_finite);
    // A lone `-` is how tables show a blank: text to every spreadsheet.
    if risky && !number && cell != "-" {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns.
    Table,
    /// JSON.
    Json,
    /// CSV with a header.
    Csv,
}

/// A table of strings with headers.
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new<H: Into<String>>(headers: Vec<H>) -> Self {
        Table {
            headers: headers.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Prints in `format`; JSON is an array of objects keyed by header.
    pub fn print(&self, format: Format) {
        match format {
            Format::Table => {
                let rows: Vec<Vec<String>> = self
                    .rows
                    .iter()
                    .map(|r| r.iter().map(|c| terminal_safe(c).into_owned()).collect())
                    .collect();
                let widths: Vec<usize> = (0..self.headers.len())
                    .map(|i| {
                        rows.iter()
                            .map(|r| r[i].chars().count())
                            .chain([self.headers[i].len()])
                            .max()
                            .unwrap_or(0)
                    })
                    .collect();
                let line = |cells: Vec<&str>| {
                    let padded: Vec<String> = cells
                        .iter()
                        .zip(&widths)
                        .map(|(c, w)| format!("{c:<w$}"))
                        .collect();
                    outln!("{}", padded.join("  ").trim_end());
                };
                line(self.headers.iter().map(String::as_str).collect());
                for r in &rows {
                    line(r.iter().map(String::as_str).collect());
                }
            }
            Format::Csv => {
                let mut w = csv::Writer::from_writer(Vec::new());
                // No header: a later page of a stream whose header went first.
                if !self.headers.is_empty() {
                    let _ = w.write_record(&self.headers);
                }
                for r in &self.rows {
                    let _ = w.write_record(r.iter().map(|c| csv_cell(c).into_owned()));
                }
                let bytes = w.into_inner().unwrap_or_default();
                write_stdout(format_args!("{}", String::from_utf8_lossy(&bytes)));
            }
            Format::Json => {
                let objects: Vec<serde_json::Map<String, serde_json::Value>> = self
                    .rows
                    .iter()
                    .map(|r| {
                        self.headers
                            .iter()
                            .zip(r)
                            .map(|(h, c)| {
                                let v = c
                                    .parse::<f64>()
                                    .ok()
                                    .filter(|f| f.is_finite())
                                    .map_or(serde_json::Value::String(c.clone()), |f| {
                                        serde_json::json!(f)
                                    });
                                (h.to_string(), v)
                            })
                            .collect()
                    })
                    .collect();
                outln!("{}", serde_json::to_string_pretty(&objects).expect("json"));
            }
        }
    }
}

/// A line for people around a command's result (a count, a timing, a
/// pointer to more): on stdout with the tables, on stderr when stdout
/// carries JSON or CSV for a program.
pub fn note(format: Format, args: std::fmt::Arguments) {
    let text = format!("{args}");
    if format == Format::Table {
        outln!("{text}");
    } else {
        eprintln!("{}", terminal_safe(&text));
    }
}

/// Prints any serialisable value as pretty JSON.
pub fn print_json<T: Serialize>(value: &T) {
    outln!(
        "{}",
        serde_json::to_string_pretty(value).expect("serialisable")
    );
}

/// A number with thousands separators, no decimals.
pub fn money(v: f64) -> String {
    let n = v.round() as i64;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    #[test]
    fn money_groups_thousands() {
        assert_eq!(super::money(1234567.4), "1,234,567");
        assert_eq!(super::money(-1000.0), "-1,000");
        assert_eq!(super::money(12.0), "12");
    }

    #[test]
    fn formula_cells_are_neutralised_and_numbers_kept() {
        use super::csv_cell;
        for risky in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+cmd",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            assert_eq!(csv_cell(risky), format!("'{risky}"));
        }
        for kept in ["acme", "-12.5", "-1,000", "+3", "a=b", "", "-"] {
            assert_eq!(csv_cell(kept), kept);
        }
    }

    #[test]
    fn control_characters_are_escaped_for_the_terminal() {
        use super::terminal_safe;
        assert_eq!(terminal_safe("\u{1b}]0;x\u{7}"), "\\u{1b}]0;x\\u{7}");
        assert_eq!(terminal_safe("a\u{9b}b\u{202e}c"), "a\\u{9b}b\\u{202e}c");
        assert_eq!(terminal_safe("plain\ttext\n"), "plain\ttext\n");
    }
}
