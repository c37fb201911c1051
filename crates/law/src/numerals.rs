//! Chinese numerals as the gazette writes article and chapter numbers
//! (第二十二条, 第五十条, 第三章), both ways.

const DIGITS: [char; 10] = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];

/// 1–999 in Chinese numerals (十一, 二十, 一百零五).
pub fn cn_number(n: u16) -> String {
    if n > 999 {
        return n.to_string();
    }
    let (h, t, u) = (n / 100, (n / 10) % 10, n % 10);
    let mut s = String::new();
    if h > 0 {
        s.push(DIGITS[h as usize]);
        s.push('百');
        if t == 0 && u > 0 {
            s.push('零');
        }
    }
    if t > 0 {
        if !(t == 1 && h == 0) {
            s.push(DIGITS[t as usize]);
        }
        s.push('十');
    }
    if u > 0 || n == 0 {
        s.push(DIGITS[u as usize]);
    }
    s
}

/// "第二十二条".
pub fn article_label(n: u16) -> String {
    format!("第{}条", cn_number(n))
}

/// The value of a Chinese numeral as written above; None if it is not one.
pub fn parse_cn_number(s: &str) -> Option<u16> {
    if s.is_empty() {
        return None;
    }
    let mut total: u16 = 0;
    let mut digit: Option<u16> = None;
    let mut seen_unit = false;
    for c in s.chars() {
        match c {
            '百' => {
                total = total.checked_add(digit.unwrap_or(1).checked_mul(100)?)?;
                digit = None;
                seen_unit = true;
            }
            '十' => {
                total = total.checked_add(digit.unwrap_or(1).checked_mul(10)?)?;
                digit = None;
                seen_unit = true;
            }
            '零' if seen_unit => digit = None,
            _ => {
                let d = DIGITS.iter().position(|&x| x == c)? as u16;
                if digit.is_some() {
                    return None;
                }
                digit = Some(d);
            }
        }
    }
    let n = total.checked_add(digit.unwrap_or(0))?;
    // Only the canonical spelling counts (no "二十零", no "一十").
    (n > 0 && cn_number(n) == s).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip_as_the_gazette_writes_them() {
        assert_eq!(cn_number(1), "一");
        assert_eq!(cn_number(10), "十");
        assert_eq!(cn_number(11), "十一");
        assert_eq!(cn_number(20), "二十");
        assert_eq!(cn_number(22), "二十二");
        assert_eq!(cn_number(50), "五十");
        assert_eq!(cn_number(105), "一百零五");
        assert_eq!(article_label(36), "第三十六条");
        for n in 1..=999 {
            assert_eq!(parse_cn_number(&cn_number(n)), Some(n), "{n}");
        }
        for bad in ["", "一十", "二十零", "十十", "两", "五五", "零"] {
            assert_eq!(parse_cn_number(bad), None, "{bad}");
        }
    }
}
