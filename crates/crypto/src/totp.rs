//! TOTP second factor (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits),
//! compatible with common authenticator apps.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha1::Sha1;

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

pub fn base32_encode(data: &[u8]) -> String {
    let mut out = String::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &b in data {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            let i = ((buffer >> (bits - 5)) & 31) as usize;
            out.push(char::from(ALPHABET.get(i).copied().unwrap_or(b'A')));
            bits -= 5;
        }
    }
    if bits > 0 {
        let i = ((buffer << (5 - bits)) & 31) as usize;
        out.push(char::from(ALPHABET.get(i).copied().unwrap_or(b'A')));
    }
    out
}

pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let v = ALPHABET.iter().position(|&a| char::from(a) == c.to_ascii_uppercase())? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            out.push(((buffer >> (bits - 8)) & 0xff) as u8);
            bits -= 8;
        }
    }
    Some(out)
}

/// A new 160-bit secret, base32 encoded.
pub fn new_secret() -> String {
    let mut s = [0u8; 20];
    rand::rng().fill_bytes(&mut s);
    base32_encode(&s)
}

/// The 6-digit code for a Unix time.
pub fn code_at(secret: &[u8], unix: u64) -> String {
    let counter = unix / 30;
    let Ok(mut mac) = <Hmac<Sha1> as Mac>::new_from_slice(secret) else { return String::new() };
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = usize::from(h.get(19).copied().unwrap_or(0) & 0x0f);
    let slice = h.get(offset..offset + 4).unwrap_or(&[0, 0, 0, 0]);
    let bin = u32::from_be_bytes([slice[0] & 0x7f, slice[1], slice[2], slice[3]]);
    format!("{:06}", bin % 1_000_000)
}

/// Accept the current step and one step either side (clock drift).
pub fn verify(secret_b32: &str, code: &str, unix: u64) -> bool {
    let Some(secret) = base32_decode(secret_b32) else { return false };
    let code = code.trim();
    [unix.saturating_sub(30), unix, unix + 30].iter().any(|t| code_at(&secret, *t) == code)
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
        assert!(verify(&b32, "287082", 59 + 30));
        assert!(!verify(&b32, "287082", 59 + 120));
    }
}
