//! The particulars a petition tells its matter by, as far as repeat
//! detection weighs them: the names of its things ([`Names`]: the firm, the
//! estate, the village …), the sums of money it states
//! ([`crate::amounts`]), and the people it names (彭秀莲, 黄德旺).
//!
//! Why: the re-tellings that TF-IDF cosine misses are short ones — a
//! two-line 催办 of a long letter, a relative's call about the same
//! operation — which share few words with the original but keep its sum
//! and its people. Look-alike matters of one kind (another crew's wages on
//! the same project) share the words but rarely the sum or the person.
//! So a sum or a person both petitions give counts for the same matter
//! ([`agree`]) — when few of the petitions compared give it ([`Commonness`]:
//! a round 2万元 or a common 王伟 tells nothing) — and different names of
//! one kind count against it ([`crate::names::differ`]);
//! `crate::similar::matter_score` weighs both.

use crate::Segmenter;
use crate::amounts::Sum;
use crate::names::Names;
use std::collections::HashMap;

/// What a petition is compared by, besides its words.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Particulars {
    pub names: Names,
    /// Sums of money ([`crate::amounts::sums`]).
    pub sums: Vec<Sum>,
    /// People named anywhere in the text (not only the petitioner).
    pub people: Vec<String>,
    /// The text, normalised: where a full name read in another petition
    /// is looked for word for word ([`agree`]), since the segmenter cuts a
    /// name it does not know in one sentence and keeps it whole in
    /// another, and a cue names it in one telling only.
    pub text: String,
}

impl Particulars {
    /// The particulars of `text`, whose segmenter terms are `terms`
    /// (from [`Segmenter::terms`], computed once by the caller).
    pub fn of(seg: &Segmenter, text: &str, terms: &[String]) -> Particulars {
        let mut people: Vec<String> = Vec::new();
        let cued = cued_people(text).into_iter().filter(|n| seg.may_be_name(n));
        for name in terms.iter().filter(|t| is_person(seg, t)).cloned().chain(cued) {
            if !people.contains(&name) {
                people.push(name);
            }
        }
        Particulars { names: Names::of(text), sums: crate::amounts::sums(text), people, text: crate::segment::normalize(text) }
    }
}

/// How many of the petitions compared give each sum and each person: a
/// particular agrees only if it is rare among them ([`Commonness::rare`]).
#[derive(Debug, Clone, Default)]
pub struct Commonness {
    docs: usize,
    sums: Vec<Vec<Sum>>,
    people: HashMap<String, usize>,
}

/// A particular given by at most this many petitions is rare whatever
/// their number (a matter told four times gives its sum four times) …
pub const RARE_FLOOR: usize = 4;
/// … and by at most this share of them when they are many.
pub const RARE_SHARE: f64 = 0.01;

impl Commonness {
    pub fn new() -> Self {
        Self::default()
    }

    /// Count one more petition's particulars.
    pub fn add(&mut self, p: &Particulars) {
        self.docs += 1;
        self.sums.push(p.sums.clone());
        for name in &p.people {
            *self.people.entry(name.clone()).or_insert(0) += 1;
        }
    }

    fn rare(&self, count: usize) -> bool {
        count <= RARE_FLOOR.max((self.docs as f64 * RARE_SHARE) as usize)
    }

    fn rare_sum(&self, s: &Sum) -> bool {
        self.rare(self.sums.iter().filter(|sums| sums.iter().any(|t| t.agrees(s))).count())
    }

    fn rare_person(&self, name: &str) -> bool {
        self.rare(self.people.get(name).copied().unwrap_or(0))
    }
}

/// Characters that end a place's, a body's or a document's name, never a
/// person's in practice (黄土岭, 钱家巷, 石门镇, 卫生院, 林权证).
const NOT_LAST_IN_A_PERSON: &str = "村镇县区乡组屯庄湾岭坡沟巷街路道桥市省站所场店园苑府楼院局室房城厂队号间处科部司委会社校证口山庙河江湖";

/// How a person is addressed or what he is, after the surname (王先生,
/// 刘女士, 陈老板, 王镇长): a title, not a name, and shared by many.
const TITLES: &[&str] = &[
    "先生", "女士", "小姐", "老板", "师傅", "老师", "大爷", "大妈", "阿姨", "大姐", "大哥", "大叔", "大婶", "老汉", "老太", "某某", "经理",
    "主任", "书记", "镇长", "乡长", "村长", "县长", "区长", "市长", "局长", "所长", "科长", "队长", "院长", "校长", "站长", "厂长", "组长",
    "会计", "医生", "律师", "警官", "总",
];

/// Characters a given name does not hold in practice: the function words
/// and times a cue is often followed by (本人于上月, 本人向单位, 钱太少).
const NOT_IN_A_GIVEN_NAME: &str = "某于向在上下本该此这那月年日了的是和与及太很也都又再就还没不被把将对从给跟已曾";

/// A person's name among the segmenter's terms: three Chinese characters,
/// a common surname first, not a dictionary word other than a name
/// ([`Segmenter::may_be_name`]: 房产证, 管理费 and 包工头 are words), not a
/// title (王先生), and no place's, body's or document's last character,
/// nor a word the clause goes on with (王海称 is 王海 and 称).
fn is_person(seg: &Segmenter, term: &str) -> bool {
    let chars: Vec<char> = term.chars().collect();
    chars.len() == 3
        && chars.iter().all(|&c| crate::names::is_han(c))
        && is_person_surname(chars[0])
        && plausible_given_name(&chars[1..])
        && seg.may_be_name(term)
}

/// A common surname that starts people's names here: not 向 and 于, which
/// are surnames but far more often prepositions (本人向单位反映).
fn is_person_surname(c: char) -> bool {
    crate::names::is_surname(Some(c)) && !"向于".contains(c)
}

/// Whether what follows a surname may be a given name: no title, no
/// function word, and not ending as a place, body or document does.
fn plausible_given_name(given: &[char]) -> bool {
    let text: String = given.iter().collect();
    !TITLES.iter().any(|t| text.starts_with(t))
        && !given.iter().any(|c| NOT_IN_A_GIVEN_NAME.contains(*c) || AFTER_A_NAME.contains(*c))
        && !given.last().is_some_and(|c| NOT_LAST_IN_A_PERSON.contains(*c))
}

/// Words after which a person's name follows (来电人钟小平催办, 其母周秀兰):
/// there the name is read from the text even where the segmenter cuts it
/// apart (人钟 / 小平).
const CUES: &[&str] = &[
    "来电人",
    "来访人",
    "来信人",
    "反映人",
    "信访人",
    "投诉人",
    "举报人",
    "当事人",
    "申请人",
    "丈夫",
    "妻子",
    "老伴",
    "母亲",
    "父亲",
    "儿子",
    "女儿",
    "其母",
    "其父",
    "其子",
    "其女",
    "其妻",
    "其夫",
    "我叫",
    "本人",
    "村民",
    "居民",
    "村的",
    "组的",
    "屯的",
    "社区的",
];

/// Characters a clause goes on with right after a name (钟小平催办, 王海称,
/// 钟小平表示): where one follows the second or third character, the name
/// ends there.
const AFTER_A_NAME: &str = "称说反诉等在的是和与及于今家男女住也又再来去到被把将要想催找给向跟对从已多干因同系现年岁表投一";

/// People named right after a [`CUES`] word: a common surname and one or
/// two more characters, ending where the clause goes on.
fn cued_people(text: &str) -> Vec<String> {
    let chars: Vec<char> = crate::segment::normalize(text).chars().collect();
    let han = |c: &char| crate::names::is_han(*c);
    let mut out = Vec::new();
    for cue in CUES {
        let cue: Vec<char> = cue.chars().collect();
        for i in 0..chars.len().saturating_sub(cue.len()) {
            let rest = &chars[i + cue.len()..];
            if chars[i..i + cue.len()] != cue[..] || !rest.first().is_some_and(|&c| is_person_surname(c)) {
                continue;
            }
            let name = [3, 2].into_iter().find_map(|len| {
                let name = rest.get(..len)?;
                let ends = rest.get(len).is_none_or(|c| !han(c) || AFTER_A_NAME.contains(*c));
                (ends && name.iter().all(han) && plausible_given_name(&name[1..])).then(|| name.iter().collect::<String>())
            });
            if let Some(name) = name
                && !out.contains(&name)
            {
                out.push(name);
            }
        }
    }
    out
}

/// What both petitions give that few of the petitions compared give:
/// each agreeing sum written to two places or more ([`Sum::telling`]; in
/// yuan, as the first petition states it) and each
/// shared person (read in both, or a full name read in one that the
/// other's text holds word for word), as the reason shown to the clerk. Empty when nothing
/// rare agrees.
pub fn agree(a: &Particulars, b: &Particulars, common: &Commonness) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(x) = a.sums.iter().find(|x| x.telling() && common.rare_sum(x) && b.sums.iter().any(|y| x.agrees(y))) {
        out.push(format!("{}元", x.stated));
    }
    // A person either reads, or a full name one reads that the other's
    // text holds word for word (黄建新 after 我父亲 in a letter; at the start
    // of a reminder, where the segmenter cuts it apart).
    let full_name_in = |p: &String, other: &Particulars| p.chars().count() == 3 && other.text.contains(p.as_str());
    for (p, other) in a.people.iter().map(|p| (p, b)).chain(b.people.iter().map(|p| (p, a))) {
        let shared = other.people.contains(p) || full_name_in(p, other);
        if shared && common.rare_person(p) && !out.contains(p) {
            out.push(p.clone());
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn of(seg: &Segmenter, text: &str) -> Particulars {
        Particulars::of(seg, text, &seg.terms(text))
    }

    fn counted(all: &[&Particulars]) -> Commonness {
        let mut c = Commonness::new();
        for p in all {
            c.add(p);
        }
        c
    }

    #[test]
    fn a_short_reminder_agrees_with_its_letter_on_the_sum_and_the_person() {
        let seg = Segmenter::new();
        let letter = of(&seg, "我母亲龚素芬在县医院做了手术，术后第二天死亡，医院至今不给说法，要求赔偿并追责，已花去医药费五万三千元。");
        let reminder = of(&seg, "龚素芬的事一个多月了，医院一句话不给，花的五万三也没人管。");
        let other = of(&seg, "我父亲在县医院手术后去世，家属要求鉴定，花了八万多医药费。");
        let common = counted(&[&letter, &reminder, &other]);
        let why = agree(&letter, &reminder, &common);
        assert!(why.contains(&"53000元".to_string()), "{why:?}");
        assert!(why.contains(&"龚素芬".to_string()), "{why:?}");
        assert!(agree(&letter, &other, &common).is_empty(), "{:?}", agree(&letter, &other, &common));
    }

    #[test]
    fn a_full_name_read_in_one_telling_is_found_word_for_word_in_the_other() {
        let seg = Segmenter::new();
        let letter = of(&seg, "我父亲黄建新在市人民医院做腹腔镜手术，术后第三天去世，请卫健局调查。");
        let reminder = of(&seg, "黄建新在市人民医院术后死亡一事，鉴定什么时候能做？");
        let other = of(&seg, "我母亲在市人民医院手术后去世，请卫健局调查。");
        let common = counted(&[&letter, &reminder, &other]);
        assert_eq!(agree(&letter, &reminder, &common), vec!["黄建新".to_string()]);
        assert_eq!(agree(&reminder, &letter, &common), vec!["黄建新".to_string()]);
        assert!(agree(&letter, &other, &common).is_empty());
    }

    #[test]
    fn a_sum_or_a_name_that_many_petitions_give_does_not_agree() {
        let seg = Segmenter::new();
        let a = of(&seg, "来访人龚素芬反映，村里欠她征地补偿款两万元。");
        let b = of(&seg, "来电人龚素芬反映，超市卖过期食品，索赔两万元。");
        let many: Vec<Particulars> = (0..6).map(|i| of(&seg, &format!("第{i}户反映征地补偿款两万元没有发放，来访人龚素芬。"))).collect();
        let mut all: Vec<&Particulars> = vec![&a, &b];
        all.extend(many.iter());
        assert!(agree(&a, &b, &counted(&all)).is_empty(), "{:?}", agree(&a, &b, &counted(&all)));
        assert!(!agree(&a, &b, &counted(&[&a, &b])).is_empty(), "two petitions alone: both rare");
    }

    #[test]
    fn a_name_after_a_cue_is_read_where_the_segmenter_cuts_it_apart() {
        let seg = Segmenter::new();
        assert_eq!(of(&seg, "来电人钟小平催办：华盛鞋业未缴社保。").people, vec!["钟小平".to_string()]);
        assert_eq!(of(&seg, "来电人钟小平表示厂里没人管。").people, vec!["钟小平".to_string()]);
        assert_eq!(of(&seg, "来访人王海称其工资被拖欠。").people, vec!["王海".to_string()]);
        assert!(of(&seg, "我是青杠村的张光荣 我那4.3亩地的补偿款").people.contains(&"张光荣".to_string()));
        assert!(of(&seg, "来访人刘某，女，反映丈夫被欠薪。").people.is_empty());
    }

    #[test]
    fn words_places_titles_and_documents_are_not_people() {
        let seg = Segmenter::new();
        for text in [
            "房产证办不下来，管理费年年涨，包工头跑了，黄土岭村和石门镇卫生院都不管。",
            "来电人王先生反映，刘女士和陈老板都说王镇长不管。",
            "林权证办不下来，母亲高血压，儿子高考，父亲曾经当过兵。",
            "本人于上月申请，本人向单位反映过，钱太少。",
        ] {
            assert!(of(&seg, text).people.is_empty(), "{text}: {:?}", of(&seg, text).people);
        }
    }
}
