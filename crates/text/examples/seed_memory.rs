//! What the triage seed and the urgent model cost: training time,
//! resident memory added by training and kept by the models, one
//! prediction's time (docs/performance.md, "The triage seed's cost" and
//! "The urgent model's cost").
//!
//! `cargo run --release -p xinfang-text --example seed_memory`

use xinfang_text::seed::Seed;
use xinfang_text::urgent::UrgentModel;
use xinfang_text::{RuleField, Segmenter};

/// This process's resident memory, as /proc says it.
fn rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS"))
        .map(|l| l.trim_start_matches("VmRSS:").trim().to_owned())
        .unwrap_or_default()
}

fn main() {
    let seg = Segmenter::new();
    let _ = seg.terms("预热");
    println!("segmenter built: {}", rss());
    let t = std::time::Instant::now();
    let seed = Seed::train(&seg, None);
    println!("seed trained in {:?}: {} ({seed:?})", t.elapsed(), rss());
    // A second seed beside the first: what the models keep, once the
    // training's own memory is there to be reused.
    let second = Seed::train(&seg, None);
    println!("a second seed kept beside it: {} ({second:?})", rss());
    let terms = seg.terms("镇上的干部逢年过节收村里送的土特产和烟酒，这种风气谁来管一管");
    let t = std::time::Instant::now();
    for _ in 0..100 {
        let _ = seed.predict(RuleField::UnitKind, &terms, 3);
    }
    println!("one prediction: {:?}", t.elapsed() / 100);

    let t = std::time::Instant::now();
    let urgent = UrgentModel::train(None);
    println!("urgent model trained in {:?}: {} ({urgent:?})", t.elapsed(), rss());
    let second = UrgentModel::train(None);
    println!("a second urgent model kept beside it: {} ({second:?})", rss());
    for (what, text) in [
        (
            "a 120-character petition",
            "来电人情绪激动。来电人称现在就在大桥护栏外面，公司欠她工资半年，今天再不给个准话就下去，话务员已转110。".repeat(2),
        ),
        ("a 20,000-character petition", "工地拖欠工资，包工头躲着不见，".repeat(1334)),
    ] {
        let t = std::time::Instant::now();
        for _ in 0..20 {
            let _ = urgent.signal(&text);
        }
        println!("the urgent model on {what}: {:?}", t.elapsed() / 20);
    }
}
