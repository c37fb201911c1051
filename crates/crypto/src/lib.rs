//! Cryptography for xinfang, national algorithms by default.
//!
//! * SM3 (GB/T 32905) for the tamper-evident hash chains of the event
//!   history and the access log.
//! * HMAC-SM3 keyed hashes, so that repeat matching and search by identity
//!   number or phone work without the plaintext in the database.
//! * SM4-GCM (GB/T 32907 block cipher in GCM mode) for personal data at
//!   rest; AES-256-GCM selectable. Every ciphertext records its algorithm
//!   and key id, so keys can be rotated and algorithms changed without a
//!   flag day.

pub mod mask;
pub mod totp;

use aes_gcm::aead::generic_array::typenum::U12;
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, AesGcm, Nonce};
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sm3::{Digest, Sm3};
use zeroize::Zeroizing;

type Sm4Gcm = AesGcm<sm4::Sm4, U12>;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("malformed ciphertext")]
    Malformed,
    #[error("no key with id {0}")]
    UnknownKey(String),
    #[error("decryption failed (wrong key or tampered data)")]
    Decrypt,
    #[error("bad key material: {0}")]
    BadKey(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Sm4Gcm,
    Aes256Gcm,
}

impl Algorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sm4Gcm => "sm4-gcm",
            Algorithm::Aes256Gcm => "aes-256-gcm",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "sm4-gcm" => Some(Algorithm::Sm4Gcm),
            "aes-256-gcm" => Some(Algorithm::Aes256Gcm),
            _ => None,
        }
    }
    fn key_len(self) -> usize {
        match self {
            Algorithm::Sm4Gcm => 16,
            Algorithm::Aes256Gcm => 32,
        }
    }
}

/// SM3 digest, hex encoded.
pub fn sm3_hex(data: &[u8]) -> String {
    hex::encode(Sm3::digest(data))
}

/// One link of a hash chain: SM3(previous link's hash ‖ record).
pub fn chain_hash(prev: &str, record: &[u8]) -> String {
    let mut h = Sm3::new();
    h.update(prev.as_bytes());
    h.update([0x1f]);
    h.update(record);
    hex::encode(h.finalize())
}

/// The hash every chain starts from.
pub const CHAIN_GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

struct DataKey {
    id: String,
    alg: Algorithm,
    key: Zeroizing<Vec<u8>>,
}

/// The keys a deployment holds: the active data key, older data keys still
/// needed to decrypt, and the key of the keyed hashes.
pub struct Keyring {
    active: DataKey,
    retired: Vec<DataKey>,
    index_key: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keyring {{ active: {} {}, retired: {} }}", self.active.alg.as_str(), self.active.id, self.retired.len())
    }
}

fn key_id(key: &[u8]) -> String {
    sm3_hex(key).chars().take(8).collect()
}

fn decode_key(hex_text: &str, len: usize, what: &str) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let bytes = Zeroizing::new(hex::decode(hex_text.trim()).map_err(|_| CryptoError::BadKey(format!("{what} is not hex")))?);
    if bytes.len() != len {
        return Err(CryptoError::BadKey(format!("{what} must be {len} bytes ({} hex digits)", len * 2)));
    }
    Ok(bytes)
}

impl Keyring {
    /// Build from hex key material.
    pub fn new(alg: Algorithm, data_key_hex: &str, index_key_hex: &str) -> Result<Self, CryptoError> {
        let key = decode_key(data_key_hex, alg.key_len(), "data_key")?;
        Ok(Keyring {
            active: DataKey { id: key_id(&key), alg, key },
            retired: Vec::new(),
            index_key: decode_key(index_key_hex, 32, "index_key")?,
        })
    }

    /// Keep an older data key for decryption only (after a rotation).
    pub fn with_retired(mut self, alg: Algorithm, data_key_hex: &str) -> Result<Self, CryptoError> {
        let key = decode_key(data_key_hex, alg.key_len(), "retired data_key")?;
        self.retired.push(DataKey { id: key_id(&key), alg, key });
        Ok(self)
    }

    /// Fresh random keys, and the key-file text that stores them.
    pub fn generate(alg: Algorithm) -> (Keyring, String) {
        let mut data = vec![0u8; alg.key_len()];
        let mut index = vec![0u8; 32];
        rand::rng().fill_bytes(&mut data);
        rand::rng().fill_bytes(&mut index);
        let text = format!(
            "# xinfang key file: keep it secret and back it up apart from the database.\n# Without it the personal data in the database cannot be read.\nalgorithm = \"{}\"\ndata_key = \"{}\"\nindex_key = \"{}\"\n",
            alg.as_str(),
            hex::encode(&data),
            hex::encode(&index)
        );
        let ring = Keyring::new(alg, &hex::encode(&data), &hex::encode(&index)).unwrap_or_else(|_| unreachable_ring());
        (ring, text)
    }

    /// Parse a key file (`algorithm`, `data_key`, `index_key`, and any number
    /// of `retired_key = "alg:hex"` lines).
    pub fn from_key_file(text: &str) -> Result<Self, CryptoError> {
        let mut alg = None;
        let mut data = None;
        let mut index = None;
        let mut retired = Vec::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let (k, v) = line.split_once('=').ok_or_else(|| CryptoError::BadKey(format!("bad line: {line}")))?;
            let v = v.trim().trim_matches('"').to_string();
            match k.trim() {
                "algorithm" => alg = Some(Algorithm::parse(&v).ok_or_else(|| CryptoError::BadKey(format!("unknown algorithm {v}")))?),
                "data_key" => data = Some(v),
                "index_key" => index = Some(v),
                "retired_key" => retired.push(v),
                other => return Err(CryptoError::BadKey(format!("unknown entry {other}"))),
            }
        }
        let alg = alg.unwrap_or(Algorithm::Sm4Gcm);
        let mut ring = Keyring::new(
            alg,
            &data.ok_or_else(|| CryptoError::BadKey("data_key missing".into()))?,
            &index.ok_or_else(|| CryptoError::BadKey("index_key missing".into()))?,
        )?;
        for r in retired {
            let (a, k) = r.split_once(':').ok_or_else(|| CryptoError::BadKey("retired_key must be alg:hex".into()))?;
            ring = ring.with_retired(Algorithm::parse(a).ok_or_else(|| CryptoError::BadKey(format!("unknown algorithm {a}")))?, k)?;
        }
        Ok(ring)
    }

    pub fn algorithm(&self) -> Algorithm {
        self.active.alg
    }

    /// Encrypt a field: `v1:{alg}:{key id}:{base64(nonce ‖ ciphertext ‖ tag)}`.
    pub fn encrypt(&self, plaintext: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let k = &self.active;
        let ct = match k.alg {
            Algorithm::Sm4Gcm => {
                Sm4Gcm::new_from_slice(&k.key).ok().and_then(|c| c.encrypt(&Nonce::from(nonce), plaintext.as_bytes()).ok())
            }
            Algorithm::Aes256Gcm => {
                Aes256Gcm::new_from_slice(&k.key).ok().and_then(|c| c.encrypt(&Nonce::from(nonce), plaintext.as_bytes()).ok())
            }
        }
        .unwrap_or_default();
        let mut blob = nonce.to_vec();
        blob.extend(ct);
        format!("v1:{}:{}:{}", k.alg.as_str(), k.id, base64::engine::general_purpose::STANDARD_NO_PAD.encode(blob))
    }

    pub fn decrypt(&self, field: &str) -> Result<String, CryptoError> {
        let mut parts = field.splitn(4, ':');
        let (Some("v1"), Some(alg), Some(kid), Some(b64)) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(CryptoError::Malformed);
        };
        let alg = Algorithm::parse(alg).ok_or(CryptoError::Malformed)?;
        let key = std::iter::once(&self.active)
            .chain(self.retired.iter())
            .find(|k| k.id == kid && k.alg == alg)
            .ok_or_else(|| CryptoError::UnknownKey(kid.to_string()))?;
        let blob = base64::engine::general_purpose::STANDARD_NO_PAD.decode(b64).map_err(|_| CryptoError::Malformed)?;
        if blob.len() < 12 + 16 {
            return Err(CryptoError::Malformed);
        }
        let (nonce, ct) = blob.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| CryptoError::Malformed)?;
        let nonce = Nonce::from(nonce);
        let pt = match alg {
            Algorithm::Sm4Gcm => Sm4Gcm::new_from_slice(&key.key).map_err(|_| CryptoError::Decrypt)?.decrypt(&nonce, ct),
            Algorithm::Aes256Gcm => Aes256Gcm::new_from_slice(&key.key).map_err(|_| CryptoError::Decrypt)?.decrypt(&nonce, ct),
        }
        .map_err(|_| CryptoError::Decrypt)?;
        String::from_utf8(pt).map_err(|_| CryptoError::Decrypt)
    }

    /// HMAC-SM3 of `value` in a named domain (e.g. "id", "phone"), hex.
    /// Equal inputs give equal hashes; without the key nothing can be
    /// learned from them, not even by trying every phone number.
    pub fn keyed_hash(&self, domain: &str, value: &str) -> String {
        let Ok(mut mac) = <Hmac<Sm3> as Mac>::new_from_slice(&self.index_key) else {
            return String::new();
        };
        mac.update(domain.as_bytes());
        mac.update(&[0x1f]);
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// HMAC-SM3 that anchors a chain head, a checkpoint or a file record
    /// (`what` names the kind). The key lives in the key file, apart from
    /// the database, so whoever can rewrite the database and recompute its
    /// SM3 chains still cannot produce these. Domain-separated from the
    /// search hashes ("anchor:" prefix; no search domain has one).
    pub fn anchor_mac(&self, what: &str, text: &str) -> String {
        self.keyed_hash(&format!("anchor:{what}"), text)
    }
}

/// Never reached: `generate` makes keys of the right length.
fn unreachable_ring() -> Keyring {
    Keyring {
        active: DataKey { id: String::new(), alg: Algorithm::Sm4Gcm, key: Zeroizing::new(vec![0; 16]) },
        retired: Vec::new(),
        index_key: Zeroizing::new(vec![0; 32]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sm3_standard_vector_abc() {
        // GB/T 32905-2016, example 1.
        assert_eq!(sm3_hex(b"abc"), "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
    }

    #[test]
    // The cipher 0.4 block type is generic-array 0.14, deprecated upstream.
    #[allow(deprecated)]
    fn sm4_standard_vector() {
        // GB/T 32907-2016, example 1: one block, key = plaintext.
        use sm4::cipher::{BlockEncrypt, KeyInit as _, generic_array::GenericArray};
        let key = hex::decode("0123456789abcdeffedcba9876543210").expect("hex");
        let cipher = sm4::Sm4::new_from_slice(&key).expect("key");
        let mut block = GenericArray::clone_from_slice(&key);
        cipher.encrypt_block(&mut block);
        assert_eq!(hex::encode(block), "681edf34d206965e86b3e94f536e4246");
    }

    #[test]
    fn encrypt_round_trip_both_algorithms_and_tamper_detection() {
        for alg in [Algorithm::Sm4Gcm, Algorithm::Aes256Gcm] {
            let (ring, _) = Keyring::generate(alg);
            let c = ring.encrypt("440304199001011233");
            assert!(c.starts_with(&format!("v1:{}:", alg.as_str())));
            assert!(!c.contains("4403041990"));
            assert_ne!(c, ring.encrypt("440304199001011233"), "random nonce");
            assert_eq!(ring.decrypt(&c).as_deref(), Ok("440304199001011233"));
            let mut bad = c.clone().into_bytes();
            let last = bad.len() - 2;
            bad[last] = if bad[last] == b'A' { b'B' } else { b'A' };
            assert_eq!(ring.decrypt(&String::from_utf8(bad).expect("utf8")), Err(CryptoError::Decrypt));
        }
    }

    #[test]
    fn key_file_rotation_keeps_old_ciphertexts_readable() {
        let (old, old_text) = Keyring::generate(Algorithm::Sm4Gcm);
        let c = old.encrypt("13800138000");
        let old_key = old_text.lines().find_map(|l| l.strip_prefix("data_key = ")).expect("key").trim_matches('"').to_string();
        let (_, new_text) = Keyring::generate(Algorithm::Aes256Gcm);
        let index = old_text.lines().find_map(|l| l.strip_prefix("index_key = ")).expect("index").to_string();
        let rotated: String = new_text
            .lines()
            .map(|l| if l.starts_with("index_key") { format!("index_key = {index}") } else { l.to_string() })
            .chain(std::iter::once(format!("retired_key = \"sm4-gcm:{old_key}\"")))
            .collect::<Vec<_>>()
            .join("\n");
        let ring = Keyring::from_key_file(&rotated).expect("parse");
        assert_eq!(ring.decrypt(&c).as_deref(), Ok("13800138000"));
        assert!(ring.encrypt("x").starts_with("v1:aes-256-gcm:"));
        assert_eq!(ring.keyed_hash("phone", "13800138000"), old.keyed_hash("phone", "13800138000"));
    }

    #[test]
    fn chain_links_depend_on_the_previous_link() {
        let a = chain_hash(CHAIN_GENESIS, b"one");
        let b = chain_hash(&a, b"two");
        assert_ne!(b, chain_hash(CHAIN_GENESIS, b"two"));
        assert_eq!(b, chain_hash(&a, b"two"));
    }
}
