//! Chapters, articles and related rules, loaded once from the data files
//! shipped with the crate (`data/articles.toml`, `data/related_rules.toml`).
//!
//! What each text *is* stays explicit: `summary` is the project's own
//! plain-language reading, `quotes` are short extracts of the official text
//! as `regulation.md` gives them (with the source id), and the official text
//! itself is never shipped in these files — a deployment imports it
//! (`official`), and the store keeps it.

use serde::Deserialize;
use std::sync::OnceLock;

/// The number of articles of the 2022 Regulations.
pub const ARTICLES: u16 = 50;

/// What the library calls itself in citations.
pub const TITLE: &str = "《信访工作条例》";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chapter {
    pub number: u16,
    pub title: String,
    pub first: u16,
    pub last: u16,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quote {
    pub text: String,
    /// The source id of `regulation.md` §0 (S1: the full text).
    pub source: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Article {
    pub number: u16,
    /// A short heading of the project's (the official text has none).
    pub heading: String,
    /// The project's plain-language summary (never the official wording).
    pub summary: String,
    /// Whether the article concerns what a petitioner can do, must do or
    /// can expect: such articles are linked from the public pages.
    pub for_petitioner: bool,
    #[serde(default, rename = "quote")]
    pub quotes: Vec<Quote>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelatedRule {
    pub key: String,
    pub title: String,
    #[serde(default)]
    pub issued: Option<String>,
    pub source: String,
    pub points: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ArticlesFile {
    chapter: Vec<Chapter>,
    article: Vec<Article>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    rule: Vec<RelatedRule>,
}

#[derive(Debug, Clone)]
pub struct Library {
    pub chapters: Vec<Chapter>,
    pub articles: Vec<Article>,
    pub related: Vec<RelatedRule>,
}

const ARTICLES_TOML: &str = include_str!("../data/articles.toml");
const RULES_TOML: &str = include_str!("../data/related_rules.toml");

/// The shipped library. The data files are checked by this crate's tests,
/// so a broken file fails the build's test run, not a request.
pub fn library() -> &'static Library {
    static LIB: OnceLock<Library> = OnceLock::new();
    LIB.get_or_init(|| match Library::parse(ARTICLES_TOML, RULES_TOML) {
        Ok(l) => l,
        Err(e) => panic!("crates/law/data is invalid: {e}"),
    })
}

impl Library {
    /// Parse and check the two files: 50 articles numbered 1..=50, chapters
    /// covering them without gap or overlap, no empty text.
    pub fn parse(articles: &str, rules: &str) -> Result<Library, String> {
        let a: ArticlesFile = toml::from_str(articles).map_err(|e| format!("articles.toml: {e}"))?;
        let r: RulesFile = toml::from_str(rules).map_err(|e| format!("related_rules.toml: {e}"))?;
        if a.article.len() != usize::from(ARTICLES) {
            return Err(format!("{} articles, expected {ARTICLES}", a.article.len()));
        }
        for (i, art) in a.article.iter().enumerate() {
            if usize::from(art.number) != i + 1 {
                return Err(format!("article {} out of order (position {})", art.number, i + 1));
            }
            if art.heading.trim().is_empty() || art.summary.trim().is_empty() {
                return Err(format!("article {}: empty heading or summary", art.number));
            }
            if art.quotes.iter().any(|q| q.text.trim().is_empty() || q.source.trim().is_empty()) {
                return Err(format!("article {}: a quote without text or source", art.number));
            }
        }
        let mut next = 1;
        for (i, c) in a.chapter.iter().enumerate() {
            if usize::from(c.number) != i + 1 || c.first != next || c.last < c.first {
                return Err(format!("chapter {} does not continue at article {next}", c.number));
            }
            next = c.last + 1;
        }
        if next != ARTICLES + 1 {
            return Err(format!("chapters end at article {}, expected {ARTICLES}", next - 1));
        }
        if r.rule.iter().any(|x| x.key.is_empty() || x.points.is_empty()) {
            return Err("a related rule without key or points".into());
        }
        Ok(Library { chapters: a.chapter, articles: a.article, related: r.rule })
    }

    pub fn article(&self, number: u16) -> Option<&Article> {
        self.articles.get(usize::from(number).checked_sub(1)?)
    }

    pub fn chapter_of(&self, article: u16) -> Option<&Chapter> {
        self.chapters.iter().find(|c| (c.first..=c.last).contains(&article))
    }

    pub fn chapter(&self, number: u16) -> Option<&Chapter> {
        self.chapters.iter().find(|c| c.number == number)
    }

    pub fn related(&self, key: &str) -> Option<&RelatedRule> {
        self.related.iter().find(|r| r.key == key)
    }

    /// Articles matching a query, best first. A number ("22", "第二十二条")
    /// finds that article; words are looked for in the heading, the
    /// summary, the quotes and (when given) the official text. Every word
    /// (split on white space) must occur somewhere.
    pub fn search<'a>(&'a self, q: &str, official: &dyn Fn(u16) -> Option<String>) -> Vec<&'a Article> {
        let q = q.trim();
        if q.is_empty() {
            return self.articles.iter().collect();
        }
        if let Some(n) = article_number(q) {
            return self.article(n).into_iter().collect();
        }
        let words: Vec<String> = q.split_whitespace().map(|w| w.to_lowercase()).collect();
        let mut hits: Vec<(u32, &Article)> = Vec::new();
        for a in &self.articles {
            let text = official(a.number).unwrap_or_default();
            let quotes: String = a.quotes.iter().map(|x| x.text.as_str()).collect::<Vec<_>>().join(" ");
            let mut score = 0;
            let mut all = true;
            for w in &words {
                let s = 4 * u32::from(a.heading.contains(w.as_str()))
                    + 2 * u32::from(a.summary.contains(w.as_str()))
                    + 2 * u32::from(quotes.contains(w.as_str()))
                    + u32::from(text.contains(w.as_str()));
                all &= s > 0;
                score += s;
            }
            if all {
                hits.push((score, a));
            }
        }
        hits.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.number.cmp(&y.1.number)));
        hits.into_iter().map(|(_, a)| a).collect()
    }
}

/// "22", "第22条", "第二十二条", "二十二" → 22 (within 1..=50).
pub fn article_number(q: &str) -> Option<u16> {
    let s = q.trim().trim_start_matches('第').trim_end_matches('条').trim();
    let n = s.parse::<u16>().ok().or_else(|| crate::numerals::parse_cn_number(s))?;
    (1..=ARTICLES).contains(&n).then_some(n)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_library_has_every_article_and_chapter() {
        let lib = library();
        assert_eq!(lib.articles.len(), 50);
        assert_eq!(lib.chapters.len(), 6);
        assert_eq!(lib.chapter_of(22).map(|c| c.number), Some(3));
        assert_eq!(lib.chapter_of(50).map(|c| c.number), Some(6));
        for key in ["discipline", "simplified"] {
            assert!(lib.related(key).is_some(), "{key}");
        }
        // Summaries are ours: none repeats a quoted extract whole.
        for a in &lib.articles {
            for q in &a.quotes {
                assert!(!a.summary.contains(q.text.as_str()), "article {} copies its quote", a.number);
            }
        }
    }

    #[test]
    fn search_finds_by_number_and_by_words() {
        let lib = library();
        let none = |_| None;
        assert_eq!(lib.search("第三十六条", &none)[0].number, 36);
        assert_eq!(lib.search("36", &none)[0].number, 36);
        assert_eq!(article_number("51"), None);
        assert!(lib.search("复核", &none).iter().any(|a| a.number == 36));
        let with_text = |n: u16| (n == 48).then(|| "对外国人、无国籍人、外国组织信访事项的处理，参照本条例执行。".to_string());
        assert_eq!(lib.search("无国籍人", &with_text).first().map(|a| a.number), Some(48));
        assert!(lib.search("没有这个词的查询xyz", &none).is_empty());
    }

    #[test]
    fn a_broken_file_is_refused_with_a_reason() {
        let rules = "[[rule]]\nkey = \"x\"\ntitle = \"t\"\nsource = \"S1\"\npoints = [\"p\"]\n";
        let one = "[[chapter]]\nnumber = 1\ntitle = \"总则\"\nfirst = 1\nlast = 1\n[[article]]\nnumber = 1\nheading = \"h\"\nsummary = \"s\"\nfor_petitioner = false\n";
        let e = Library::parse(one, rules).unwrap_err();
        assert!(e.contains("1 articles"), "{e}");
    }
}
