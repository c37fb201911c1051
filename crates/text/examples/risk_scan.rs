//! The risk signals `risk::scan` raises for each line of standard input:
//! for reading why a petition was or was not flagged.
//!
//! ```text
//! echo '明天上午就爬到工地塔吊上去' | cargo run --release -p xinfang-text --example risk_scan
//! ```

use std::io::BufRead;
use xinfang_text::risk::{level, scan};

fn main() {
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        let signals = scan(&line);
        println!("{:?} {line}", level(&signals));
        for s in &signals {
            println!("    {s:?}");
        }
    }
}
