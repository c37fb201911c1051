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
//! ([`agree`]), and different names of one kind count against it
//! ([`crate::names::differ`]); `crate::similar::matter_score` weighs both.

use crate::Segmenter;
use crate::names::Names;

/// What a petition is compared by, besides its words.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Particulars {
    pub names: Names,
    /// Sums in yuan ([`crate::amounts::sums`]).
    pub sums: Vec<u64>,
    /// People named anywhere in the text (not only the petitioner).
    pub people: Vec<String>,
}

impl Particulars {
    /// The particulars of `text`, whose segmenter terms are `terms`
    /// (from [`Segmenter::terms`], computed once by the caller).
    pub fn of(seg: &Segmenter, text: &str, terms: &[String]) -> Particulars {
        let mut people: Vec<String> = Vec::new();
        for t in terms {
            if is_person(seg, t) && !people.contains(t) {
                people.push(t.clone());
            }
        }
        for name in cued_people(text) {
            if !people.contains(&name) {
                people.push(name);
            }
        }
        Particulars { names: Names::of(text), sums: crate::amounts::sums(text), people }
    }
}

/// Characters that end a place's or a body's name, never a person's in
/// practice (黄土岭, 钱家巷, 石门镇, 卫生院).
const NOT_LAST_IN_A_PERSON: &str = "村镇县区乡组屯庄湾岭坡沟巷街路道桥市省站所场店园苑府楼院局室房城厂队号间处科部司委会社校";

/// A person's name among the segmenter's terms: three Chinese characters,
/// a common surname first, not a dictionary word other than a name
/// ([`Segmenter::may_be_name`]: 房产证, 管理费 and 包工头 are words), and no
/// place's or body's last character, nor a word the clause goes on with
/// (王海称 is 王海 and 称).
fn is_person(seg: &Segmenter, term: &str) -> bool {
    let chars: Vec<char> = term.chars().collect();
    chars.len() == 3
        && chars.iter().all(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
        && crate::names::is_surname(chars.first().copied())
        && !NOT_LAST_IN_A_PERSON.contains(chars[2])
        && !AFTER_A_NAME.contains(chars[2])
        && seg.may_be_name(term)
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
];

/// Characters a clause goes on with right after a name (钟小平催办, 王海称):
/// where one follows the second or third character, the name ends there.
const AFTER_A_NAME: &str = "称说反诉等在的是和与及于今家男女住也又再来去到被把将要想催找给向跟对从已多干因同系现年岁";

/// People named right after a [`CUES`] word: a common surname and one or
/// two more characters, ending where the clause goes on.
fn cued_people(text: &str) -> Vec<String> {
    let chars: Vec<char> = crate::segment::normalize(text).chars().collect();
    let han = |c: &char| ('\u{4e00}'..='\u{9fff}').contains(c);
    let mut out = Vec::new();
    for cue in CUES {
        let cue: Vec<char> = cue.chars().collect();
        for i in 0..chars.len().saturating_sub(cue.len()) {
            let rest = &chars[i + cue.len()..];
            if chars[i..i + cue.len()] != cue[..] || !crate::names::is_surname(rest.first().copied()) {
                continue;
            }
            let name = [3, 2].into_iter().find_map(|len| {
                let name = rest.get(..len)?;
                let ends = rest.get(len).is_none_or(|c| !han(c) || AFTER_A_NAME.contains(*c));
                let whole = name.iter().all(han) && !name[1..].iter().any(|c| AFTER_A_NAME.contains(*c) || "某".contains(*c));
                (ends && whole && !NOT_LAST_IN_A_PERSON.contains(name[len - 1])).then(|| name.iter().collect::<String>())
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

/// What both petitions give: each agreeing sum (as the first petition
/// states it, in yuan) and each shared person, as the reason shown to the
/// clerk. Empty when nothing agrees.
pub fn agree(a: &Particulars, b: &Particulars) -> Vec<String> {
    let mut out = Vec::new();
    if let Some((x, _)) = crate::amounts::agree(&a.sums, &b.sums) {
        out.push(format!("{x}元"));
    }
    out.extend(a.people.iter().filter(|p| b.people.contains(p)).cloned());
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn of(seg: &Segmenter, text: &str) -> Particulars {
        Particulars::of(seg, text, &seg.terms(text))
    }

    #[test]
    fn a_short_reminder_agrees_with_its_letter_on_the_sum_and_the_person() {
        let seg = Segmenter::new();
        let letter = of(&seg, "我母亲龚素芬在县医院做了手术，术后第二天死亡，医院至今不给说法，要求赔偿并追责，已花去医药费五万三千元。");
        let reminder = of(&seg, "龚素芬的事一个多月了，医院一句话不给，花的五万三也没人管。");
        let other = of(&seg, "我父亲在县医院手术后去世，家属要求鉴定，花了八万多医药费。");
        let why = agree(&letter, &reminder);
        assert!(why.contains(&"53000元".to_string()), "{why:?}");
        assert!(why.contains(&"龚素芬".to_string()), "{why:?}");
        assert!(agree(&letter, &other).is_empty(), "{:?}", agree(&letter, &other));
    }

    #[test]
    fn a_name_after_a_cue_is_read_where_the_segmenter_cuts_it_apart() {
        let seg = Segmenter::new();
        assert_eq!(of(&seg, "来电人钟小平催办：华盛鞋业未缴社保。").people, vec!["钟小平".to_string()]);
        assert_eq!(of(&seg, "来访人王海称其工资被拖欠。").people, vec!["王海".to_string()]);
        assert!(of(&seg, "来访人刘某，女，反映丈夫被欠薪。").people.is_empty());
    }

    #[test]
    fn dictionary_words_places_and_bodies_are_not_people() {
        let seg = Segmenter::new();
        let p = of(&seg, "房产证办不下来，管理费年年涨，包工头跑了，黄土岭村和石门镇卫生院都不管。");
        assert!(p.people.is_empty(), "{:?}", p.people);
    }
}
