//! The names a petition gives its matter by: the company, the factory,
//! the estate, the project, the village, the school, the petitioner's own
//! name ("我叫…").
//!
//! Why: two petitions of one kind in one place, told in the same register
//! (two crews' unpaid wages on one project, two bankrupt factories'
//! workers, two enforcement complaints against different debtors), share
//! most of their words and character pairs, and TF-IDF cosine takes them
//! for one matter. Re-tellings of one matter keep its names (the brief of
//! every labelled set asks for it, and a petitioner who tells the same
//! story again names the same company). So when both petitions name a
//! thing of one kind and no name of that kind is shared, they are more
//! likely two matters: [`differ`] says which names, and the caller lowers
//! the score ([`crate::similar::matter_score`]).
//!
//! Names are cut by pattern, not recognised: the up to four characters
//! before a kind's word (鼎盛装饰 in 鼎盛装饰公司), stopping at a place word
//! (县, 镇, 村 …) or a function word, and dropping demonstratives (这家,
//! 该, 本 …). Two names are "shared" when they have a character pair in
//! common, so 宏达公司 and 宏达建筑有限公司 are one name. A text that names
//! nothing of a kind never conflicts on it: a two-line call note is not
//! penalised for leaving the company out.

use std::collections::BTreeMap;

/// A kind of named thing, and the words that end its names. A word listed
/// with characters after `|` does not end a name when one of them follows
/// (村 in 村民, 村委, 村里 is not a village's name), nor, after a second
/// `|`, when one of those comes before it (区 in 学区, 厂区, 新区).
const KINDS: &[(&str, &[&str])] = &[
    (
        "firm",
        &[
            "有限公司",
            "公司|长里",
            "集团",
            "厂|长区房里家方子",
            "超市",
            "酒店",
            "饭店",
            "饭馆",
            "餐馆",
            "酒楼",
            "宾馆",
            "烧烤",
            "饺子馆",
            "合作社",
            "养殖场",
            "煤矿",
            "4s店",
            "店|长主家里面铺员",
        ],
    ),
    ("estate", &["小区|里内门", "花园", "华庭", "家园", "新村", "公寓"]),
    ("project", &["项目|部上", "工地|上里"]),
    ("village", &["村|民委干里组部务级长口头道庄子容貌规支集"]),
    ("school", &["小学", "中学", "幼儿园", "学校|里"]),
    ("hospital", &["医院|里方", "卫生院"]),
    (
        "county",
        &[
            "县|城里委政长级道域|困壁级",
            "区|域别内里政委长划块间县分|学厂片新园景城山矿库牧社校街业发港营军辖郊市民户置盲地小老商住宅灾禁验范护疫控防病管合",
        ],
    ),
];

/// Characters a name never runs back across: places above it, function
/// words, punctuation is handled by `is_name_char`.
const STOPS: &str = "省市县区镇乡村街路号楼栋的在是了到给和与及跟向对从把被由为让叫说我你他她它们个家这那该此本原其某";

/// Names that say nothing of which thing (该公司, 这家厂, 我们村).
const GENERIC: &[&str] = &["这家", "那家", "一家", "哪家", "我们", "他们", "咱们", "俺们", "全体", "所在", "所属", "当地", "有关", "相关"];

const MAX_NAME: usize = 4;

/// What a petition names, by kind: each name as its characters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    by_kind: BTreeMap<&'static str, Vec<String>>,
}

impl Names {
    /// The names in `text` (normalised first, as everywhere in the crate).
    pub fn of(text: &str) -> Names {
        let chars: Vec<char> = crate::segment::normalize(text).chars().collect();
        let mut by_kind: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
        // Where a kind's word was already taken (公司 inside 有限公司), per
        // character: a list of spans scanned at every match would make a
        // text of one repeated word quadratic.
        let mut taken = vec![false; chars.len()];
        for (kind, words) in KINDS {
            for entry in *words {
                let mut parts = entry.split('|');
                let (word, not_before, not_after) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                let word: Vec<char> = word.chars().collect();
                let mut i = 0;
                while i + word.len() <= chars.len() {
                    let end = i + word.len();
                    if chars[i..end] != word[..]
                        || chars.get(end).is_some_and(|c| not_before.contains(*c))
                        || (i > 0 && not_after.contains(chars[i - 1]))
                        || taken[i..end].iter().all(|&t| t)
                    {
                        i += 1;
                        continue;
                    }
                    taken[i..end].iter_mut().for_each(|t| *t = true);
                    if let Some(name) = name_before(&chars, i) {
                        let names = by_kind.entry(kind).or_default();
                        if !names.contains(&name) {
                            names.push(name);
                        }
                    }
                    i = end;
                }
            }
        }
        // 我叫赵淑琴, 我是王海，: the petitioner's own name.
        for intro in ["我叫", "本人叫", "本人是", "我是"] {
            let intro: Vec<char> = intro.chars().collect();
            for i in 0..chars.len().saturating_sub(intro.len()) {
                if chars[i..i + intro.len()] == intro[..]
                    && let Some(name) = own_name(&chars[i + intro.len()..])
                {
                    by_kind.entry("person").or_default().push(name);
                }
            }
        }
        Names { by_kind }
    }

    pub fn is_empty(&self) -> bool {
        self.by_kind.is_empty()
    }
}

/// Words that say what sort of thing, not which (建筑 in 宏达建筑公司,
/// 专业 in 农民专业合作社), and where beside it (东侧): taken out of a
/// name, so that two firms of one trade do not share a name by them.
const DESCRIPTORS: &[&str] = &[
    "有限",
    "责任",
    "国营",
    "国有",
    "股份",
    "集团",
    "建筑",
    "建设",
    "建工",
    "装饰",
    "装修",
    "物业",
    "房地产",
    "地产",
    "置业",
    "开发",
    "科技",
    "实业",
    "发展",
    "贸易",
    "商贸",
    "农业",
    "农民",
    "专业",
    "服务",
    "管理",
    "劳务",
    "工程",
    "环境",
    "环保",
    "保洁",
    "物流",
    "餐饮",
    "家政",
    "保安",
    "运输",
    "信息",
    "技术",
    "东侧",
    "西侧",
    "南侧",
    "北侧",
    "旁边",
    "对面",
    "附近",
    "门口",
    "一期",
    "二期",
    "三期",
    "四期",
];

/// Characters no name holds: verbs and adverbs a clause runs on with
/// (再次投诉, 暂时不去, 闭店), and counts.
const NOT_IN_NAMES: &str = "次诉映去闭开关不又再也都就还没很所同年月日期第个多少几讨求找问";

/// The name ending just before `end`, if it is one.
fn name_before(chars: &[char], end: usize) -> Option<String> {
    // The trade words just before the kind's word are passed over first,
    // so that the name is counted from where it ends: 洁美 in
    // 洁美环境服务有限公司, not 环境 (four characters before 有限公司, less
    // 服务), which would differ from 洁美公司 in a re-telling.
    // At most two: a name's trade is a word or two (环境服务), and a text
    // of one trade word repeated must not be walked back to its start at
    // every match (quadratic: 20,000 characters of 集团 took 13 s).
    let mut end = end;
    for _ in 0..2 {
        let ends_with = |d: &&&str| {
            let n = d.chars().count();
            end >= n && chars[end - n..end].iter().copied().eq(d.chars())
        };
        let Some(d) = DESCRIPTORS.iter().find(ends_with) else { break };
        end -= d.chars().count();
    }
    let mut start = end;
    while start > 0 && end - start < MAX_NAME && is_name_char(chars[start - 1]) && !STOPS.contains(chars[start - 1]) {
        start -= 1;
    }
    let mut name: String = chars[start..end].iter().collect();
    if GENERIC.iter().any(|g| name.contains(g)) || name.chars().any(|c| NOT_IN_NAMES.contains(c) || c.is_ascii_digit()) {
        return None;
    }
    for d in DESCRIPTORS {
        name = name.replace(d, "");
    }
    (name.chars().count() >= 2).then_some(name)
}

pub(crate) fn is_han(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

fn is_name_char(c: char) -> bool {
    is_han(c) || c.is_ascii_alphanumeric()
}

/// A name of two or three characters at the start of `rest`, starting with
/// a common surname and ending where the clause does or where a
/// self-introduction goes on (今年, 家住, 男, 身份证…): so not 高三学 in
/// 我是高三学生家长, nor 王家 in 我是王家村的.
fn own_name(rest: &[char]) -> Option<String> {
    const GOES_ON: &str = "今家男女住身电联现年";
    if !is_surname(rest.first().copied()) {
        return None;
    }
    [3, 2].into_iter().find_map(|len| {
        let name = rest.get(..len)?;
        let ends = rest.get(len).is_none_or(|c| !is_han(*c) || GOES_ON.contains(*c));
        (name.iter().all(|c| is_han(*c)) && ends).then(|| name.iter().collect())
    })
}

/// The commonest surnames: enough to tell 我叫赵淑琴 (a name) from 我是
/// 县化肥厂的职工 (not one).
pub(crate) fn is_surname(c: Option<char>) -> bool {
    const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤";
    c.is_some_and(|c| SURNAMES.contains(c))
}

/// Whether two names share a pair of adjacent characters (one name told
/// in two lengths: 宏达 and 宏达建筑).
fn share_pair(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    a.windows(2).any(|p| b.windows(2).any(|q| p == q))
}

/// The kinds of which both petitions name one thing (a name in common),
/// with the name as the first petition gives it.
pub fn shared(a: &Names, b: &Names) -> Vec<(&'static str, String)> {
    a.by_kind
        .iter()
        .filter_map(|(kind, names_a)| {
            let names_b = b.by_kind.get(kind)?;
            names_a.iter().find(|x| names_b.iter().any(|y| share_pair(x, y))).map(|x| (*kind, x.clone()))
        })
        .collect()
}

/// A kind both petitions name with no name in common, and one name of
/// each (the reason shown), or `None`.
pub fn differ(a: &Names, b: &Names) -> Option<(String, String)> {
    for (kind, names_a) in &a.by_kind {
        let Some(names_b) = b.by_kind.get(kind) else { continue };
        if !names_a.iter().any(|x| names_b.iter().any(|y| share_pair(x, y))) {
            return Some((format!("{}{}", names_a[0], label(kind)), format!("{}{}", names_b[0], label(kind))));
        }
    }
    None
}

/// How a kind is told to the clerk, after the name (宏达建筑 → 宏达建筑（单位）).
fn label(kind: &str) -> &'static str {
    match kind {
        "firm" => "（单位）",
        "estate" => "（小区）",
        "project" => "（项目）",
        "village" => "（村）",
        "school" => "（学校）",
        "hospital" => "（医院）",
        "county" => "（县区）",
        _ => "（信访人）",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_of_companies_factories_estates_and_people_are_cut_before_their_kind() {
        let n = Names::of("我们在锦绣花园小区，给宏达建筑有限公司干活，我叫周海涛。");
        assert_eq!(n.by_kind.get("firm").unwrap(), &vec!["宏达".to_string()]);
        assert_eq!(n.by_kind.get("person").unwrap(), &vec!["周海涛".to_string()]);
        assert!(n.by_kind.get("estate").unwrap().iter().any(|x| x.contains("锦绣")));
        // A place word ends a name; 村民 and 这家公司 name nothing.
        let n = Names::of("南山镇太平村的村民反映，这家公司不给钱。");
        assert_eq!(n.by_kind.get("village").unwrap(), &vec!["太平".to_string()]);
        assert!(!n.by_kind.contains_key("firm"));
        // 我是县化肥厂的职工, 我是高三学生家长, 我是王家村的: no person.
        for text in ["我是县化肥厂的职工", "我是高三学生家长", "我是王家村的村民"] {
            assert!(!Names::of(text).by_kind.contains_key("person"), "{text}");
        }
        assert_eq!(Names::of("我是王海，今年五十岁").by_kind.get("person").unwrap(), &vec!["王海".to_string()]);
    }

    #[test]
    fn two_firms_with_no_name_in_common_differ_and_one_told_two_ways_does_not() {
        let a = Names::of("鼎盛装饰公司分包的瓦工班组工资未付。");
        let b = Names::of("宏达建筑公司承建的项目，工资未结。");
        assert!(differ(&a, &b).is_some());
        let c = Names::of("宏达公司欠我们的工资。");
        assert!(differ(&b, &c).is_none());
        // A text that names no firm never conflicts on firms.
        assert!(differ(&a, &Names::of("工地欠薪，老板跑了。")).is_none());
    }

    #[test]
    fn a_long_trade_before_the_kind_is_passed_over_to_the_name() {
        // Four characters before 有限公司 less its trade would be 环境.
        let full = Names::of("我们归洁美环境服务有限公司管，四个月没发工资。");
        let short = Names::of("洁美公司欠俺们四个月工资。");
        assert!(differ(&full, &short).is_none(), "{full:?} {short:?}");
        assert!(differ(&full, &Names::of("恒洁物业公司欠保洁员工资。")).is_some());
    }

    #[test]
    fn two_counties_or_districts_differ_and_a_school_district_or_new_area_is_none() {
        let a = Names::of("孩子在思明区一所小学参加托管，停课两周费用不退。");
        let b = Names::of("孩子在蓬莱区一所民办初中，退学不退学费。");
        assert_eq!(differ(&a, &b), Some(("思明（县区）".to_string(), "蓬莱（县区）".to_string())), "{a:?} {b:?}");
        assert!(differ(&a, &Names::of("思明区那所小学托管费还是不退。")).is_none());
        for text in [
            "城东学区划片不合理。",
            "居民区和棚户区没有路灯，监控盲区多。",
            "贫困地区，公安局辖区，严格区分，隔壁县，国家级贫困县。",
            "锦绣小区门口",
            "我们山区出行难。",
            "城南新区的安置房漏水。",
            "工业园区的厂区噪音大。",
            "县城到镇上没有早班车。",
        ] {
            assert!(!Names::of(text).by_kind.contains_key("county"), "{text}: {:?}", Names::of(text));
        }
    }

    #[test]
    fn state_owned_is_a_descriptor_not_a_name() {
        // Two former state firms of different trades in two cities.
        let a = Names::of("我们是原国营电机厂的职工，改制时买断工龄。");
        let b = Names::of("我们是原国营水产公司的职工，身份置换金没发完。");
        assert!(differ(&a, &b).is_some(), "{a:?} {b:?}");
    }
}
