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

/// The public number of the `seq`-th petition of a prefix: the counter is
/// passed through a keyed permutation of 000000–999999, so that two numbers
/// of a district and day do not tell how many petitions it received in
/// between (issue 8). `key` is secret (derived from the keyring per prefix);
/// the mapping is stable and one-to-one, so numbers stay unique.
pub fn public_number(prefix: &str, seq: i64, key: &[u8]) -> String {
    match u32::try_from(seq).ok().filter(|s| *s < 1_000_000) {
        Some(x) => format!("{prefix}-{:06}", permute(x, key)),
        // Past a million a day the plain counter is used (never reached).
        None => petition_number(prefix, seq),
    }
}

/// A four-round Feistel network over two base-1000 halves: a bijection on
/// 0..1_000_000 whose round function mixes the key with splitmix64.
fn permute(x: u32, key: &[u8]) -> u32 {
    let word = |i: usize| -> u64 {
        let mut b = [0u8; 8];
        for (j, slot) in b.iter_mut().enumerate() {
            *slot = key.get((i * 8 + j) % key.len().max(1)).copied().unwrap_or(0);
        }
        u64::from_le_bytes(b)
    };
    let (mut l, mut r) = (x / 1000, x % 1000);
    for round in 0..4 {
        let f = splitmix64(word(round) ^ u64::from(r) ^ ((round as u64) << 32)) % 1000;
        let f = u32::try_from(f).unwrap_or(0);
        (l, r) = (r, (l + f) % 1000);
    }
    l * 1000 + r
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
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
mod public_number_tests {
    use super::*;

    #[test]
    fn public_numbers_are_unique_and_do_not_count_up() {
        let key = [7u8; 32];
        let mut seen = std::collections::HashSet::new();
        for seq in 0..1_000_000u32 {
            assert!(seen.insert(permute(seq, &key)), "one-to-one");
        }
        let a = public_number("XF-440304-20261130", 1, &key);
        let b = public_number("XF-440304-20261130", 2, &key);
        let diff = |n: &str| n.rsplit('-').next().and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
        assert_ne!((diff(&b) - diff(&a)).abs(), 1, "consecutive petitions are not consecutive numbers: {a} {b}");
        assert!(looks_like_number(&a));
        assert_ne!(public_number("XF-440304-20261130", 1, &[8u8; 32]), a, "the key decides the mapping");
    }
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
