//! Chinese word segmentation for petitions: the one place that turns text
//! into words, so that search, repeat detection and triage all see the same
//! words.
//!
//! Chinese has no spaces, so a database's own full-text index cannot find
//! 欠薪 inside 公司欠薪三个月 by itself. We cut the text with jieba (its
//! general dictionary is embedded in the jieba-rs crate, nothing is fetched)
//! plus a petition-work dictionary shipped in this crate, and hand the
//! database space-separated tokens ([`Segmenter::index_text`]) that any
//! whitespace tokenizer (SQLite FTS5 `unicode61`, PostgreSQL `simple`)
//! indexes as they are. Queries are cut the same way
//! ([`Segmenter::query_terms`]), so a word is found whether the clerk types
//! it alone or the petitioner wrote it inside a longer phrase.
//!
//! Text is normalised before cutting — full-width ASCII to half-width,
//! ASCII to lower case — one character for one character, so character
//! positions in the normalised text are positions in the original and
//! [`snippet`] can cut the original text.

use std::collections::HashSet;

use jieba_rs::{Jieba, Token};
use serde::{Deserialize, Serialize};

/// Petition-work vocabulary, `word frequency` per line.
const DOMAIN_DICT: &str = include_str!("../data/petition_terms.txt");
/// Function words that never become terms.
const STOP_WORDS: &str = include_str!("../data/stopwords.txt");

/// Non-comment, non-blank lines of a shipped word list.
fn entries(list: &str) -> impl Iterator<Item = &str> {
    list.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// One character normalised: full-width ASCII (U+FF01–U+FF5E) to its
/// half-width form, the ideographic space to a space, ASCII upper case to
/// lower case. Everything else, Chinese included, is kept, so the mapping
/// is one character to one character.
pub fn normalize_char(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    };
    c.to_ascii_lowercase()
}

/// [`normalize_char`] over a whole text: `ＡＢＣ公司１２３` → `abc公司123`.
pub fn normalize(text: &str) -> String {
    text.chars().map(normalize_char).collect()
}

/// The segmenter: jieba with the petition dictionary and the stop words.
///
/// Building one loads and decompresses jieba's dictionary of about 350,000
/// words — roughly 0.2 s and some tens of MB — so build it once at start-up
/// and pass it (it is `Send + Sync`) to whatever needs words; never build
/// one per request. It holds no other state: every method takes `&self`
/// except [`Segmenter::add_word`].
pub struct Segmenter {
    jieba: Jieba,
    stop: HashSet<String>,
    /// Synonym members the dictionaries did not hold, as the words they
    /// were cut into before the segmenter learnt them (欠工资 → 欠, 工资),
    /// with their group's token: a petition holding all those words is
    /// indexed under the group too, so it is found as a search for the
    /// member found it before groups were tokens (docs/search.md).
    member_parts: Vec<(Vec<String>, &'static str)>,
}

impl Default for Segmenter {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Segmenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segmenter").field("stop_words", &self.stop.len()).finish_non_exhaustive()
    }
}

impl Segmenter {
    /// jieba's general dictionary plus the shipped petition-work terms.
    pub fn new() -> Self {
        let mut seg = Segmenter { jieba: Jieba::new(), stop: entries(STOP_WORDS).map(normalize).collect(), member_parts: Vec::new() };
        for line in entries(DOMAIN_DICT) {
            let mut parts = line.split_whitespace();
            if let Some(word) = parts.next() {
                let freq = parts.next().and_then(|f| f.parse().ok());
                seg.add_word(word, freq);
            }
        }
        // The search synonyms' words, so that a petition saying 欠工资
        // holds the word its group is indexed under (`synonyms`); words
        // the dictionaries hold already keep their frequency.
        for (word, token) in crate::synonyms::members() {
            if seg.jieba.has_word(word) {
                continue;
            }
            let parts = seg.query_terms(word);
            if parts.len() > 1 {
                seg.member_parts.push((parts, token));
            }
            seg.add_word(word, None);
        }
        seg
    }

    /// Teach the segmenter a word at run time — a unit's name, a township,
    /// a company that many petitions name — so that it is kept whole and
    /// searchable. `freq` on jieba's scale; `None` lets jieba pick the
    /// lowest frequency that keeps the word whole. Returns false, changing
    /// nothing, for an empty word or one containing whitespace (jieba never
    /// sees whitespace inside a word, so such an entry could not match).
    pub fn add_word(&mut self, word: &str, freq: Option<usize>) -> bool {
        let word = normalize(word.trim());
        if word.is_empty() || word.chars().any(char::is_whitespace) {
            return false;
        }
        self.jieba.add_word(&word, freq, None);
        true
    }

    /// Whether `word` (normalised) may be a person's or a place's name: the
    /// dictionary does not hold it (jieba cut it whole by its character
    /// model), or holds it as a person's name (tag `nr`: jieba's general
    /// dictionary lists many common names, 周秀兰 among them).
    pub fn may_be_name(&self, word: &str) -> bool {
        let word = normalize(word);
        if !self.jieba.has_word(&word) {
            return true;
        }
        matches!(&self.jieba.tag(&word, false)[..], [t] if t.word == word && t.tag == "nr")
    }

    /// Whether `word` (normalised) is dropped as a stop word.
    pub fn is_stop_word(&self, word: &str) -> bool {
        self.stop.contains(&normalize(word))
    }

    /// Whether a token carries meaning: it has a letter, digit or Chinese
    /// character, and is not a stop word. Drops punctuation and whitespace.
    fn keep(&self, word: &str) -> bool {
        word.chars().any(char::is_alphanumeric) && !self.stop.contains(word)
    }

    /// Cut normalised text; `search` adds the dictionary words inside each
    /// long word (农民工工资 → 农民, 民工, 农民工, 工资, 农民工工资).
    fn cut<'a>(&self, normalized: &'a str, search: bool) -> Vec<Token<'a>> {
        if search { self.jieba.cut_for_search(normalized, true) } else { self.jieba.cut(normalized, true) }
    }

    /// The content words of a text, in text order, repeats kept (the counts
    /// are the term frequencies of similarity and classification).
    ///
    /// Uses the search-mode cut, so a compound also yields its parts: a
    /// petition about 拖欠农民工工资 and a re-worded one about 工资被拖欠
    /// share 工资 and 拖欠, which is what makes repeat detection and triage
    /// robust to re-wording.
    pub fn terms(&self, text: &str) -> Vec<String> {
        let normalized = normalize(text);
        self.cut(&normalized, true).into_iter().map(|t| t.word.trim()).filter(|w| self.keep(w)).map(str::to_owned).collect()
    }

    /// Space-separated tokens for a database full-text index, each once
    /// ([`Segmenter::index_words`]): 农民工工资 is found by 工资, by 农民工
    /// and by 农民工工资; digits and Latin words are kept (lower-cased),
    /// punctuation and stop words dropped.
    pub fn index_text(&self, text: &str) -> String {
        self.index_words(text).join(" ")
    }

    /// The words a petition is indexed under, each once: the search-mode
    /// cut of [`Segmenter::terms`] and the index token of every synonym
    /// group one of them belongs to (`synonyms::group_token`), so that
    /// 拖欠工资 is found by 工资, by 拖欠 and, with 欠薪, by the token of
    /// their group.
    pub fn index_words(&self, text: &str) -> Vec<String> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for w in self.terms(text) {
            let group = crate::synonyms::group_token(&w);
            if seen.insert(w.clone()) {
                out.push(w);
            }
            if let Some(t) = group.filter(|t| seen.insert((*t).to_string())) {
                out.push(t.to_string());
            }
        }
        // 老板欠我们工资: 欠 and 工资, the parts of 欠工资.
        let parts_found: Vec<&str> = self
            .member_parts
            .iter()
            .filter(|(parts, token)| !seen.contains(*token) && parts.iter().all(|p| seen.contains(p)))
            .map(|(_, token)| *token)
            .collect();
        for t in parts_found {
            if seen.insert(t.to_string()) {
                out.push(t.to_string());
            }
        }
        // 上沙村 also as 上沙 and 沙村: a clerk who types part of a long
        // name finds it (`pieces_query`).
        let long: Vec<String> = out.iter().filter(|w| is_long_han(w)).cloned().collect();
        for w in long {
            for b in bigrams(&w) {
                if seen.insert(b.clone()) {
                    out.push(b);
                }
            }
        }
        out
    }

    /// The words of a search query, each once, in the order typed.
    ///
    /// Uses the default (not the search-mode) cut: the index already holds
    /// every part of a compound, so the query needs only the words the user
    /// meant; adding parts would only widen an AND query's meaning.
    pub fn query_terms(&self, q: &str) -> Vec<String> {
        let normalized = normalize(q);
        let mut seen = HashSet::new();
        self.cut(&normalized, false)
            .into_iter()
            .map(|t| t.word.trim())
            .filter(|w| self.keep(w) && seen.insert(*w))
            .map(str::to_owned)
            .collect()
    }

    /// The query as two-character pieces, for a part of a longer word: the
    /// index holds every long Chinese word also as its two-character pieces
    /// ([`Segmenter::index_words`]), so 沙村 finds 上沙村. Characters the
    /// cut left single and side by side (沙 / 村) become their pieces
    /// (沙村), and a long word the dictionaries do not hold (a place, a
    /// name: 上沙村委) its pieces (上沙, 沙村, 村委); the other words stay.
    /// With `every_long_word`, a long word the dictionaries do hold is cut
    /// into its pieces too (人力资源 inside 福田区人力资源和社会保障局, which
    /// the index holds as 人力, 力资, 资源 …, not as 人力资源): a wider
    /// query, for when the words as typed found nothing. None when that
    /// changes nothing.
    pub fn pieces_query(&self, q: &str, every_long_word: bool) -> Option<Vec<String>> {
        let normalized = normalize(q);
        let words: Vec<&str> = self.cut(&normalized, false).into_iter().map(|t| t.word.trim()).collect();
        let mut out: Vec<String> = Vec::new();
        let mut changed = false;
        let push = |w: String, out: &mut Vec<String>| {
            if !out.contains(&w) {
                out.push(w);
            }
        };
        let mut i = 0;
        while i < words.len() {
            let single = |w: &str| w.chars().count() == 1 && w.chars().all(crate::names::is_han) && self.keep(w);
            let run = words[i..].iter().take_while(|w| single(w)).count();
            if run >= 2 {
                let joined: String = words[i..i + run].concat();
                bigrams(&joined).for_each(|b| push(b, &mut out));
                changed = true;
                i += run;
                continue;
            }
            let w = words[i];
            if is_long_han(w) && (every_long_word || !self.jieba.has_word(w)) {
                bigrams(w).for_each(|b| push(b, &mut out));
                changed = true;
            } else if self.keep(w) {
                push(w.to_owned(), &mut out);
            }
            i += 1;
        }
        (changed && !out.is_empty()).then_some(out)
    }
}

/// A word of three or more Chinese characters and nothing else.
fn is_long_han(word: &str) -> bool {
    word.chars().count() >= 3 && word.chars().all(crate::names::is_han)
}

/// Every two-character piece of `word`, in order: 上沙村 → 上沙, 沙村.
fn bigrams(word: &str) -> impl Iterator<Item = String> + '_ {
    let chars: Vec<char> = word.chars().collect();
    (0..chars.len().saturating_sub(1)).map(move |i| chars[i..i + 2].iter().collect())
}

/// A piece of a snippet: plain text, and whether it is a hit to mark. The
/// UI escapes `text` and wraps hits in its own mark-up; no HTML here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub text: String,
    pub hit: bool,
}

/// At most this many hits are considered when choosing a window, so a
/// pathological text (one word repeated for pages) costs bounded time.
const MAX_HITS: usize = 2_000;

/// Every occurrence of every term in `norm`, as `(start, end, term index)`
/// in characters, sorted.
fn find_hits(norm: &[char], needles: &[Vec<char>]) -> Vec<(usize, usize, usize)> {
    let mut hits = Vec::new();
    for (t, needle) in needles.iter().enumerate() {
        if needle.is_empty() || needle.len() > norm.len() {
            continue;
        }
        for start in 0..=norm.len() - needle.len() {
            if norm[start..start + needle.len()] == needle[..] {
                hits.push((start, start + needle.len(), t));
            }
        }
    }
    hits.sort_unstable();
    hits.truncate(MAX_HITS);
    hits
}

/// The `[start, end)` character window, at most `max` long, that holds the
/// most distinct terms and then the most hits (earliest on a tie), with the
/// hits centred in it. Without hits, the start of the text.
fn best_window(len: usize, hits: &[(usize, usize, usize)], max: usize) -> (usize, usize) {
    let mut best: Option<((usize, usize), usize, usize)> = None; // (score, first hit, last end)
    for (i, &(s, _, _)) in hits.iter().enumerate() {
        let mut terms = HashSet::new();
        let mut count = 0;
        let mut last_end = s;
        for &(s2, e2, t2) in &hits[i..] {
            if s2 >= s + max {
                break;
            }
            if e2 <= s + max {
                terms.insert(t2);
                count += 1;
                last_end = last_end.max(e2);
            }
        }
        let score = (terms.len(), count);
        if count > 0 && best.is_none_or(|(b, _, _)| score > b) {
            best = Some((score, s, last_end));
        }
    }
    match best {
        None => (0, len.min(max)),
        Some((_, first, last_end)) => {
            let free = max.saturating_sub(last_end - first);
            let start = first.saturating_sub(free / 2).min(len.saturating_sub(max));
            (start, (start + max).min(len))
        }
    }
}

/// A short excerpt of `text`, at most `max_chars` characters (plus a
/// leading and trailing `…` where the text was cut), showing where the
/// search `terms` occur: the window with the most distinct terms, then the
/// most hits. Matching ignores width and ASCII case like the index does;
/// the spans carry the original text, with line breaks and tabs shown as
/// spaces so the excerpt fits one line. Overlapping hits are merged into
/// one marked span. An empty text or `max_chars == 0` gives no spans.
pub fn snippet(text: &str, terms: &[String], max_chars: usize) -> Vec<Span> {
    if max_chars == 0 || text.is_empty() {
        return Vec::new();
    }
    let original: Vec<char> = text.chars().map(|c| if c.is_whitespace() { ' ' } else { c }).collect();
    let norm: Vec<char> = text.chars().map(normalize_char).collect();
    let mut needles: Vec<Vec<char>> = terms.iter().map(|t| normalize(t.trim()).chars().collect()).collect();
    needles.sort();
    needles.dedup();
    let hits = find_hits(&norm, &needles);
    let (start, end) = best_window(norm.len(), &hits, max_chars);

    // Which characters of the window are inside a hit lying wholly in it.
    let mut marked = vec![false; end - start];
    for &(s, e, _) in &hits {
        if s >= start && e <= end {
            marked[s - start..e - start].iter_mut().for_each(|m| *m = true);
        }
    }
    let mut spans: Vec<Span> = Vec::new();
    let mut push = |piece: &str, hit: bool| match spans.last_mut() {
        Some(last) if last.hit == hit => last.text.push_str(piece),
        _ => spans.push(Span { text: piece.to_owned(), hit }),
    };
    if start > 0 {
        push("…", false);
    }
    for (offset, c) in original[start..end].iter().enumerate() {
        push(c.encode_utf8(&mut [0; 4]), marked[offset]);
    }
    if end < norm.len() {
        push("…", false);
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(words: &[String], w: &str) -> bool {
        words.iter().any(|x| x == w)
    }

    #[test]
    fn normalises_width_and_case() {
        assert_eq!(normalize("ＡＢＣ公司１２３号，Ｘ"), "abc公司123号,x");
        assert_eq!(normalize("鑫达Co.\u{3000}Ltd"), "鑫达co. ltd");
        assert_eq!(normalize("你好").chars().count(), 2);
    }

    #[test]
    fn segmenter_is_shareable() {
        fn check<T: Send + Sync>() {}
        check::<Segmenter>();
    }

    #[test]
    fn terms_drop_stop_words_and_punctuation_and_keep_domain_words() {
        let seg = Segmenter::new();
        let t = seg.terms("我们的农民工工资被拖欠了三个月，请求领导帮忙解决！！");
        assert!(has(&t, "农民工工资"), "{t:?}");
        assert!(has(&t, "工资"), "search-mode parts kept: {t:?}");
        assert!(has(&t, "拖欠"), "{t:?}");
        for stop in ["我们", "的", "被", "了", "，", "！"] {
            assert!(!has(&t, stop), "{stop} kept in {t:?}");
        }
        let env = seg.terms("楼下烧烤店噪音扰民，晚上吵得睡不着");
        assert!(has(&env, "噪音扰民") && has(&env, "噪音"), "{env:?}");
    }

    #[test]
    fn index_text_finds_compounds_by_their_parts() {
        let seg = Segmenter::new();
        let idx = seg.index_text("某建筑公司拖欠农民工工资共计２万元（ＡＢ栋项目）");
        let tokens: Vec<&str> = idx.split(' ').collect();
        for part in ["农民工工资", "农民工", "工资", "拖欠", "ab"] {
            assert!(tokens.contains(&part), "{part} missing from {idx}");
        }
        assert!(tokens.iter().any(|t| t.contains('2')), "digits kept: {idx}");
        assert!(!idx.contains('（') && !idx.contains('(') && !idx.contains("  "), "{idx}");
        // Every query word of a user's search is among the index tokens.
        for q in ["欠薪", "工资", "农民工", "农民工工资"] {
            let idx = seg.index_text("包工头欠薪跑路，农民工工资无人支付");
            let tokens: Vec<&str> = idx.split(' ').collect();
            for w in seg.query_terms(q) {
                assert!(tokens.contains(&w.as_str()), "query {q} → {w} not in {idx}");
            }
        }
    }

    #[test]
    fn index_text_holds_each_word_once_and_the_token_of_its_synonym_group() {
        let seg = Segmenter::new();
        for (text, token) in
            [("公司拖欠工资三个月", "sy欠薪"), ("老板欠工资不给", "sy欠薪"), ("包工头欠薪跑路", "sy欠薪"), ("工地夜间噪声很大", "sy噪音")]
        {
            let idx = seg.index_text(text);
            let tokens: Vec<&str> = idx.split(' ').collect();
            assert!(tokens.contains(&token), "{token} missing from {idx}");
            let mut unique = tokens.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), tokens.len(), "{idx}");
        }
        // The words a member not in the dictionaries was cut into, anywhere
        // in the text: found as before the groups were tokens.
        for (text, token) in [("老板欠我们工资不给", "sy欠薪"), ("开发商交房一再逾期", "sy延期交房")] {
            let idx = seg.index_text(text);
            assert!(idx.split(' ').any(|w| w == token), "{token} missing from {idx}");
        }
        // A word that only shares characters with a member is not the member.
        assert!(!seg.index_text("居民工作站开会").contains("sy"), "{}", seg.index_text("居民工作站开会"));
        // A query never produces a group's token, however it is typed.
        for q in ["sy欠薪", "SY欠薪", "ｓｙ欠薪"] {
            assert!(seg.query_terms(q).iter().all(|w| w.is_ascii() || !w.starts_with("sy")), "{q}: {:?}", seg.query_terms(q));
        }
    }

    #[test]
    fn query_terms_are_unique_and_normalised() {
        let seg = Segmenter::new();
        assert_eq!(seg.query_terms("欠薪"), vec!["欠薪"]);
        assert_eq!(seg.query_terms("  噪音 噪音 的 "), vec!["噪音"]);
        assert_eq!(seg.query_terms("ＸＦ物业"), vec!["xf", "物业"]);
        assert!(seg.query_terms("，。！").is_empty());
    }

    #[test]
    fn a_part_of_a_long_word_is_found_by_its_pieces() {
        let mut seg = Segmenter::new();
        seg.add_word("上沙村", None);
        let idx = seg.index_text("上沙村旧改回迁房延期交付");
        let tokens: Vec<&str> = idx.split(' ').collect();
        for piece in ["上沙村", "上沙", "沙村", "旧改"] {
            assert!(tokens.contains(&piece), "{piece} missing from {idx}");
        }
        // However the query is cut, one way of it is all in the index.
        for q in ["沙村", "沙村旧改", "上沙村"] {
            let ways: Vec<Vec<String>> = [Some(seg.query_terms(q)), seg.pieces_query(q, false)].into_iter().flatten().collect();
            assert!(ways.iter().any(|w| w.iter().all(|t| tokens.contains(&t.as_str()))), "{q}: {ways:?} against {idx}");
        }
        // A query of known words has no pieces.
        assert_eq!(seg.pieces_query("欠薪 工地", true), None);
        // A known long word inside a longer indexed one: only the wider query finds it.
        seg.add_word("福田区人力资源和社会保障局", None);
        let idx = seg.index_text("福田区人力资源和社会保障局");
        let tokens: Vec<&str> = idx.split(' ').collect();
        assert!(!tokens.contains(&"人力资源"), "{idx}");
        assert_eq!(seg.pieces_query("人力资源", false), None);
        let wide = seg.pieces_query("人力资源", true).expect("pieces");
        assert!(wide.iter().all(|p| tokens.contains(&p.as_str())), "{wide:?} against {idx}");
        // Words of two characters and groups' tokens get no pieces.
        assert!(
            !seg.index_text("工地欠薪")
                .split(' ')
                .any(|w| w.chars().count() == 2 && !["工地", "欠薪"].contains(&w) && !w.starts_with("sy"))
        );
    }

    #[test]
    fn runtime_words_are_kept_whole() {
        let mut seg = Segmenter::new();
        let text = "鑫达宏建筑劳务公司欠薪";
        assert!(!has(&seg.terms(text), "鑫达宏"), "{:?}", seg.terms(text));
        assert!(seg.add_word("鑫达宏", Some(3000)));
        assert!(has(&seg.terms(text), "鑫达宏"), "{:?}", seg.terms(text));
        assert!(!seg.add_word("  ", None));
        assert!(!seg.add_word("两 个词", None));
    }

    #[test]
    fn snippet_picks_the_window_with_the_hits() {
        let filler = "这是一段与本案无关的背景介绍。".repeat(6);
        let text = format!("{filler}二〇二五年起某公司拖欠工资，共欠薪八个月，至今未付。{filler}");
        let terms = vec!["欠薪".to_owned(), "拖欠".to_owned()];
        let spans = snippet(&text, &terms, 30);
        let hits: Vec<&str> = spans.iter().filter(|s| s.hit).map(|s| s.text.as_str()).collect();
        assert_eq!(hits, vec!["拖欠", "欠薪"], "{spans:?}");
        let shown: String = spans.iter().map(|s| s.text.as_str()).collect();
        assert!(shown.starts_with('…') && shown.ends_with('…'), "{shown}");
        assert!(shown.chars().count() <= 32, "{shown}");
        // Consecutive spans alternate.
        assert!(spans.windows(2).all(|w| w[0].hit != w[1].hit), "{spans:?}");
    }

    #[test]
    fn snippet_keeps_original_text_and_merges_overlaps() {
        let spans = snippet("ＡＢＣ物业\n收费", &["abc".to_owned(), "c物业".to_owned()], 50);
        assert_eq!(spans, vec![Span { text: "ＡＢＣ物业".into(), hit: true }, Span { text: " 收费".into(), hit: false }]);
        let none = snippet("没有命中的一段很长的文字", &["欠薪".to_owned()], 4);
        assert_eq!(none, vec![Span { text: "没有命中…".into(), hit: false }]);
        assert!(snippet("", &["x".to_owned()], 10).is_empty());
        assert!(snippet("abc", &[], 0).is_empty());
    }
}
