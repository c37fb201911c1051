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

/// A day typed into a form or a query, `YYYY-MM-DD`, within the years a
/// petition's business can concern (2000–2100): chrono alone takes signed
/// years like `+262143-12-31`, on which date arithmetic panics and whose
/// text sorts before every real day.
pub fn plain_date(s: &str) -> Option<chrono::NaiveDate> {
    use chrono::Datelike;
    let s = s.trim();
    if s.len() != 10 || !s.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().filter(|d| (2000..=2100).contains(&d.year()))
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
