//! An ingest as the service takes it: the format, the mode and the mapping
//! already parsed where the request came in (the CLI's flags; the server's
//! query string and headers), so the service never parses strings that a
//! caller made from its own enums. [`IngestQuery`] is the HTTP form of it.

use super::{ApiError, ApiResult, IngestQuery};
use crate::ingest::{Format, Mapping};
use crate::store::IngestMode;

/// What to ingest, and how.
#[derive(Debug, Clone)]
pub struct IngestRequest {
    /// The input's format.
    pub format: Format,
    /// What bad records do to the rest.
    pub mode: IngestMode,
    /// How the input's columns become Vitals' fields (none: canonical columns).
    pub mapping: Option<IngestMapping>,
}

impl IngestRequest {
    /// All-or-nothing, canonical columns.
    pub fn new(format: Format) -> Self {
        IngestRequest {
            format,
            mode: IngestMode::AllOrNothing,
            mapping: None,
        }
    }
}

/// A mapping, parsed, with where it came from (which is what travels over
/// HTTP: a built-in name in the query, or the JSON in a header).
#[derive(Debug, Clone)]
pub struct IngestMapping {
    mapping: Mapping,
    source: Source,
}

#[derive(Debug, Clone)]
enum Source {
    BuiltIn(String),
    /// The mapping's JSON on one line (header values are one line).
    Custom(String),
}

impl IngestMapping {
    /// A built-in mapping by name; an unknown name is refused with the
    /// closest one.
    pub fn built_in(name: &str) -> ApiResult<Self> {
        let mapping = Mapping::built_in(name).ok_or_else(|| {
            let near = Mapping::closest_built_in(name)
                .map_or_else(String::new, |n| format!("; did you mean {n:?}?"));
            ApiError::bad_request(format!(
                "mapping: {name:?} is not a built-in mapping ({}){near} (send a custom one as JSON)",
                Mapping::BUILT_IN.join(", "),
            ))
        })?;
        Ok(IngestMapping {
            mapping,
            source: Source::BuiltIn(name.to_string()),
        })
    }

    /// A custom mapping from its JSON.
    pub fn custom(json: &str) -> ApiResult<Self> {
        let mapping =
            Mapping::from_json(json).map_err(|e| ApiError::bad_request(format!("mapping: {e}")))?;
        let compact = serde_json::from_str::<serde_json::Value>(json)
            .map(|v| v.to_string())
            .map_err(|e| ApiError::bad_request(format!("mapping: {e}")))?;
        Ok(IngestMapping {
            mapping,
            source: Source::Custom(compact),
        })
    }

    /// The mapping itself.
    pub fn mapping(&self) -> &Mapping {
        &self.mapping
    }

    /// The built-in mapping's name, if it is one.
    pub fn built_in_name(&self) -> Option<&str> {
        match &self.source {
            Source::BuiltIn(n) => Some(n),
            Source::Custom(_) => None,
        }
    }

    /// A custom mapping's JSON on one line, if it is one.
    pub fn custom_json(&self) -> Option<&str> {
        match &self.source {
            Source::Custom(j) => Some(j),
            Source::BuiltIn(_) => None,
        }
    }
}

/// The name of a mode in a query string.
fn mode_name(mode: IngestMode) -> &'static str {
    match mode {
        IngestMode::AllOrNothing => "all-or-nothing",
        IngestMode::ValidRows => "valid-rows",
    }
}

impl IngestQuery {
    /// The request an HTTP query makes, with the body's content type and
    /// the custom mapping header: the format is the query's, else the
    /// content type's, else NDJSON.
    pub fn request(
        &self,
        content_type: Option<&str>,
        custom_mapping: Option<&str>,
    ) -> ApiResult<IngestRequest> {
        let format = match &self.format {
            Some(f) => Format::parse_name(f).ok_or_else(|| {
                ApiError::bad_request(format!("format: {f:?} is not csv, ndjson or json"))
            })?,
            None => match content_type.map(|c| c.split(';').next().unwrap_or("").trim()) {
                Some("text/csv") => Format::Csv,
                Some("application/json") => Format::Json,
                _ => Format::Ndjson,
            },
        };
        let mode = match self.mode.as_deref() {
            None | Some("all-or-nothing") => IngestMode::AllOrNothing,
            Some("valid-rows") => IngestMode::ValidRows,
            Some(m) => {
                return Err(ApiError::bad_request(format!(
                    "mode: {m:?} is not all-or-nothing or valid-rows"
                )));
            }
        };
        let mapping = match (self.mapping.as_deref(), custom_mapping) {
            (Some(_), Some(_)) => {
                return Err(ApiError::bad_request(
                    "mapping: give a built-in mapping name or a custom mapping, not both",
                ));
            }
            (Some(name), None) => Some(IngestMapping::built_in(name)?),
            (None, Some(json)) => Some(IngestMapping::custom(json)?),
            (None, None) => None,
        };
        Ok(IngestRequest {
            format,
            mode,
            mapping,
        })
    }

    /// The query of a request (the client's side); the custom mapping, if
    /// any, goes in a header ([`IngestMapping::custom_json`]).
    pub fn of(req: &IngestRequest, dry_run: bool) -> IngestQuery {
        IngestQuery {
            format: Some(req.format.as_str().to_string()),
            mode: Some(mode_name(req.mode).to_string()),
            mapping: req
                .mapping
                .as_ref()
                .and_then(|m| m.built_in_name().map(str::to_string)),
            dry_run: dry_run.then_some(true),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_goes_over_http_and_comes_back_the_same() {
        let custom = r#"{
            "columns": {"Customer": "account_id"}
        }"#;
        for (format, mode, mapping) in [
            (Format::Csv, IngestMode::ValidRows, None),
            (
                Format::Ndjson,
                IngestMode::AllOrNothing,
                Some(IngestMapping::built_in("telco").unwrap()),
            ),
            (
                Format::Json,
                IngestMode::ValidRows,
                Some(IngestMapping::custom(custom).unwrap()),
            ),
        ] {
            let req = IngestRequest {
                format,
                mode,
                mapping,
            };
            let query = IngestQuery::of(&req, false);
            let header = req.mapping.as_ref().and_then(IngestMapping::custom_json);
            assert!(header.is_none_or(|h| !h.contains('\n')), "one line");
            let back = query.request(None, header).unwrap();
            assert_eq!(back.format, req.format);
            assert_eq!(back.mode, req.mode);
            assert_eq!(
                back.mapping.as_ref().map(|m| m.mapping().clone()),
                req.mapping.as_ref().map(|m| m.mapping().clone())
            );
        }
    }

    #[test]
    fn bad_queries_name_the_parameter() {
        let q = |format: Option<&str>, mode: Option<&str>, mapping: Option<&str>| IngestQuery {
            format: format.map(str::to_string),
            mode: mode.map(str::to_string),
            mapping: mapping.map(str::to_string),
            dry_run: None,
        };
        let err = |r: ApiResult<IngestRequest>| r.unwrap_err().body.message;
        assert!(err(q(Some("xml"), None, None).request(None, None)).starts_with("format: \"xml\""));
        assert!(err(q(None, Some("some"), None).request(None, None)).starts_with("mode: \"some\""));
        assert!(
            err(q(None, None, Some("telcoo")).request(None, None))
                .contains("did you mean \"telco\"")
        );
        assert!(err(q(None, None, Some("telco")).request(None, Some("{}"))).contains("not both"));
        // Without a format, the content type decides, else NDJSON.
        let none = q(None, None, None);
        assert_eq!(
            none.request(Some("text/csv; charset=utf-8"), None)
                .unwrap()
                .format,
            Format::Csv
        );
        assert_eq!(none.request(None, None).unwrap().format, Format::Ndjson);
    }
}
