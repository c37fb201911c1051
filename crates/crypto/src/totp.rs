//! TOTP second factor (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits, one
//! step of clock drift either side), computed by the `totp-rs` crate rather
//! than by hand. Secrets stay in the format stored since the start: 160
//! random bits, base32 (RFC 4648, no padding), as authenticator apps take
//! them; the caller encrypts them at rest.
//!
//! `totp-rs` tells which time step a code matched; refusing a step that was
//! already used (RFC 6238 §5.2) is the caller's job, in the database, so
//! that it holds across nodes.

use rand::RngCore;
use totp_rs::{Algorithm, Builder, Secret, Totp};

const DIGITS: u8 = 6;
const STEP_SECONDS: u64 = 30;
const SKEW_STEPS: u16 = 1;

fn totp(secret: &[u8]) -> Option<Totp> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_skew(SKEW_STEPS)
        .with_step_duration(STEP_SECONDS)
        .with_secret(secret.to_vec())
        .build()
        .ok()
}

pub fn base32_encode(data: &[u8]) -> String {
    Secret::from(data.to_vec()).to_base32()
}

pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let cleaned: String = text.chars().filter(|c| !c.is_whitespace() && *c != '=').map(|c| c.to_ascii_uppercase()).collect();
    Secret::try_from_base32(cleaned).ok().map(|s| s.as_bytes().to_vec())
}

/// A new 160-bit secret, base32 encoded.
pub fn new_secret() -> String {
    let mut s = [0u8; 20];
    rand::rng().fill_bytes(&mut s);
    base32_encode(&s)
}

/// The 6-digit code for a Unix time (empty if the secret is unusable).
pub fn code_at(secret: &[u8], unix: u64) -> String {
    totp(secret).map(|t| t.generate(unix).to_string()).unwrap_or_default()
}

/// The time step (Unix time / 30) that `code` matches at `unix`, allowing
/// one step either side; `None` for a wrong code. The caller accepts a
/// step only if it is later than the last one it accepted.
pub fn verify_step(secret_b32: &str, code: &str, unix: u64) -> Option<u64> {
    let secret = base32_decode(secret_b32)?;
    totp(&secret)?.check(code.trim(), unix)
}

/// Whether `code` is right at `unix` (±1 step), replay not considered.
pub fn verify(secret_b32: &str, code: &str, unix: u64) -> bool {
    verify_step(secret_b32, code, unix).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vectors() {
        let secret = b"12345678901234567890";
        // RFC 6238 appendix B, truncated to 6 digits.
        assert_eq!(code_at(secret, 59), "287082");
        assert_eq!(code_at(secret, 1_111_111_109), "081804");
        assert_eq!(code_at(secret, 2_000_000_000), "279037");
        let b32 = base32_encode(secret);
        assert_eq!(b32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(base32_decode(&b32).as_deref(), Some(&secret[..]));
        assert_eq!(base32_decode("gezdgnbvgy3tqojq gezdgnbvgy3tqojq").as_deref(), Some(&secret[..]));
        assert!(verify(&b32, "287082", 59 + 30));
        assert!(!verify(&b32, "287082", 59 + 120));
        assert!(!verify(&b32, "+87082", 59));
    }

    #[test]
    fn the_matched_step_is_reported() {
        let b32 = new_secret();
        let secret = base32_decode(&b32).unwrap_or_default();
        assert_eq!(secret.len(), 20);
        let now = 1_800_000_015;
        assert_eq!(verify_step(&b32, &code_at(&secret, now), now), Some(now / 30));
        assert_eq!(verify_step(&b32, &code_at(&secret, now - 30), now), Some(now / 30 - 1), "one step of drift");
        assert_eq!(verify_step(&b32, &code_at(&secret, now + 30), now), Some(now / 30 + 1));
        assert_eq!(verify_step(&b32, &code_at(&secret, now - 60), now), None);
    }
}
