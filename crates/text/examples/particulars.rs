//! The particulars (names, sums, people) read from each line of standard
//! input: for reading why two petitions were or were not taken as one
//! matter.
//!
//! ```text
//! echo '我是环卫工郭秀兰，洁美公司欠俺们四个月工资' | cargo run --release -p xinfang-text --example particulars
//! ```

use std::io::BufRead;
use xinfang_text::Segmenter;
use xinfang_text::particulars::Particulars;

fn main() {
    let seg = Segmenter::new();
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        let terms = seg.terms(&line);
        println!("{line}\n    {:?}\n    terms: {}", Particulars::of(&seg, &line, &terms), terms.join(" "));
    }
}
