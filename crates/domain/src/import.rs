//! Parsing the official data we import (行政区划 divisions, the holiday
//! calendar). Input comes from files an admin supplies, so every row is
//! checked and errors name the line.

use crate::calendar::{DayKind, SpecialDay};
use crate::petition::valid_division_code;
use chrono::NaiveDate;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DivisionRow {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct ImportError {
    pub line: usize,
    pub problem: String,
}

fn err(line: usize, problem: impl Into<String>) -> ImportError {
    ImportError { line, problem: problem.into() }
}

/// `code,name,parent_code` with a header; the parent must be a proper
/// prefix of the code.
pub fn parse_divisions(text: &str) -> Result<Vec<DivisionRow>, ImportError> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| err(line, e.to_string()))?;
        let code = rec.get(0).map(str::trim).unwrap_or_default().to_string();
        let name = rec.get(1).map(str::trim).unwrap_or_default().to_string();
        let parent = rec.get(2).map(str::trim).filter(|s| !s.is_empty()).map(String::from);
        if !valid_division_code(&code) || name.is_empty() || name.chars().count() > 100 {
            return Err(err(line, "invalid code or name"));
        }
        if let Some(p) = &parent
            && (!code.starts_with(p.as_str()) || p.len() >= code.len())
        {
            return Err(err(line, format!("parent {p} is not a prefix of {code}")));
        }
        out.push(DivisionRow { code, name, parent_code: parent });
    }
    Ok(out)
}

/// `date,kind,name` with a header; returns the years covered and the days.
pub fn parse_calendar(text: &str) -> Result<(Vec<i32>, Vec<SpecialDay>), ImportError> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let mut days = Vec::new();
    let mut years = std::collections::BTreeSet::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| err(line, e.to_string()))?;
        let field = |n: usize| rec.get(n).map(str::trim).unwrap_or_default();
        let date = NaiveDate::parse_from_str(field(0), "%Y-%m-%d").map_err(|_| err(line, "bad date"))?;
        let kind = match field(1) {
            "holiday" => DayKind::Holiday,
            "workday" => DayKind::Workday,
            other => return Err(err(line, format!("kind must be holiday or workday, not {other}"))),
        };
        let name = field(2);
        if name.is_empty() || name.chars().count() > 50 {
            return Err(err(line, "name missing or too long"));
        }
        years.insert(chrono::Datelike::year(&date));
        days.push(SpecialDay { date, kind, name: name.to_string() });
    }
    Ok((years.into_iter().collect(), days))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_rows_are_rejected_with_line_numbers() {
        let e = parse_divisions("code,name,parent_code\n4403,深圳市,44\n4403x,坏,44\n").expect_err("bad");
        assert_eq!(e.line, 3);
        assert!(parse_divisions("code,name,parent_code\n440304,福田区,4404\n").is_err());
        assert!(parse_calendar("date,kind,name\n2026-10-01,holiday,国庆节\n2026-13-01,holiday,x\n").is_err());
        let (years, days) = parse_calendar("date,kind,name\n2026-10-10,workday,国庆节\n").expect("ok");
        assert_eq!((years, days.len()), (vec![2026], 1));
    }
}
