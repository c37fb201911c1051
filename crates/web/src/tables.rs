//! Any table the API or the workbench shows, as a file: CSV (UTF-8 with a
//! BOM, so that Excel reads the Chinese) or XLSX (numbers as numbers).
//! Statistics, rankings and every table of the dashboard export through
//! here, so the files carry exactly the figures on the screen.

use crate::error::{ApiError, ApiResult};
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// A cell of a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Empty,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    pub fn count(n: impl Into<i64>) -> Cell {
        Cell::Number(n.into() as f64)
    }

    pub fn opt(v: Option<f64>) -> Cell {
        v.map_or(Cell::Empty, Cell::Number)
    }

    /// The cell as CSV writes it.
    fn csv(&self) -> String {
        match self {
            Cell::Text(t) => csv_field(t),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{n:.0}"),
            Cell::Number(n) => format!("{n}"),
            Cell::Empty => String::new(),
        }
    }
}

/// A titled table: the header and the rows, each as long as the header.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// The sheet's name (XLSX; at most 31 characters, no `[]:*?/\`).
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// The two file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// `csv` or `xlsx`; None for `json`, empty or absent (the caller's
    /// own answer); an error for anything else.
    pub fn parse(v: Option<&str>) -> Result<Option<Format>, ApiError> {
        match v.map(str::trim) {
            None | Some("") | Some("json") => Ok(None),
            Some("csv") => Ok(Some(Format::Csv)),
            Some("xlsx") => Ok(Some(Format::Xlsx)),
            Some(other) => Err(ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_parameter",
                format!("format只能是json、csv或xlsx，不能是“{other}”"),
            )
            .at("format")),
        }
    }
}

fn csv_field(s: &str) -> String {
    // A leading = + - @ would be read as a formula by a spreadsheet.
    let s = if s.starts_with(['=', '+', '-', '@']) && s.parse::<f64>().is_err() { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

/// The tables as CSV text: each table's title line (when there are
/// several), header and rows, a blank line between tables.
pub fn csv_text(tables: &[Table]) -> String {
    let mut out = String::from("\u{feff}");
    for (i, t) in tables.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if tables.len() > 1 {
            out.push_str(&csv_field(&t.title));
            out.push('\n');
        }
        out.push_str(&t.header.iter().map(|h| csv_field(h)).collect::<Vec<_>>().join(","));
        out.push('\n');
        for row in &t.rows {
            out.push_str(&row.iter().map(Cell::csv).collect::<Vec<_>>().join(","));
            out.push('\n');
        }
    }
    out
}

fn sheet_name(title: &str, i: usize) -> String {
    let clean: String = title.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
    if clean.is_empty() { format!("表{}", i + 1) } else { clean }
}

/// The tables as an XLSX workbook, one sheet each.
pub fn xlsx_bytes(tables: &[Table]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let mut used = std::collections::HashSet::new();
    for (i, t) in tables.iter().enumerate() {
        let sheet = book.add_worksheet();
        let mut name = sheet_name(&t.title, i);
        if !used.insert(name.clone()) {
            name = format!("{}{}", name.chars().take(28).collect::<String>(), i + 1);
            used.insert(name.clone());
        }
        sheet.set_name(&name)?;
        for (c, h) in t.header.iter().enumerate() {
            sheet.write_string(0, c as u16, h)?;
        }
        for (r, row) in t.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32 + 1, c as u16);
                match cell {
                    Cell::Text(s) => {
                        sheet.write_string(r, c, s)?;
                    }
                    Cell::Number(n) => {
                        sheet.write_number(r, c, *n)?;
                    }
                    Cell::Empty => {}
                }
            }
        }
    }
    book.save_to_buffer()
}

/// The tables as a download in `format`, named `stem.csv` / `stem.xlsx`.
pub fn file_response(tables: &[Table], format: Format, stem: &str) -> ApiResult<Response> {
    let (content_type, ext, body) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv", csv_text(tables).into_bytes()),
        Format::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
            xlsx_bytes(tables).map_err(|e| {
                tracing::error!(error = %e, "xlsx export failed");
                ApiError::internal()
            })?,
        ),
    };
    let ascii: String = stem.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    let disposition = format!("attachment; filename=\"{ascii}.{ext}\"; filename*=UTF-8''{}.{ext}", crate::api::petitions::percent(stem));
    Ok(([(header::CONTENT_TYPE, content_type.to_string()), (header::CONTENT_DISPOSITION, disposition)], body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let t = Table {
            title: "t".into(),
            header: vec!["a".into(), "b".into()],
            rows: vec![vec![Cell::text("x,\"y\""), Cell::Number(3.0)], vec![Cell::text("=cmd()"), Cell::Number(-0.5)]],
        };
        let s = csv_text(&[t]);
        assert_eq!(s, "\u{feff}a,b\n\"x,\"\"y\"\"\",3\n'=cmd(),-0.5\n");
    }
}
