//! Text similarity for repeat and duplicate detection (重复信访).
//!
//! Two tools, used in this order:
//!
//! * [`simhash`] — a 64-bit fingerprint per petition, stored beside it
//!   (as `i64` where the database has no unsigned type, see [`to_i64`]).
//!   Petitions whose fingerprints differ in few bits ([`hamming`]) are
//!   near-copies: the same letter sent by post and online, a submission
//!   pasted twice. Cheap enough to compare against every stored petition.
//!   It does not catch re-worded repeats (a re-told complaint is as far
//!   from the original in bits as an unrelated one): that is the cosine's
//!   job, run on candidates found by petitioner, area or index search.
//! * [`similarity`] — TF-IDF cosine over [`crate::Segmenter::terms`],
//!   robust to re-wording (the same unpaid wages told twice in different
//!   sentences share the rare words: the company, the site, the amount),
//!   and explainable: it returns the shared terms that contributed most,
//!   which the clerk sees as the reason for the match.
//!
//! Weights come from a [`DocFreq`] table of the deployment's own petitions,
//! so words every petition uses (反映, 问题, 要求) count for little and a
//! company's name for a lot.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How many shared terms a [`Similarity`] names as its reason.
pub const SHARED_TERMS: usize = 8;

/// At or above this cosine of [`features`] two petitions are taken for
/// the same matter: the threshold with the best F1 over the project's
/// labelled sets taken together (docs/intelligence.md).
pub const SAME_MATTER_SCORE: f64 = 0.20;

/// Marks a character pair among a petition's [`features`]; no word the
/// segmenter gives starts with it.
pub const PAIR_MARK: char = '#';

/// What two petitions are compared on: the segmenter's `terms`, and every
/// pair of adjacent characters of `text` within a run of letters and
/// digits (marked [`PAIR_MARK`]).
///
/// Pairs make the comparison robust where the words are not: a name the
/// dictionary does not know is cut differently in two re-tellings (宏达建工
/// and 宏达建工集团), an amount is written 38.6万 once and 三十八万六 the
/// next time. On the labelled sets, words and pairs together separate
/// repeats from other petitions better than either alone
/// (docs/intelligence.md, "Repeats: words and character pairs").
pub fn features(terms: &[String], text: &str) -> Vec<String> {
    let normal = crate::segment::normalize(text);
    let mut out: Vec<String> = terms.to_vec();
    let mut prev: Option<char> = None;
    for c in normal.chars() {
        if c.is_alphanumeric() {
            if let Some(p) = prev {
                out.push([PAIR_MARK, p, c].iter().collect());
            }
            prev = Some(c);
        } else {
            prev = None;
        }
    }
    out
}

/// Whether a feature is a character pair rather than a word.
pub fn is_pair(feature: &str) -> bool {
    feature.starts_with(PAIR_MARK)
}

/// Fingerprints at most this many bits apart are near-copies worth a full
/// [`similarity`] check. Chosen on the tests' near-copies (a few words
/// changed in a paragraph) against unrelated petitions, which differ in
/// about 32 bits like random numbers do.
pub const NEAR_COPY_BITS: u32 = 12;

/// Document frequencies: how many petitions were seen and, per term, how
/// many of them contain it. Serialisable so it can be stored and updated
/// as petitions arrive instead of recomputed from all of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocFreq {
    docs: u64,
    df: BTreeMap<String, u64>,
}

impl DocFreq {
    pub fn new() -> Self {
        Self::default()
    }

    /// Count one more petition with these terms (repeats count once).
    pub fn add(&mut self, terms: &[String]) {
        self.docs += 1;
        let mut unique: Vec<&String> = terms.iter().collect();
        unique.sort_unstable();
        unique.dedup();
        for t in unique {
            *self.df.entry(t.clone()).or_insert(0) += 1;
        }
    }

    /// Undo an [`DocFreq::add`] of the same terms (a petition edited or
    /// deleted). Counts never go below zero; a term reaching zero is
    /// forgotten.
    pub fn remove(&mut self, terms: &[String]) {
        self.docs = self.docs.saturating_sub(1);
        let mut unique: Vec<&String> = terms.iter().collect();
        unique.sort_unstable();
        unique.dedup();
        for t in unique {
            if let Some(n) = self.df.get_mut(t.as_str()) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.df.remove(t.as_str());
                }
            }
        }
    }

    /// Number of petitions counted.
    pub fn docs(&self) -> u64 {
        self.docs
    }

    /// Number of petitions containing `term`.
    pub fn df(&self, term: &str) -> u64 {
        self.df.get(term).copied().unwrap_or(0)
    }

    /// Smoothed inverse document frequency, `ln((1 + n) / (1 + df)) + 1`:
    /// always positive (a term in every petition still counts a little),
    /// largest for a term never seen, defined for an empty table.
    pub fn idf(&self, term: &str) -> f64 {
        let n = self.docs as f64;
        let df = self.df(term).min(self.docs) as f64;
        ((1.0 + n) / (1.0 + df)).ln() + 1.0
    }
}

/// A petition's TF-IDF vector, computed once and compared with many:
/// term frequency damped as `1 + ln(count)` (a word said five times is
/// not five times the evidence) times [`DocFreq::idf`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TermVector {
    /// Sorted by term, for a merge join.
    weights: Vec<(String, f64)>,
    norm: f64,
}

impl TermVector {
    pub fn new(terms: &[String], df: &DocFreq) -> Self {
        let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
        for t in terms {
            *counts.entry(t.as_str()).or_insert(0) += 1;
        }
        let weights: Vec<(String, f64)> = counts.into_iter().map(|(t, c)| (t.to_owned(), (1.0 + f64::from(c).ln()) * df.idf(t))).collect();
        let norm = weights.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
        TermVector { weights, norm }
    }

    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// Cosine similarity, with each shared term's share of it.
    pub fn cosine(&self, other: &TermVector) -> Similarity {
        if self.norm == 0.0 || other.norm == 0.0 {
            return Similarity { score: 0.0, shared: Vec::new() };
        }
        let denom = self.norm * other.norm;
        let (mut i, mut j) = (0, 0);
        let mut shared = Vec::new();
        while let (Some((ta, wa)), Some((tb, wb))) = (self.weights.get(i), other.weights.get(j)) {
            match ta.cmp(tb) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    shared.push((ta.clone(), wa * wb / denom));
                    i += 1;
                    j += 1;
                }
            }
        }
        let score = shared.iter().map(|(_, c)| c).sum::<f64>().clamp(0.0, 1.0);
        // The reason a clerk reads names words, not character pairs.
        shared.retain(|(t, _)| !is_pair(t));
        shared.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        shared.truncate(SHARED_TERMS);
        Similarity { score, shared }
    }
}

/// How alike two petitions are, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Similarity {
    /// Cosine in [0, 1]: 1 for the same words in the same proportions.
    pub score: f64,
    /// The shared words (not character pairs, see [`features`]) that
    /// contributed most, each with its contribution to `score`, largest
    /// first, at most [`SHARED_TERMS`].
    pub shared: Vec<(String, f64)>,
}

/// TF-IDF cosine of two term lists (from [`crate::Segmenter::terms`]).
/// To compare one petition with many, build its [`TermVector`] once.
pub fn similarity(a: &[String], b: &[String], df: &DocFreq) -> Similarity {
    TermVector::new(a, df).cosine(&TermVector::new(b, df))
}

/// What a cosine counts for when the two petitions name different things
/// of one kind (see [`crate::names`]). Half: on the labelled sets it takes
/// most look-alikes of one kind in one place below [`SAME_MATTER_SCORE`]
/// while true repeats, whose names agree, are not touched (the only value
/// tried; docs/intelligence.md).
pub const DIFFERENT_NAMES_FACTOR: f64 = 0.5;

/// What a cosine counts for when the two petitions state the same sum of
/// money or name the same person ([`crate::particulars::agree`]): double,
/// so a short re-telling at a cosine of 0.10 or more reaches
/// [`SAME_MATTER_SCORE`] (on the thirteen labelled sets together, recall
/// 0.81 → 0.91 with precision unchanged; docs/intelligence.md).
pub const AGREEING_PARTICULARS_FACTOR: f64 = 2.0;

/// What a cosine counts for when both petitions state sums of money and
/// none of them agree (八万多 and 八万六 agree; 12万 and 8万 do not): two
/// enforcement cases, two frauds or two crews of one site are told in the
/// same words and differ in their figures, while a re-telling keeps its
/// figure or drops it. Weaker than names that differ: one telling may
/// give a monthly wage and the other the total (pooled over the sixteen
/// labelled sets at 0.20, false pairs 46 → 38 with no true pair lost;
/// docs/intelligence.md).
pub const DIFFERENT_SUMS_FACTOR: f64 = 0.8;

/// What a same-matter score counts for when the two petitions were filed
/// apart: under different legal classes (涉法涉诉 counting as a class of
/// its own) or different topics, both known. Repeats of one matter are
/// filed alike — 690 of the 690 same-group pairs of the labelled sets
/// share a topic, 688 a class — while the look-alikes written to be a
/// different matter differ in one or the other in a fifth of the pairs.
/// Pooled over the 30 labelled sets at [`SAME_MATTER_SCORE`]
/// (`examples/evaluate.rs`): false pairs 68 → 42, one true pair of 614
/// lost (precision 0.900 → 0.936, recall 0.890 → 0.888). Tried on the
/// dumped pairs first: 0.7 and 0.5 did no better; lowering the threshold
/// to 0.19 beside it gained recall on some sets and lost precision on
/// others (docs/intelligence.md).
pub const FILED_APART_FACTOR: f64 = 0.6;

/// How a petition was filed, where known: its legal class (`claim`,
/// `suggestion`, `accusation` or `litigation_related`) and its two-level
/// topic code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filed<'a> {
    pub class: Option<&'a str>,
    pub topic: Option<&'a str>,
}

impl<'a> Filed<'a> {
    /// A stored petition's filing: its class (or 涉法涉诉) and its topic.
    pub fn stored(category: &'a str, litigation_related: bool, topic: Option<&'a str>) -> Self {
        Filed { class: Some(if litigation_related { "litigation_related" } else { category }), topic: topic.filter(|t| !t.is_empty()) }
    }
}

/// Whether two petitions were filed apart: both carry a class and they
/// differ, or both a topic and they differ ([`FILED_APART_FACTOR`]).
pub fn filed_apart(a: Filed<'_>, b: Filed<'_>) -> bool {
    let differ = |x: Option<&str>, y: Option<&str>| matches!((x, y), (Some(x), Some(y)) if x != y);
    differ(a.class, b.class) || differ(a.topic, b.topic)
}

/// The same-matter score of two petitions, and what moved it.
#[derive(Debug, Clone, PartialEq)]
pub struct MatterScore {
    /// The cosine, times the factors below, at most 1.
    pub score: f64,
    /// A kind both name with different names (one of each), which halved
    /// the score.
    pub different_names: Option<(String, String)>,
    /// Sums and people both give, which doubled it.
    pub agreeing: Vec<String>,
    /// A sum each states (as stated, in yuan) when both state sums and
    /// none agree, which lowered it by [`DIFFERENT_SUMS_FACTOR`].
    pub different_sums: Option<(u64, u64)>,
}

/// The same-matter score of two petitions from their cosine and their
/// particulars: times [`DIFFERENT_NAMES_FACTOR`] when they name different
/// things of one kind, or else times [`AGREEING_PARTICULARS_FACTOR`] when
/// they state the same sum or name the same person that few of the
/// petitions compared (`common`) give; and times [`DIFFERENT_SUMS_FACTOR`]
/// when both state sums and none agree.
pub fn matter_score(
    cosine: f64,
    a: &crate::particulars::Particulars,
    b: &crate::particulars::Particulars,
    common: &crate::particulars::Commonness,
) -> MatterScore {
    let different_names = crate::names::differ(&a.names, &b.names);
    // Names of one kind that differ outweigh a sum or a person that agrees
    // (two crews on one site owed the same round sum).
    let agreeing = if different_names.is_some() { Vec::new() } else { crate::particulars::agree(a, b, common) };
    let mut score = cosine;
    if different_names.is_some() {
        score *= DIFFERENT_NAMES_FACTOR;
    }
    if !agreeing.is_empty() {
        score *= AGREEING_PARTICULARS_FACTOR;
    }
    let different_sums = match (a.sums.first(), b.sums.first()) {
        (Some(x), Some(y)) if crate::amounts::agree(&a.sums, &b.sums).is_none() => Some((x.stated, y.stated)),
        _ => None,
    };
    if different_sums.is_some() {
        score *= DIFFERENT_SUMS_FACTOR;
    }
    MatterScore { score: score.clamp(0.0, 1.0), different_names, agreeing, different_sums }
}

/// FNV-1a over the term's bytes, then the splitmix64 finaliser to spread
/// the bits. Written out rather than `std::hash` because fingerprints are
/// stored: they must not change with the Rust version or the process.
fn stable_hash(term: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in term.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// 64-bit SimHash of a term list: each term votes on every bit by its
/// hash, weighted by how often it occurs; the fingerprint keeps the bits
/// with a positive total. Similar term lists give fingerprints a few bits
/// apart. Deliberately independent of [`DocFreq`], so a stored fingerprint
/// stays valid as the corpus grows. An empty list gives 0.
pub fn simhash(terms: &[String]) -> u64 {
    let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
    for t in terms {
        *counts.entry(t.as_str()).or_insert(0) += 1;
    }
    let mut votes = [0f64; 64];
    for (term, count) in counts {
        let h = stable_hash(term);
        let w = 1.0 + f64::from(count).ln();
        for (bit, v) in votes.iter_mut().enumerate() {
            if h >> bit & 1 == 1 {
                *v += w;
            } else {
                *v -= w;
            }
        }
    }
    votes.iter().enumerate().filter(|(_, v)| **v > 0.0).fold(0u64, |acc, (bit, _)| acc | 1 << bit)
}

/// Number of differing bits between two fingerprints (0–64).
pub fn hamming(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// The fingerprint as a signed 64-bit integer, same bits, for databases
/// without unsigned columns (PostgreSQL `bigint`, SQLite `INTEGER`).
pub fn to_i64(fingerprint: u64) -> i64 {
    fingerprint as i64
}

/// Inverse of [`to_i64`].
pub fn from_i64(stored: i64) -> u64 {
    stored as u64
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {

    #[test]
    fn petitions_filed_under_different_classes_or_topics_are_filed_apart_only_when_both_are_known() {
        let claim = Filed::stored("claim", false, Some("0202"));
        assert!(!filed_apart(claim, Filed::stored("claim", false, Some("0202"))));
        assert!(filed_apart(claim, Filed::stored("suggestion", false, Some("0202"))));
        assert!(filed_apart(claim, Filed::stored("claim", true, Some("0202"))), "涉法涉诉 is a class of its own");
        assert!(filed_apart(claim, Filed::stored("claim", false, Some("0201"))));
        // A topic not chosen yet, or a class not known: nothing to compare.
        assert!(!filed_apart(claim, Filed::stored("claim", false, None)));
        assert!(!filed_apart(claim, Filed { class: None, topic: Some("0202") }));
        assert!(!filed_apart(Filed::default(), claim));
    }
    use super::*;
    use crate::Segmenter;

    const WAGES: &str = "我是鑫达建筑公司在城东花园工地干活的木工，公司从2025年8月起拖欠我们十二名农民工工资共计十八万元，\
        包工头张某一直推说开发商没给工程款，我们多次讨要无果，请求政府责令鑫达建筑公司尽快支付拖欠的工资。";
    const WAGES_REWORDED: &str = "城东花园工地的鑫达建筑公司欠我们十二个工人的工钱，从去年八月到现在一分没发，加起来十八万元。\
        包工头张某说开发商不给钱他也没办法。希望有关部门帮我们把工资要回来。";
    const NOISE: &str = "我家楼下新开了一家烧烤店，每天晚上营业到凌晨两三点，噪音扰民非常严重，油烟也很大，\
        全家老小都睡不着觉，向街道和城管反映过多次，没人管，请求有关部门依法处理。";

    /// A small corpus so that IDF means something.
    fn corpus(seg: &Segmenter) -> DocFreq {
        let mut df = DocFreq::new();
        for text in [
            WAGES,
            NOISE,
            "小区物业公司服务差，电梯经常坏，物业费却年年涨，请求有关部门查处。",
            "村里征地补偿款迟迟不发，村干部说钱被镇政府扣了，请求有关部门调查。",
            "化工厂夜里偷排废水，河里的鱼都死了，请求环保部门查处。",
            "公司拖欠我三个月工资，还不给缴社保，请求劳动监察部门处理。",
            "学校乱收补课费，每个学生每学期两千元，请求教育局调查。",
            "医院误诊导致我父亲病情加重，要求医院赔偿并追究责任。",
        ] {
            df.add(&seg.terms(text));
        }
        df
    }

    #[test]
    fn a_look_alike_naming_another_firm_counts_half_and_says_which() {
        use crate::particulars::Particulars;
        let seg = Segmenter::new();
        let of = |t: &str| Particulars::of(&seg, t, &seg.terms(t));
        let other = WAGES_REWORDED.replace("鑫达建筑公司", "恒通装饰公司").replace("十八万元", "九万元");
        let none = crate::particulars::Commonness::new();
        let same = matter_score(0.3, &of(WAGES), &of(WAGES_REWORDED), &none);
        assert_eq!(same.different_names, None);
        let half = matter_score(0.3, &of(WAGES), &of(&other), &none);
        // Half for the firm, and the sums differ too (十八万 / 九万).
        assert!((half.score - 0.3 * DIFFERENT_NAMES_FACTOR * DIFFERENT_SUMS_FACTOR).abs() < 1e-9, "{half:?}");
        let (a, b) = half.different_names.unwrap();
        assert!(a.contains("鑫达") && b.contains("恒通"), "{a} {b}");
    }

    #[test]
    fn the_same_sum_counts_double_and_says_which() {
        use crate::particulars::Particulars;
        let seg = Segmenter::new();
        let of = |t: &str| Particulars::of(&seg, t, &seg.terms(t));
        let none = crate::particulars::Commonness::new();
        let same = matter_score(0.12, &of(WAGES), &of(WAGES_REWORDED), &none);
        assert_eq!(same.agreeing, vec!["180000元".to_string()]);
        assert!((same.score - 0.24).abs() < 1e-9, "{same:?}");
        let other = WAGES_REWORDED.replace("十八万元", "九万元");
        let lower = matter_score(0.12, &of(WAGES), &of(&other), &none);
        assert!(lower.agreeing.is_empty() && (lower.score - 0.12 * DIFFERENT_SUMS_FACTOR).abs() < 1e-9, "{lower:?}");
        assert_eq!(lower.different_sums, Some((180_000, 90_000)));
        // A telling that leaves the sum out is neither raised nor lowered.
        let silent = WAGES_REWORDED.replace("十八万元", "工钱");
        let plain = matter_score(0.12, &of(WAGES), &of(&silent), &none);
        assert!(plain.agreeing.is_empty() && plain.different_sums.is_none() && (plain.score - 0.12).abs() < 1e-9, "{plain:?}");
        assert!(matter_score(0.7, &of(WAGES), &of(WAGES_REWORDED), &none).score <= 1.0);
    }

    #[test]
    fn reworded_repeat_scores_far_above_an_unrelated_petition() {
        let mut seg = Segmenter::new();
        // The deployment teaches the segmenter the names its petitions use.
        seg.add_word("鑫达建筑公司", None);
        let df = corpus(&seg);
        let (a, b, c) = (seg.terms(WAGES), seg.terms(WAGES_REWORDED), seg.terms(NOISE));
        let repeat = similarity(&a, &b, &df);
        let unrelated = similarity(&a, &c, &df);
        assert!(repeat.score > 0.25, "re-worded repeat {repeat:?}");
        assert!(unrelated.score < 0.1, "unrelated {unrelated:?}");
        assert!(repeat.score > 4.0 * unrelated.score, "{} vs {}", repeat.score, unrelated.score);
        // The reason names the matter, not filler words.
        let reasons: Vec<&str> = repeat.shared.iter().map(|(t, _)| t.as_str()).collect();
        assert!(reasons.contains(&"鑫达建筑公司"), "{reasons:?}");
        assert!(reasons.contains(&"包工头"), "{reasons:?}");
        assert!(!reasons.iter().any(|r| ["请求", "我们", "有关部门"].contains(r)), "{reasons:?}");
        assert!(repeat.shared.len() <= SHARED_TERMS);
        assert!(repeat.shared.windows(2).all(|w| w[0].1 >= w[1].1), "largest first");
    }

    #[test]
    fn character_pairs_carry_a_name_the_words_cut_differently_but_never_become_the_reason() {
        let seg = Segmenter::new();
        let text = "宏达建工欠我们38.6万";
        let f = features(&seg.terms(text), text);
        assert!(f.contains(&"#宏达".to_owned()) && f.contains(&"#建工".to_owned()), "{f:?}");
        assert!(f.contains(&"#38".to_owned()) && f.contains(&"#6万".to_owned()), "{f:?}");
        assert!(!f.iter().any(|x| is_pair(x) && x.contains('.')), "a pair never spans punctuation: {f:?}");
        // A letter and a short note: the company's name is cut into other
        // words by the segmenter, the pairs still match it.
        let long = "宏达建工集团在恒通物流园仓储项目拖欠我们班组人工费三十八万六千元，项目经理一直躲着不见。";
        let short = "宏达建工的钱还是没给，恒通物流园没人管。";
        let other = "城南菜市场门口的水果摊占道经营，晚上还放高音喇叭。";
        let mut df = DocFreq::new();
        let fs: Vec<Vec<String>> = [long, short, other].iter().map(|t| features(&seg.terms(t), t)).collect();
        for f in &fs {
            df.add(f);
        }
        let repeat = similarity(&fs[0], &fs[1], &df);
        let unrelated = similarity(&fs[0], &fs[2], &df);
        assert!(repeat.score > 2.0 * unrelated.score, "{repeat:?} vs {unrelated:?}");
        assert!(repeat.shared.iter().all(|(t, _)| !is_pair(t)), "{repeat:?}");
    }

    #[test]
    fn identical_texts_score_one_and_empty_scores_zero() {
        let seg = Segmenter::new();
        let df = corpus(&seg);
        let a = seg.terms(NOISE);
        let same = similarity(&a, &a, &df);
        assert!((same.score - 1.0).abs() < 1e-9, "{same:?}");
        assert_eq!(similarity(&a, &[], &df).score, 0.0);
        assert_eq!(similarity(&[], &[], &DocFreq::new()).score, 0.0);
    }

    #[test]
    fn shared_contributions_add_up_to_the_score() {
        let seg = Segmenter::new();
        let df = corpus(&seg);
        let a = seg.terms("公司拖欠工资");
        let b = seg.terms("工资被公司拖欠了");
        let s = similarity(&a, &b, &df);
        let sum: f64 = s.shared.iter().map(|(_, c)| c).sum();
        assert!((sum - s.score).abs() < 1e-9, "{s:?}");
        // The same words in another order; only the compound 拖欠工资, which
        // the first text has whole, is not shared.
        assert!(s.score > 0.6, "{s:?}");
        let names: Vec<&str> = s.shared.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(names, vec!["工资", "拖欠", "公司"]);
    }

    #[test]
    fn doc_freq_counts_documents_not_occurrences_and_round_trips() {
        let mut df = DocFreq::new();
        let t = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        df.add(&t(&["工资", "工资", "拖欠"]));
        df.add(&t(&["工资", "噪音"]));
        assert_eq!((df.docs(), df.df("工资"), df.df("拖欠"), df.df("无")), (2, 2, 1, 0));
        assert!(df.idf("无") > df.idf("拖欠") && df.idf("拖欠") > df.idf("工资"));
        assert!(df.idf("工资") > 0.0);
        let json = serde_json::to_string(&df).expect("serialise");
        let back: DocFreq = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, df);
        df.remove(&t(&["工资", "噪音"]));
        assert_eq!((df.docs(), df.df("工资"), df.df("噪音")), (1, 1, 0));
        assert!(!serde_json::to_string(&df).expect("serialise").contains("噪音"));
    }

    #[test]
    fn simhash_is_close_for_near_copies_and_far_for_unrelated() {
        let seg = Segmenter::new();
        let a = simhash(&seg.terms(WAGES));
        // The same letter re-typed: punctuation, one figure and a word changed.
        let near = WAGES.replace("，", " ").replace("十八万元", "十八万多元").replace("尽快", "马上");
        let b = simhash(&seg.terms(&near));
        let c = simhash(&seg.terms(NOISE));
        assert!(hamming(a, b) <= NEAR_COPY_BITS, "near copy {} bits apart", hamming(a, b));
        assert!(hamming(a, c) > NEAR_COPY_BITS + 8, "unrelated only {} bits apart", hamming(a, c));
        assert_eq!(simhash(&seg.terms(WAGES)), a, "deterministic");
        assert_eq!(simhash(&[]), 0);
    }

    #[test]
    fn fingerprints_are_stable_and_store_as_i64() {
        // Pinned: a change here would silently invalidate stored fingerprints.
        assert_eq!(stable_hash("欠薪"), 0xf702_3778_889b_8bd3);
        let h = simhash(&["欠薪".to_owned()]);
        assert_eq!(h, stable_hash("欠薪"), "one term: its own hash");
        for v in [0u64, 1, h, u64::MAX, 1 << 63] {
            assert_eq!(from_i64(to_i64(v)), v);
        }
        assert!(to_i64(u64::MAX) < 0);
    }
}
