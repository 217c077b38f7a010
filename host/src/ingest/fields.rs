//! The canonical columns: their names, their types, and the conversion of
//! one cell's text into a checked, typed value.

use crate::contract::Confidence;
use crate::model::OutcomeKind;
use vitals_plugin_sdk::date;

/// Longest accepted cell, in bytes.
pub(crate) const MAX_FIELD_BYTES: usize = 4096;
/// Longest accepted account id, in bytes.
pub(crate) const MAX_ACCOUNT_ID_BYTES: usize = 256;
/// Largest month count `months_before_as_of` accepts (1,000 years).
pub(crate) const MAX_MONTHS: f64 = 12_000.0;

/// A canonical column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Field {
    AccountId,
    AsOf,
    Name,
    Owner,
    Tier,
    Plan,
    StartDate,
    RenewalDate,
    ContractArr,
    RenewalConfidence,
    SeatsPurchased,
    SeatsActive,
    Logins,
    FeaturesUsed,
    FeaturesAvailable,
    TicketsOpen,
    TicketsHighSeverity,
    Nps,
    Csat,
    Arr,
    ChampionLeft,
    LatePayments,
    Outcome,
    OutcomeDate,
    ArrChange,
}

/// Number of canonical columns.
pub(crate) const FIELD_COUNT: usize = 25;

/// Every canonical column, in documentation order (index = `Field as usize`).
pub(crate) const FIELDS: [Field; FIELD_COUNT] = [
    Field::AccountId,
    Field::AsOf,
    Field::Name,
    Field::Owner,
    Field::Tier,
    Field::Plan,
    Field::StartDate,
    Field::RenewalDate,
    Field::ContractArr,
    Field::RenewalConfidence,
    Field::SeatsPurchased,
    Field::SeatsActive,
    Field::Logins,
    Field::FeaturesUsed,
    Field::FeaturesAvailable,
    Field::TicketsOpen,
    Field::TicketsHighSeverity,
    Field::Nps,
    Field::Csat,
    Field::Arr,
    Field::ChampionLeft,
    Field::LatePayments,
    Field::Outcome,
    Field::OutcomeDate,
    Field::ArrChange,
];

/// How a column's value is stored and checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    Date,
    /// A finite number; `min`/`max` bounds are in [`Field::check_number`].
    Number,
    Count,
    Nps,
    Bool,
    Confidence,
    Outcome,
}

impl Field {
    /// The snake_case name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Field::AccountId => "account_id",
            Field::AsOf => "as_of",
            Field::Name => "name",
            Field::Owner => "owner",
            Field::Tier => "tier",
            Field::Plan => "plan",
            Field::StartDate => "start_date",
            Field::RenewalDate => "renewal_date",
            Field::ContractArr => "contract_arr",
            Field::RenewalConfidence => "renewal_confidence",
            Field::SeatsPurchased => "seats_purchased",
            Field::SeatsActive => "seats_active",
            Field::Logins => "logins",
            Field::FeaturesUsed => "features_used",
            Field::FeaturesAvailable => "features_available",
            Field::TicketsOpen => "tickets_open",
            Field::TicketsHighSeverity => "tickets_high_severity",
            Field::Nps => "nps",
            Field::Csat => "csat",
            Field::Arr => "arr",
            Field::ChampionLeft => "champion_left",
            Field::LatePayments => "late_payments",
            Field::Outcome => "outcome",
            Field::OutcomeDate => "outcome_date",
            Field::ArrChange => "arr_change",
        }
    }

    /// The canonical column a header names: snake_case or kebab-case, any
    /// letter case, inner spaces as `_`, surrounding spaces ignored (`As-Of`
    /// and `As Of` are `as_of`).
    pub(crate) fn from_name(name: &str) -> Option<Field> {
        let name = name.trim();
        if name.len() > 32 {
            return None;
        }
        let mut buf = [0u8; 32];
        for (slot, b) in buf.iter_mut().zip(name.bytes()) {
            *slot = match b {
                b'-' | b' ' => b'_',
                b => b.to_ascii_lowercase(),
            };
        }
        let key = &buf[..name.len()];
        FIELDS.iter().copied().find(|f| f.name().as_bytes() == key)
    }

    /// How the value is stored.
    pub(crate) fn kind(self) -> Kind {
        match self {
            Field::AccountId | Field::Name | Field::Owner | Field::Tier | Field::Plan => Kind::Text,
            Field::AsOf | Field::StartDate | Field::RenewalDate | Field::OutcomeDate => Kind::Date,
            Field::ContractArr | Field::Csat | Field::Arr | Field::ArrChange => Kind::Number,
            Field::SeatsPurchased
            | Field::SeatsActive
            | Field::Logins
            | Field::FeaturesUsed
            | Field::FeaturesAvailable
            | Field::TicketsOpen
            | Field::TicketsHighSeverity
            | Field::LatePayments => Kind::Count,
            Field::Nps => Kind::Nps,
            Field::ChampionLeft => Kind::Bool,
            Field::RenewalConfidence => Kind::Confidence,
            Field::Outcome => Kind::Outcome,
        }
    }

    /// Whether the column is a snapshot measure (needs `as_of` on the row).
    pub(crate) fn is_snapshot_measure(self) -> bool {
        matches!(
            self,
            Field::SeatsPurchased
                | Field::SeatsActive
                | Field::Logins
                | Field::FeaturesUsed
                | Field::FeaturesAvailable
                | Field::TicketsOpen
                | Field::TicketsHighSeverity
                | Field::Nps
                | Field::Csat
                | Field::Arr
                | Field::ChampionLeft
                | Field::LatePayments
        )
    }

    /// Whether a number scale (`scale` in a mapping) may apply to it.
    pub(crate) fn is_numeric(self) -> bool {
        matches!(self.kind(), Kind::Number | Kind::Count | Kind::Nps)
    }

    /// Range check of a number already known to be finite: what is wrong
    /// with it, for a message that shows the value first.
    fn check_number(self, v: f64) -> Result<f64, &'static str> {
        match self {
            Field::Csat if !(0.0..=100.0).contains(&v) => Err("is out of range (csat is 0-100)"),
            Field::Arr | Field::ContractArr if v < 0.0 => Err("must not be negative"),
            _ => Ok(v),
        }
    }
}

/// A converted value of a canonical column.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) enum Val {
    #[default]
    None,
    Text(String),
    Date(i32),
    Number(f64),
    Count(u32),
    Bool(bool),
    Confidence(Confidence),
    Outcome(OutcomeKind),
}

impl Val {
    pub(crate) fn is_none(&self) -> bool {
        matches!(self, Val::None)
    }
}

/// Parses a finite number (`1`, `-2.5`, `1e3`); NaN and infinities are refused.
pub(crate) fn parse_number(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(format!("{} is not a finite number", quote(text))),
        Err(_) => Err(format!("{} is not a number", quote(text))),
    }
}

/// A number as people write it: float noise from scaling rounded away
/// (29.85 x 12 is `358.2`, not `358.20000000000005`).
pub(crate) fn number_text(v: f64) -> String {
    let rounded = (v * 1e6).round() / 1e6;
    if (rounded - v).abs() <= 1e-9 * v.abs().max(1.0) {
        format!("{rounded}")
    } else {
        format!("{v}")
    }
}

/// The cell as written, quoted, and what the mapping's scale made of it:
/// `"-4"`, or `"-4" (x12 = -48)`. Messages about a scaled number show
/// both, so that the cell can be found in the file.
pub(crate) fn shown(text: &str, scale: f64, scaled: f64) -> String {
    if scale == 1.0 {
        quote(text)
    } else {
        format!(
            "{} (x{} = {})",
            quote(text),
            number_text(scale),
            number_text(scaled)
        )
    }
}

/// Whole number from a finite (possibly scaled) value, tolerating float noise.
fn whole(v: f64) -> Option<f64> {
    let r = v.round();
    ((v - r).abs() <= 1e-9 * r.abs().max(1.0)).then_some(r)
}

/// Parses a non-negative whole number fitting u32, optionally scaled.
pub(crate) fn parse_count(text: &str, scale: f64) -> Result<u32, String> {
    if scale == 1.0
        && let Ok(v) = text.parse::<u32>()
    {
        return Ok(v);
    }
    let v = parse_number(text)? * scale;
    if !v.is_finite() {
        return Err(format!("{} is too large after scaling", quote(text)));
    }
    let Some(w) = whole(v) else {
        return Err(format!("{} is not a whole number", shown(text, scale, v)));
    };
    if w < 0.0 {
        return Err(format!("{} must not be negative", shown(text, scale, v)));
    }
    if w > f64::from(u32::MAX) {
        return Err(format!(
            "{} is too large (at most {})",
            shown(text, scale, v),
            u32::MAX
        ));
    }
    Ok(w as u32)
}

/// Parses a whole number of months (may be negative).
pub(crate) fn parse_months(text: &str) -> Result<i32, String> {
    let v = parse_number(text)?;
    let Some(w) = whole(v) else {
        return Err(format!("{} is not a whole number of months", quote(text)));
    };
    if w.abs() > MAX_MONTHS {
        return Err(format!("{} months is out of range", quote(text)));
    }
    Ok(w as i32)
}

/// Parses a number of years that comes to a whole number of months
/// (may be negative): the months.
pub(crate) fn parse_years(text: &str) -> Result<i32, String> {
    let v = parse_number(text)?;
    let Some(w) = whole(v * 12.0) else {
        return Err(format!(
            "{} years is not a whole number of months",
            quote(text)
        ));
    };
    if w.abs() > MAX_MONTHS {
        return Err(format!("{} years is out of range", quote(text)));
    }
    Ok(w as i32)
}

/// Parses a boolean: true/false, yes/no, 1/0 (any letter case).
pub(crate) fn parse_bool(text: &str) -> Result<bool, String> {
    let t = text.as_bytes();
    let is = |w: &str| t.eq_ignore_ascii_case(w.as_bytes());
    if is("true") || is("yes") || is("1") {
        Ok(true)
    } else if is("false") || is("no") || is("0") {
        Ok(false)
    } else {
        Err(format!("{} is not true/false/yes/no/1/0", quote(text)))
    }
}

fn parse_confidence(text: &str) -> Result<Confidence, String> {
    let t = text.to_ascii_lowercase().replace(['_', ' '], "-");
    match t.as_str() {
        "commit" => Ok(Confidence::Commit),
        "best-case" => Ok(Confidence::BestCase),
        "pipeline" => Ok(Confidence::Pipeline),
        "omitted" => Ok(Confidence::Omitted),
        _ => Err(format!(
            "{} is not commit, best-case, pipeline or omitted",
            quote(text)
        )),
    }
}

/// Converts non-blank, trimmed text into the column's value; `scale`
/// multiplies numbers (1.0 for none).
pub(crate) fn convert(field: Field, text: &str, scale: f64) -> Result<Val, String> {
    Ok(match field.kind() {
        Kind::Text => {
            if field == Field::AccountId && text.len() > MAX_ACCOUNT_ID_BYTES {
                return Err(format!(
                    "account_id is {} bytes long (at most {MAX_ACCOUNT_ID_BYTES})",
                    text.len()
                ));
            }
            Val::Text(text.to_owned())
        }
        Kind::Date => match date::parse(text) {
            Some(d) => Val::Date(d),
            None => return Err(format!("{} is not a valid YYYY-MM-DD date", quote(text))),
        },
        Kind::Number => {
            let v = parse_number(text)? * scale;
            if !v.is_finite() {
                return Err(format!("{} is too large after scaling", quote(text)));
            }
            let checked = field.check_number(v);
            Val::Number(checked.map_err(|why| format!("{} {why}", shown(text, scale, v)))?)
        }
        Kind::Count => Val::Count(parse_count(text, scale)?),
        Kind::Nps => {
            let v = parse_count(text, scale)
                .map_err(|e| format!("{e} (nps is a whole number 0-10)"))?;
            if v > 10 {
                let shown = shown(text, scale, f64::from(v));
                return Err(format!("{shown} is out of range (nps is 0-10)"));
            }
            Val::Count(v)
        }
        Kind::Bool => Val::Bool(parse_bool(text)?),
        Kind::Confidence => Val::Confidence(parse_confidence(text)?),
        Kind::Outcome => match OutcomeKind::parse(text) {
            Some(k) => Val::Outcome(k),
            None => {
                return Err(format!(
                    "{} is not renewed, churned, expanded or contracted",
                    quote(text)
                ));
            }
        },
    })
}

/// Checks a value copied from another column against this column's rules.
pub(crate) fn check_copy(field: Field, val: &Val) -> Result<Val, String> {
    match (field.kind(), val) {
        (Kind::Number, Val::Number(v)) => field
            .check_number(*v)
            .map(Val::Number)
            .map_err(|why| format!("{} {why}", number_text(*v))),
        (Kind::Number, Val::Count(v)) => field
            .check_number(f64::from(*v))
            .map(Val::Number)
            .map_err(|why| format!("{v} {why}")),
        (Kind::Nps, Val::Count(v)) if *v > 10 => Err(format!("{v} is out of range (nps is 0-10)")),
        _ => Ok(val.clone()),
    }
}

/// Whether values of `from` may be copied into `to`.
pub(crate) fn copy_compatible(from: Field, to: Field) -> bool {
    let (a, b) = (from.kind(), to.kind());
    a == b
        || matches!(
            (a, b),
            (Kind::Count | Kind::Nps, Kind::Number) | (Kind::Nps, Kind::Count)
        )
        || (a == Kind::Count && b == Kind::Nps)
}

/// The kebab-case form of a free-form column name: trimmed, lowercase,
/// spaces and underscores turned into `-`.
pub(crate) fn kebab(name: &str) -> String {
    name.trim()
        .chars()
        .map(|c| match c {
            ' ' | '_' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Quotes a value for an error message, shortened when long.
pub(crate) fn quote(text: &str) -> String {
    if text.len() <= 60 {
        return format!("{text:?}");
    }
    let mut end = 57;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{:?}...", &text[..end])
}
