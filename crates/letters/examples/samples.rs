//! Renders the sample of every letter kind into a directory and reports the
//! time and size of each: `cargo run --release -p xinfang-letters --example
//! samples -- /tmp/letters-pdf [rounds]`.

#[path = "../tests/common/samples.rs"]
#[allow(dead_code)]
mod samples;

use std::time::Instant;

use xinfang_letters::{LetterConfig, Renderer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = std::path::PathBuf::from(args.next().unwrap_or_else(|| "letters-pdf".to_owned()));
    let rounds: u32 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(5);
    std::fs::create_dir_all(&out)?;
    let started = Instant::now();
    let renderer = Renderer::new(&LetterConfig::default())?;
    println!("fonts loaded in {:.0} ms", started.elapsed().as_secs_f64() * 1000.0);
    println!("{:<28} {:>9} {:>9} {:>9}", "kind", "first ms", "mean ms", "bytes");
    for kind in Renderer::kinds() {
        let data = samples::sample(kind);
        let t = Instant::now();
        let pdf = renderer.render(kind, &data)?;
        let first = t.elapsed().as_secs_f64() * 1000.0;
        let t = Instant::now();
        for _ in 0..rounds {
            renderer.render(kind, &data)?;
        }
        let mean = t.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds.max(1));
        std::fs::write(out.join(format!("{kind}.pdf")), &pdf)?;
        println!("{kind:<28} {first:>9.0} {mean:>9.0} {:>9}", pdf.len());
    }
    Ok(())
}
