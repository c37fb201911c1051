//! How long `risk::scan` takes on the worst texts a petition may hold
//! (20,000 characters, the API's limit, of one phrase repeated without a
//! full stop): a bound on what one submission can cost the server.
//!
//! ```text
//! cargo run --release -p xinfang-text --example risk_worst_case
//! ```
//!
//! Results are in docs/performance.md ("The risk scan's worst case").

use std::time::Instant;
use xinfang_text::risk::scan;
fn main() {
    let cases: Vec<(&str, String)> = vec![
        ("realistic", "再不解决，我们三十多户村民下周一就去县政府门口讨说法，我就把路堵了。".repeat(20000 / 36)),
        ("堵路 nopunct", "堵路".repeat(10000)),
        ("进京上访 nopunct", "进京上访".repeat(5000)),
        ("三十人去政府 nopunct", "三十人去政府".repeat(3333)),
        ("如果我就砸了 nopunct", "如果我就砸了".repeat(3333)),
        ("我就 nopunct", "我就".repeat(10000)),
        ("砸了 nopunct", "砸了".repeat(10000)),
        ("plain text nopunct", "小区物业服务差电梯经常坏请求有关部门督促整改".repeat(20000 / 22)),
        ("digits", "1".repeat(20000)),
        ("十", "十".repeat(20000)),
        ("十人", "十人".repeat(10000)),
    ];
    for (name, t) in cases {
        let n = t.chars().count();
        let start = Instant::now();
        let s = scan(&t);
        println!("{name:24} {n:6} chars {:>10.3?} signals={}", start.elapsed(), s.len());
    }
}
