//! Hot spots (issue 13, item 5; docs/intelligence.md): which topic is
//! rising in which area, from the township up. The last seven days
//! (Beijing) of each topic × area cell against the cell's own previous
//! weeks, by the Poisson test of `xinfang_text::spike` with a minimum count.
//! A matter counts once a week in a cell however many repeat petitions
//! (重件) it brought, so one group filing again and again is not a spike.

use chrono::{Duration, NaiveDate};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use xinfang_domain::unit::Level;
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

/// The areas a petition of `area` is counted in: its own code, then the
/// code of each enclosing level (county, city, province).
fn areas_of(area: &str) -> Vec<&str> {
    let mut out = vec![area];
    for l in Level::ALL.iter().rev().map(|l| l.division_len()) {
        if area.len() > l && area.is_char_boundary(l) {
            out.push(&area[..l]);
        }
    }
    out
}

/// The level of an area by its code's length.
pub fn level(area: &str) -> &'static str {
    Level::of_division(area).as_str()
}

struct Tally<'a> {
    firsts: Vec<u32>,
    matters: Vec<HashSet<&'a str>>,
    /// The areas one level down that fed this cell (or the cell's own):
    /// an enclosing area's cell is kept only when it gathers more than one,
    /// else it would repeat its one child.
    children: BTreeSet<&'a str>,
}

/// The first day of the history `weeks` windows before today's window.
pub fn since(today: NaiveDate, weeks: usize) -> NaiveDate {
    today - Duration::days(7 * (weeks as i64 + 1) - 1)
}

/// Day counts into weekly windows ending today (`weeks` of history), per
/// topic and area at every level from the rows' own up.
pub fn cells(rows: &[DayCount], today: NaiveDate, weeks: usize) -> Vec<Cell> {
    let week = |day: &str| -> Option<usize> {
        let day = NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
        let back = (today - day).num_days();
        let k = usize::try_from(back / 7).ok().filter(|_| back >= 0)?;
        (k <= weeks).then_some(k)
    };
    let mut by: BTreeMap<(&str, &str), Tally> = BTreeMap::new();
    for r in rows {
        let Some(k) = week(&r.day) else { continue };
        let chain = areas_of(&r.area);
        for (i, &area) in chain.iter().enumerate() {
            let t = by.entry((r.topic.as_str(), area)).or_insert_with(|| Tally {
                firsts: vec![0; weeks + 1],
                matters: vec![HashSet::new(); weeks + 1],
                children: BTreeSet::new(),
            });
            t.children.insert(chain[i.saturating_sub(1)]);
            match &r.matter {
                None => t.firsts[k] += u32::try_from(r.n).unwrap_or(u32::MAX),
                Some(m) => {
                    // Its first petition already counts here this week.
                    let first_here = r.first.as_ref().is_some_and(|(a, d)| a.starts_with(area) && week(d) == Some(k));
                    if !first_here {
                        t.matters[k].insert(m.as_str());
                    }
                }
            }
        }
    }
    by.into_iter()
        .filter(|((_, area), t)| t.children.len() > 1 || t.children.contains(area))
        .map(|((topic, area), t)| Cell {
            topic: topic.to_string(),
            area: area.to_string(),
            weekly: t.firsts.iter().zip(&t.matters).map(|(f, m)| f + u32::try_from(m.len()).unwrap_or(u32::MAX)).collect(),
        })
        .collect()
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
        DayCount { topic: topic.into(), area: area.into(), day: day.into(), n, matter: None, first: None }
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

    fn repeat(area: &str, day: &str, n: i64, matter: &str, first: Option<(&str, &str)>) -> DayCount {
        DayCount {
            topic: "0202".into(),
            area: area.into(),
            day: day.into(),
            n,
            matter: Some(matter.into()),
            first: first.map(|(a, d)| (a.into(), d.into())),
        }
    }

    #[test]
    fn a_group_filing_one_matter_again_and_again_counts_once_a_week() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
        let t = today.to_string();
        let y = (today - Duration::days(1)).to_string();
        let old = (today - Duration::days(20)).to_string();
        let rows = vec![
            // This week: the first petition of matter A and nine repeats of
            // it over two days; three repeats of B, first filed three weeks
            // ago (counted once this week); one new matter C.
            row("0202", "440304011", &y, 2),
            repeat("440304011", &y, 4, "A", Some(("440304011", &y))),
            repeat("440304011", &t, 5, "A", Some(("440304011", &y))),
            repeat("440304011", &t, 3, "B", Some(("440304011", &old))),
        ];
        let c = cells(&rows, today, 8);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].weekly[0], 3, "A's first and C, plus B once: {c:?}");
        // Nine copies of one matter never make a spike of their own.
        assert!(spikes(&c, 5, 0.01).is_empty());
        // A repeat whose first petition lies in another township still
        // counts in its own, and once in the county that holds both.
        let rows = vec![
            row("0202", "440304006", &y, 1),
            repeat("440304011", &t, 4, "D", Some(("440304006", &y))),
            row("0202", "440304011", &t, 1),
        ];
        let c = cells(&rows, today, 8);
        let week = |area: &str| c.iter().find(|c| c.area == area).map(|c| c.weekly[0]);
        assert_eq!((week("440304006"), week("440304011"), week("440304")), (Some(1), Some(2), Some(2)), "{c:?}");
    }

    #[test]
    fn a_topic_rising_across_a_county_is_a_spike_of_the_county_when_no_township_is_one() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
        let mut rows = Vec::new();
        let towns = ["440304001", "440304002", "440304003", "440304004", "440304005", "440304006"];
        for k in 1..=8 {
            let d = (today - Duration::days(7 * k)).to_string();
            rows.push(row("0202", towns[k as usize % 6], &d, 1));
        }
        // This week: two in each of six townships, none a spike alone.
        for town in towns {
            rows.push(row("0202", town, &today.to_string(), 2));
        }
        let c = cells(&rows, today, 8);
        let s = spikes(&c, 5, 0.01);
        assert_eq!(s.len(), 1, "the county; the city and the province hold only it: {s:?}");
        assert!(s.iter().all(|f| !towns.contains(&f.area.as_str())), "{s:?}");
        assert_eq!(s[0].spike.observed, 12);
        assert_eq!(level(&s[0].area), "county");
        assert!(s.iter().any(|f| f.area == "440304"));
    }
}
