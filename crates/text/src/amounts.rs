//! Sums of money a petition states, read as ranges of yuan: 47600元 is
//! 47,600; 4万7千多 is 47,000 up to 48,000; 四万多 is 40,000 up to 50,000;
//! 近四万 is 36,000 up to 40,000.
//!
//! Why: a re-telling of one matter keeps its figure even when it keeps
//! little else (a two-line 催办 says "宏达欠我们四万七" of a letter that said
//! "结算工资共47600元"), while two look-alike matters of one kind rarely
//! state the same sum. [`agree`] is one of the particulars that raise a
//! repeat's score (`crate::particulars`), which also asks that the sum be
//! rare among the petitions compared (a round 2万 is said by many).
//!
//! Only sums are read: a figure followed by 元 or 块 (not 块砖), or one
//! holding 万 and not followed by a count of something else (万人, 万亩,
//! 万平方米, 万年 …). Figures the writer does not know (几十万, 数万, 上万)
//! are not sums. Below [`SMALLEST`] a figure is too common to tell matters
//! apart (每户交300块).

/// Sums below this many yuan are not read.
pub const SMALLEST: u64 = 1_000;

/// An exact figure stands for itself give or take this share (a writer
/// rounds 47,620 to 47,600).
const EXACT: f64 = 0.005;
/// 约, 大约, 左右: give or take this share.
const ABOUT: f64 = 0.05;
/// 近, 将近, 差不多: up to this share below.
const NEARLY: f64 = 0.10;

/// A sum as the wording bounds it, in yuan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sum {
    pub low: f64,
    pub high: f64,
    /// The figure as written, in yuan (what the clerk is shown).
    pub stated: u64,
}

impl Sum {
    fn exact(v: f64) -> Sum {
        Sum { low: v * (1.0 - EXACT), high: v * (1.0 + EXACT), stated: v.round() as u64 }
    }

    /// Whether the two ranges overlap.
    pub fn agrees(&self, other: &Sum) -> bool {
        self.low <= other.high && other.low <= self.high
    }

    /// Whether the figure is written to two places or more (47,600, 四万六,
    /// 十五万, 3,500), not a round one like 八万, 两万, 五千 or 十万, which
    /// two unrelated petitions state far too often to tell a matter by.
    pub fn telling(&self) -> bool {
        let v = self.stated as f64;
        v / place(v) >= 10.0
    }
}

const DIGITS: &str = "0123456789.零〇一二两三四五六七八九十百千万";

/// What a figure with 万 may count instead of money (一万多人, 十万亩 …).
const NOT_MONEY_AFTER: &str = "人口亩平方斤公吨年遍次户头只株棵个名字里火步分米张件台辆套册条倍度岁天篇封项处所座间";
/// What 块 may count instead of yuan (1500块砖).
const NOT_YUAN_AFTER_KUAI: &str = "砖石地板瓦玻木布肉表骨头牌钢";

/// The sums of money in `text` (normalised first), at least [`SMALLEST`]
/// yuan, in text order.
pub fn sums(text: &str) -> Vec<Sum> {
    let chars: Vec<char> = without_separators(&crate::segment::normalize(text));
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
        // A sum starts with a figure (or 十, as in 十五万): 万一, 千万 are
        // words, not money; 几十万, 数万, 上万, 成千上万 are not figures.
        if "万千百.".contains(chars[start]) || start > 0 && "几数上好成".contains(chars[start - 1]) {
            continue;
        }
        let mut run: String = chars[start..i].iter().collect();
        // 多 / 余 / 来 between the figure and its unit (四万六千多块), or
        // before a 万 that follows (四十多万元, 一千多万).
        let mut next = i;
        let mut more = false;
        if chars.get(next).is_some_and(|c| "多余来".contains(*c)) {
            more = true;
            next += 1;
            if chars.get(next) == Some(&'万') && !run.contains('万') {
                run.push('万');
                next += 1;
            }
        }
        let after = chars.get(next).copied();
        let kuai = after == Some('块') && !chars.get(next + 1).is_some_and(|c| NOT_YUAN_AFTER_KUAI.contains(*c));
        let money = after == Some('元') || kuai || run.contains('万') && !after.is_some_and(|c| NOT_MONEY_AFTER.contains(c));
        if !money {
            continue;
        }
        let Some(v) = value(&run) else { continue };
        if !(SMALLEST as f64..1e12).contains(&v) {
            continue;
        }
        let lead = &chars[start.saturating_sub(3)..start];
        let ends = |w: &str| lead.iter().collect::<String>().ends_with(w);
        let tail: String = chars[next..(next + 4).min(chars.len())].iter().collect();
        let sum = if more {
            // 十一万余 is short of 十二万: up to nine tenths of the next place.
            Sum { low: v, high: v + 0.9 * place(v), stated: v.round() as u64 }
        } else if ["近", "将近", "差不多", "接近"].iter().any(|w| ends(w)) {
            Sum { low: v * (1.0 - NEARLY), high: v, stated: v.round() as u64 }
        } else if ["约", "大约", "大概"].iter().any(|w| ends(w)) || tail.contains("左右") || tail.contains("上下") {
            Sum { low: v * (1.0 - ABOUT), high: v * (1.0 + ABOUT), stated: v.round() as u64 }
        } else {
            Sum::exact(v)
        };
        out.push(sum);
    }
    out
}

/// The first agreeing pair of sums of `a` and `b` (as `a` states it).
pub fn agree(a: &[Sum], b: &[Sum]) -> Option<u64> {
    a.iter().find(|x| b.iter().any(|y| x.agrees(y))).map(|x| x.stated)
}

/// The text without the commas and spaces written inside figures
/// (47,600元, 47 600元).
fn without_separators(text: &str) -> Vec<char> {
    let chars: Vec<char> = text.chars().collect();
    let digit = |k: Option<&char>| k.is_some_and(char::is_ascii_digit);
    (0..chars.len())
        .filter(|&k| !((chars[k] == ',' || chars[k] == ' ') && k > 0 && digit(chars.get(k - 1)) && digit(chars.get(k + 1))))
        .map(|k| chars[k])
        .collect()
}

/// The last place a round figure is written to: 47,000 → 1,000;
/// 380,000 → 10,000; 40,000 → 10,000 (what 多 adds up to).
fn place(v: f64) -> f64 {
    let mut p = 1.0;
    while p * 10.0 <= v && (v / (p * 10.0)).fract() == 0.0 {
        p *= 10.0;
    }
    p
}

/// The value of a run of figures: Arabic (47600, 38.6万, 4万7千, 4万7),
/// Chinese (三十八万, 四万六, 两万八千五, 一千零五), or mixed (15万).
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
    let mut zero = false;
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
        match place_of(c) {
            Some(p) => {
                total += current.unwrap_or(1.0) * p;
                current = None;
                last_place = p;
                zero = false;
            }
            None if matches!(c, '零' | '〇') => zero = true,
            None => current = Some(digit(c)?),
        }
    }
    if !arabic.is_empty() {
        current = Some(arabic.parse().ok()?);
    }
    // 三千五 is 3500, 两百八 is 280: a lone digit after a place is the next
    // place down; 一千零五 is 1005.
    if let Some(d) = current {
        total += if last_place >= 100.0 && d < 10.0 && !zero { d * last_place / 10.0 } else { d };
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

fn place_of(c: char) -> Option<f64> {
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

    fn stated(text: &str) -> Vec<u64> {
        sums(text).iter().map(|s| s.stated).collect()
    }

    #[test]
    fn sums_are_read_in_figures_chinese_and_mixed() {
        assert_eq!(stated("结算工资共47600元至今未付"), vec![47_600]);
        assert_eq!(stated("共计47,600元"), vec![47_600]);
        assert_eq!(stated("欠我们8个人工钱4万7千多，电话打不通"), vec![47_000]);
        assert_eq!(stated("连我带的六个老乡一共欠了四万六千多块钱"), vec![46_000]);
        assert_eq!(stated("欠我们七个人四万六 找了两回了"), vec![46_000]);
        assert_eq!(stated("补偿每亩2.8万元，还是按两万八"), vec![28_000, 28_000]);
        assert_eq!(stated("拖欠人工费38.6万元；三十八万多就这么耗着"), vec![386_000, 380_000]);
        assert_eq!(stated("借款十五万，判了不执行"), vec![150_000]);
        assert_eq!(stated("每月三千五百元，一万二的押金"), vec![3_500, 12_000]);
        assert_eq!(stated("一个月才三千五块"), vec![3_500]);
        assert_eq!(stated("欠了四十多万元，一千多万的工程款"), vec![400_000, 10_000_000]);
        assert_eq!(stated("罚了一千零五元"), vec![1_005]);
    }

    #[test]
    fn counts_dates_and_small_fees_are_not_sums() {
        assert!(sums("全屯62户每户交300块，2023年3月至10月，8个人").is_empty());
        assert!(sums("320亩耕地，二十多公里，七十三岁").is_empty());
        assert!(sums("").is_empty());
        assert!(sums("万一出了事，千万不要拖，万州区").is_empty());
        assert!(sums("全镇一万多人，三万人口，十万亩林地，2.8万平方米，说了一万遍，十万火急").is_empty());
        assert!(sums("拉走了1500块砖，骗了几十万，数十万的损失，上万元").is_empty());
    }

    #[test]
    fn sums_agree_when_their_wording_s_ranges_overlap() {
        let one = |t: &str| sums(t)[0];
        assert!(one("共47600元").agrees(&one("4万7千多")));
        assert!(one("三十八万多").agrees(&one("38.6万元")));
        assert!(one("近四万").agrees(&one("38400元")));
        assert!(one("四万多").agrees(&one("47600元")));
        assert!(one("八万六千元").agrees(&one("八万六")));
        assert!(!one("63万元").agrees(&one("62万元")), "two exact figures ten thousand apart are two sums");
        assert!(!one("47600元").agrees(&one("38600元")));
        assert!(!one("十一万余元").agrees(&one("十二万元")));
        assert!(one("47600元").telling() && one("四万六").telling() && one("十五万").telling() && one("三千五百元").telling());
        assert!(!one("八万元").telling() && !one("两万").telling() && !one("五千块").telling() && !one("十万元").telling());
        assert_eq!(agree(&sums("欠47600元"), &sums("欠4万7千多")), Some(47_600));
        assert_eq!(agree(&[], &sums("47600元")), None);
    }
}
