//! The urgent model's probability for each petition of a labelled set,
//! trained on the other sets, beside the labelled level and the lexicon's:
//! for choosing `urgent::URGENT_AT` and reading why a petition was or was
//! not raised.
//!
//! ```text
//! cargo run --release -p xinfang-text --example urgent_scores -- crates/text/data/eval/risk_set_3.jsonl
//! echo '今天不给个准话就下去' | cargo run --release -p xinfang-text --example urgent_scores -- -
//! ```
//!
//! With `-`, each line of standard input is read by the model of every set.

use serde::Deserialize;
use xinfang_text::risk::{level, scan};
use xinfang_text::urgent::UrgentModel;

#[derive(Deserialize)]
struct Labelled {
    id: String,
    title: String,
    content: String,
    risk: String,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("a labelled set's path, or - for lines of standard input")?;
    if path == "-" {
        let model = UrgentModel::train(None);
        for text in std::io::stdin().lines().map_while(Result::ok) {
            let signals = xinfang_text::urgent::with_model(scan(&text), &model, &text);
            println!("{:?}\t{:.3}\t{text}", level(&signals), model.probability(&text));
            for s in &signals {
                println!("    {s:?}");
            }
        }
        return Ok(());
    }
    let file = std::path::Path::new(&path).file_name().and_then(|f| f.to_str()).unwrap_or_default().to_owned();
    let model = UrgentModel::train(Some(&file));
    for line in std::fs::read_to_string(&path)?.lines().filter(|l| !l.trim().is_empty()) {
        let p: Labelled = serde_json::from_str(line)?;
        let text = format!("{}。{}", p.title, p.content);
        let signal = model.signal(&text);
        println!(
            "{}\t{}\t{:?}\t{:.3}\t{}",
            p.id,
            p.risk,
            level(&scan(&text)),
            model.probability(&text),
            signal.map(|s| format!("{} {}", s.kind.as_str(), s.passages.join("/"))).unwrap_or_default()
        );
    }
    Ok(())
}
