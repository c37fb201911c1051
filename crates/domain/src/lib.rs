//! The rules of petition work under the 2022 《信访工作条例》, as pure code.
//!
//! Nothing here touches a database, a clock or the network: callers pass in
//! the time, the holiday calendar and the unit tree, and get back the new
//! state plus the events to append. Every statutory rule is therefore a
//! plain unit test (see `procedure::tests`).

pub mod access;
pub mod account;
pub mod aggregate;
pub mod alerting;
pub mod calendar;
pub mod campaign;
pub mod deadline;
pub mod dispatch;
pub mod dispute;
pub mod error;
pub mod green_channel;
pub mod import;
pub mod leadership;
pub mod letters;
pub mod messages;
pub mod metrics;
pub mod number;
pub mod open311;
pub mod petition;
pub mod procedure;
pub mod ranking;
pub mod recompute;
pub mod repeats;
pub mod report;
pub mod role;
pub mod routing;
pub mod similarity;
pub mod spotcheck;
pub mod supervision;
pub mod unit;

pub use error::{DomainError, Rule};

/// All petition dates are counted in China Standard Time (UTC+8): a letter
/// received at 23:30 UTC on the 30th was received on the 1st in Beijing.
pub fn china_offset() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// The first and last years a petition's business can concern: no record
/// of the system is older, and no date typed in may lie beyond.
pub const FIRST_YEAR: i32 = 2000;
pub const LAST_YEAR: i32 = 2100;

/// A day typed into a form or a query, `YYYY-MM-DD`, within the years a
/// petition's business can concern (`FIRST_YEAR`–`LAST_YEAR`): chrono alone
/// takes signed years like `+262143-12-31`, on which date arithmetic panics
/// and whose text sorts before every real day.
pub fn plain_date(s: &str) -> Option<chrono::NaiveDate> {
    use chrono::Datelike;
    let s = s.trim();
    if s.len() != 10 || !s.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().filter(|d| (FIRST_YEAR..=LAST_YEAR).contains(&d.year()))
}

/// A month typed into a form or a query, exactly `YYYY-MM` (four and two
/// digits) within `FIRST_YEAR`–`LAST_YEAR`, as its first day: one spelling
/// per month, so that what is keyed or seeded by the month (a spot check's
/// sample, a ranking) cannot be had again by writing `+2026-11` or `2026-1`.
pub fn plain_month(s: &str) -> Option<chrono::NaiveDate> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 7 || b[4] != b'-' || !digits(0..4) || !digits(5..7) {
        return None;
    }
    plain_date(&format!("{s}-01"))
}

/// An RFC 3339 instant as people read it on a page or a sheet: Beijing
/// time to the minute (`2026-12-05 17:30`); None if it is not one.
pub fn local_minute(rfc3339: &str) -> Option<String> {
    chrono::DateTime::parse_from_rfc3339(rfc3339).ok().map(|t| t.with_timezone(&china_offset()).format("%Y-%m-%d %H:%M").to_string())
}

/// The local (Beijing) calendar date of an instant.
pub fn local_date(at: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
    at.with_timezone(&china_offset()).date_naive()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_month_has_one_spelling_within_the_systems_years() {
        let first = |s| super::plain_month(s).map(|d| d.to_string());
        assert_eq!(first("2026-11").as_deref(), Some("2026-11-01"));
        assert_eq!(first("2000-01").as_deref(), Some("2000-01-01"));
        for bad in ["+2026-11", "2026-1", "1999-11", "-0001-01", "0001-01", "2026-13", " 2026-11", "2026/11", "2101-01", "２０２６-11"]
        {
            assert_eq!(first(bad), None, "{bad}");
        }
    }
}
