//! The heads of a checkpoint in compact form (`HeadList`): every
//! petition's number, last event seq and the first 16 bytes of that
//! event's hash, sorted by number (byte order), front-coded.
//!
//! Why compact: a checkpoint lists every petition. Held as a JSON map, a
//! 1,000,000-petition record made each scheduled checkpoint build, parse
//! and copy about 100 MB several times over (1.2–1.6 GB of server memory,
//! docs/performance.md). Front-coded and in number order, an entry takes
//! about 25 bytes and two lists can be compared in one pass, streaming
//! the current heads from the database beside the previous list.
//!
//! Entry: shared prefix length with the previous number (u8), suffix
//! length (u8), suffix bytes, seq (LEB128), hash prefix (16 bytes).
//! 128 bits of the SM3 head hash keep a rewritten history from matching
//! by chance; the head itself is still MAC'd with the full hash.

use crate::db::{Result, StoreError};
use sha2::{Digest, Sha256};

/// Bytes of an event hash kept per head.
pub const HASH_BYTES: usize = 16;

/// The first `HASH_BYTES` of a head hash (hex; anything else — never
/// written by xinfang — is hashed first, so it still compares).
pub fn hash_prefix(hash: &str) -> [u8; HASH_BYTES] {
    let mut out = [0u8; HASH_BYTES];
    match hex::decode(hash.get(..HASH_BYTES * 2).unwrap_or("")) {
        Ok(b) if b.len() == HASH_BYTES && hash.len() >= HASH_BYTES * 2 => out.copy_from_slice(&b),
        _ => out.copy_from_slice(&Sha256::digest(hash.as_bytes())[..HASH_BYTES]),
    }
    out
}

/// A checkpoint's heads, encoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeadList {
    bytes: Vec<u8>,
    len: usize,
}

/// One decoded entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadEntry {
    pub number: String,
    pub seq: i64,
    pub hash: [u8; HASH_BYTES],
}

impl HeadList {
    pub fn from_bytes(bytes: Vec<u8>) -> Result<HeadList> {
        let mut list = HeadList { bytes, len: 0 };
        let mut n = 0;
        for e in list.iter() {
            e?;
            n += 1;
        }
        list.len = n;
        Ok(list)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// SHA-256 (hex) of the encoding: what the signed checkpoint body names.
    pub fn sha256(&self) -> String {
        hex::encode(Sha256::digest(&self.bytes))
    }

    pub fn iter(&self) -> HeadIter<'_> {
        HeadIter { bytes: &self.bytes, pos: 0, prev: Vec::new() }
    }

    /// Built from entries in any order (an older checkpoint's map).
    pub fn from_unsorted(mut entries: Vec<(String, i64, String)>) -> Result<HeadList> {
        entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let mut b = HeadListBuilder::default();
        for (n, s, h) in entries {
            b.push(&n, s, &h)?;
        }
        Ok(b.finish())
    }
}

/// Appends entries in strictly increasing number order.
#[derive(Debug, Default)]
pub struct HeadListBuilder {
    bytes: Vec<u8>,
    prev: Vec<u8>,
    len: usize,
}

impl HeadListBuilder {
    pub fn push(&mut self, number: &str, seq: i64, hash: &str) -> Result<()> {
        let n = number.as_bytes();
        if self.len > 0 && n <= self.prev.as_slice() {
            return Err(StoreError::Corrupt(format!("checkpoint heads out of order at {number}")));
        }
        let shared = self.prev.iter().zip(n).take_while(|(a, b)| a == b).count().min(255);
        let suffix = &n[shared..];
        let (Ok(shared_b), Ok(suffix_b)) = (u8::try_from(shared), u8::try_from(suffix.len())) else {
            return Err(StoreError::Corrupt(format!("petition number too long for a checkpoint: {number}")));
        };
        let mut seq = u64::try_from(seq).map_err(|_| StoreError::Corrupt(format!("negative seq at {number}")))?;
        self.bytes.push(shared_b);
        self.bytes.push(suffix_b);
        self.bytes.extend_from_slice(suffix);
        loop {
            let byte = (seq & 0x7f) as u8;
            seq >>= 7;
            if seq == 0 {
                self.bytes.push(byte);
                break;
            }
            self.bytes.push(byte | 0x80);
        }
        self.bytes.extend_from_slice(&hash_prefix(hash));
        self.prev.clear();
        self.prev.extend_from_slice(n);
        self.len += 1;
        Ok(())
    }

    pub fn finish(self) -> HeadList {
        HeadList { bytes: self.bytes, len: self.len }
    }
}

pub struct HeadIter<'a> {
    bytes: &'a [u8],
    pos: usize,
    prev: Vec<u8>,
}

impl HeadIter<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8]> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.bytes.len()).ok_or_else(truncated)?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn entry(&mut self) -> Result<HeadEntry> {
        let head = self.take(2)?;
        let (shared, suffix_len) = (usize::from(head[0]), usize::from(head[1]));
        if shared > self.prev.len() {
            return Err(truncated());
        }
        let suffix = self.take(suffix_len)?.to_vec();
        self.prev.truncate(shared);
        self.prev.extend_from_slice(&suffix);
        let mut seq: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.take(1)?[0];
            seq |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                break;
            }
        }
        let mut hash = [0u8; HASH_BYTES];
        hash.copy_from_slice(self.take(HASH_BYTES)?);
        let number = String::from_utf8(self.prev.clone()).map_err(|_| truncated())?;
        Ok(HeadEntry { number, seq: i64::try_from(seq).map_err(|_| truncated())?, hash })
    }
}

fn truncated() -> StoreError {
    StoreError::Corrupt("checkpoint heads are malformed".into())
}

impl Iterator for HeadIter<'_> {
    type Item = Result<HeadEntry>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.bytes.len() {
            return None;
        }
        match self.entry() {
            Ok(e) => Some(Ok(e)),
            Err(e) => {
                self.pos = self.bytes.len();
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn h(c: char) -> String {
        c.to_string().repeat(64)
    }

    #[test]
    fn entries_round_trip_front_coded_in_order() {
        let mut b = HeadListBuilder::default();
        b.push("44030420261130000001A", 1, &h('a')).unwrap();
        b.push("44030420261130000002B", 300, &h('b')).unwrap();
        b.push("44030420261201000001C", 70_000, "0").unwrap();
        let list = b.finish();
        assert_eq!(list.len(), 3);
        // Front coding: far less than three whole numbers.
        assert!(list.as_bytes().len() < 3 * (21 + 2 + 16 + 3));
        let back: Vec<HeadEntry> = HeadList::from_bytes(list.as_bytes().to_vec()).unwrap().iter().map(|e| e.unwrap()).collect();
        assert_eq!(back[0].number, "44030420261130000001A");
        assert_eq!(back[1].seq, 300);
        assert_eq!(back[1].hash, [0xbb; 16]);
        assert_eq!(back[2].number, "44030420261201000001C");
        assert_eq!(back[2].seq, 70_000);
        assert_eq!(back[2].hash, hash_prefix("0"));
    }

    #[test]
    fn out_of_order_and_malformed_lists_are_refused() {
        let mut b = HeadListBuilder::default();
        b.push("B", 1, &h('a')).unwrap();
        assert!(b.push("A", 1, &h('a')).is_err());
        assert!(b.push("B", 2, &h('a')).is_err());
        let mut bytes = b.finish().into_bytes();
        bytes.pop();
        assert!(HeadList::from_bytes(bytes).is_err());
        assert!(HeadList::from_bytes(vec![5, 0]).is_err());
    }

    #[test]
    fn an_unsorted_map_becomes_the_same_list() {
        let a = HeadList::from_unsorted(vec![("B".into(), 2, h('b')), ("A".into(), 1, h('a'))]).unwrap();
        let mut b = HeadListBuilder::default();
        b.push("A", 1, &h('a')).unwrap();
        b.push("B", 2, &h('b')).unwrap();
        assert_eq!(a, b.finish());
        assert_eq!(a.sha256().len(), 64);
    }
}
