//! Sums of money a petition states, read as yuan: 47600元, 4万7千多,
//! 四万六, 38.6万元, 三十八万多, 两万八.
//!
//! Why: a re-telling of one matter keeps its figure even when it keeps
//! little else (a two-line 催办 says "宏达欠我们四万七" of a letter that said
//! "结算工资共47600元"), while two look-alike matters of one kind rarely
//! state the same sum. [`agree`] is one of the particulars that raise a
//! repeat's score (`crate::particulars`).
//!
//! Only sums are read: a figure followed by 元 or 块, or one holding 万
//! (a count of ten-thousands is money in a petition far more often than
//! anything else). Below [`SMALLEST`] a figure is too common to tell
//! matters apart (每户交300块).

/// Sums below this many yuan are not read.
pub const SMALLEST: u64 = 1_000;

/// Two sums agree when they differ by at most this share of the larger:
/// "4万7千多" and 47600, "近四万" and 38400, "三十八万多" and 38.6万.
pub const TOLERANCE: f64 = 0.06;

const DIGITS: &str = "0123456789.零〇一二两三四五六七八九十百千万";

/// The sums of money in `text` (normalised first), in yuan, at least
/// [`SMALLEST`], in text order.
pub fn sums(text: &str) -> Vec<u64> {
    let chars: Vec<char> = crate::segment::normalize(text).chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !DIGITS.contains(chars[i]) || chars[i] == '.' {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && DIGITS.contains(chars[i]) {
            i += 1;
        }
        let run: String = chars[start..i].iter().collect();
        // A sum starts with a figure (or 十, as in 十五万): 万一, 千万 are
        // words, not money.
        if "万千百.".contains(chars[start]) {
            continue;
        }
        // 多 / 余 / 来 between the figure and its unit: 四万六千多块.
        let mut next = i;
        if chars.get(next).is_some_and(|c| "多余来".contains(*c)) {
            next += 1;
        }
        let money = chars.get(next).is_some_and(|c| *c == '元' || *c == '块') || run.contains('万');
        if money
            && let Some(v) = value(&run)
            && v >= SMALLEST as f64
            && v < 1e12
        {
            out.push(v.round() as u64);
        }
    }
    out
}

/// Whether any sum of `a` agrees with one of `b` within [`TOLERANCE`]; the
/// first such pair.
pub fn agree(a: &[u64], b: &[u64]) -> Option<(u64, u64)> {
    a.iter().find_map(|&x| b.iter().find(|&&y| x.abs_diff(y) as f64 <= TOLERANCE * x.max(y) as f64).map(|&y| (x, y)))
}

/// The value of a run of figures: Arabic (47600, 38.6万, 4万7千, 4万7),
/// Chinese (三十八万, 四万六, 两万八千五), or mixed (15万).
fn value(run: &str) -> Option<f64> {
    if let Some((high, low)) = run.split_once('万') {
        let high = if high.is_empty() { 1.0 } else { value(high)? };
        if low.contains('万') {
            return None;
        }
        let low = match low.chars().collect::<Vec<_>>()[..] {
            [] => 0.0,
            // 四万六 and 4万7: the next place, thousands.
            [c] => digit(c)? * 1_000.0,
            _ => value(low)?,
        };
        return Some(high * 10_000.0 + low);
    }
    if run.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return run.parse().ok();
    }
    // 4千, 4千5 (Arabic digits with a Chinese place).
    let mut total = 0.0;
    let mut current: Option<f64> = None;
    let mut last_place = 0.0;
    let mut arabic = String::new();
    for c in run.chars() {
        if c.is_ascii_digit() || c == '.' {
            arabic.push(c);
            continue;
        }
        if !arabic.is_empty() {
            current = Some(arabic.parse().ok()?);
            arabic.clear();
        }
        match place(c) {
            Some(p) => {
                total += current.unwrap_or(1.0) * p;
                current = None;
                last_place = p;
            }
            None => current = Some(digit(c)?),
        }
    }
    if !arabic.is_empty() {
        current = Some(arabic.parse().ok()?);
    }
    // 三千五 is 3500, 两百八 is 280: a lone digit after a place is the next
    // place down.
    if let Some(d) = current {
        total += if last_place >= 100.0 && d < 10.0 { d * last_place / 10.0 } else { d };
    }
    Some(total)
}

fn digit(c: char) -> Option<f64> {
    Some(match c {
        '零' | '〇' | '0' => 0.0,
        '一' | '1' => 1.0,
        '二' | '两' | '2' => 2.0,
        '三' | '3' => 3.0,
        '四' | '4' => 4.0,
        '五' | '5' => 5.0,
        '六' | '6' => 6.0,
        '七' | '7' => 7.0,
        '八' | '8' => 8.0,
        '九' | '9' => 9.0,
        _ => return None,
    })
}

fn place(c: char) -> Option<f64> {
    Some(match c {
        '十' => 10.0,
        '百' => 100.0,
        '千' => 1_000.0,
        _ => return None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sums_are_read_in_figures_chinese_and_mixed() {
        assert_eq!(sums("结算工资共47600元至今未付"), vec![47_600]);
        assert_eq!(sums("欠我们8个人工钱4万7千多，电话打不通"), vec![47_000]);
        assert_eq!(sums("连我带的六个老乡一共欠了四万六千多块钱"), vec![46_000]);
        assert_eq!(sums("欠我们七个人四万六 找了两回了"), vec![46_000]);
        assert_eq!(sums("补偿每亩2.8万元，还是按两万八"), vec![28_000, 28_000]);
        assert_eq!(sums("拖欠人工费38.6万元；三十八万多就这么耗着"), vec![386_000, 380_000]);
        assert_eq!(sums("借款十五万，判了不执行"), vec![150_000]);
        assert_eq!(sums("每月三千五百元，一万二的押金"), vec![3_500, 12_000]);
        assert_eq!(sums("一个月才三千五块"), vec![3_500]);
    }

    #[test]
    fn counts_dates_and_small_fees_are_not_sums() {
        assert!(sums("全屯62户每户交300块，2023年3月至10月，8个人").is_empty());
        assert!(sums("320亩耕地，二十多公里，七十三岁").is_empty());
        assert!(sums("").is_empty());
        assert!(sums("万一出了事，千万不要拖，万州区").is_empty());
    }

    #[test]
    fn sums_agree_within_six_percent_of_the_larger() {
        assert_eq!(agree(&[47_600], &[47_000]), Some((47_600, 47_000)));
        assert_eq!(agree(&[386_000], &[380_000]), Some((386_000, 380_000)));
        assert_eq!(agree(&[38_400], &[40_000]), Some((38_400, 40_000)));
        assert_eq!(agree(&[47_600], &[38_600]), None);
        assert_eq!(agree(&[], &[47_600]), None);
    }
}
