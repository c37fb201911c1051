//! Open311 POST bodies from third-party clients: decoding and parsing must
//! never panic, and an accepted request respects the documented limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;
use xinfang_domain::open311::{MAX_DESCRIPTION, parse_request};

fuzz_target!(|data: &[u8]| {
    let Ok(form) = serde_urlencoded::from_bytes::<HashMap<String, String>>(data) else { return };
    if let Ok(r) = parse_request(&form) {
        assert!(!r.service_code.is_empty());
        assert!(!r.description.is_empty() && r.description.chars().count() <= MAX_DESCRIPTION);
        if let Some(d) = r.division {
            assert!(d.chars().all(|c| c.is_ascii_digit()));
        }
    }
});
