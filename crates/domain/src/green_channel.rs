//! The wage-arrears green channel (农民工欠薪绿色通道, issue 14 item 5):
//! which petitions are about unpaid wages, what they claim (the amount and
//! the number of workers, read from the text), where they go (the labour
//! inspection of the human resources and social security department at the
//! place's county, Art. 19: to the organ competent to handle it), the short
//! internal deadline for first contact with the employer, and the season
//! before the Spring Festival. Pure.

use crate::calendar::HolidayCalendar;
use crate::unit::{Level, Unit, UnitKind, UnitTree};
use chrono::{Datelike, Duration, NaiveDate};

/// Words that say wages are owed (any one of them).
const ARREARS: &[&str] = &[
    "欠薪",
    "讨薪",
    "拖欠工资",
    "工资拖欠",
    "欠工资",
    "拖欠工钱",
    "欠工钱",
    "拖欠农民工",
    "拖欠劳务费",
    "欠劳务费",
    "工资没发",
    "工资未发",
    "工资不发",
    "不发工资",
    "没发工资",
    "未发工资",
    "工资一直没",
    "工资至今未",
    "拿不到工资",
    "讨要工资",
    "结清工资",
    "支付工资",
    "发放工资",
];

/// Words that make it a migrant workers' matter: the lane is for them
/// (农民工欠薪); anyone else's wages take the ordinary way unless a clerk
/// puts the petition in the lane.
const MIGRANT: &[&str] = &[
    "农民工",
    "民工",
    "工地",
    "包工头",
    "施工队",
    "施工方",
    "工程款",
    "班组",
    "工人",
    "工友",
    "项目部",
    "建筑",
    "装修",
    "劳务",
    "务工",
    "打工",
    "外来工",
    "临时工",
    "零工",
    "小工",
    "木工",
    "泥瓦工",
    "钢筋工",
    "搬运工",
];

/// The largest sum of yuan and headcount of workers read from a text.
pub const MAX_AMOUNT: i64 = 10_000_000_000;
pub const MAX_WORKERS: i64 = 1_000_000;

/// The second-level topic of wages (内容分类 工资福利).
pub const WAGES_TOPIC: &str = "0202";

/// Why a petition was taken for the green channel, with what it claims.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Recognised {
    /// The words (or the topic) that recognised it.
    pub words: Vec<String>,
    /// Migrant workers named (农民工, 工地…).
    pub migrant: bool,
    /// The amount claimed, in yuan: the largest sum of money in the text.
    pub amount: Option<i64>,
    /// Workers owed: the largest headcount of workers in the text.
    pub workers: Option<i64>,
}

/// Whether a claim is about migrant workers' unpaid wages: a word of
/// migrant work and a wage-arrears word in its text (or the wages topic
/// with a word of owing). Suggestions and accusations are not claims for
/// wages.
pub fn recognise(claim: bool, topic: Option<&str>, text: &str) -> Option<Recognised> {
    if !claim || !MIGRANT.iter().any(|w| text.contains(w)) {
        return None;
    }
    let mut words: Vec<String> = ARREARS.iter().filter(|w| text.contains(*w)).map(|w| w.to_string()).collect();
    if words.is_empty()
        && let Some(w) = owing_then_wages(text)
    {
        words.push(w);
    }
    if words.is_empty() && topic == Some(WAGES_TOPIC) && ["拖欠", "欠", "没发", "未发", "不发"].iter().any(|w| text.contains(w)) {
        words.push("内容分类：工资福利".into());
    }
    if words.is_empty() {
        return None;
    }
    Some(Recognised { words, migrant: true, amount: amounts(text).into_iter().max(), workers: headcounts(text).into_iter().max() })
}

/// Whether a petition speaks of wages at all (the wages topic, or a word
/// for pay): where the workbench offers to put a claim in the lane by hand,
/// for the wage claims `recognise` did not read as such. A noise complaint
/// or a court matter is never offered the lane.
pub fn about_wages(topic: Option<&str>, text: &str) -> bool {
    topic == Some(WAGES_TOPIC) || ["工资", "工钱", "薪", "劳务费", "工程款", "血汗钱", "报酬"].iter().any(|w| text.contains(w))
}

/// 拖欠 (or 欠) and, within twelve characters after it, wages: 拖欠十二名
/// 工人工资, 欠我们三个月的工钱.
fn owing_then_wages(text: &str) -> Option<String> {
    let s: Vec<char> = text.chars().collect();
    for (i, c) in s.iter().enumerate() {
        if *c != '欠' {
            continue;
        }
        let window: String = s[i + 1..(i + 13).min(s.len())].iter().collect();
        if let Some(w) = ["工资", "工钱", "薪水", "劳务费", "血汗钱"].iter().find(|w| window.contains(*w)) {
            let owe = if i > 0 && s[i - 1] == '拖' { "拖欠" } else { "欠" };
            return Some(format!("{owe}…{w}"));
        }
    }
    None
}

/// 春节 (正月初一) of each year, for the seasons the holiday calendar does
/// not cover yet (the State Council announces a year's holidays late in the
/// year before). Source: the Chinese calendar as published by the Purple
/// Mountain Observatory (紫金山天文台, 中国天文年历).
const LUNAR_NEW_YEAR: &[(i32, u32, u32)] = &[
    (2024, 2, 10),
    (2025, 1, 29),
    (2026, 2, 17),
    (2027, 2, 6),
    (2028, 1, 26),
    (2029, 2, 13),
    (2030, 2, 3),
    (2031, 1, 23),
    (2032, 2, 11),
    (2033, 1, 31),
    (2034, 2, 19),
    (2035, 2, 8),
];

/// What a text claims, read for a petition a clerk puts in the lane:
/// (the largest sum of money, the largest headcount of workers).
pub fn claimed(text: &str) -> (Option<i64>, Option<i64>) {
    (amounts(text).into_iter().max(), headcounts(text).into_iter().max())
}

fn digit(c: char) -> Option<i64> {
    match c {
        '0'..='9' => c.to_digit(10).map(i64::from),
        '零' | '〇' => Some(0),
        '一' | '壹' => Some(1),
        '二' | '两' | '贰' => Some(2),
        '三' | '叁' => Some(3),
        '四' | '肆' => Some(4),
        '五' | '伍' => Some(5),
        '六' | '陆' => Some(6),
        '七' | '柒' => Some(7),
        '八' | '捌' => Some(8),
        '九' | '玖' => Some(9),
        _ => None,
    }
}

fn unit_of(c: char) -> Option<i64> {
    match c {
        '十' | '拾' => Some(10),
        '百' | '佰' => Some(100),
        '千' | '仟' => Some(1000),
        '万' => Some(10_000),
        _ => None,
    }
}

/// A number written in Arabic digits (with an optional decimal part and
/// thousands commas) or in Chinese numerals, up to 亿, read from the start
/// of `s`: its value (×100, to keep two decimals) and how many characters
/// it took. `None` when `s` does not start with a number.
fn number_at(s: &[char]) -> Option<(i64, usize)> {
    let mut i = 0;
    // Arabic: 86000, 8.6, 86,000
    if s.first().is_some_and(|c| c.is_ascii_digit()) {
        let mut int: i64 = 0;
        while i < s.len() && (s[i].is_ascii_digit() || (s[i] == ',' && s.get(i + 1).is_some_and(|c| c.is_ascii_digit()))) {
            if let Some(d) = s[i].to_digit(10) {
                int = int.checked_mul(10)?.checked_add(i64::from(d))?;
            }
            i += 1;
        }
        let mut cents = 0;
        if s.get(i) == Some(&'.') && s.get(i + 1).is_some_and(|c| c.is_ascii_digit()) {
            i += 1;
            let mut scale = 10;
            while i < s.len() && s[i].is_ascii_digit() {
                if scale > 0 {
                    cents += i64::from(s[i].to_digit(10)?) * scale;
                    scale /= 10;
                }
                i += 1;
            }
        }
        let mut value = int.checked_mul(100)?.checked_add(cents)?;
        // 8.6万, 3千
        if let Some(u) = s.get(i).and_then(|c| unit_of(*c)).filter(|u| *u >= 1000) {
            value = value.checked_mul(u)?;
            i += 1;
        }
        return Some((value, i));
    }
    // Chinese: 八万六千, 十二, 三千五百
    let (mut total, mut section, mut last_digit): (i64, i64, Option<i64>) = (0, 0, None);
    let mut used = false;
    while i < s.len() {
        if let Some(d) = digit(s[i]) {
            last_digit = Some(d);
            used = true;
        } else if let Some(u) = unit_of(s[i]) {
            used = true;
            if u == 10_000 {
                section += last_digit.take().unwrap_or(0);
                total = total.checked_add(section.max(1).checked_mul(u)?)?;
                section = 0;
            } else {
                section += last_digit.take().unwrap_or(1) * u;
            }
        } else {
            break;
        }
        i += 1;
    }
    if !used {
        return None;
    }
    // 八万六 (= 86,000), 三千五 (= 3,500): a trailing digit counts one unit down.
    let trailing = last_digit.unwrap_or(0);
    let prev = s.get(i.wrapping_sub(2)).and_then(|c| unit_of(*c));
    let tail = match prev {
        Some(u) if i >= 2 && last_digit.is_some() && u >= 100 => trailing * (u / 10),
        _ => trailing,
    };
    Some(((total + section + tail).checked_mul(100)?, i))
}

/// Every sum of money in yuan in the text: a number followed by 元 or
/// 块 (钱), with 万 / 千 read.
pub fn amounts(text: &str) -> Vec<i64> {
    let s: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let starts = i == 0 || (digit(s[i - 1]).is_none() && !s[i - 1].is_ascii_digit() && unit_of(s[i - 1]).is_none() && s[i - 1] != '.');
        if starts && let Some((v, n)) = number_at(&s[i..]) {
            let mut j = i + n;
            if s.get(j) == Some(&'多') || s.get(j) == Some(&'余') {
                j += 1;
            }
            // Above ten billion yuan is no wage claim: a slip or a prank.
            if matches!(s.get(j), Some('元') | Some('块')) && v > 0 && v / 100 <= MAX_AMOUNT {
                out.push(v / 100);
            }
            i = j.max(i + 1);
            continue;
        }
        i += 1;
    }
    out
}

/// Every headcount of workers: a number followed by 名 / 个 / 位 / 多名 and
/// a word for workers, or by 人.
pub fn headcounts(text: &str) -> Vec<i64> {
    let s: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let starts = i == 0 || (digit(s[i - 1]).is_none() && !s[i - 1].is_ascii_digit() && unit_of(s[i - 1]).is_none());
        if starts && let Some((v, n)) = number_at(&s[i..]) {
            let rest: String = s[i + n..].iter().take(6).collect();
            let rest = rest.trim_start_matches(['多', '余']);
            let counter = ["名", "个", "位"].iter().find(|c| rest.starts_with(*c)).map(|c| c.chars().count()).unwrap_or(0);
            let after: String = rest.chars().skip(counter).collect();
            let workers = ["农民工", "工人", "工友", "民工", "务工人员", "劳务人员"].iter().any(|w| after.starts_with(w));
            if v > 0 && v % 100 == 0 && v / 100 <= MAX_WORKERS && (workers || (counter == 0 && rest.starts_with('人'))) {
                out.push(v / 100);
            }
            i += n.max(1);
            continue;
        }
        i += 1;
    }
    out
}

fn is_labour(u: &Unit) -> bool {
    u.kind == UnitKind::Department && (u.name.contains("人力资源和社会保障") || u.name.contains("人社") || u.name.contains("劳动保障监察"))
}

/// The labour inspection for a place: the human resources and social
/// security department (a unit named 劳动保障监察… first) of the place's
/// county (属地管理: the county level handles it). A place above the
/// county, or a county without one, has none: the claim takes the
/// ordinary way through the bureau.
pub fn labour_inspection<'a>(tree: &'a UnitTree, place: &str) -> Option<&'a Unit> {
    let area = place.get(..Level::County.division_len())?;
    let mut here: Vec<&Unit> = tree.all().filter(|u| u.jurisdiction == area && is_labour(u)).collect();
    here.sort_by_key(|u| (!u.name.contains("劳动保障监察"), u.id));
    here.first().copied()
}

/// The day `n` working days after `from` (not counting `from`).
pub fn after_working_days(calendar: &HolidayCalendar, from: NaiveDate, n: u32) -> NaiveDate {
    let mut d = from;
    let mut left = n;
    // A year has far fewer than 400 days off in a row.
    for _ in 0..(n as usize * 7 + 400) {
        if left == 0 {
            break;
        }
        d += Duration::days(1);
        if calendar.day(d).working {
            left -= 1;
        }
    }
    d
}

/// The first day off of the Spring Festival holiday of `year`: from the
/// official calendar, else 除夕 (the day before 正月初一).
pub fn spring_festival(calendar: &HolidayCalendar, year: i32) -> Option<NaiveDate> {
    calendar
        .special_days()
        .filter(|d| d.date.year() == year && d.kind == crate::calendar::DayKind::Holiday && d.name.contains("春节"))
        .map(|d| d.date)
        .min()
        .or_else(|| {
            LUNAR_NEW_YEAR
                .iter()
                .find(|(y, _, _)| *y == year)
                .and_then(|(y, m, d)| NaiveDate::from_ymd_opt(*y, *m, *d))
                .map(|d| d - Duration::days(1))
        })
}

/// The pre-festival season (春节前欠薪专项): from `days` days before the
/// next Spring Festival on or after `today` to the day before it.
pub fn festival_season(calendar: &HolidayCalendar, today: NaiveDate, days: i64) -> Option<(NaiveDate, NaiveDate)> {
    [today.year(), today.year() + 1]
        .into_iter()
        .filter_map(|y| spring_festival(calendar, y))
        .find(|f| *f > today - Duration::days(1))
        .map(|f| (f - Duration::days(days), f - Duration::days(1)))
}

/// What a labour inspector must explain before a running total of a
/// recovery is kept: the totals are reported up before the Spring Festival,
/// so one that passes what was claimed, or goes down, is not taken on its
/// own word. The claim is read from the petition's text and may be wrong
/// (the inspection finds more workers owed): then the note says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecoveryNeedsNote {
    /// More workers paid than the petition said were owed.
    MoreWorkersThanClaimed { paid: i64, claimed: i64 },
    /// More recovered than the petition claimed.
    AboveClaim { recovered: i64, claimed: i64 },
    /// A running total lower than the one recorded before (a correction).
    Lowered,
}

impl RecoveryNeedsNote {
    /// Why, in Chinese, for the clerk.
    pub fn message(&self) -> String {
        match self {
            Self::MoreWorkersThanClaimed { paid, claimed } => {
                format!("已支付人数（{paid}人）多于反映的欠薪人数（{claimed}人），请在“说明”中写明核实情况")
            }
            Self::AboveClaim { recovered, claimed } => {
                format!("已追回金额（{recovered}元）超过反映的欠薪金额（{claimed}元），请在“说明”中写明原因（如核实后欠薪总额更高）")
            }
            Self::Lowered => "追回情况是累计数，比上次记录的少：如是更正，请在“说明”中写明原因".to_string(),
        }
    }
}

/// Whether the new running totals (`amount` recovered, `workers` paid)
/// need a note, given what was claimed and what was recorded before.
pub fn recovery_needs_note(
    claimed: (Option<i64>, Option<i64>),
    before: (Option<i64>, Option<i64>),
    amount: i64,
    workers: i64,
) -> Option<RecoveryNeedsNote> {
    if let Some(claimed) = claimed.1.filter(|c| workers > *c) {
        return Some(RecoveryNeedsNote::MoreWorkersThanClaimed { paid: workers, claimed });
    }
    if let Some(claimed) = claimed.0.filter(|c| amount > *c) {
        return Some(RecoveryNeedsNote::AboveClaim { recovered: amount, claimed });
    }
    if before.0.is_some_and(|b| amount < b) || before.1.is_some_and(|b| workers < b) {
        return Some(RecoveryNeedsNote::Lowered);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{DayKind, SpecialDay};

    #[test]
    fn a_wage_claim_is_recognised_with_its_amount_and_workers() {
        let r = recognise(true, None, "某装修队拖欠十二名工人工资共计八万六千元，工人多次讨要未果").expect("wages");
        assert_eq!((r.amount, r.workers, r.migrant), (Some(86_000), Some(12), true));
        assert_eq!(r.words, ["拖欠…工资"]);
        let r = recognise(true, None, "工地包工头欠薪，我们23名农民工共被欠8.6万元，每人3000多元").expect("wages");
        assert_eq!((r.amount, r.workers), (Some(86_000), Some(23)));
        let r = recognise(true, None, "在工地打工三个月工资没发，合计45,600元").expect("wages");
        assert_eq!((r.amount, r.workers), (Some(45_600), None));
        assert!(recognise(true, None, "公司三个月工资没发，合计45,600元").is_none(), "an office worker's wages take the ordinary way");
        let r = recognise(true, Some(WAGES_TOPIC), "施工队一直拖欠我们的加班费").expect("by topic");
        assert_eq!(r.words, ["内容分类：工资福利"]);
        assert!(recognise(false, None, "拖欠工资").is_none(), "not a claim");
        assert!(recognise(true, None, "小区噪音扰民，请求处理").is_none());
        assert!(recognise(true, Some(WAGES_TOPIC), "建议提高最低工资标准").is_none());
    }

    #[test]
    fn numbers_in_digits_and_chinese() {
        assert_eq!(amounts("共计两万三千五百元"), [23_500]);
        assert_eq!(amounts("八万六元"), [86_000]);
        assert_eq!(amounts("三千五块钱"), [3_500]);
        assert_eq!(amounts("十万元和2万元"), [100_000, 20_000]);
        assert_eq!(amounts("2026年3月欠5000元"), [5_000], "a year is not money");
        assert_eq!(headcounts("三十多名农民工和5人"), [30, 5]);
        assert_eq!(headcounts("欠了3个月"), Vec::<i64>::new());
    }

    #[test]
    fn five_working_days_skip_the_weekend_and_the_festival_season_ends_before_it() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        let cal = HolidayCalendar::new(
            [2026, 2027],
            (0..7).map(|i| SpecialDay { date: d("2027-02-06") + Duration::days(i), kind: DayKind::Holiday, name: "春节".into() }),
        );
        // Tuesday 2026-12-01 + 5 working days = Tuesday 2026-12-08.
        assert_eq!(after_working_days(&cal, d("2026-12-01"), 5), d("2026-12-08"));
        assert_eq!(spring_festival(&cal, 2027), Some(d("2027-02-06")));
        assert_eq!(festival_season(&cal, d("2026-12-01"), 75), Some((d("2026-11-23"), d("2027-02-05"))));
        // Beyond the calendar: the day before 正月初一.
        assert_eq!(spring_festival(&cal, 2028), Some(d("2028-01-25")));
    }

    #[test]
    fn a_recovery_above_the_claim_or_below_the_last_total_needs_a_note() {
        let claimed = (Some(123_500), Some(23));
        assert_eq!(recovery_needs_note(claimed, (None, None), 50_000, 10), None);
        assert_eq!(recovery_needs_note(claimed, (Some(50_000), Some(10)), 123_500, 23), None, "all paid");
        assert_eq!(
            recovery_needs_note(claimed, (None, None), 999_999, 50),
            Some(RecoveryNeedsNote::MoreWorkersThanClaimed { paid: 50, claimed: 23 })
        );
        assert_eq!(
            recovery_needs_note(claimed, (None, None), 999_999, 20),
            Some(RecoveryNeedsNote::AboveClaim { recovered: 999_999, claimed: 123_500 })
        );
        assert_eq!(recovery_needs_note(claimed, (Some(50_000), Some(10)), 30_000, 10), Some(RecoveryNeedsNote::Lowered));
        assert_eq!(recovery_needs_note(claimed, (Some(50_000), Some(10)), 50_000, 5), Some(RecoveryNeedsNote::Lowered));
        // Nothing claimed in figures: only a lowered total needs a word.
        assert_eq!(recovery_needs_note((None, None), (None, None), 999_999, 50), None);
        assert!(RecoveryNeedsNote::Lowered.message().contains("说明"));
    }

    #[test]
    fn the_lane_is_offered_only_to_petitions_that_speak_of_wages() {
        assert!(about_wages(None, "老板欠我们三个月工钱"));
        assert!(about_wages(Some(WAGES_TOPIC), "包工头跑了"));
        assert!(about_wages(None, "讨薪无果"));
        assert!(!about_wages(None, "楼上装修噪音扰民，夜间施工"));
        assert!(!about_wages(Some("1102"), "法院判决后对方拒不执行"));
    }
}
