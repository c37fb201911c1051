//! Division, unit and holiday imports are files from outside: any bytes must give
//! rows or a line-numbered error, never a panic; accepted rows obey the rules.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xinfang_domain::import::{check_unit_links, parse_calendar, parse_divisions, parse_units};
use xinfang_domain::petition::valid_division_code;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(rows) = parse_divisions(&text) {
        for r in rows {
            assert!(valid_division_code(&r.code));
            if let Some(p) = r.parent_code {
                assert!(r.code.starts_with(&p) && p.len() < r.code.len());
            }
        }
    }
    if let Ok(rows) = parse_units(&text) {
        // Accepted rows have distinct codes; the link check answers without panicking.
        let mut codes: Vec<&str> = rows.iter().map(|r| r.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), rows.len());
        let _ = check_unit_links(&rows, &xinfang_domain::unit::UnitTree::default());
    }
    if let Ok((years, days)) = parse_calendar(&text) {
        assert!(days.iter().all(|d| years.contains(&chrono::Datelike::year(&d.date))));
    }
});
