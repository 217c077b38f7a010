//! Dates as whole days since 1970-01-01, the contract's `date` type, with
//! conversions to and from the civil calendar (proleptic Gregorian).

/// Days since 1970-01-01 (UTC). Negative before 1970.
pub type Date = i32;

/// The date of a civil year, month (1-12) and day (1-31). Out-of-range parts
/// are not checked here; use [`parse`] for untrusted text.
pub fn ymd(year: i32, month: u32, day: u32) -> Date {
    // Howard Hinnant's days_from_civil.
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = month as i32;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil (year, month, day) of a date.
pub fn to_ymd(date: Date) -> (i32, u32, u32) {
    let z = date + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i32::from(month <= 2);
    (year, month, day)
}

/// Parses `YYYY-MM-DD`; `None` for anything else, including impossible
/// dates such as 2026-02-30.
pub fn parse(text: &str) -> Option<Date> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let year: i32 = text[0..4].parse().ok()?;
    let month: u32 = text[5..7].parse().ok()?;
    let day: u32 = text[8..10].parse().ok()?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(ymd(year, month, day))
}

/// Formats a date as `YYYY-MM-DD`.
pub fn format(date: Date) -> String {
    let (y, m, d) = to_ymd(date);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Adds whole calendar months, clamping the day to the target month's length.
pub fn add_months(date: Date, months: i32) -> Date {
    let (y, m, d) = to_ymd(date);
    let total = y * 12 + (m as i32 - 1) + months;
    let (ny, nm) = (total.div_euclid(12), total.rem_euclid(12) as u32 + 1);
    ymd(ny, nm, d.min(days_in_month(ny, nm)))
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(ymd(1970, 1, 1), 0);
        assert_eq!(ymd(2026, 1, 1), 20_454);
        assert_eq!(ymd(2000, 3, 1), 11_017);
        assert_eq!(to_ymd(20_454), (2026, 1, 1));
        assert_eq!(to_ymd(-1), (1969, 12, 31));
    }

    #[test]
    fn round_trips_over_centuries() {
        for d in (-200_000..200_000).step_by(37) {
            let (y, m, day) = to_ymd(d);
            assert_eq!(ymd(y, m, day), d);
        }
    }

    #[test]
    fn parse_rejects_impossible() {
        assert_eq!(parse("2026-02-29"), None);
        assert_eq!(parse("2024-02-29"), Some(ymd(2024, 2, 29)));
        assert_eq!(parse("2026-13-01"), None);
        assert_eq!(parse("2026-1-01"), None);
        assert_eq!(parse("yesterday"), None);
        assert_eq!(format(parse("2026-11-24").unwrap()), "2026-11-24");
    }

    #[test]
    fn months_clamp() {
        assert_eq!(add_months(ymd(2026, 1, 31), 1), ymd(2026, 2, 28));
        assert_eq!(add_months(ymd(2026, 1, 15), -3), ymd(2025, 10, 15));
        assert_eq!(add_months(ymd(2026, 11, 30), 14), ymd(2028, 1, 30));
    }
}
