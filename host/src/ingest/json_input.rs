//! NDJSON (one object per line) and JSON (an array of objects, or
//! `{"records": [...]}`): keys are column names, values strings, numbers,
//! booleans or null.

use super::Parsed;
use super::row::Engine;
use super::stream::{Batcher, MAX_RECORD_BYTES, Watch, Watched, skip_bom};
use crate::model::RowError;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::io::{self, BufRead, Read};

/// A string that borrows from the input when it has no escapes.
struct Str<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Str<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// One value of a record, as the text a CSV cell would hold.
enum Cell<'a> {
    Text(Cow<'a, str>),
    /// An array or object: not a column value.
    Nested(&'static str),
}

/// Any JSON value: an object becomes a record, anything else says what it was.
enum Element<'a> {
    Record(Vec<(Str<'a>, Cell<'a>)>),
    Cell(Cell<'a>),
}

fn kind_of(e: &Element<'_>) -> &'static str {
    match e {
        Element::Record(_) => "an object",
        Element::Cell(Cell::Nested(k)) => k,
        Element::Cell(Cell::Text(_)) => "a string, number, boolean or null",
    }
}

impl<'de> Deserialize<'de> for Element<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Element<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Element<'de>, E> {
                Ok(Element::Cell(Cell::Text(Cow::Borrowed(if v {
                    "true"
                } else {
                    "false"
                }))))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Element<'de>, E> {
                Ok(Element::Cell(Cell::Text(Cow::Owned(v.to_string()))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Element<'de>, E> {
                Ok(Element::Cell(Cell::Text(Cow::Owned(v.to_string()))))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Element<'de>, E> {
                Ok(Element::Cell(Cell::Text(Cow::Owned(v.to_string()))))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Element<'de>, E> {
                Ok(Element::Cell(Cell::Text(Cow::Borrowed(""))))
            }
            fn visit_none<E: de::Error>(self) -> Result<Element<'de>, E> {
                self.visit_unit()
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Element<'de>, E> {
                Ok(Element::Cell(Cell::Text(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Element<'de>, E> {
                Ok(Element::Cell(Cell::Text(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Element<'de>, E> {
                Ok(Element::Cell(Cell::Text(Cow::Owned(v))))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Element<'de>, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Element::Cell(Cell::Nested("an array")))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Element<'de>, A::Error> {
                let mut entries = Vec::with_capacity(a.size_hint().unwrap_or(16).min(256));
                while let Some(key) = a.next_key::<Str<'de>>()? {
                    let value = match a.next_value::<Element<'de>>()? {
                        Element::Cell(c) => c,
                        Element::Record(_) => Cell::Nested("an object"),
                    };
                    entries.push((key, value));
                }
                Ok(Element::Record(entries))
            }
        }
        d.deserialize_any(V)
    }
}

/// Converts one parsed element into a row or errors.
fn element(engine: &mut Engine<'_>, line: usize, e: Element<'_>, out: &mut Parsed) {
    let Element::Record(entries) = e else {
        let reason = format!("expected a JSON object, found {}", kind_of(&e));
        out.errors.push(RowError::record(line, None, reason));
        return;
    };
    let mut cells = Vec::with_capacity(entries.len());
    for (key, value) in &entries {
        let key = key.0.trim();
        let plan = match engine.column_for_key(key) {
            Ok(p) => p,
            Err(reason) => {
                engine.reject(line, key, reason);
                continue;
            }
        };
        if !engine.first_use(plan) {
            engine.reject(line, key, "the key appears twice in the object".to_owned());
            continue;
        }
        match value {
            Cell::Text(t) => cells.push((plan, t.as_ref())),
            Cell::Nested(kind) => {
                let reason =
                    format!("the value is {kind}; expected a string, number, boolean or null");
                engine.reject(line, key, reason);
            }
        }
    }
    engine.row(line, &cells, out);
}

/// Parses an NDJSON stream into `batches`, a line at a time. Fails only
/// when `input` itself fails.
pub(crate) fn parse_ndjson(
    input: impl Read,
    engine: &mut Engine<'_>,
    batches: &mut Batcher<'_>,
) -> io::Result<()> {
    let mut input = io::BufReader::with_capacity(256 << 10, skip_bom(input)?);
    let mut any = false;
    let mut line = Vec::new();
    let mut line_no = 0;
    loop {
        line.clear();
        let limit = MAX_RECORD_BYTES as u64 + 1;
        if (&mut input).take(limit).read_until(b'\n', &mut line)? == 0 {
            break;
        }
        line_no += 1;
        let out = &mut batches.out;
        if line.len() > MAX_RECORD_BYTES && line.last() != Some(&b'\n') {
            input.skip_until(b'\n')?;
            any = true;
            let reason = format!("the line is longer than {MAX_RECORD_BYTES} bytes");
            out.errors.push(RowError::record(line_no, None, reason));
        } else {
            let text = line.trim_ascii();
            if text.is_empty() {
                continue;
            }
            any = true;
            match serde_json::from_slice::<Element<'_>>(text) {
                Ok(e) => element(engine, line_no, e, out),
                Err(e) => {
                    let reason = format!("malformed JSON: {e}");
                    out.errors.push(RowError::record(line_no, None, reason));
                }
            }
        }
        if !batches.record_done() {
            return Ok(());
        }
    }
    if any {
        absent_sources(engine, &mut batches.out);
    } else {
        let reason = "the input is empty: no JSON object on any line";
        batches.out.errors.push(RowError::file(0, None, reason));
    }
    batches.flush();
    Ok(())
}

/// Whole-file errors for the mapping's columns that no record had as a key.
fn absent_sources(engine: &Engine<'_>, out: &mut Parsed) {
    let keys = &engine.by_source;
    let present = |s: &str| keys.contains_key(s);
    let mut seen: Vec<&str> = keys.keys().map(String::as_str).collect();
    // Keys come from a hash map: sorted, the suggestion does not vary.
    seen.sort_unstable();
    out.errors
        .extend(engine.absent_sources(0, &present, seen.into_iter()));
}

/// Streams the elements of a JSON document (`[...]` or `{"records": [...]}`,
/// other keys ignored) into the batches as they are read.
struct Records<'e, 'm, 'b> {
    engine: &'e mut Engine<'m>,
    batches: &'e mut Batcher<'b>,
    watch: &'e RefCell<Watch>,
    /// Elements so far (a row's line is its 1-based index).
    index: &'e mut usize,
}

/// The message a [`Records`] visitor stops with when the sink said stop.
const STOPPED: &str = "vitals: the ingest stopped";

impl<'de> DeserializeSeed<'de> for Records<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Records<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(r#"an array of records or {"records": [...]}"#)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<(), A::Error> {
        loop {
            self.watch.borrow_mut().record_start();
            let Some(e) = a.next_element::<Element<'de>>()? else {
                return Ok(());
            };
            *self.index += 1;
            element(self.engine, *self.index, e, &mut self.batches.out);
            if !self.batches.record_done() {
                return Err(de::Error::custom(STOPPED));
            }
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<(), A::Error> {
        let mut records = false;
        while let Some(key) = a.next_key::<Str<'de>>()? {
            if key.0 == "records" && !records {
                records = true;
                a.next_value_seed(Records {
                    engine: &mut *self.engine,
                    batches: &mut *self.batches,
                    watch: self.watch,
                    index: &mut *self.index,
                })?;
            } else {
                a.next_value::<IgnoredAny>()?;
            }
        }
        if records {
            Ok(())
        } else {
            Err(de::Error::custom(r#"the object has no "records" array"#))
        }
    }
}

/// Parses a JSON document stream into `batches`, an element at a time. A
/// malformed document is one error with line 0 (and nothing of it is
/// loaded, whatever the mode). Fails only when `input` itself fails.
pub(crate) fn parse_json(
    input: impl Read,
    engine: &mut Engine<'_>,
    batches: &mut Batcher<'_>,
) -> io::Result<()> {
    let watched = Watched::new(
        io::BufReader::with_capacity(256 << 10, skip_bom(input)?),
        false,
        0,
    );
    let watch = watched.watch.clone();
    let mut de = serde_json::Deserializer::from_reader(watched);
    let mut index = 0;
    let parsed = Records {
        engine: &mut *engine,
        batches,
        watch: &watch,
        index: &mut index,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    if batches.stopped() {
        return Ok(());
    }
    if let Err(e) = parsed {
        if let Some(failed) = watch.borrow_mut().failed.take() {
            return Err(failed);
        }
        let reason = if watch.borrow().too_long {
            format!(
                "malformed JSON document: element {} is longer than {MAX_RECORD_BYTES} bytes",
                index + 1
            )
        } else {
            format!("malformed JSON document: {e}")
        };
        batches.out.errors.push(RowError::file(0, None, reason));
    } else if index > 0 {
        absent_sources(engine, &mut batches.out);
    }
    batches.flush();
    Ok(())
}
