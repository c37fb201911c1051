//! Risk signals in a petition's text: self-harm, violence, threats, road
//! blocking, gathering, going to Beijing, extreme petitioning. Each signal
//! names the words that raised it, so the duty officer woken by an urgent
//! alert, and the clerk who dismisses a false one, can see why.
//!
//! A lexicon, not a model: a missed self-harm threat is the one error the
//! project cannot accept (issue 13: "every urgent-risk petition is
//! flagged"), and a phrase list is auditable, predictable and fixed in a
//! minute when a new phrasing turns up. The price is false alarms, which
//! are cheap: an alert can be dismissed with a reason.
//!
//! What the guard against false alarms does, and its limits:
//!
//! * **Negation.** A phrase directly preceded, within its clause, by a
//!   negator (不, 没, 没有, 未, 绝不, 别, …), possibly with a helper word
//!   in between (会, 要, 想, 去, 打算, …), does not make its signal urgent:
//!   我不会跳楼, 我们没有堵路, 绝不会去北京. The signal is still reported,
//!   not urgent, with the negated phrase as its words. Not understood:
//!   double negation other than 不得不/不能不/不会不, a negation far from
//!   the phrase (我从来都没有想过要去跳楼 is caught, 我没说过我会跳楼 is
//!   read as a plain threat), rhetorical questions,
//!   irony, and conditionals, which read as intent (不解决我就跳楼 is
//!   urgent, as it should be). A negation after 劝 (劝他不要跳楼) is about
//!   someone else's intent and stays urgent.
//! * **Exclusions.** Fixed phrases that contain a risk word without the
//!   risk — 跳楼价, 打击报复 (the petitioner fears reprisal, not threatens
//!   it), 动手术, 北京路, 施工堵路, 拦车收费 — cancel an overlapping match.
//! * **When.** Gathering, going to Beijing and the elevated forms of
//!   extreme petitioning (a sit-in, a banner) are urgent only with a time
//!   in the same sentence (明天, 下周一, 15号, 两会期间, …), a plan rather
//!   than a mention. A calendar date (5日, 3号) does not count when the
//!   sentence also speaks of the past (去年, 上次, 曾经, 之前…), which also
//!   means "上次去过北京，15号还要去" is not urgent: the sentence is
//!   ambiguous to a word list.
//! * **Ultimatums.** A despairing or hostile phrase that is only
//!   elevated on its own (活够了, 别想好过, 过不安生: the lexicon's
//!   `ultimatum` lines) is urgent when its sentence sets a condition
//!   before it — 再不, 还不, 要是不, 否则, 大不了 (这个月底再不给我划清楚，
//!   我让他们全家都别想好过). Despair (活不下去) stays elevated after a
//!   condition: 再不发工资我们就活不下去了 is not a threat. A gathering or
//!   a trip to Beijing still needs a time. A deadline (十月一号之前,
//!   月底以前) is a time: 之前 / 以前 right after a day, a month's end or
//!   a festival look forward, not back.
//! * **Conditional harm.** Beyond the lexicon's phrases: a sentence that
//!   sets a condition (再不, 再这样下去, 这周之内, 要是敢, 如果…, or a
//!   plain 不X / 没X just before) or a planned time (明天, 下周一…, not
//!   上星期, 每个周末, 两个星期), then says the petitioner's own next step
//!   (我就, 我们就, 俺就, 那我, 自己去…) and, within 20 characters, harm
//!   (砸了, 烧掉, 跳下, 喝药, 浇身上, 堵住, 拼命…), is urgent of the harm's
//!   kind: 这周之内他不退钱，我就去把他新店砸了. What it still reads wrongly:
//!   someone else's threat quoted with 我就 in it, and a harm word used
//!   figuratively after a real condition.
//! * **Bounded work.** Each phrase is looked at in at most 8 places, at
//!   most 32 crowds or conditional harms are taken, and what a sentence
//!   says about time and conditions is worked out once, so a 20,000-
//!   character text of one repeated phrase is scanned in tens of
//!   milliseconds (`cargo run --release -p xinfang-text --example
//!   risk_worst_case`).
//! * Not understood at all: reported speech about third parties, past
//!   events told as background (去年有个工友在这里跳楼了 raises
//!   self_harm, urgent), variants the list lacks (跳过楼 is not 跳楼),
//!   spelling variants and homophones used to dodge filters.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::segment::normalize;

/// What a signal is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskKind {
    SelfHarm,
    Violence,
    Threat,
    RoadBlocking,
    Gathering,
    ToBeijing,
    ExtremePetitioning,
    /// Not from the text: a petitioner group whose repeat petitions rise
    /// week on week (see [`group_repeats_rising`]); the caller builds it.
    GroupRepeatsRising,
}

impl RiskKind {
    /// The kinds a petition's text can raise (not a group's rising repeats,
    /// which the caller counts), in declaration order: the lexicon's and
    /// the urgent model's.
    pub const FROM_TEXT: [RiskKind; 7] = [SelfHarm, Violence, Threat, RoadBlocking, Gathering, ToBeijing, ExtremePetitioning];

    /// The text kind with this code name (`self_harm` …), as the lexicon
    /// file and the labelled sets write it.
    pub fn from_code(code: &str) -> Option<RiskKind> {
        Self::FROM_TEXT.into_iter().find(|k| k.as_str() == code)
    }

    /// The code name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskKind::SelfHarm => "self_harm",
            RiskKind::Violence => "violence",
            RiskKind::Threat => "threat",
            RiskKind::RoadBlocking => "road_blocking",
            RiskKind::Gathering => "gathering",
            RiskKind::ToBeijing => "to_beijing",
            RiskKind::ExtremePetitioning => "extreme_petitioning",
            RiskKind::GroupRepeatsRising => "group_repeats_rising",
        }
    }

    /// What the workbench shows.
    pub fn label(self) -> &'static str {
        match self {
            RiskKind::SelfHarm => "扬言自伤自杀",
            RiskKind::Violence => "涉及暴力",
            RiskKind::Threat => "扬言报复",
            RiskKind::RoadBlocking => "扬言堵路拦车",
            RiskKind::Gathering => "可能集体上访",
            RiskKind::ToBeijing => "扬言进京上访",
            RiskKind::ExtremePetitioning => "过激上访倾向",
            RiskKind::GroupRepeatsRising => "群体重复信访上升",
        }
    }
}

/// One kind of risk found, whether it calls for the duty officer now, and
/// the words (as written, normalised) that raised it, in text order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signal {
    pub kind: RiskKind,
    pub urgent: bool,
    pub words: Vec<String>,
    /// The passages of the text for which the urgent model of the labelled
    /// examples (`crate::urgent`) raised this signal, or made it urgent;
    /// empty when the lexicon alone raised it. Kept apart from `words`,
    /// which are the lexicon's phrases.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub passages: Vec<String>,
}

/// The petition's overall risk, as the triage API reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    None,
    Elevated,
    Urgent,
}

/// `urgent` if any signal is, `elevated` if there is any signal, else `none`.
pub fn level(signals: &[Signal]) -> RiskLevel {
    if signals.iter().any(|s| s.urgent) {
        RiskLevel::Urgent
    } else if signals.is_empty() {
        RiskLevel::None
    } else {
        RiskLevel::Elevated
    }
}

use RiskKind::*;

/// The lexicon, a text file so that it can be reviewed and extended
/// without reading Rust: `kind strength phrase…` per line.
const LEXICON: &str = include_str!("../data/risk_lexicon.txt");

/// How a lexicon phrase counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strength {
    Urgent,
    Elevated,
    /// Elevated alone, urgent after an ultimatum in its sentence.
    Ultimatum,
    Exclude,
}

/// The lexicon's entries `(kind, strength, phrase)`. Parsed on each
/// [`scan`] — a few hundred short lines, microseconds — to keep the
/// crate free of global state; lines that do not parse are skipped here
/// and caught by a test.
fn lexicon() -> impl Iterator<Item = (RiskKind, Strength, &'static str)> {
    LEXICON
        .lines()
        .filter_map(parse_line)
        .flat_map(|(kind, strength, phrases)| phrases.split_whitespace().map(move |p| (kind, strength, p)))
}

fn parse_line(line: &'static str) -> Option<(RiskKind, Strength, &'static str)> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let mut parts = line.splitn(3, char::is_whitespace);
    let kind = RiskKind::from_code(parts.next()?)?;
    let strength = match parts.next()? {
        "urgent" => Strength::Urgent,
        "elevated" => Strength::Elevated,
        "ultimatum" => Strength::Ultimatum,
        "exclude" => Strength::Exclude,
        _ => return None,
    };
    Some((kind, strength, parts.next()?.trim()))
}

/// Kinds that become urgent with a time in the same sentence: a planned
/// gathering, trip to Beijing, sit-in, banner or blocked road
/// (明天上午去售楼部拉横幅, 九月二十号那天把那条土路堵死).
fn urgent_with_time(kind: RiskKind) -> bool {
    matches!(kind, Gathering | ToBeijing | ExtremePetitioning | RoadBlocking)
}

/// A condition set before a threat: "if not … then". Not 不给 alone, which
/// every complaint says (公司不给钱).
const ULTIMATUMS: &[&str] = &[
    "再不",
    "还不给",
    "还不还",
    "还不退",
    "还不解决",
    "还不处理",
    "还不拆",
    "还不批",
    "还不落实",
    "还不赔",
    "要是不",
    "如果不",
    "若不",
    "若再",
    "如果再",
    "要是再",
    "否则",
    "不然",
    "大不了",
    "逼急了",
    "逼我",
    "再这样",
    "再这么",
    "再没",
    "到时候",
    "敢再",
    "谁来",
    "再拖",
    // "If nobody sees to it" (要是没人管，我自己去收拾他).
    "要是没",
    "如果没",
    "若没",
    "要是还",
    "如果还",
    // A deadline (三天之内不给个说法，那个医生别想安生): within it, or else.
    "之内不",
    "以内不",
    "天内不",
    "日内不",
];

/// "If he keeps on …" said of the other side (他要再霸着我的地，我让他们全家都
/// 别想好过): a condition for a threat's ultimatum phrase only — with the
/// broad harm words of a conditional harm (收拾, 堵上) or a road's 把~堵
/// they are everyday speech (请环保局把排污口堵上) — and
/// not inside 其他要再 or after a reporting verb (医生说他要再住半个月院).
const OTHER_SIDE_IFS: &[&str] = &["他要再", "他们要再", "你要再", "你们要再", "他要继续", "他们要继续"];

/// Whether `sentence[i..]`, an [`OTHER_SIDE_IFS`] word, is a condition.
fn other_side_if(sentence: &[char], i: usize) -> bool {
    let clause = &sentence[back_to(sentence, i, CLAUSE_BREAKS)..i];
    !clause.ends_with(&['其']) && !["说", "讲", "告诉", "通知"].iter().any(|w| !find_all(clause, w).is_empty())
}

/// The earliest ultimatum in `sentence`, with where it starts; with
/// `other_side`, [`OTHER_SIDE_IFS`] count too (for a threat).
fn first_ultimatum(sentence: &[char], other_side: bool) -> Option<(usize, &'static str)> {
    let other_side = OTHER_SIDE_IFS
        .iter()
        .filter(|_| other_side)
        .filter_map(|u| find_all(sentence, u).into_iter().find(|&i| other_side_if(sentence, i)).map(|i| (i, *u)));
    ULTIMATUMS.iter().filter_map(|u| find_all(sentence, u).into_iter().next().map(|i| (i, *u))).chain(other_side).min_by_key(|&(i, _)| i)
}

const NEGATORS: &[&str] = &["不", "没", "没有", "未", "并未", "从未", "从没", "绝不", "决不", "别", "无意"];
/// Helper words allowed between a negator and the phrase (不会去跳楼).
const HELPERS: &[&str] =
    &["去", "再", "会", "要", "想", "打算", "准备", "敢", "搞", "进行", "采取", "做出", "作出", "出现", "发生", "过", "想过"];
const DOUBLE_NEGATIONS: &[&str] = &["不得不", "不能不", "不会不"];
const CLAUSE_BREAKS: &[char] = &[',', '.', '!', '?', ';', ':', '、', '，', '。', '！', '？', '；', '：', '\n', '\r'];
const SENTENCE_BREAKS: &[char] = &['.', '!', '?', ';', '。', '！', '？', '；', '\n', '\r'];

/// Relative times that point forward, and weekdays: a plan. (Not 今天:
/// 到今天还没解决 is the commonest complaint of all.)
const FUTURE_TIMES: &[&str] = &[
    "明天",
    "明日",
    "后天",
    "今晚",
    "下周",
    "下星期",
    "下个星期",
    "下礼拜",
    "下个月",
    "下月",
    "月底",
    "月初",
    "这周",
    "本周",
    "周末",
    "过几天",
    "过两天",
    "国庆",
    "春节",
    "元旦",
    "五一",
    "十一过后",
    "十一以后",
    "十一过完",
    "过完十一",
    "十一长假",
    "通车那天",
    "剪彩那天",
    "验收那天",
    "开业那天",
    "开盘那天",
    "揭牌那天",
    "秋收一完",
    "秋收完",
    "收完秋",
    "麦收完",
    "节后",
    "过完年",
    "两会",
    "开会期间",
    "开会那天",
    "周一",
    "周二",
    "周三",
    "周四",
    "周五",
    "周六",
    "周日",
    "星期",
    "礼拜",
    "腊月",
    "小年",
    "开学",
    "八一之前",
    "八一前",
    "正月",
    "八一那天",
    "赶场天",
    "赶集天",
    "赶集那天",
    "假后",
    "一放假",
    "中秋",
    "端午",
    "元宵",
    "年底",
    "过年前",
    // A holiday's day (八一建军节那天, 劳动节当天).
    "节那天",
    "节当天",
    "建军节",
    "劳动节",
    "重阳",
    "清明",
    // Days of an expected event (开工那天, 秋收那天) and 明儿, 年前 (before
    // the New Year, not 三年前: see `planned_time_at`).
    "开工那天",
    "动工那天",
    "施工那天",
    "来拆那天",
    "强拆那天",
    "秋收那天",
    "开庭那天",
    "明儿",
    "明早",
    "明晚",
    "年前",
];
const PAST_MARKERS: &[&str] = &["去年", "前年", "上次", "曾经", "曾", "之前", "此前", "以前", "当年", "上个月", "上周", "昨天", "前天"];
const TIMES_OF_DAY: &[&str] = &["早上", "上午", "中午", "下午", "晚上", "凌晨"];
const ORGANISERS: &[&str] = &["组织", "召集", "纠集", "发动", "带领", "串联", "叫上", "喊上"];

/// Characters of a number written in digits or Chinese, including the
/// rough counts of headcounts (上百, 几十, 数百).
fn is_numeral(c: char) -> bool {
    c.is_ascii_digit() || "一二三四五六七八九十百千万两几数上〇零".contains(c)
}

/// Most characters a lexicon phrase's `~` stands for (see `find_spans`).
const GAP_CHARS: usize = 10;
/// Most characters a lexicon phrase's `^` stands for: a short gap, for a
/// word and its object with a name between (跳^江 finds 跳闽江, 跳进江).
const SHORT_GAP_CHARS: usize = 2;

/// Where a lexicon phrase occurs, as `(start, end)` spans. A phrase may
/// hold `~`: its parts in order, each gap at most `GAP_CHARS` characters
/// within one clause (把~路堵 finds 把门口那条路堵了 and 把路堵上; not a 把 of
/// one clause and a 路堵 of the next), or `^`, a gap of at most
/// `SHORT_GAP_CHARS`. The nearest next part is taken.
fn find_spans(hay: &[char], phrase: &str) -> Vec<(usize, usize)> {
    // The parts, each with the gap allowed before it.
    let mut parts: Vec<(usize, Vec<char>)> = vec![(0, Vec::new())];
    for c in phrase.chars() {
        match c {
            '~' => parts.push((GAP_CHARS, Vec::new())),
            '^' => parts.push((SHORT_GAP_CHARS, Vec::new())),
            _ => {
                if let Some(last) = parts.last_mut() {
                    last.1.push(c);
                }
            }
        }
    }
    let first: String = parts[0].1.iter().collect();
    let first_len = parts[0].1.len();
    find_all(hay, &first)
        .into_iter()
        .filter_map(|start| {
            let mut end = start + first_len;
            for (gap, part) in &parts[1..] {
                let limit = (end + gap + part.len()).min(hay.len());
                let at = (end..=limit.saturating_sub(part.len())).find(|&i| hay[i..i + part.len()] == part[..])?;
                if hay[end..at].iter().any(|c| CLAUSE_BREAKS.contains(c)) {
                    return None;
                }
                end = at + part.len();
            }
            Some((start, end))
        })
        .collect()
}

/// Every start of `needle` in `hay`, in characters.
fn find_all(hay: &[char], needle: &str) -> Vec<usize> {
    let n: Vec<char> = needle.chars().collect();
    if n.is_empty() || n.len() > hay.len() {
        return Vec::new();
    }
    (0..=hay.len() - n.len()).filter(|&i| hay[i..i + n.len()] == n[..]).collect()
}

fn text(chars: &[char]) -> String {
    chars.iter().collect()
}

fn ends_with(chars: &[char], suffix: &str) -> bool {
    let s: Vec<char> = suffix.chars().collect();
    chars.len() >= s.len() && chars[chars.len() - s.len()..] == s[..]
}

/// Start of the clause or sentence holding position `i`.
fn back_to(chars: &[char], i: usize, breaks: &[char]) -> usize {
    chars[..i].iter().rposition(|c| breaks.contains(c)).map_or(0, |p| p + 1)
}

/// End of the clause or sentence holding position `i`.
fn forward_to(chars: &[char], i: usize, breaks: &[char]) -> usize {
    chars[i..].iter().position(|c| breaks.contains(c)).map_or(chars.len(), |p| i + p)
}

/// If the phrase starting at `start` is negated, where the negator starts.
fn negation(chars: &[char], start: usize) -> Option<usize> {
    let from = start.saturating_sub(NEGATION_REACH);
    let clause = from + back_to(&chars[from..start], start - from, CLAUSE_BREAKS);
    let prefix = &chars[clause..start];
    if prefix.contains(&'劝') {
        return None;
    }
    let mut end = prefix.len();
    loop {
        let p = &prefix[..end];
        if DOUBLE_NEGATIONS.iter().any(|d| ends_with(p, d)) {
            return None;
        }
        if let Some(neg) = NEGATORS.iter().filter(|n| ends_with(p, n)).map(|n| n.chars().count()).max() {
            return Some(clause + end - neg);
        }
        match HELPERS.iter().filter(|h| ends_with(p, h)).map(|h| h.chars().count()).max() {
            Some(len) => end -= len,
            None => return None,
        }
    }
}

/// A time that makes a gathering a plan, in `sentence`: a forward-looking
/// word, a weekday, or a calendar day or clock time unless the sentence
/// speaks of the past.
fn planned_time(sentence: &[char]) -> Option<String> {
    planned_time_at(sentence).map(|(_, word)| word)
}

/// The sentence of `chars` around position `at`, as the lexicon cuts
/// sentences.
pub fn sentence_around(chars: &[char], at: usize) -> &[char] {
    let at = at.min(chars.len());
    &chars[back_to(chars, at, SENTENCE_BREAKS)..forward_to(chars, at, SENTENCE_BREAKS)]
}

/// Whether `sentence` (normalised characters of one sentence) names a time
/// that makes a plan of it ([`planned_time`]): the urgent model's
/// gatherings and trips to Beijing need one in the sentence it read them
/// in, as the lexicon's do.
pub fn names_a_planned_time(sentence: &[char]) -> bool {
    planned_time(sentence).is_some()
}

/// Characters before 过 that make it no experiential 过 (不过, 没过, 别过,
/// 超过, 经过, 通过, 路过, 难过, 家过).
const NOT_EXPERIENTIAL_BEFORE: &str = "不没别超经通路难家";

/// Whether 年前 at `i` follows a count of years (三年前, 几年前, 半年前): the
/// past, not 年前 alone, before the New Year.
fn years_counted_before(chars: &[char], i: usize) -> bool {
    i > 0 && (is_numeral(chars[i - 1]) || "几多些半个".contains(chars[i - 1]))
}

/// Whether the sentence after `from` tells a thing done, with the
/// experiential 过 closing a verb (去县政府上访过，…; 要过一次钱): then its
/// time (今年国庆, 开工那天, 3月5号) is when it happened, not a plan. Not 过年,
/// 过几天, 过完, 不过, 谁也别过, 谁也别想过, 不在家过（了）, 过来 / 过去, whose 过
/// is a verb of its own.
fn done_since(sentence: &[char], from: usize) -> bool {
    let rest = &sentence[from.min(sentence.len())..];
    rest.iter().enumerate().any(|(k, &c)| {
        c == '过'
            && k > 0
            && !NOT_EXPERIENTIAL_BEFORE.contains(rest[k - 1])
            // 谁也别想过, 不让过, 莫想过: a road not to be passed.
            && !rest[k.saturating_sub(3)..k].iter().any(|c| "别不莫休".contains(*c))
            && rest.get(k + 1).is_none_or(|n| CLAUSE_BREAKS.contains(n) || "一两几次回".contains(*n))
    })
}

/// [`planned_time`] with where it starts in `sentence`.
fn planned_time_at(sentence: &[char]) -> Option<(usize, String)> {
    // Forward-looking words, earliest first (of those the longest), each
    // taken only if it is not the past, a habit or a length of time
    // (上星期, 去年春节, 每个周末, 两个星期, 一个礼拜前) and its clause does
    // not speak of the past (上个月…周末去过).
    let mut found: Vec<(usize, usize, &str)> = FUTURE_TIMES
        .iter()
        .flat_map(|w| find_all(sentence, w).into_iter().take(MAX_PER_PHRASE).map(move |i| (i, w.chars().count(), *w)))
        .collect();
    found.sort_by_key(|&(i, len, _)| (i, std::cmp::Reverse(len)));
    for (i, len, word) in found {
        // 下周/星期/礼拜 with the day after it: 下周一, 星期三.
        let day = sentence.get(i + len).is_some_and(|c| "一二三四五六日天末".contains(*c));
        let week = ["周", "星期", "礼拜"].iter().any(|w| word.ends_with(w));
        let end = i + len + usize::from(day && week);
        // "自本周一起", "周一以来": since then, not a plan ("从这个礼拜六起"
        // is from then on).
        let since_start = sentence[..i].iter().rposition(|&c| c == '自' || c == '从').filter(|&k| sentence[k] == '自' && i - k <= 3);
        let since = sentence.get(end) == Some(&'起') && since_start.is_some() || sentence[end..].starts_with(&['以', '来']);
        let before = &sentence[i.saturating_sub(2)..i];
        // 两个星期, 三礼拜 are lengths of time; 这个礼拜, 下个星期 are plans.
        let length =
            week && before.last().is_some_and(|&c| is_numeral(c) || c == '个' && !before.first().is_some_and(|f| "这下本".contains(*f)));
        // 三年前, 几年前, 多年前 are the past; 年前 alone is before the New Year.
        let years_ago = word == "年前" && years_counted_before(sentence, i);
        let back = before.iter().any(|c| "上去前每".contains(*c)) || length || years_ago;
        let ago = week && !day && sentence.get(end) == Some(&'前') && !word.starts_with(['下', '这', '本']);
        // The past said before it in its clause (上个月的周末, 去年春节).
        let lead = &sentence[back_to(sentence, i, CLAUSE_BREAKS)..i];
        let past_clause = PAST_MARKERS.iter().any(|m| find_all(lead, m).into_iter().any(|k| !is_deadline(lead, k, m)));
        if !(since || back || ago || past_clause || done_since(sentence, end)) {
            return Some((i, text(&sentence[i..end])));
        }
    }
    let past = PAST_MARKERS.iter().any(|m| find_all(sentence, m).into_iter().any(|i| !is_deadline(sentence, i, m)));
    if past {
        return None;
    }
    for (i, &c) in sentence.iter().enumerate() {
        if !matches!(c, '号' | '日' | '点') || i == 0 || !is_numeral(sentence[i - 1]) {
            continue;
        }
        let start = sentence[..i].iter().rposition(|&d| !is_numeral(d)).map_or(0, |p| p + 1);
        let number = &sentence[start..i];
        let next = sentence.get(i + 1).copied();
        let ok = match c {
            // 3号楼, 5号线 are places, not days.
            '号' => !next.is_some_and(|n| "楼院线房室门栋床码".contains(n)),
            '日' => true,
            // 一点 is "a little" unless digits or a time of day say otherwise.
            _ => number.iter().all(char::is_ascii_digit) || TIMES_OF_DAY.iter().any(|t| ends_with(&sentence[..start], t)),
        };
        if ok && !done_since(sentence, i + 1) {
            return Some((start, text(&sentence[start..=i])));
        }
    }
    None
}

/// 之前 / 以前 right after a day, a month's end or a festival (十月一号之前,
/// 月底以前, 中秋节前): a deadline ahead, not the past. So is 在那之前 with
/// an answer asked for after it (请县里在那之前给个说法), and not 在那之前我
/// 找过.
fn is_deadline(sentence: &[char], i: usize, marker: &str) -> bool {
    let festival = ["小年", "过年", "新年", "春节", "国庆", "中秋", "八一", "端午"].iter().any(|f| ends_with(&sentence[..i], f));
    let after = &sentence[i + marker.chars().count()..forward_to(sentence, i, CLAUSE_BREAKS)];
    let answer_asked =
        ends_with(&sentence[..i], "在那") && ["给", "答复", "回复", "解决", "处理", "落实"].iter().any(|w| !find_all(after, w).is_empty());
    matches!(marker, "之前" | "以前")
        && i > 0
        && ("号日底初节天".contains(sentence[i - 1]) || is_numeral(sentence[i - 1]) || festival || answer_asked)
}

/// "组织了两百多人", "召集村民三十多户": an organiser verb followed
/// closely by a headcount. Returns the phrase's `(start, end)`.
fn organised_headcounts(chars: &[char]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for verb in ORGANISERS {
        for start in find_all(chars, verb) {
            let from = start + verb.chars().count();
            let to = (from + 8).min(chars.len());
            let mut j = from;
            while j < to {
                // 上 counts only as in 上百 or 上千, not in 上访.
                let rough_count = chars[j] != '上' || chars.get(j + 1).is_some_and(|&c| is_numeral(c));
                if is_numeral(chars[j]) && rough_count {
                    let mut k = j;
                    while k < chars.len() && is_numeral(chars[k]) {
                        k += 1;
                    }
                    while k < chars.len() && "多余来个号口".contains(chars[k]) {
                        k += 1;
                    }
                    if chars.get(k).is_some_and(|&c| "人名户位".contains(c)) {
                        out.push((start, k + 1));
                        break;
                    }
                    j = k.max(j + 1);
                } else if CLAUSE_BREAKS.contains(&chars[j]) {
                    break;
                } else {
                    j += 1;
                }
            }
        }
    }
    out
}

/// A whole group named as one (全村人, 全体业主, 全组人).
const WHOLE_GROUPS: &[&str] =
    &["全村", "全组", "全体", "全厂", "全小区", "全楼", "所有业主", "所有工友", "所有村民", "全镇", "全乡", "全县", "全体职工"];
/// Who a headcount counts, after the number (三十多个人, 一百多户, 几十名工人).
const CROWD_NOUNS: &[&str] = &[
    "人", "户", "名", "位", "口", "业主", "工友", "村民", "职工", "工人", "家长", "老人", "家属", "员工", "群众", "老兵", "战友", "股民",
    "台车", "辆车", "老师", "司机", "骑手", "师傅", "商户", "摊主", "摊贩", "店主", "农户", "居民", "住户", "车主", "病友", "患者", "学生",
    "乡亲", "老乡", "同乡",
];
/// Going or staying somewhere, and where: a crowd that goes to the
/// government's door or stays at the hospital is a gathering.
const CROWD_MOVES: &[&str] = &["去", "到", "上", "守在", "坐在", "围在", "聚在", "堵在", "跪在", "进"];
const CROWD_PLACES: &[&str] = &[
    "政府",
    "门口",
    "大门",
    "售楼部",
    "局",
    "厂",
    "市里",
    "县里",
    "省里",
    "省城",
    "北京",
    "路",
    "广场",
    "委",
    "公司",
    "工地",
    "医院",
    "大厅",
    "信访",
    "镇上",
    "乡里",
    "区里",
    "机关",
    "楼下",
    "厅",
    "办公室",
    "学校",
];
/// Characters between a crowd and its move, and a move and its place.
const CROWD_REACH: usize = 16;

/// The end of a crowd starting at `i`: a headcount from ten to a few
/// thousand (digits, or a numeral with 十, 百 or 千) followed by who, or
/// a whole group.
fn crowd_at(chars: &[char], i: usize) -> Option<usize> {
    for w in WHOLE_GROUPS {
        if chars[i..].starts_with(&w.chars().collect::<Vec<_>>()) {
            return Some(i + w.chars().count());
        }
    }
    if !is_numeral(chars[i]) || chars[i] == '上' && !chars.get(i + 1).is_some_and(|&c| is_numeral(c)) {
        return None;
    }
    let mut k = i;
    while k < chars.len() && is_numeral(chars[k]) {
        k += 1;
    }
    let number = &chars[i..k];
    let digits: String = number.iter().filter(|c| c.is_ascii_digit()).collect();
    // Ten or more, but not a population (几万人, 两万多人 live somewhere).
    let many = !number.contains(&'万')
        && (number.iter().any(|c| "十百千".contains(*c))
            || digits.len() == number.len() && digits.parse::<u32>().is_ok_and(|n| (10..10_000).contains(&n)));
    if !many {
        return None;
    }
    while k < chars.len() && "多余来个号".contains(chars[k]) {
        k += 1;
    }
    // Who, right after the count or a word or two later (十几个退役老兵).
    (k..(k + 4).min(chars.len())).find_map(|at| {
        if at > k && CLAUSE_BREAKS.contains(&chars[at - 1]) {
            return None;
        }
        CROWD_NOUNS.iter().find(|n| chars[at..].starts_with(&n.chars().collect::<Vec<_>>())).map(|n| at + n.chars().count())
    })
}

/// "一百多个业主…明天上午去售楼部", "全组人就去把省道口堵了", "家属几十人守在
/// 医院": a crowd that goes or stays somewhere, within one sentence.
/// Returns the crowd's `(start, end)`: the words shown are the crowd
/// (一百多个业主), the place was only the test.
fn crowd_movements(chars: &[char]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() && out.len() < MAX_FOUND {
        let Some(crowd_end) = crowd_at(chars, i) else {
            // A number that counts no crowd is passed over whole, not
            // re-read from each of its digits.
            i = if is_numeral(chars[i]) { (i..chars.len()).find(|&k| !is_numeral(chars[k])).unwrap_or(chars.len()) } else { i + 1 };
            continue;
        };
        let sentence_end = forward_to(chars, crowd_end, SENTENCE_BREAKS);
        let reach = |from: usize| (from + CROWD_REACH).min(sentence_end);
        let found = CROWD_MOVES.iter().find_map(|m| {
            let window = &chars[crowd_end..reach(crowd_end)];
            let at = find_all(window, m).into_iter().next()? + crowd_end + m.chars().count();
            let rest = &chars[at..reach(at)];
            CROWD_PLACES.iter().filter_map(|p| find_all(rest, p).into_iter().next().map(|j| at + j + p.chars().count())).min()
        });
        if let Some(end) = found {
            out.push((i, crowd_end));
            i = end;
        } else {
            i = crowd_end;
        }
    }
    out
}

/// Conditions set in words beyond the ultimatums (这周之内他不退钱, 要是敢
/// 来, 如果…): with the ultimatums, what makes a harm that follows
/// conditional (`conditions`).
const MORE_CONDITIONS: &[&str] = &[
    "之内",
    "要是敢",
    "谁敢",
    "敢来",
    "还是这样",
    "要还是",
    "下回",
    "敢踏",
    "真出了",
    "那我只能",
    "如果",
    "要是",
    "若是",
    "再敢",
    "谁上",
    "谁再",
    "敢进",
    // "As soon as the lorries come, we lie down on the road" (只要…大车一来，
    // 我们就…); not 只要 alone, a promise as often (只要给了钱，我们就收拾东西搬走).
    "一来",
];

/// Every condition word: the ultimatums and [`MORE_CONDITIONS`].
fn conditions() -> impl Iterator<Item = &'static &'static str> {
    ULTIMATUMS.iter().chain(MORE_CONDITIONS)
}
/// The petitioner's own next step (我就, 我们就, 就把, 那我).
const INTENTS: &[&str] = &[
    "我就",
    "我们就",
    "俺就",
    "俺们就",
    "咱就",
    "咱们就",
    // Two of us (我跟我老公商量好了，…我俩就爬到…).
    "我俩就",
    "俺俩就",
    "咱俩就",
    "就去",
    "那我",
    "我只能",
    "我只好",
    "我便",
    "就带",
    "就一起",
    "就到",
    "我让",
    "自己去",
    // A clerk's record of what the caller said he would do (称…他就…).
    "他就",
    "她就",
    // An old couple's own step (我老两口就躺在屋里绝食).
    "老两口就",
];
/// Harm done, in the words that follow an intent, and its kind.
const HARMS: &[(RiskKind, &[&str])] = &[
    (
        SelfHarm,
        &[
            "跳楼",
            "跳河",
            "跳江",
            "跳桥",
            "跳崖",
            "跳下",
            "跳水库",
            "跳井",
            "喝药",
            "喝农药",
            "喝了它",
            "喝下去",
            "上吊",
            "吊死",
            "寻死",
            "死在",
            "死给",
            "浇在身上",
            "浇身上",
            "身上浇",
            "自焚",
            "割腕",
            "撞死",
            "一块儿喝",
            "一块喝",
            "一起喝了",
            "命交代",
            "不活",
            "去死",
            "一起死",
            "吞药",
            "楼上跳",
            "去跳",
            "把自己烧",
            "自己烧了",
            "门口吃药",
            "当面吃药",
            // Poison drunk at a door or before them (我就在厂门口喝了).
            "门口喝了",
            "面前喝了",
            "当场喝了",
            "当面喝了",
            "死他家",
            "一头撞",
            // Going off a bridge or a roof said as "from up there" (到大桥上去，从上面下去).
            "桥上去",
            "楼顶上去",
            "上面下去",
            "下去算了",
            // Heights, lying down before machines or at a door.
            "塔吊",
            "信号塔",
            "广告牌",
            "跳下来",
            "吊车底下",
            "铲车底下",
            "挖机底下",
            "车底下",
            "身上压过去",
            "身上轧过去",
            "身上碾过去",
            "门口躺",
            "躺到",
            // Leaving with one's children (带着两个娃儿一起走，不拖累哪个了).
            "一起走",
            "不拖累",
            // Outside a bridge's railing; driving into a machine.
            "栏杆外",
            "撞死",
            "上撞",
            "绝食",
            "饿死",
        ],
    ),
    (
        Violence,
        &[
            "砸了",
            "砸烂",
            "砸他",
            "砸店",
            "砸车",
            "砸掉",
            "烧了",
            "烧掉",
            "烧死",
            "烧他",
            "点火",
            "放火",
            "放把火",
            "一把火",
            "家点了",
            "房子点了",
            "屋点了",
            "厂点了",
            "捅",
            "砍",
            "杀了",
            "杀他",
            "打断",
            "宰了",
            "炸了",
            "炸掉",
            "泼",
            "断腿",
            "弄死",
            "剁",
            "跟这房子一起",
            "跟房子一起",
            "汽油",
            "煤油",
            "菜刀",
            "砍刀",
            "杀猪刀",
            "刀子",
            "烧咯",
            "弄他",
            "收拾",
            "劈",
        ],
    ),
    (
        RoadBlocking,
        &[
            "堵了",
            "堵上",
            "堵死",
            "堵住",
            "堵着",
            "堵路",
            "堵门",
            "拦车",
            "拦了",
            "封路",
            "垒死",
            "收割机前",
            "挖掘机前",
            "挖机前",
            "铲车前",
            "横在路",
            "堵起",
            "拦起",
        ],
    ),
    (ExtremePetitioning, &["铺盖", "家门口住", "门口住下"]),
    (
        Threat,
        &["拼命", "拼了", "报复", "不客气", "好看", "出人命", "见血", "陪葬", "不得安宁", "别想好过", "不让他好过", "别想安生", "过不安生"],
    ),
];
/// The most places one phrase (or time word) is looked at: evidence enough
/// for a signal, and a bound on the work an adversarial text can cause.
const MAX_PER_PHRASE: usize = 8;
/// The most conditional harms or crowds taken from one text.
const MAX_FOUND: usize = 32;
/// How far back a negator is looked for (不会去跳楼).
const NEGATION_REACH: usize = 30;

/// Characters after an intent in which its harm is looked for.
const HARM_REACH: usize = 20;

/// "再这样下去，我就把他那辆车砸了": a condition, then the petitioner's
/// own next step, then harm, in one sentence. Each is urgent of the
/// harm's kind unless the harm is negated (我就不会去跳楼). Returns
/// `(kind, start, end)` from the intent to the harm.
fn conditional_harms(chars: &[char]) -> Vec<(RiskKind, usize, usize)> {
    let mut out: Vec<(RiskKind, usize, usize)> = Vec::new();
    let mut s = 0;
    while s < chars.len() && out.len() < MAX_FOUND {
        let e = forward_to(chars, s, SENTENCE_BREAKS);
        let sentence = &chars[s..e];
        // A condition, or a planned time (明天我就到厂门口…): both make the
        // next step a plan rather than a story.
        let condition =
            conditions().filter_map(|c| find_all(sentence, c).into_iter().next()).chain(planned_time_at(sentence).map(|(i, _)| i)).min();
        let intents: Vec<(usize, usize)> =
            INTENTS.iter().flat_map(|w| find_all(sentence, w).into_iter().take(MAX_PER_PHRASE).map(|i| (i, w.chars().count()))).collect();
        for (i, len) in intents {
            // Or a plain negated condition just before: 不退钱我就…, 拿不到钱，我就….
            let negated_before = sentence[i.saturating_sub(12)..i].iter().any(|&c| c == '不' || c == '没');
            if !(condition.is_some_and(|c| c < i) || negated_before) {
                continue;
            }
            // 他就 / 她就 are the caller's own words only in a clerk's
            // record of them (邓某致电称，…他就…); elsewhere they tell what
            // someone else does (还不上钱的，他就叫人上门泼油漆).
            let reported = ["称", "说", "扬言", "表示"].iter().any(|w| !find_all(&sentence[..i], w).is_empty());
            if matches!(sentence[i], '他' | '她') && !reported {
                continue;
            }
            let from = i + len;
            let window = &sentence[from..(from + HARM_REACH).min(sentence.len())];
            let harm = HARMS
                .iter()
                .flat_map(|(kind, words)| words.iter().map(move |w| (*kind, *w)))
                .filter_map(|(kind, w)| find_all(window, w).into_iter().next().map(|j| (j, kind, w)))
                .min_by_key(|&(j, _, _)| j);
            if let Some((j, kind, w)) = harm {
                let (start, end) = (s + i, s + from + j + w.chars().count());
                if negation(chars, s + from + j).is_none() && !out.iter().any(|&(k, a, b)| k == kind && a <= start && end <= b) {
                    out.push((kind, start, end));
                }
            }
        }
        s = e + 1;
    }
    out
}

/// Means of harm, and the harm they are the means of.
const MEANS: &[(RiskKind, &[&str])] = &[
    (SelfHarm, &["农药", "安眠药", "老鼠药", "百草枯", "敌敌畏", "绳子", "遗书", "木炭"]),
    (Violence, &["汽油", "煤油", "刀", "斧头", "炸药", "雷管", "硫酸", "铁锹"]),
];
/// Said of a means that is ready: bought, written, hoarded, carried.
const READY: &[&str] =
    &["买好", "买回来", "买来了", "备好", "准备好", "写好", "攒够", "攒好", "攒了", "揣着", "揣在", "灌好", "装好了", "磨好", "藏好"];
/// Characters between a means and its readiness, either way round
/// (农药我已经买回来了, 准备好了一桶汽油).
const READY_REACH: usize = 8;

/// "汽油我都准备好了", "遗书已经写好了", "刀我天天揣着": a means of harm said
/// to be ready, in a sentence where the petitioner speaks of himself (我,
/// 俺, 咱) — a plan already under way, urgent. Not negated (我没买农药),
/// not told of the past (去年他揣着刀来过), and not a store of something
/// (村里准备好农药统一打药 names no 我).
fn prepared_means(chars: &[char]) -> Vec<(RiskKind, usize, usize)> {
    let mut out = Vec::new();
    for (kind, words) in MEANS {
        for w in *words {
            for i in find_all(chars, w).into_iter().take(MAX_PER_PHRASE) {
                let end = i + w.chars().count();
                let (s, e) = (back_to(chars, i, SENTENCE_BREAKS), forward_to(chars, end, SENTENCE_BREAKS));
                let (clause_start, clause_end) = (back_to(chars, i, CLAUSE_BREAKS), forward_to(chars, end, CLAUSE_BREAKS));
                let ready = READY.iter().find_map(|r| {
                    let len = r.chars().count();
                    let after_end = (end + READY_REACH + len).min(clause_end);
                    let before_start = i.saturating_sub(READY_REACH + len).max(clause_start);
                    let after = find_all(&chars[end..after_end.max(end)], r).first().map(|&j| (i, end + j + len));
                    after.or_else(|| find_all(&chars[before_start..i], r).first().map(|&j| (before_start + j, end)))
                });
                let first_person = chars[s..e].iter().any(|c| "我俺咱".contains(*c));
                // Told of the past (去年他揣着刀来我家闹过): harm suffered, not planned.
                let past = PAST_MARKERS.iter().any(|m| !find_all(&chars[s..i], m).is_empty());
                if let Some((a, b)) = ready
                    && first_person
                    && !past
                    && negation(chars, a).is_none()
                    && negation(chars, i).is_none()
                    && out.len() < MAX_FOUND
                {
                    out.push((*kind, a, b));
                }
            }
        }
    }
    out
}

/// One phrase found.
struct Hit {
    kind: RiskKind,
    start: usize,
    end: usize,
    urgent: bool,
    /// Urgent after an ultimatum (`Strength::Ultimatum`).
    ultimatum: bool,
    /// Found as a plan (`conditional_harms`, `prepared_means`), not only
    /// as the lexicon's phrase: never read as a thing told of the past.
    planned: bool,
}

/// Words of a long past (not 昨天, 上个月, 之前 or 曾 — also a surname: a
/// knife shown last week is a danger now).
const LONG_AGO: &[&str] = &["去年", "前年", "当年", "那年", "早年", "小时候", "那时候", "前几年", "前些年", "早些年", "那几年"];
/// Said after violence told of the past, they make it a danger again
/// (这两天又扬言, 说下回还来).
const RENEWED: &[&str] = &["又", "还要", "扬言", "放话", "下次", "下回", "没完", "再来"];

/// "五年前有个邻居被讨债的人拿刀吓唬过": violence the sentence tells as
/// done long ago — a long-past word (去年, 当年, 五年前 …) before the
/// phrase at `at`, the experiential 过 after it, and nothing after it that
/// renews the threat. Background, not a danger now: elevated, not urgent.
fn violence_told_as_past(sentence: &[char], at: usize) -> bool {
    let lead = &sentence[..at];
    if RENEWED.iter().any(|w| !find_all(&sentence[at..], w).is_empty()) {
        return false;
    }
    let marker = LONG_AGO.iter().any(|m| !find_all(lead, m).is_empty());
    let years_ago = find_all(lead, "年前").into_iter().any(|i| years_counted_before(lead, i));
    // Within the phrase's clause the experiential 过 may take an object
    // (动刀伤过人); 过来, 过去, 过年, 过完, 过几天, 过日子, 过得 are verbs of their own.
    let clause = &sentence[at..forward_to(sentence, at, CLAUSE_BREAKS)];
    let experienced = clause.iter().enumerate().any(|(k, &c)| {
        c == '过'
            && k > 0
            && !NOT_EXPERIENTIAL_BEFORE.contains(clause[k - 1])
            && !clause.get(k + 1).is_some_and(|n| "来去年完几日得".contains(*n))
    });
    (marker || years_ago) && (experienced || done_since(sentence, at))
}

/// Every risk signal in a petition's text, one per kind, in kind order.
/// See the module documentation for what the guards do and miss.
pub fn scan(input: &str) -> Vec<Signal> {
    let chars: Vec<char> = normalize(input).chars().collect();
    let mut hits: Vec<Hit> = Vec::new();
    let mut exclusions: Vec<(RiskKind, &str)> = Vec::new();
    for (kind, strength, phrase) in lexicon() {
        if strength == Strength::Exclude {
            exclusions.push((kind, phrase));
            continue;
        }
        for (start, end) in find_spans(&chars, phrase).into_iter().take(MAX_PER_PHRASE) {
            hits.push(Hit {
                kind,
                start,
                end,
                urgent: strength == Strength::Urgent,
                ultimatum: strength == Strength::Ultimatum,
                planned: false,
            });
        }
    }
    let mut organised = organised_headcounts(&chars);
    organised.truncate(MAX_FOUND);
    // A crowd already counted after its organiser (组织了三百多人) once.
    let crowds: Vec<(usize, usize)> =
        crowd_movements(&chars).into_iter().filter(|&(s, e)| !organised.iter().any(|&(os, oe)| s < oe && os < e)).collect();
    for (start, end) in organised.into_iter().chain(crowds) {
        hits.push(Hit { kind: Gathering, start, end, urgent: false, ultimatum: false, planned: false });
    }
    // A conditional harm the lexicon already found is that phrase, urgent;
    // else a signal of its own, named by the words from intent to harm.
    for (kind, start, end) in conditional_harms(&chars).into_iter().chain(prepared_means(&chars)) {
        match hits.iter_mut().find(|h| h.kind == kind && h.start < end && start < h.end) {
            Some(h) => {
                h.urgent = true;
                h.ultimatum = false;
                h.planned = true;
            }
            None => hits.push(Hit { kind, start, end, urgent: true, ultimatum: false, planned: true }),
        }
    }
    // Exclusions cancel overlapping matches of their kind.
    for (kind, phrase) in exclusions {
        for (x, x_end) in find_spans(&chars, phrase) {
            hits.retain(|h| h.kind != kind || h.end <= x || h.start >= x_end);
        }
    }
    // A phrase inside a longer one of the same kind (进京 in 进京上访) is
    // the same evidence once: in (kind, start, longest first) order, a hit
    // ending within an earlier one of its kind is inside it.
    hits.sort_by_key(|h| (h.kind, h.start, std::cmp::Reverse(h.end)));
    let mut outer: Option<(RiskKind, usize, usize)> = None;
    hits.retain(|h| {
        let inside = outer.is_some_and(|(k, s, e)| k == h.kind && h.end <= e && (s, e) != (h.start, h.end));
        if !inside && outer.is_none_or(|(k, _, e)| k != h.kind || h.end > e) {
            outer = Some((h.kind, h.start, h.end));
        }
        !inside
    });
    hits.sort_by_key(|h| (h.kind, h.start, h.end));
    // What a sentence says once, however many phrases it holds.
    let mut times: HashMap<usize, Option<String>> = HashMap::new();
    let mut conditions: HashMap<(usize, bool), Option<(usize, &str)>> = HashMap::new();

    let mut signals: Vec<Signal> = Vec::new();
    for h in hits {
        let (from, urgent, when) = match negation(&chars, h.start) {
            Some(neg) => (neg, false, None),
            None => {
                let s = back_to(&chars, h.start, SENTENCE_BREAKS);
                let e = forward_to(&chars, h.end, SENTENCE_BREAKS);
                let mut time = || times.entry(s).or_insert_with(|| planned_time(&chars[s..e])).clone();
                // A sit-in or banner already held (拉了横幅) is not a plan.
                let held = h.kind == ExtremePetitioning && chars[h.start..h.end].contains(&'了');
                let when_time = if urgent_with_time(h.kind) && !held { time() } else { None };
                // An ultimatum phrase: a condition before it, or a planned
                // time in its sentence.
                let when_condition = if h.ultimatum && when_time.is_none() {
                    let threat = h.kind == Threat;
                    let first = *conditions.entry((s, threat)).or_insert_with(|| first_ultimatum(&chars[s..e], threat));
                    first.filter(|&(at, _)| s + at < h.start).map(|(_, w)| w.to_owned()).or_else(time)
                } else {
                    None
                };
                let when = when_time.or(when_condition);
                let past = h.kind == Violence && !h.planned && violence_told_as_past(&chars[s..e], h.start - s);
                (h.start, h.urgent && !past || when.is_some(), when)
            }
        };
        let words = std::iter::once(text(&chars[from..h.end])).chain(when);
        if signals.last().is_none_or(|last| last.kind != h.kind) {
            signals.push(Signal { kind: h.kind, urgent: false, words: Vec::new(), passages: Vec::new() });
        }
        if let Some(last) = signals.last_mut() {
            last.urgent |= urgent;
            for w in words {
                if !last.words.contains(&w) {
                    last.words.push(w);
                }
            }
        }
    }
    signals
}

/// Weeks looked at by [`group_repeats_rising`].
pub const RISING_WEEKS: usize = 3;
/// The latest week's repeat count must reach this.
pub const RISING_MIN_COUNT: u32 = 3;

/// Whether a petitioner group's weekly repeat-petition counts (oldest
/// first, the last entry the latest full week) are rising: over the last
/// [`RISING_WEEKS`] weeks the count never falls, the latest week has at
/// least [`RISING_MIN_COUNT`] repeats, and it is at least one and a half
/// times the count of the first of those weeks. So 0, 1, 3 and 2, 3, 4
/// rise; 10, 10, 11 is a steady group, 0, 0, 1 is noise, and 1, 5, 4 has
/// turned. Fewer than three weeks of history is not enough to tell.
pub fn group_repeats_rising(weekly_counts: &[u32]) -> bool {
    let Some(window) = weekly_counts.len().checked_sub(RISING_WEEKS).map(|s| &weekly_counts[s..]) else {
        return false;
    };
    let (Some(&first), Some(&last)) = (window.first(), window.last()) else {
        return false;
    };
    window.windows(2).all(|w| w[0] <= w[1]) && last >= RISING_MIN_COUNT && 2 * u64::from(last) >= 3 * u64::from(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(RiskKind, bool)> {
        scan(text).into_iter().map(|s| (s.kind, s.urgent)).collect()
    }

    fn signal(text: &str, kind: RiskKind) -> Option<Signal> {
        scan(text).into_iter().find(|s| s.kind == kind)
    }

    #[test]
    fn self_harm_is_urgent_and_named() {
        for text in [
            "再不给我解决，我就从县政府楼上跳下去，跳楼死给你们看！",
            "我已经买好了农药，实在不行就喝农药了结自己",
            "老人说不想活了，整天念叨要轻生",
            "工资要不回来，我只有一死了之",
        ] {
            let s = signal(text, SelfHarm).unwrap_or_else(|| panic!("missed: {text}"));
            assert!(s.urgent, "{text}: {s:?}");
            assert!(!s.words.is_empty());
        }
        let s = signal("再不解决我就跳楼，死给你们看", SelfHarm).expect("signal");
        assert_eq!(s.words, vec!["跳楼", "死给你们看"]);
        assert_eq!(level(&scan("再不解决我就跳楼")), RiskLevel::Urgent);
    }

    #[test]
    fn negated_phrases_do_not_raise_urgent_alerts() {
        let s = signal("我们只是想要回工资，不会跳楼，也不会闹事", SelfHarm).expect("still reported");
        assert!(!s.urgent, "{s:?}");
        assert_eq!(s.words, vec!["不会跳楼"]);
        let r = signal("我们没有堵路，只是在路边等领导", RoadBlocking).expect("still reported");
        assert!(!r.urgent);
        assert_eq!(r.words, vec!["没有堵路"]);
        assert!(!signal("我绝不会去跳楼的，请放心", SelfHarm).expect("reported").urgent);
        assert!(!signal("大家不要去北京，我们相信政府", ToBeijing).expect("reported").urgent);
        assert_eq!(level(&scan("我们没有堵路")), RiskLevel::Elevated);
        // Not negations: a condition, a plea to someone else, a double negative.
        assert!(signal("如果不给钱，我就去跳楼", SelfHarm).expect("signal").urgent);
        assert!(signal("不要逼我跳楼", SelfHarm).expect("signal").urgent);
        assert!(signal("我们劝他不要跳楼，他不听", SelfHarm).expect("signal").urgent);
        assert!(signal("被逼得不得不堵路", RoadBlocking).expect("signal").urgent);
        // One negated and one plain mention: urgent.
        assert!(signal("他说不会跳楼，可昨晚又说要跳楼", SelfHarm).expect("signal").urgent);
    }

    #[test]
    fn violence_threats_and_road_blocking() {
        assert_eq!(kinds("谁敢强拆我家，我就拿刀跟他们拼了"), vec![(Violence, true), (Threat, true)]);
        assert_eq!(kinds("我哥被人殴打致伤，派出所不立案"), vec![(Violence, false)]);
        let t = signal("开发商不给说法，我就跟他们同归于尽，让他们付出代价", Threat).expect("threat");
        assert!(t.urgent);
        assert_eq!(t.words, vec!["同归于尽", "付出代价"]);
        let r = signal("下周一全村人去堵国道，拦车讨说法", RoadBlocking).expect("road");
        assert!(r.urgent);
        assert_eq!(r.words, vec!["堵国道", "下周一", "拦车"], "the planned time is named too");
        assert!(signal("他们要是再来，我们就去堵路", RoadBlocking).expect("road").urgent);
    }

    #[test]
    fn exclusions_keep_ordinary_phrases_quiet() {
        for text in [
            "商场打出跳楼价清仓，实际价格比平时还高",
            "我举报村干部贪污后遭到打击报复，宅基地审批被卡",
            "母亲要动手术，医院让先交五万押金",
            "我每天开车到北京路上班，路口红绿灯时间太短",
            "施工堵路半年了，出行很不方便",
            "村口有人私设卡点拦车收费",
            "公司拖欠工资三个月，我们只想要回血汗钱",
        ] {
            assert!(scan(text).is_empty(), "{text}: {:?}", scan(text));
        }
        // The exclusion cancels only its own overlap.
        let t = signal("遭到打击报复后，我一定要报复他", Threat).expect("threat");
        assert_eq!(t.words, vec!["报复"]);
    }

    #[test]
    fn gathering_and_beijing_are_urgent_with_a_time() {
        let g = signal("厂里两百多个工人商量好了，下周一集体上访", Gathering).expect("gathering");
        assert!(g.urgent);
        assert_eq!(g.words, vec!["集体上访", "下周一"]);
        let g = signal("我们组织了三百多人，15号到市政府讨说法", Gathering).expect("headcount");
        assert!(g.urgent);
        assert_eq!(g.words, vec!["组织了三百多人", "15号"]);
        let g = signal("村民打算集体上访。", Gathering).expect("gathering");
        assert!(!g.urgent, "no time, a mention: {g:?}");
        let g = signal("去年3月5日我们曾集体上访过一次", Gathering).expect("gathering");
        assert!(!g.urgent, "a past date: {g:?}");
        let g = signal("我们集体上访。住在3号楼", Gathering).expect("gathering");
        assert!(!g.urgent, "time in another sentence, a building number: {g:?}");
        let b = signal("问题再不解决，两会期间我们就进京上访", ToBeijing).expect("beijing");
        assert!(b.urgent);
        assert_eq!(b.words, vec!["进京", "两会"]);
        let b = signal("我已经到北京国家信访局反映过", ToBeijing).expect("beijing");
        assert!(!b.urgent);
        assert_eq!(b.words, vec!["到北京", "国家信访局"]);
        assert!(signal("他们组织业主开会讨论维修基金", Gathering).is_none());
        let g = signal("我们打算集体上访，多给一点补偿就不去", Gathering).expect("gathering");
        assert!(!g.urgent, "一点 is not a time: {g:?}");
        assert!(signal("大家说好星期三早上8点一起去政府", Gathering).expect("gathering").urgent);
        assert_eq!(signal("大家说好星期三一起去政府", Gathering).expect("gathering").words, vec!["一起去政府", "星期三"]);
    }

    #[test]
    fn extreme_petitioning_and_clean_texts() {
        let e = signal("不解决就天天到政府门口静坐，拉横幅", ExtremePetitioning).expect("extreme");
        assert!(!e.urgent);
        assert_eq!(e.words, vec!["静坐", "拉横幅"]);
        assert!(signal("明天我们要冲击政府大院", ExtremePetitioning).expect("extreme").urgent);
        for text in [
            "小区物业服务差，电梯经常坏，请求有关部门督促整改。",
            "建议在我们村口设置公交站点，方便老人出行。",
            "请求落实我父亲的退休待遇，相关材料已经提交。",
        ] {
            assert!(scan(text).is_empty(), "{text}: {:?}", scan(text));
            assert_eq!(level(&scan(text)), RiskLevel::None);
        }
        assert!(scan("").is_empty());
    }

    #[test]
    fn signals_serialise_with_code_names() {
        let json = serde_json::to_string(&scan("我不想活了")).expect("serialise");
        assert_eq!(json, r#"[{"kind":"self_harm","urgent":true,"words":["不想活"]}]"#);
        assert_eq!(serde_json::to_string(&RiskLevel::Elevated).expect("serialise"), r#""elevated""#);
        assert_eq!(RiskKind::RoadBlocking.as_str(), "road_blocking");
    }

    #[test]
    fn an_ultimatum_makes_a_veiled_threat_urgent_but_not_despair() {
        // Elevated alone, urgent after a condition in the same sentence.
        assert_eq!(kinds("那家人仗着有亲戚在镇上，谁也别想好过。"), vec![(Threat, false)]);
        assert_eq!(kinds("下个月还不给我们修好围墙，那家人谁也别想好过。"), vec![(Threat, true)]);
        assert_eq!(kinds("要是再拖下去，我就把药喝下去。"), vec![(SelfHarm, true)]);
        assert!(signal("领导要是不管，我就去把他的店砸了。", Violence).is_some_and(|s| s.urgent));
        // The condition must come before, in the same sentence.
        assert_eq!(kinds("那家人谁也别想好过。再不修我们就再打电话。"), vec![(Threat, false)]);
        // Despair after a condition is still despair.
        assert_eq!(kinds("再不发工资我们一家就活不下去了。"), vec![(SelfHarm, false)]);
        // Harm threatened in plain words needs no condition.
        assert!(signal("老板躲着不见，我只好爬上塔吊等他。", SelfHarm).is_some_and(|s| s.urgent));
        assert!(signal("大不了我去坐牢，也要讨个公道。", Threat).is_some_and(|s| s.urgent));
        // Look-alikes: approvals "not coming down", a peaceful wait.
        assert!(kinds("宅基地申请交上去两年批不下来，一直等通知。").is_empty());
        assert!(kinds("休息被打扰了好几个月。").is_empty());
    }

    #[test]
    fn a_condition_then_our_own_harm_is_urgent_whatever_the_words() {
        // Condition, intent, harm: none of these is a lexicon phrase.
        assert!(signal("开学前学费还没着落，我就把他的铺子一把火烧掉。", Violence).is_some_and(|s| s.urgent));
        assert!(signal("要是敢来强拆，我们就拿板车把村口堵死。", RoadBlocking).is_some_and(|s| s.urgent));
        assert!(signal("这回再拖下去，那我只能找他算账。", Threat).is_some_and(|s| s.urgent));
        let s = signal("只要他们还敢来，我就把他们的车砸烂。", Violence).expect("harm");
        assert!(s.urgent && s.words.iter().any(|w| w.starts_with("我就")), "{s:?}");
        // Harm by others, harm without our intent, our intent without harm.
        assert!(kinds("要是再下大雨，这条路就会被塌方堵住。").iter().all(|(_, urgent)| !urgent));
        assert!(kinds("如果下个月还不发工资，我就去劳动仲裁。").is_empty());
        assert!(kinds("要是再不修，我就只能天天绕路走。").is_empty());
        // Negated harm after the intent.
        assert!(kinds("就算再拖下去，我就是不会去砸他的店。").iter().all(|(_, urgent)| !urgent));
        // No condition at all: a plain account is not a plan.
        assert!(kinds("我就住在那条堵了一年的路边上。").iter().all(|(_, urgent)| !urgent));
    }

    #[test]
    fn ordinary_complaints_with_threatening_words_are_not_urgent() {
        // Harm done by others, in the past, a habit, a length of time, a
        // wish, a sentence someone else said: none is the petitioner's plan.
        for text in [
            "上星期物业就把消防通道堵住了，到现在没人管。",
            "之前施工队就把村口的路堵了，出行很不方便。",
            "去年春节前，开发商就把小区大门堵了，我们进不去。",
            "之前我把车停在路边，被楼上掉下来的花盆砸了。",
            "上个礼拜村干部就把我家的树砍了，也不给补偿。",
            "要是能把低保批下来，我们就好过一点了。",
            "如果不给通天然气，我们就只能继续用煤气罐做饭。",
            "如果对不上，我就去找村会计算账。",
            "要是能给我安排个工作，我就拼命干活养家。",
            "如果没有邻居帮忙，那我这条命早就没了。",
            "我还不知道是谁把我家玻璃砸了，请派出所调查。",
            "养殖场往水库里排放污水，鱼都死了。",
            "楼顶漏水，我爬到楼顶去看，发现防水层坏了。",
            "邻居的车天天横在我家门口，我们出不去。",
            "大树倒了横在路上，一个星期没人清理。",
            "施工方封了路，我们绕路要多走五公里。",
            "杀人偿命，请求严惩杀害我儿子的凶手。",
            "他打伤了我父亲，应该去坐大牢。",
            "父亲的遗体停在医院三个星期了，医院不给说法。",
            "每个周末，几十户村民都到广场上跳舞，噪音扰民。",
            "下周一我就去法院起诉他们，让他们付出代价。",
            "如果他们再来偷倒垃圾，我们就拦住他们拍照取证。",
            "明天我就把材料送到信访局，请尽快处理。",
            "今晚我就用煤气热一下饭菜，物业说煤气管要检修。",
            "去年年底我们三十多户去县政府反映过，没有结果。",
            "我不敢写名字，怕老板知道了报复我。",
            "早高峰国道上堵车堵得厉害，希望加开一条车道。",
            "要是没有补贴，我们家的日子更难了。",
            "要是再不修，我就只能绕到大桥上过河。",
        ] {
            assert!(kinds(text).iter().all(|(_, urgent)| !urgent), "{text}: {:?}", scan(text));
        }
    }

    #[test]
    fn threats_in_plain_words_after_a_condition_are_urgent() {
        for text in [
            "再不解决，我就从楼上跳。",
            "再不给钱，我就和他一起死。",
            "再不退钱，我就去他家放把火。",
            "要是再不给说法，俺就去把他家点了。",
            "这个月再不给钱，我就去死。",
            "再不解决，我就吞药。",
            "明天我们去把国道拦了。",
            "再拖下去我就去弄他。",
            "再不给说法，我就让他全家陪葬。",
            "月底之前不给钱，我就去跳。",
            "要是强拆，我就把自己烧了。",
            "不退钱我就去把他店砸了。",
            "不给钱，我就捅了他。",
            "拿不到钱，我就跟老板拼命。",
            "腊月二十八之前再不给钱，我就买票去北京。",
            "他不还钱，我就天天去他家闹，让他不得安宁。",
            "要是没人管，我就自己去收拾他们。",
            "年前再不给钱，我们二十多户就到省道上堵着。",
            "说好了，下周二一早大伙在市政府门口集合，要个说法。",
            "这个月再不发钱，我就去桥上去，从上面下去算了。",
            "后天我就提瓶农药去他办公室门口喝了。",
        ] {
            assert!(kinds(text).iter().any(|(_, urgent)| *urgent), "{text}: {:?}", scan(text));
        }
    }

    /// Read from the twenty-third and fifth risk sets after their unseen
    /// run: a deadline is a condition, a young person's farewell to the
    /// world and knowing where someone lives are urgent, children jumping
    /// into a river to swim are not.
    #[test]
    fn a_deadline_a_farewell_to_the_world_and_knowing_where_you_live_are_urgent() {
        for text in [
            "医院三天之内不给个说法，接生的那个医生以后别想安生走出医院大门。",
            "这周日晚上我开最后一次直播，说完就下线，这个世界拜拜了。",
            "他拦住我说：我知道你住哪个小区，出了院我就在你下班路上等你。",
        ] {
            assert!(kinds(text).iter().any(|(_, urgent)| *urgent), "{text}: {:?}", scan(text));
        }
        for text in ["每年夏天都有半大孩子去跳河游泳，底下是深潭。", "那个医生别想安生，天天被病人投诉。"]
        {
            assert!(kinds(text).iter().all(|(_, urgent)| !*urgent), "{text}: {:?}", scan(text));
        }
    }

    #[test]
    fn a_plan_with_a_time_is_a_condition_and_from_then_on_is_not_since() {
        // A planned time, our next step and harm: urgent.
        assert!(signal("后天一早我就去他家把那辆车砸烂。", Violence).is_some_and(|s| s.urgent));
        // A road blocked on a planned day; "from Saturday on" is a plan.
        assert!(signal("村里定了，八号那天开拖拉机把厂里那条路堵住。", RoadBlocking).is_some_and(|s| s.urgent));
        assert!(signal("从这个礼拜六起，每天派人把矿上那条道堵住。", RoadBlocking).is_some_and(|s| s.urgent));
        // "Since Monday" is an account of what is going on.
        assert!(signal("自本周一起，他们每天在乡政府门口静坐。", ExtremePetitioning).is_some_and(|s| !s.urgent));
        // Others blocked the road last month: a complaint.
        assert!(signal("上个月施工队把村口的路堵死了，没人管。", RoadBlocking).is_none_or(|s| !s.urgent));
        // A crowd named a word or two after its count.
        assert_eq!(kinds("二十几个退休老人商量好，周三一块去市政府门口。"), vec![(Gathering, true)]);
    }

    #[test]
    fn a_crowd_going_somewhere_is_a_gathering_and_a_deadline_is_a_time() {
        // A crowd with a place, within a sentence; urgent with a time.
        assert_eq!(kinds("我们四十多户村民商量好了，下周三去县政府门口讨说法。"), vec![(Gathering, true)]);
        assert_eq!(kinds("厂里八十多名职工都说要一起到市里去反映。"), vec![(Gathering, false)]);
        assert_eq!(kinds("全组人就去乡里问个明白。"), vec![(Gathering, false)]);
        // A deadline: 之前 after a day looks forward.
        let s = signal("工友们说五月一号之前再不结账，二十多个人就到区政府去。", Gathering).expect("gathering");
        assert!(s.urgent, "{s:?}");
        assert!(s.words.iter().any(|w| w.contains("二十多个人")), "{s:?}");
        // A holiday's day is a time: 劳动节那天.
        let s = signal("老矿工们约了四十多个人，劳动节那天一起去市国资委问个说法。", Gathering).expect("gathering");
        assert!(s.urgent, "{s:?}");
        // A past date is not a plan.
        assert_eq!(kinds("去年三月五号之前就有三十多个人去过县政府。"), vec![(Gathering, false)]);
        assert_eq!(kinds("去年劳动节那天有三十多个人去过县政府。"), vec![(Gathering, false)]);
        // A thing done on that day, told with 过: the day is past.
        for text in [
            "今年清明节那天我们三十多个人去县政府上访过，没有结果。",
            "今年国庆我们三十多户去县政府反映过，没有结果。",
            "开工那天我们二十多户去工地门口拦过，后来协商解决了。",
            "年前我们三十多个工人去公司要过一次钱。",
            "3月5号我们三十多个人去县政府反映过。",
        ] {
            assert!(kinds(text).iter().all(|(_, urgent)| !urgent), "{text}: {:?}", scan(text));
        }
        // …but not 过年 or 过几天 in a plan.
        assert!(signal("腊月二十八我们三十多个人一起去县政府，在那过年。", Gathering).expect("gathering").urgent);
        assert!(signal("八一那天不在家过了，我们四十多个战友一起去省退役军人事务厅。", Gathering).expect("gathering").urgent);
        assert!(signal("春节不在家过，我们三十多个人一起去县政府要个说法。", Gathering).expect("gathering").urgent);
        // A population, a small party, a crowd that goes nowhere.
        assert!(kinds("新区住了好几万人，到医院要转两趟车。").is_empty());
        assert!(kinds("我们两个人去县政府问过。").is_empty());
        assert!(kinds("小区有三百多户业主，物业费一直没公示。").is_empty());
    }

    /// Each of `urgent` raises an urgent signal of its kind; none of
    /// `look_alikes` raises an urgent signal of any kind.
    fn urgent_and_not(urgent: &[(&str, RiskKind)], look_alikes: &[&str]) {
        for &(text, kind) in urgent {
            let s = signal(text, kind).unwrap_or_else(|| panic!("{text}: {:?}", scan(text)));
            assert!(s.urgent, "{text}: {s:?}");
        }
        for text in look_alikes {
            assert!(kinds(text).iter().all(|(_, urgent)| !urgent), "{text}: {:?}", scan(text));
        }
    }

    #[test]
    fn plans_in_a_risk_focused_set_s_forms_are_urgent_and_their_look_alikes_are_not() {
        // Fresh sentences in the forms a risk-focused blind set used.
        let urgent = [
            ("年底前再拿不到钱，我们就上塔吊。", SelfHarm),
            ("农药我昨天买回来了，就放在灶台上。", SelfHarm),
            ("遗书我写好了，压在枕头底下。", SelfHarm),
            ("明儿一早我就爬到村口的信号塔上去，不给说法不下来。", SelfHarm),
            ("开工那天谁来动工，我就躺在挖机底下。", SelfHarm),
            ("来电人称，要是明天再来拆，他就爬到广告牌上跳下来。", SelfHarm),
            ("那个包工头别让我碰见，刀我一直揣着。", Violence),
            ("他家再敢往我这边挪一寸，我拿斧头劈了他。", Violence),
            ("下礼拜一开始我把三轮车横在路中间，钱不到谁也别过。", RoadBlocking),
            ("业主们约了周六上午十点到售楼处集合。", Gathering),
            ("我们二十多个摊主商量好了，这周五下午一起去县纪委。", Gathering),
            ("年前再不给说法，我就卷着铺盖去他家门口住。", ExtremePetitioning),
            ("下个月还是这样，我就带着娃儿一起走，不拖累你们。", SelfHarm),
            ("这个礼拜再不把钱打过来，我就开车把工地的便道堵起。", RoadBlocking),
            ("汽油我都准备好了，一桶就搁在车上。", Violence),
            ("俺把绳子都准备好了，活着也是受罪。", SelfHarm),
        ];
        let look_alikes = [
            "三年前我在工地上塔吊干活摔伤了腰，工伤一直没认定。",
            "还不上钱的，他就叫人上门泼油漆，请纪委查一查。",
            "孩子从滑梯上跳下来摔伤了胳膊，幼儿园不管。",
            "几年前村里开工那天就占了我家的地。",
            "村里准备好农药，统一给果园打药。",
            "我没买农药，也不会做傻事，只想要个说法。",
            "去年我买回来的两瓶农药被人偷了，派出所也不管。",
        ];
        urgent_and_not(&urgent, &look_alikes);
    }

    #[test]
    fn a_second_risk_set_s_forms_are_urgent_and_their_look_alikes_are_not() {
        // Fresh sentences in the forms the second risk-focused set used.
        let urgent = [
            ("后天一早我就爬到项目部门口那台塔吊上去。", SelfHarm),
            ("过了腊月还没个结果，我就把自己了结了。", SelfHarm),
            ("要是开春还不给批，我就去找我妈去了，你们来收尸。", SelfHarm),
            ("周一上午我俩就站到大桥栏杆外头去。", SelfHarm),
            ("再拖下去，莫怪我下手不留情。", Threat),
            ("来电人称地要不回来就跟他拼命。", Threat),
            ("再不还钱，那个会计我见他一次打他一次。", Violence),
            ("再不结账，我就把挖机开到路口横着停，谁都过不去。", RoadBlocking),
            ("下礼拜三早上大伙把厂门口堵上，谁也别想进。", RoadBlocking),
            ("村里租好了三辆大巴，十五号上午去市政府。", Gathering),
            ("我们三十多户定了下周一上午到县政府集体请愿。", Gathering),
            ("明天我们就把人抬到医院大厅，花圈都订了。", ExtremePetitioning),
            ("十一过完我就去北京。", ToBeijing),
            ("谁再来推我的房子，我就一起炸了。", Violence),
        ];
        let look_alikes = [
            "我们不是要跟谁拼命，就想请环保部门查一查。",
            "我爹去年走了，骨灰还寄存在殡仪馆，墓地的事请民政局答复。",
            "大桥的栏杆外头堆满了垃圾，请城管清理。",
            "货车在路口横着停了一上午，交警也不管。",
            "十一过完我去北京看病，请医保局说明异地报销。",
            "我爸在敬老院去世，花圈是院里送的，我们很感谢。",
            // A condition and our own next step, but no harm: a single
            // character (死, 堵, 吊) is no harm word (tried and dropped).
            "再这样下去，我们就要被熏死了。",
            "再不修，我们就只能天天堵在路上。",
            "如果房子再漏水，我们就只能吊着盆接水。",
            "如果明天还不来电，我们就要热死了。",
        ];
        urgent_and_not(&urgent, &look_alikes);
    }

    #[test]
    fn a_third_risk_set_s_forms_are_urgent_and_their_look_alikes_are_not() {
        let urgent = [
            ("再不退钱，我婆婆说就去跳湘江。", SelfHarm),
            ("等过完清明，我就去陪我儿子作伴去。", SelfHarm),
            ("再没人给个说法，俺就往那铁轨上一躺。", SelfHarm),
            ("推土机再敢进村，我们就全躺到路上。", SelfHarm),
            ("剪彩那天我们全村都坐到新修的路上去。", RoadBlocking),
            ("下周一上午所有业主都到售楼部门口。", Gathering),
            ("法院要是再拖，我让他全家都别想好过。", Threat),
            ("今晚他再吵，我就拎着菜刀下去找他。", Violence),
            ("两个村的年轻人说好了下礼拜天上山见个高低。", Violence),
        ];
        let look_alikes = [
            "前年厂里有个老师傅想不开，跳了河，这种事不能再有了。",
            "孩子们在江边跳绳，护栏坏了没人修。",
            "所有材料都交了，请尽快审批。",
            "他家的菜刀是在我们店买的，质量问题要求退换。",
            "我家孩子跳远拿了第一，学校却不给加分。",
            // Ordinary complaints a review of the first version flagged.
            "只要把补偿款给了，我们就收拾东西搬走。",
            "只要把工钱结清，我们就一起走，再也不来这个工地。",
            "我跳槽到江苏一家公司，原公司要我赔违约金。",
            "孩子跳下河游泳溺亡，河边没有任何警示牌。",
            "如果还不解决，我们就开车前往省里反映。",
            "如果不建人行天桥，我们就只能天天横穿铁轨上学。",
            "如果晚上能过得安生一点就好了，楼下烧烤店太吵。",
            "如果墓地的事解决不了，我爹的骨灰就只能一直寄存在殡仪馆。",
            "如果交警不让家属收尸，我们怎么办。",
            "如果养老院能让我跟老伴作伴就好了。",
            "如果不修护栏，孩子翻过栏杆很危险。",
            "只要有车横着停在消防通道，谁也过不去，物业不管。",
            "如果没有这个证，我们企业就别想开工。",
            "殡仪馆花圈乱收费，清明前后更贵，请民政局查处。",
            "所有能找的部门都去过了，没人管，下周还得去。",
            "所有手续都到位了，明天请给我们办理。",
            "学校租了两辆大巴，明天组织学生去春游，收费不合理。",
            "明明是他先动手，凭什么判我去坐牢。",
            "那几个人见我儿子一次打一次，派出所不管。",
        ];
        urgent_and_not(&urgent, &look_alikes);
    }

    #[test]
    fn buses_hired_for_a_day_and_the_other_side_s_if_are_urgent_and_their_look_alikes_are_not() {
        // Fresh sentences in the forms of the eighteenth set's two misses.
        let urgent = [
            ("退休职工们商量好了，下月八号包三辆大巴去市政府，请领导在那之前答复。", Gathering),
            ("村民已经包了两辆车去省政府，定在二十号上午。", Gathering),
            ("工友们后天租三台大巴去市信访局。", Gathering),
            ("他们要再往我田里倒渣土，我让他们全家别想好过。", Threat),
            ("你们要再拖着不判，我让那个老板别想好过。", Threat),
        ];
        let look_alikes = [
            "厂里的车辆包括三辆大巴，下周送去年检。",
            "上个月十五号我们包了两辆大巴去过省政府，至今没有答复。",
            "我们要再去一次住建局，问问房产证的事。",
            "他要再申请一次低保，村里说下月初报上去。",
            // A review's look-alikes, in new words: hires for a school trip
            // or a wedding, the past told in a later clause, reported
            // speech, a condition before an ordinary request.
            "学校包了两辆大巴下周二带学生去研学，司机没有资质。",
            "婚庆公司包了三辆大巴，18号去接亲，合同多收了钱。",
            "6号我们二十多户村民去镇政府反映，这事之前已经找了好几回。",
            "护士说他要再住十天院，我们就得把家里收拾出来。",
            "他要再往渠里排污水，我就拍照，请环保局把排污口堵上。",
            "其他要再补的证明，我让女儿送来，请别怪我啰嗦。",
        ];
        urgent_and_not(&urgent, &look_alikes);
    }

    #[test]
    fn a_hunger_strike_or_stopped_machines_planned_are_urgent_and_past_violence_told_as_background_is_not() {
        // Fresh sentences in the forms of the nineteenth set's misses.
        let urgent = [
            ("要是他们下礼拜敢来推我家的房子，我就在院子里绝食。", SelfHarm),
            ("下周三全组的人去采石场，把挖机拦住，不赔青苗费谁也别想开工。", RoadBlocking),
            ("明天一早村民就去工地拦住施工的机器，不给说法不让干。", RoadBlocking),
        ];
        let look_alikes = [
            "八年前我表哥被放高利贷的拿刀吓唬过，后来那伙人判了。",
            "去年有人在菜市场动刀伤过人，现在那一片路灯还是不亮。",
            "去年村民把施工的机器拦住过，后来镇里协调好了。",
            "他在看守所里绝食了两天，家属想见一面。",
        ];
        urgent_and_not(&urgent, &look_alikes);
        // Still signals, elevated: violence told of the past, a hunger
        // strike alone, banners hung, a beating by someone's men.
        for (text, kind) in [
            ("八年前我表哥被放高利贷的拿刀吓唬过，后来那伙人判了。", Violence),
            ("他在看守所里绝食了两天，家属想见一面。", SelfHarm),
            ("业主们在售楼部门口拉了两回横幅，开发商还是不修。", ExtremePetitioning),
            ("去讨薪的工友被老板的亲戚带人打了一顿。", Violence),
            ("上个月包工头找人打伤了我们两个工友。", Violence),
        ] {
            assert!(signal(text, kind).is_some_and(|s| !s.urgent), "{text}: {:?}", scan(text));
        }
        // A knife now stays urgent beside a recent past, a surname 曾, or a
        // renewed threat (a review's forms, in new words).
        for text in [
            "去年他就扬言过，谁再来收地他就拿刀砍人。",
            "他前天夜里拿着刀在我家院墙外转过两圈，说钱不还就等着。",
            "曾老四拿着刀在我家门口骂过好几回，我们晚上不敢开门。",
            "三年前他拿刀捅过人，这几天又在村里放话要捅了会计。",
        ] {
            assert!(signal(text, Violence).expect("violence").urgent, "{text}: {:?}", scan(text));
        }
        // 打 is also to call, drill, spray, type: no beating there.
        for text in [
            "我老伴半夜发病，我叫人打了120，救护车来得太慢。",
            "村里找人打了一口井，自来水通了又要填掉。",
            "队长带人打了两天农药，药水飘到我家菜地。",
        ] {
            assert!(signal(text, Violence).is_none(), "{text}: {:?}", scan(text));
        }
        // Someone else's hunger strike with a day, a blockade done by the
        // police, a shop's banner: not urgent, and the last two no signal.
        assert!(signal("我母亲在敬老院里闹绝食，明天我想去把她接回家住。", SelfHarm).is_some_and(|s| !s.urgent));
        assert!(signal("交警在路口拦住了一台无牌的挖机，明天起施工改道。", RoadBlocking).is_none());
        assert!(signal("手机店门口拉了一条开业大酬宾的横幅，占了人行道。", ExtremePetitioning).is_none());
        assert!(signal("要是敢来强拆，我老两口就躺在屋里绝食，饿死在自己家。", SelfHarm).expect("self harm").urgent);
        // Someone else's banners years ago are background, not a signal.
        assert!(signal("前几年有工人在厂门口拉过横幅，和我这事无关。", ExtremePetitioning).is_none());
    }

    #[test]
    fn a_gap_phrase_matches_within_a_clause_only() {
        // Fresh sentences, not the labelled sets'.
        assert!(signal("再不给说法，我们就开车过去把厂门口那条路堵死", RoadBlocking).expect("road").urgent);
        assert!(signal("把货车开到路口，路堵了三个小时", RoadBlocking).is_none(), "把 and 路堵 in two clauses");
        assert!(signal("施工队把小区门口的路堵了一个月", RoadBlocking).is_none(), "a complaint about works");
        assert!(signal("施工方拖欠工资再不给就把路堵了", RoadBlocking).expect("a site's wages, a threat").urgent);
        assert!(signal("施工单位拖欠工资我们就去堵路", RoadBlocking).expect("road").urgent);
        // Look-alikes: someone else blocking, an injury suffered, an idiom,
        // children jumping, a year in the past, two people to a hospital.
        for ordinary in [
            "开发商把小区大门堵了，业主进不去",
            "邻居把我家门前的路堵了",
            "我在物流园卸货时被钢管砸断了腿",
            "希望政府把补偿款一次性发给我们，一了百了",
            "楼上的小孩每天从床上跳下来，咚咚响",
        ] {
            assert!(scan(ordinary).iter().all(|s| !s.urgent), "{ordinary}: {:?}", scan(ordinary));
        }
        assert!(signal("2015年后我们几十户一起去县政府反映过多次", Gathering).is_none_or(|g| !g.urgent), "a year in the past is no plan");
        assert!(signal("下周我和老伴两个人一起去医院复查", Gathering).is_none());
        assert!(signal("逼急了我就从七楼楼顶上跳下去", SelfHarm).expect("self harm").urgent);
        // Going up to an office's roof with a child, after a condition.
        assert!(signal("再不让孩子复学，我明天就抱着孩子去教育局楼顶，让大家都看看", SelfHarm).expect("self harm").urgent);
        assert!(signal("他再敢来闹，我就打断他的腿", Violence).expect("violence").urgent);
        let g = signal("下周二我们二十多口人到镇政府门口讨个说法", Gathering).expect("gathering");
        assert!(g.urgent, "a headcount going somewhere, with a day: {g:?}");
        assert_eq!(find_spans(&"把门口那条路堵了".chars().collect::<Vec<_>>(), "把~路堵"), vec![(0, 7)]);
        assert!(find_spans(&"把一二三四五六七八九十十一路堵".chars().collect::<Vec<_>>(), "把~路堵").is_empty(), "too far apart");
        // A short gap: two characters at most.
        let spans = |t: &str, p: &str| find_spans(&t.chars().collect::<Vec<_>>(), p);
        assert_eq!(spans("要去跳闽江", "跳^江"), vec![(2, 5)]);
        assert_eq!(spans("跳江", "跳^江"), vec![(0, 2)]);
        assert!(spans("跳了一段舞在江边", "跳^江").is_empty());
    }

    #[test]
    fn every_lexicon_line_parses() {
        let lines = LEXICON.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'));
        for line in lines {
            assert!(parse_line(line).is_some_and(|(_, _, p)| !p.is_empty()), "bad lexicon line: {line}");
        }
        for (_, _, p) in lexicon() {
            assert!(p.split(['~', '^']).all(|part| !part.is_empty()), "a gap needs words on both sides: {p}");
        }
        let entries: Vec<_> = lexicon().collect();
        assert!(entries.len() > 150, "{}", entries.len());
        for kind in [SelfHarm, Violence, Threat, RoadBlocking, Gathering, ToBeijing, ExtremePetitioning] {
            let n = entries.iter().filter(|(k, s, _)| *k == kind && *s != Strength::Exclude).count();
            assert!(n >= 5, "{kind:?} has only {n} phrases");
        }
        // Each exclusion contains a phrase of its kind (with gaps: a part
        // holds a phrase's first part), or it could never apply.
        for (kind, _, x) in entries.iter().filter(|(_, s, _)| *s == Strength::Exclude) {
            let applies = |p: &str| {
                let first = p.split(['~', '^']).next().unwrap_or(p);
                x.contains(p) || overlaps(x, p) || x.split(['~', '^']).any(|part| part.contains(first))
            };
            assert!(entries.iter().any(|(k, s, p)| k == kind && *s != Strength::Exclude && applies(p)), "{x} excludes nothing");
        }
    }

    /// Whether two or more characters at the end of `a` begin `b`, or the
    /// reverse (到北京 / 北京路).
    fn overlaps(a: &str, b: &str) -> bool {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        (2..a.len().min(b.len())).any(|n| a[a.len() - n..] == b[..n] || b[b.len() - n..] == a[..n])
    }

    #[test]
    fn phrasings_added_after_the_labelled_set() {
        // Found missing by examples/evaluate.rs; these sentences are not
        // the labelled set's.
        for text in [
            "儿子的事再拖下去，我就买一瓶敌敌畏喝了",
            "不给我恢复待遇，我就死在你们人社局门口",
            "这房子我住了四十年，死也要死在这里",
            "村里说桥再不修就把公路堵了",
        ] {
            assert_eq!(level(&scan(text)), RiskLevel::Urgent, "{text}: {:?}", scan(text));
        }
        assert_eq!(kinds("下周三我们三十户一起去县政府讨说法"), vec![(Gathering, true)]);
        assert_eq!(kinds("大家说过要一起去县政府反映"), vec![(Gathering, false)]);
        assert_eq!(kinds("两家为了地界差点打起来"), vec![(Violence, false)]);
        assert_eq!(kinds("家属在医院门口摆灵堂"), vec![(ExtremePetitioning, false)]);
        assert_eq!(kinds("要拆就先从我身上轧过去"), vec![(SelfHarm, false)]);
        // Negation still applies to the new phrases, and 拼命 as "hard" is quiet.
        assert!(!scan("我从没想过喝百草枯").iter().any(|s| s.urgent));
        assert!(scan("药店拼命推销保健品，孩子拼命学习也没用").is_empty());
    }

    #[test]
    fn rising_group_repeats() {
        assert!(group_repeats_rising(&[0, 0, 1, 3]));
        assert!(group_repeats_rising(&[5, 2, 3, 4]));
        assert!(group_repeats_rising(&[0, 3, 3]));
        assert!(!group_repeats_rising(&[10, 10, 11]), "steady");
        assert!(!group_repeats_rising(&[0, 0, 1]), "too few");
        assert!(!group_repeats_rising(&[1, 5, 4]), "turned");
        assert!(!group_repeats_rising(&[3, 3, 3]), "flat");
        assert!(!group_repeats_rising(&[1, 9]), "too short");
        assert!(!group_repeats_rising(&[]));
    }
    #[test]
    fn a_relatives_fear_a_stated_plan_and_a_threat_after_any_if_are_urgent() {
        // Fresh sentences in the forms the third risk set still missed, and
        // farewells, gas and ruin said in words the lexicon lacked.
        let urgent = [
            ("孩子这几天不吃不喝，我真怕她想不开。", SelfHarm),
            ("老伴说再要不回钱就去做傻事，我们一家都不敢离开他。", SelfHarm),
            ("我爸昨天跟我说要去跳嘉陵江，求你们快点处理。", SelfHarm),
            ("镇里要是再包庇他，我让他一家都别想好过。", Threat),
            ("只要推土机一来，我们就全家躺到路上去。", SelfHarm),
            ("后事都安排好了，这个月再不给说法我就不活了。", SelfHarm),
            ("我妈早上打电话说“你们再也见不到我了”，我们到处找不到人。", SelfHarm),
            ("他扛着液化气罐去了开发商的售楼部。", Violence),
            ("逼急了大家玉石俱焚。", Threat),
        ];
        let look_alikes = [
            "我不会做傻事，只想要回我的钱。",
            "只要把补偿款给了，我们就收拾东西搬走。",
            "只要通知一来，我们就配合搬迁。",
            "前年有个老乡想不开跳了河，大家到现在还记得。",
            "救生员跳进江里把落水的孩子救了上来。",
        ];
        urgent_and_not(&urgent, &look_alikes);
        assert!(signal("他一时想不开，在家里喝闷酒。", SelfHarm).is_some_and(|s| !s.urgent), "despair alone is elevated");
    }

    #[test]
    fn what_happens_next_disowned_after_a_condition_is_urgent_and_a_knife_years_back_is_background() {
        // The twenty-first set's missed warning, in fresh sentences.
        let urgent = [("工钱月底前要是还不给，后面出什么事我可不管了。", Threat), ("再拖下去，到时候发生什么我就不管了。", Threat)];
        let look_alikes = [
            "物业说电梯出了什么事他们不管。",
            "电线私拉乱接，再不整改，出了事我们业主可不负责。",
            "学校说不签协议不然出了事我们不负责。",
            "前几年有人在楼道里拿刀吓唬过住户，所以请把门禁修好。",
            "前些年村里有人动刀伤过人，现在大家都不敢晚上出门。",
        ];
        urgent_and_not(&urgent, &look_alikes);
        assert!(signal("后面发生什么我就不管了。", Threat).is_some_and(|s| !s.urgent), "no condition: elevated");
        assert!(signal("我真怕哪天被他打死。", Violence).is_some_and(|s| !s.urgent));
        assert!(signal("天天去医院门口举着牌子要说法。", ExtremePetitioning).is_some_and(|s| !s.urgent));
        assert!(signal("中介举着牌子在路口招揽客人。", ExtremePetitioning).is_none());
    }

    #[test]
    fn burning_oneself_killing_a_person_dying_together_and_blocking_a_named_road_are_urgent() {
        // An outside tester's plain phrasings that raised nothing, and the
        // same words where nobody is threatened.
        let urgent = [
            ("我要在市政府门口点火烧了自己。", SelfHarm),
            ("再不给钱我就烧死自己。", SelfHarm),
            ("他往自己身上浇了汽油。", SelfHarm),
            ("我要杀了那个包工头。", Violence),
            ("我要砍了他。", Violence),
            ("大不了大家一起死。", Threat),
            ("明天我们几十个工友去堵深南大道。", RoadBlocking),
        ];
        let look_alikes = [
            "早上堵在深南大道上两个小时，请优化信号灯。",
            "上次去堵过公司的路，后来协商解决了。",
            "村里过年杀了那只猪。",
            "他们把树砍了这个冬天就没法挡风了。",
        ];
        urgent_and_not(&urgent, &look_alikes);
    }

    #[test]
    fn going_away_together_a_walk_to_an_office_and_sitting_on_a_road_are_read() {
        // A second outside tester's phrasings that raised nothing.
        let urgent = [
            ("我想过干脆带着老伴一起走了算了，活着也是拖累孩子们。", SelfHarm),
            ("实在不行我们娘俩一起走了算了。", SelfHarm),
            ("再不解决我们就一起去深南大道上坐着。", RoadBlocking),
            ("业主们准备周六到售楼部门口散步表达诉求。", Gathering),
        ];
        let look_alikes = [
            "他老婆去年带着孩子一起走了，房子一直空着。",
            "小区里的老人晚饭后在广场散步，希望加装路灯。",
            "公交站没有座椅，老人只能在马路边上站着等车。",
        ];
        urgent_and_not(&urgent, &look_alikes);
    }

    #[test]
    fn farm_inputs_and_a_footbridges_steps_are_no_plan_and_blows_counted_are_violence() {
        // The twenty-fifth set, unseen: two urgent false alarms and two
        // beatings that raised nothing.
        for text in [
            "秋种马上就开始了，化肥、农药我都买好了，就等这笔钱周转。",
            "种子农药都买好了，补贴还没发下来。",
            "我邻居去年从桥上下去的时候还崴了脚，希望加装扶手。",
        ] {
            assert_eq!(level(&scan(text)), RiskLevel::None, "{text}: {:?}", scan(text));
        }
        for text in ["老板叫了两个人把我拖出来，打了我几拳，眼睛到现在还是肿的。", "母亲说是护工嫌她夜里按铃多，用拖鞋打她。"]
        {
            let signals = scan(text);
            assert!(signals.iter().any(|s| s.kind == Violence && !s.urgent), "{text}: {signals:?}");
        }
        for text in ["我用手机打她电话一直没人接。", "打他手机也不接，去公司也找不到人。"] {
            assert!(!scan(text).iter().any(|s| s.kind == Violence), "{text}: {:?}", scan(text));
        }
        // The plans themselves are still read, farm words or a bridge's
        // steps beside them or not.
        for text in [
            "农药我都买好了，再不给钱我就喝了它。",
            "到时候我就从桥上下去。",
            "等我从桥上下去的时候你们就知道了。",
            "化肥都买不起了，只能喝农药。",
        ] {
            assert_eq!(level(&scan(text)), RiskLevel::Urgent, "{text}: {:?}", scan(text));
        }
        assert!(!scan("用拖拉机打我家地里的麦子。").iter().any(|s| s.kind == Violence));
    }
}
