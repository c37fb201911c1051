//! Identity numbers come from citizens and from imports: validation and
//! masking must never panic, and a valid number masks to its two ends.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xinfang_domain::petition::{valid_id_number, valid_phone};

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    if valid_id_number(&s) {
        assert_eq!(s.chars().count(), 18);
        assert!(s.chars().take(17).all(|c| c.is_ascii_digit()));
    }
    let _ = valid_phone(&s);
});
