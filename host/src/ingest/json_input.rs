//! NDJSON (one object per line) and JSON (an array of objects, or
//! `{"records": [...]}`): keys are column names, values strings, numbers,
//! booleans or null.

use super::Parsed;
use super::row::Engine;
use crate::model::RowError;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

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

/// A JSON document: `[...]` or `{"records": [...]}` (other keys ignored).
struct Document<'a>(Vec<Element<'a>>);

impl<'de> Deserialize<'de> for Document<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Document<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(r#"an array of records or {"records": [...]}"#)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Document<'de>, A::Error> {
                let mut out = Vec::with_capacity(a.size_hint().unwrap_or(0).min(1 << 16));
                while let Some(e) = a.next_element::<Element<'de>>()? {
                    out.push(e);
                }
                Ok(Document(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Document<'de>, A::Error> {
                let mut records = None;
                while let Some(key) = a.next_key::<Str<'de>>()? {
                    if key.0 == "records" {
                        let Document(r) = a.next_value::<Document<'de>>()?;
                        records = Some(r);
                    } else {
                        a.next_value::<IgnoredAny>()?;
                    }
                }
                records
                    .map(Document)
                    .ok_or_else(|| de::Error::custom(r#"the object has no "records" array"#))
            }
        }
        d.deserialize_any(V)
    }
}

/// Converts one parsed element into a row or errors.
fn element(engine: &mut Engine<'_>, line: usize, e: Element<'_>, out: &mut Parsed) {
    let Element::Record(entries) = e else {
        let reason = format!("expected a JSON object, found {}", kind_of(&e));
        out.errors.push(RowError {
            line,
            column: None,
            reason,
        });
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

pub(crate) fn parse_ndjson(input: &[u8], mut engine: Engine<'_>, out: &mut Parsed) {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let mut any = false;
    for (i, line) in input.split(|&b| b == b'\n').enumerate() {
        let line_no = i + 1;
        let text = line.trim_ascii();
        if text.is_empty() {
            continue;
        }
        any = true;
        match serde_json::from_slice::<Element<'_>>(text) {
            Ok(e) => element(&mut engine, line_no, e, out),
            Err(e) => {
                let reason = format!("malformed JSON: {e}");
                out.errors.push(RowError {
                    line: line_no,
                    column: None,
                    reason,
                });
            }
        }
    }
    if !any {
        let reason = "the input is empty: no JSON object on any line".to_owned();
        out.errors.push(RowError {
            line: 0,
            column: None,
            reason,
        });
    }
}

pub(crate) fn parse_json(input: &[u8], mut engine: Engine<'_>, out: &mut Parsed) {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    match serde_json::from_slice::<Document<'_>>(input) {
        Ok(Document(elements)) => {
            for (i, e) in elements.into_iter().enumerate() {
                element(&mut engine, i + 1, e, out);
            }
        }
        Err(e) => {
            let reason = format!("malformed JSON document: {e}");
            out.errors.push(RowError {
                line: 0,
                column: None,
                reason,
            });
        }
    }
}
