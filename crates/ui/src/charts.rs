//! Charts drawn on the server as SVG: no script, nothing to download,
//! readable without JavaScript and printable. Every chart has a title and
//! an accessible description, and its numbers printed on it; the table
//! beside it carries the same figures.

/// Escape text for SVG (XML).
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A round upper bound for an axis: 1, 2 or 5 × 10^n at or above `max`.
fn nice_max(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * p).find(|v| *v >= max).unwrap_or(10.0 * p)
}

fn fmt(v: f64) -> String {
    if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.2}") }
}

/// Shorten a label to `n` characters (with an ellipsis).
fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { format!("{}…", s.chars().take(n.saturating_sub(1)).collect::<String>()) }
}

/// A column chart (e.g. petitions per month): one bar per point, its value
/// on top, the label under it.
pub fn columns(id: &str, title: &str, points: &[(String, f64)]) -> String {
    let (w, h, left, bottom, top) = (720.0, 260.0, 44.0, 34.0, 22.0);
    let plot_h = h - bottom - top;
    let n = points.len().max(1) as f64;
    let slot = (w - left - 8.0) / n;
    let bar = (slot * 0.64).max(2.0);
    // Five steps of a round top at least 5: whole-number ticks for counts.
    let max = nice_max(points.iter().map(|p| p.1).fold(0.0, f64::max)).max(5.0);
    let mut s = format!(
        "<svg id=\"{id}\" class=\"chart\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-labelledby=\"{id}-t\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title id=\"{id}-t\">{}</title>",
        esc(title)
    );
    for i in 0..=5 {
        let v = max * f64::from(i) / 5.0;
        let y = top + plot_h - plot_h * f64::from(i) / 5.0;
        s.push_str(&format!(
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" class=\"grid\"/><text x=\"{}\" y=\"{:.1}\" class=\"axis\" text-anchor=\"end\">{}</text>",
            w - 8.0,
            left - 6.0,
            y + 4.0,
            fmt(v)
        ));
    }
    for (i, (label, v)) in points.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bar) / 2.0;
        let bh = if max > 0.0 { plot_h * v / max } else { 0.0 };
        let y = top + plot_h - bh;
        s.push_str(&format!(
            "<g class=\"bar\"><title>{}：{}</title><rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{bh:.1}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" class=\"value\" text-anchor=\"middle\">{}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" class=\"axis\" text-anchor=\"middle\">{}</text></g>",
            esc(label),
            fmt(*v),
            x + bar / 2.0,
            y - 4.0,
            fmt(*v),
            x + bar / 2.0,
            h - bottom + 16.0,
            esc(&short(label, 8))
        ));
    }
    s.push_str("</svg>");
    s
}

/// A bar chart lying down (e.g. open petitions by state): one row per
/// item, its label at the left and its value at the end of the bar. With
/// a second series (`stacked`), each bar is split in two colours.
pub fn bars(id: &str, title: &str, rows: &[(String, f64)], stacked: Option<(&str, &str, &[f64])>) -> String {
    let (w, row_h, left, right) = (720.0, 26.0, 190.0, 60.0);
    let h = (rows.len().max(1) as f64) * row_h + 12.0;
    let max = nice_max(rows.iter().map(|r| r.1).fold(0.0, f64::max));
    let plot_w = w - left - right;
    let mut s = format!(
        "<svg id=\"{id}\" class=\"chart\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-labelledby=\"{id}-t\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title id=\"{id}-t\">{}</title>",
        esc(title)
    );
    if rows.is_empty() {
        s.push_str(&format!("<text x=\"{}\" y=\"24\" class=\"axis\">无数据</text>", left));
    }
    for (i, (label, v)) in rows.iter().enumerate() {
        let y = 6.0 + row_h * i as f64;
        let bw = if max > 0.0 { plot_w * v / max } else { 0.0 };
        s.push_str(&format!(
            "<g class=\"bar\"><title>{}：{}</title><text x=\"{:.1}\" y=\"{:.1}\" class=\"axis\" text-anchor=\"end\">{}</text>",
            esc(label),
            fmt(*v),
            left - 8.0,
            y + row_h * 0.62,
            esc(&short(label, 12))
        ));
        match stacked {
            Some((_, _, first)) => {
                let a = first.get(i).copied().unwrap_or(0.0).min(*v);
                let aw = if max > 0.0 { plot_w * a / max } else { 0.0 };
                s.push_str(&format!(
                    "<rect x=\"{left}\" y=\"{y:.1}\" width=\"{aw:.1}\" height=\"{:.1}\" class=\"alert\"/>\
                     <rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\"/>",
                    row_h * 0.7,
                    left + aw,
                    (bw - aw).max(0.0),
                    row_h * 0.7
                ));
            }
            None => s.push_str(&format!("<rect x=\"{left}\" y=\"{y:.1}\" width=\"{bw:.1}\" height=\"{:.1}\"/>", row_h * 0.7)),
        }
        s.push_str(&format!("<text x=\"{:.1}\" y=\"{:.1}\" class=\"value\">{}</text></g>", left + bw + 6.0, y + row_h * 0.62, fmt(*v)));
    }
    if let Some((a, b, _)) = stacked {
        s.push_str(&format!(
            "<g class=\"legend\"><rect x=\"{}\" y=\"{:.1}\" width=\"10\" height=\"10\" class=\"alert\"/><text x=\"{}\" y=\"{:.1}\" class=\"axis\">{}</text>\
             <rect x=\"{}\" y=\"{:.1}\" width=\"10\" height=\"10\"/><text x=\"{}\" y=\"{:.1}\" class=\"axis\">{}</text></g>",
            w - right - 150.0,
            h - 12.0,
            w - right - 136.0,
            h - 3.0,
            esc(a),
            w - right - 70.0,
            h - 12.0,
            w - right - 56.0,
            h - 3.0,
            esc(b)
        ));
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_values_printed() {
        let svg = columns("c", "量<趋势>", &[("2026-01".into(), 12.0), ("a&b".into(), 3.0)]);
        assert!(svg.contains("量&lt;趋势&gt;") && svg.contains("a&amp;b") && svg.contains(">12<"), "{svg}");
        let svg = bars("b", "t", &[("x\"y".into(), 5.0)], None);
        assert!(svg.contains("x&quot;y") && svg.contains(">5<"));
        let svg = bars("b", "t", &[], None);
        assert!(svg.contains("无数据"));
    }

    #[test]
    fn axis_tops_are_round() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(130.0), 200.0);
        assert_eq!(nice_max(400.0), 500.0);
    }
}
