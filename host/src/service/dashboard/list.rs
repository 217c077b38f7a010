//! Account lists over the index: filters, search, a sort on any column and a
//! page. Filtering and sorting 100,000 rows in memory takes milliseconds
//! (`vitals-bench dashboard`), so no list is ever sent whole.

use super::index::{Index, Row};
use super::views::{AccountList, AccountQuery, AccountRow};
use crate::runtime::types::Band;
use crate::service::{ApiError, ApiResult};
use std::cmp::Ordering;

/// Rows a page may hold.
pub const MAX_LIMIT: usize = 500;
/// Rows of a page by default.
pub const DEFAULT_LIMIT: usize = 50;

/// Columns a list sorts by.
pub const SORTS: [&str; 11] = [
    "id",
    "name",
    "owner",
    "tier",
    "arr",
    "score",
    "band",
    "propensity",
    "renewal_date",
    "renewal_probability",
    "expected_renewal_arr",
];

/// Red first in ascending order: the worst comes first.
fn band_rank(b: Band) -> u8 {
    match b {
        Band::Red => 0,
        Band::Yellow => 1,
        Band::Green => 2,
    }
}

/// Parses a band filter.
fn band_filter(text: &str) -> ApiResult<Option<Band>> {
    match text {
        "green" => Ok(Some(Band::Green)),
        "yellow" => Ok(Some(Band::Yellow)),
        "red" => Ok(Some(Band::Red)),
        "none" => Ok(None),
        other => Err(ApiError::bad_request(format!(
            "band: {other:?} is not green, yellow, red or none"
        ))),
    }
}

/// The page size asked for, checked.
pub fn limit(limit: Option<usize>) -> ApiResult<usize> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if n > MAX_LIMIT => Err(ApiError::bad_request(format!(
            "limit: {n} is above {MAX_LIMIT}"
        ))),
        Some(n) => Ok(n),
    }
}

/// Lowercased words of a search box; every one must be found.
pub fn words(q: Option<&str>) -> Vec<String> {
    q.unwrap_or("")
        .split_whitespace()
        .map(str::to_lowercase)
        .collect()
}

pub fn matches_words(row: &Row, words: &[String]) -> bool {
    words.iter().all(|w| row.search.contains(w.as_str()))
}

/// `None` (blank) after every value, whichever the order.
fn blank_last<T>(
    a: Option<T>,
    b: Option<T>,
    desc: bool,
    cmp: impl Fn(T, T) -> Ordering,
) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) if desc => cmp(b, a),
        (Some(a), Some(b)) => cmp(a, b),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

fn comparator(sort: &str, desc: bool) -> impl Fn(&Row, &Row) -> Ordering {
    let sort = sort.to_string();
    move |a: &Row, b: &Row| {
        let f = |x: f64, y: f64| x.total_cmp(&y);
        let s = |x: &str, y: &str| x.cmp(y);
        let by = match sort.as_str() {
            "name" => blank_last(a.name.as_deref(), b.name.as_deref(), desc, s),
            "owner" => blank_last(a.owner.as_deref(), b.owner.as_deref(), desc, s),
            "tier" => blank_last(a.tier.as_deref(), b.tier.as_deref(), desc, s),
            "arr" => blank_last(a.arr, b.arr, desc, f),
            "score" => blank_last(a.health.map(|h| h.0), b.health.map(|h| h.0), desc, f),
            "band" => blank_last(
                a.health.map(|h| band_rank(h.1)),
                b.health.map(|h| band_rank(h.1)),
                desc,
                |x, y| x.cmp(&y),
            ),
            "propensity" => blank_last(a.propensity, b.propensity, desc, f),
            "renewal_date" => blank_last(a.renewal(), b.renewal(), desc, |x, y| x.cmp(&y)),
            "renewal_probability" => blank_last(
                a.forecast.as_ref().map(|x| x.0.renewal_probability),
                b.forecast.as_ref().map(|x| x.0.renewal_probability),
                desc,
                f,
            ),
            "expected_renewal_arr" => blank_last(
                a.forecast.as_ref().map(|x| x.0.expected_renewal_arr),
                b.forecast.as_ref().map(|x| x.0.expected_renewal_arr),
                desc,
                f,
            ),
            _ => Ordering::Equal,
        };
        // Ties (and the `id` column) by id, so pages never overlap.
        by.then_with(|| {
            if desc && sort == "id" {
                b.id.cmp(&a.id)
            } else {
                a.id.cmp(&b.id)
            }
        })
    }
}

/// A row as a view.
pub fn view(index: &Index, row: &Row) -> AccountRow {
    AccountRow {
        id: row.id.clone(),
        name: row.name.clone(),
        owner: row.owner.clone(),
        tier: row.tier.clone(),
        arr: row.arr,
        score: row.health.map(|h| h.0),
        band: row.health.map(|h| h.1),
        band_before: row.band_before,
        segments: row
            .segments
            .iter()
            .flatten()
            .map(|n| index.scores.segment_names[*n as usize].clone())
            .collect(),
        propensity: row.propensity,
        renewal_date: row.renewal().map(vitals_plugin_sdk::date::format),
        renewal_probability: row.forecast.as_ref().map(|f| f.0.renewal_probability),
        expected_renewal_arr: row.forecast.as_ref().map(|f| f.0.expected_renewal_arr),
    }
}

/// The page of accounts a query asks for.
pub fn accounts(index: &Index, q: &AccountQuery) -> ApiResult<AccountList> {
    let limit = limit(q.limit)?;
    let sort = q.sort.as_deref().unwrap_or("id");
    if !SORTS.contains(&sort) {
        return Err(ApiError::bad_request(format!(
            "sort: {sort:?} is not one of {}",
            SORTS.join(", ")
        )));
    }
    let desc = match q.order.as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(o) => {
            return Err(ApiError::bad_request(format!(
                "order: {o:?} is not asc or desc"
            )));
        }
    };
    let band = q.band.as_deref().map(band_filter).transpose()?;
    let words = words(q.q.as_deref());
    // A segment the latest run does not know has no members (not an error:
    // a bookmark may outlive a segment).
    let segment = q.segment.as_deref().map(|s| index.segment(s));
    let membership = match (q.membership.as_deref(), &segment) {
        (None | Some("member"), _) => "member",
        (Some(m @ ("entered" | "left")), Some(_)) => m,
        (Some("entered" | "left"), None) => {
            return Err(ApiError::bad_request("membership: give a segment too"));
        }
        (Some(m), _) => {
            return Err(ApiError::bad_request(format!(
                "membership: {m:?} is not member, entered or left"
            )));
        }
    };
    let has_before = index.scores.sources.segments_before.is_some();
    let window = match q.renewal_within {
        Some(days) if !(1..=3660).contains(&days) => {
            return Err(ApiError::bad_request(format!(
                "renewal_within: {days} is not between 1 and 3660"
            )));
        }
        Some(days) => Some(
            index
                .scores
                .sources
                .forecast
                .as_ref()
                .map(|r| (r.as_of, r.as_of + days - 1)),
        ),
        None => None,
    };
    let mut rows: Vec<&Row> = index
        .rows
        .iter()
        .filter(|r| {
            band.is_none_or(|b| r.health.map(|h| h.1) == b)
                && q.owner
                    .as_deref()
                    .is_none_or(|o| r.owner.as_deref().unwrap_or(super::NO_OWNER) == o)
                && q.tier
                    .as_deref()
                    .is_none_or(|t| r.tier.as_deref() == Some(t))
                && segment.is_none_or(|s| {
                    s.is_some_and(|s| match membership {
                        "entered" => r.entered(s, has_before),
                        "left" => r.left(s),
                        _ => r.in_segment(s),
                    })
                })
                && (q.turned_red != Some(true) || r.turned_red())
                && window.is_none_or(|w| {
                    w.is_some_and(|(from, to)| {
                        r.forecast
                            .as_ref()
                            .and_then(|f| f.0.renewal_date)
                            .is_some_and(|d| d >= from && d <= to)
                    })
                })
                && matches_words(r, &words)
        })
        .collect();
    let total = rows.len();
    let cmp = comparator(sort, desc);
    // Only the rows up to the page's end need to be in order.
    let end = q.offset.saturating_add(limit).min(total);
    if end > 0 && end < total {
        rows.select_nth_unstable_by(end - 1, |a, b| cmp(a, b));
        rows.truncate(end);
    }
    rows.sort_unstable_by(|a, b| cmp(a, b));
    Ok(AccountList {
        total,
        offset: q.offset,
        sort: sort.to_string(),
        order: if desc { "desc" } else { "asc" }.into(),
        rows: rows
            .iter()
            .skip(q.offset)
            .take(limit)
            .map(|r| view(index, r))
            .collect(),
    })
}
