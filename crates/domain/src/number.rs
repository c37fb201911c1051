//! Petition numbers and query codes.
//!
//! Format: `XF-{division6}-{YYYYMMDD}-{seq6}`, e.g. `XF-440304-20261122-000123`:
//! the registering unit's 6-digit division (padded with zeros for a city or
//! province), the local registration date, and a counter per division and
//! day. It sorts by place and date, fits on a receipt, and can be read out
//! over the phone. Query codes are 8 characters from an alphabet without
//! look-alikes (no 0/O, 1/I/L), shown once to the petitioner.

use chrono::NaiveDate;

/// Characters of a query code: no 0, 1, I, L, O.
pub const QUERY_CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
pub const QUERY_CODE_LEN: usize = 8;

/// The prefix shared by all numbers of one division and day; the store keeps
/// one counter per prefix.
pub fn number_prefix(division: &str, on: NaiveDate) -> String {
    let mut div: String = division.chars().take(6).collect();
    while div.len() < 6 {
        div.push('0');
    }
    format!("XF-{div}-{}", on.format("%Y%m%d"))
}

pub fn petition_number(prefix: &str, seq: i64) -> String {
    format!("{prefix}-{seq:06}")
}

/// Whether a string has the shape of a petition number (used to reject bad
/// path parameters before touching the database).
pub fn looks_like_number(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    matches!(parts.as_slice(), ["XF", div, date, seq]
        if div.len() == 6 && date.len() == 8 && (6..=9).contains(&seq.len())
        && [div, date, seq].iter().all(|p| p.chars().all(|c| c.is_ascii_digit())))
}

/// Build a query code from random bytes (the caller supplies randomness).
pub fn query_code_from(random: &[u8; QUERY_CODE_LEN]) -> String {
    random
        .iter()
        .map(|b| {
            let i = usize::from(*b) % QUERY_CODE_ALPHABET.len();
            char::from(QUERY_CODE_ALPHABET.get(i).copied().unwrap_or(b'X'))
        })
        .collect()
}

pub fn looks_like_query_code(s: &str) -> bool {
    s.len() == QUERY_CODE_LEN && s.bytes().all(|b| QUERY_CODE_ALPHABET.contains(&b.to_ascii_uppercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_format() {
        let on = NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
        let p = number_prefix("4403", on);
        assert_eq!(petition_number(&p, 123), "XF-440300-20261122-000123");
        assert!(looks_like_number("XF-440300-20261122-000123"));
        assert!(!looks_like_number("XF-4403-20261122-000123"));
        assert!(!looks_like_number("../etc/passwd"));
        let code = query_code_from(&[0, 1, 2, 3, 250, 251, 252, 255]);
        assert!(looks_like_query_code(&code));
    }
}
