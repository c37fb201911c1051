//! Hot spots (issue 13, item 5; docs/intelligence.md): which topic is
//! rising in which township. The last seven days (Beijing) of each
//! topic × area cell against the cell's own previous weeks, by the Poisson
//! test of `xinfang_text::spike` with a minimum count.

use chrono::{Duration, NaiveDate};
use std::collections::BTreeMap;
use xinfang_store::DayCount;
use xinfang_text::Spike;

/// One cell's weekly counts: `[0]` the last seven days up to today,
/// `[k]` the seven days before `[k - 1]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub topic: String,
    pub area: String,
    pub weekly: Vec<u32>,
}

/// The first day of the history `weeks` windows before today's window.
pub fn since(today: NaiveDate, weeks: usize) -> NaiveDate {
    today - Duration::days(7 * (weeks as i64 + 1) - 1)
}

/// Day counts into weekly windows ending today (`weeks` of history).
pub fn cells(rows: &[DayCount], today: NaiveDate, weeks: usize) -> Vec<Cell> {
    let mut by: BTreeMap<(&str, &str), Vec<u32>> = BTreeMap::new();
    for r in rows {
        let Ok(day) = NaiveDate::parse_from_str(&r.day, "%Y-%m-%d") else { continue };
        let back = (today - day).num_days();
        if back < 0 {
            continue;
        }
        let k = usize::try_from(back / 7).unwrap_or(usize::MAX);
        if k > weeks {
            continue;
        }
        let w = by.entry((r.topic.as_str(), r.area.as_str())).or_insert_with(|| vec![0; weeks + 1]);
        w[k] += u32::try_from(r.n).unwrap_or(u32::MAX);
    }
    by.into_iter().map(|((t, a), weekly)| Cell { topic: t.to_string(), area: a.to_string(), weekly }).collect()
}

/// A cell whose last seven days are a spike.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub topic: String,
    pub area: String,
    pub spike: Spike,
}

/// The spikes among `cells`, most surprising first.
pub fn spikes(cells: &[Cell], min_count: u32, alpha: f64) -> Vec<Found> {
    let mut out: Vec<Found> = cells
        .iter()
        .filter_map(|c| {
            let (current, history) = c.weekly.split_first()?;
            Spike::test(history, *current, min_count, alpha).map(|spike| Found { topic: c.topic.clone(), area: c.area.clone(), spike })
        })
        .collect();
    out.sort_by(|a, b| {
        a.spike.p_value.total_cmp(&b.spike.p_value).then(b.spike.observed.cmp(&a.spike.observed)).then_with(|| a.area.cmp(&b.area))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(topic: &str, area: &str, day: &str, n: i64) -> DayCount {
        DayCount { topic: topic.into(), area: area.into(), day: day.into(), n }
    }

    #[test]
    fn a_township_whose_topic_jumps_this_week_is_a_spike_and_a_steady_one_is_not() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
        let mut rows = Vec::new();
        // Eight quiet weeks of one wage petition a week in 440304011 …
        for k in 1..=8 {
            let d = today - Duration::days(7 * k);
            rows.push(row("0202", "440304011", &d.to_string(), 1));
            // … and a steady ten a week of noise in 440304012.
            rows.push(row("1003", "440304012", &d.to_string(), 10));
        }
        // This week: nine wage petitions; noise as usual.
        rows.push(row("0202", "440304011", &today.to_string(), 5));
        rows.push(row("0202", "440304011", &(today - Duration::days(6)).to_string(), 4));
        rows.push(row("1003", "440304012", &today.to_string(), 11));
        // Older than the history: ignored.
        rows.push(row("0202", "440304011", &(today - Duration::days(7 * 9)).to_string(), 50));
        let c = cells(&rows, today, 8);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].weekly[0], 9);
        assert_eq!(c[0].weekly[1..].iter().sum::<u32>(), 8);
        let s = spikes(&c, 5, 0.01);
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!((s[0].topic.as_str(), s[0].area.as_str(), s[0].spike.observed), ("0202", "440304011", 9));
        // The minimum count keeps a small jump off the list.
        assert!(spikes(&c, 10, 0.01).is_empty());
        assert_eq!(since(today, 8), today - Duration::days(62));
    }
}
