//! The question bank (学法考法) and the marking rule.
//!
//! Four kinds: single choice, multiple choice, true / false (判断) and fill
//! in the blank. Every question cites the articles it tests and carries an
//! explanation shown after answering.
//!
//! **Marking** (in half points, so that sums stay exact): a question is
//! worth 2 halves (1 point).
//! * single, judge: 2 if the answer is the key, else 0;
//! * multiple: 2 if exactly the key's options are chosen; 1 (half) if only
//!   correct options are chosen but some are missing (少选得半分); 0 if any
//!   wrong option is chosen (错选不得分) or nothing is;
//! * blank: each blank is worth the same share of 2; a blank is right when
//!   the typed text, with white space removed and full-width letters and
//!   digits folded, equals one of the accepted answers; the total is
//!   rounded down to whole halves (two blanks, one right: 1).

use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Single,
    Multiple,
    Judge,
    Blank,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Single, Kind::Multiple, Kind::Judge, Kind::Blank];

    pub fn label(self) -> &'static str {
        match self {
            Kind::Single => "单选题",
            Kind::Multiple => "多选题",
            Kind::Judge => "判断题",
            Kind::Blank => "填空题",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Kind::Single => "single",
            Kind::Multiple => "multiple",
            Kind::Judge => "judge",
            Kind::Blank => "blank",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == s)
    }
}

/// The marker of a blank in a stem.
pub const BLANK: &str = "____";
/// The two answers of a judge question.
pub const TRUE: &str = "对";
pub const FALSE: &str = "错";
/// Full marks of one question, in halves.
pub const FULL: u32 = 2;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub id: String,
    pub kind: Kind,
    pub articles: Vec<u16>,
    pub stem: String,
    #[serde(default)]
    pub options: Vec<String>,
    /// single / multiple: option letters; judge: 对 or 错.
    #[serde(default)]
    pub answer: Vec<String>,
    /// blank: per blank, every accepted answer.
    #[serde(default)]
    pub blanks: Vec<Vec<String>>,
    pub explanation: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BankFile {
    question: Vec<Question>,
}

const QUESTIONS_TOML: &str = include_str!("../data/questions.toml");

/// The shipped bank (checked by this crate's tests).
pub fn bank() -> &'static [Question] {
    static BANK: OnceLock<Vec<Question>> = OnceLock::new();
    BANK.get_or_init(|| match parse_bank(QUESTIONS_TOML) {
        Ok(b) => b,
        Err(e) => panic!("crates/law/data/questions.toml is invalid: {e}"),
    })
}

pub fn question(id: &str) -> Option<&'static Question> {
    bank().iter().find(|q| q.id == id)
}

/// "A", "B", … for option `i`.
pub fn letter(i: usize) -> String {
    char::from(b'A' + (i as u8)).to_string()
}

/// Parse and check a bank: unique ids, articles that exist, keys that fit
/// the kind (see `Question::check`).
pub fn parse_bank(text: &str) -> Result<Vec<Question>, String> {
    let f: BankFile = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut seen = std::collections::HashSet::new();
    for q in &f.question {
        if !seen.insert(q.id.as_str()) {
            return Err(format!("{}: duplicate id", q.id));
        }
        q.check().map_err(|e| format!("{}: {e}", q.id))?;
    }
    Ok(f.question)
}

impl Question {
    /// Whether the question can be asked and marked: it cites existing
    /// articles, its key is not empty and fits its kind.
    pub fn check(&self) -> Result<(), String> {
        let lib = crate::library();
        if self.articles.is_empty() {
            return Err("cites no article".into());
        }
        if let Some(a) = self.articles.iter().find(|a| lib.article(**a).is_none()) {
            return Err(format!("cites article {a}, which does not exist"));
        }
        if self.stem.trim().is_empty() || self.explanation.trim().is_empty() {
            return Err("empty stem or explanation".into());
        }
        let letters: Vec<String> = (0..self.options.len()).map(letter).collect();
        match self.kind {
            Kind::Single | Kind::Multiple => {
                if !(2..=6).contains(&self.options.len()) {
                    return Err("a choice question needs 2 to 6 options".into());
                }
                if self.answer.is_empty() || self.answer.iter().any(|a| !letters.contains(a)) {
                    return Err("the key is empty or names an option that does not exist".into());
                }
                let mut sorted = self.answer.clone();
                sorted.sort();
                sorted.dedup();
                if sorted != self.answer {
                    return Err("the key is not sorted or repeats an option".into());
                }
                if self.kind == Kind::Single && self.answer.len() != 1 {
                    return Err("a single-choice key has one option".into());
                }
                if self.kind == Kind::Multiple && !(2..self.options.len()).contains(&self.answer.len()) {
                    return Err("a multiple-choice key has at least two options and leaves at least one out".into());
                }
            }
            Kind::Judge => {
                if self.answer.len() != 1 || !(self.answer[0] == TRUE || self.answer[0] == FALSE) {
                    return Err("a judge key is 对 or 错".into());
                }
            }
            Kind::Blank => {
                let markers = self.stem.matches(BLANK).count();
                if markers == 0 || markers != self.blanks.len() {
                    return Err(format!("{markers} blanks in the stem, {} keys", self.blanks.len()));
                }
                if self.blanks.iter().any(|b| b.is_empty() || b.iter().any(|x| normalise(x).is_empty())) {
                    return Err("a blank without an accepted answer".into());
                }
            }
        }
        Ok(())
    }

    /// Halves earned by `given` (see the module's marking rule). `given`:
    /// option letters for choice questions (any order), 对/错 for judge,
    /// one text per blank.
    pub fn mark(&self, given: &[String]) -> u32 {
        // Letters as typed by hand: "a", "Ａ", " B " are A, A, B.
        let folded = || {
            let mut g: Vec<String> = given.iter().map(|s| normalise(s).to_uppercase()).filter(|s| !s.is_empty()).collect();
            g.sort_unstable();
            g.dedup();
            g
        };
        match self.kind {
            Kind::Single | Kind::Judge => {
                let g = folded();
                if g.len() == 1 && self.answer.iter().any(|a| *a == g[0]) { FULL } else { 0 }
            }
            Kind::Multiple => {
                let g = folded();
                if g.is_empty() || g.iter().any(|x| !self.answer.iter().any(|a| a == x)) {
                    0
                } else if g.len() == self.answer.len() {
                    FULL
                } else {
                    FULL / 2
                }
            }
            Kind::Blank => {
                let n = self.blanks.len() as u32;
                let right = self
                    .blanks
                    .iter()
                    .enumerate()
                    .filter(|(i, accepted)| given.get(*i).is_some_and(|g| accepted.iter().any(|a| normalise(a) == normalise(g))))
                    .count() as u32;
                (right * FULL).checked_div(n).unwrap_or(0)
            }
        }
    }

    /// The key as shown after answering (B；A、C；对；15日 / 五).
    pub fn key_text(&self) -> String {
        match self.kind {
            Kind::Blank => self.blanks.iter().map(|b| b.join(" / ")).collect::<Vec<_>>().join("；"),
            _ => self.answer.join("、"),
        }
    }

    /// The chapters it belongs to (by its first article).
    pub fn chapter(&self) -> u16 {
        self.articles.first().and_then(|a| crate::library().chapter_of(*a)).map_or(0, |c| c.number)
    }
}

/// Typed text as compared: white space removed, full-width ASCII folded.
pub fn normalise(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn every_question_in_the_bank_cites_an_existing_article_and_has_a_key() {
        let bank = bank();
        assert!(bank.len() >= 150, "{} questions", bank.len());
        for q in bank {
            q.check().unwrap_or_else(|e| panic!("{}: {e}", q.id));
            assert!(!q.articles.is_empty(), "{}", q.id);
            assert!(!q.answer.is_empty() || !q.blanks.is_empty(), "{}", q.id);
        }
        // Every chapter and every kind is asked.
        for c in &crate::library().chapters {
            assert!(bank.iter().any(|q| q.chapter() == c.number), "chapter {}", c.number);
        }
        for k in Kind::ALL {
            assert!(bank.iter().filter(|q| q.kind == k).count() >= 10, "{k:?}");
        }
    }

    #[test]
    fn a_question_citing_a_missing_article_or_with_an_empty_key_fails_the_check() {
        let bad_article =
            "[[question]]\nid = \"x\"\nkind = \"judge\"\narticles = [51]\nstem = \"s\"\nanswer = [\"对\"]\nexplanation = \"e\"\n";
        assert!(parse_bank(bad_article).unwrap_err().contains("article 51"));
        let empty_key = "[[question]]\nid = \"x\"\nkind = \"single\"\narticles = [22]\nstem = \"s\"\noptions = [\"a\", \"b\"]\nanswer = []\nexplanation = \"e\"\n";
        assert!(parse_bank(empty_key).unwrap_err().contains("key is empty"));
        let no_blank =
            "[[question]]\nid = \"x\"\nkind = \"blank\"\narticles = [22]\nstem = \"____日\"\nblanks = [[]]\nexplanation = \"e\"\n";
        assert!(parse_bank(no_blank).is_err());
    }

    /// A hand-marked paper: one question of each kind, every way of
    /// answering, against the halves a person marking by the rule gives.
    #[test]
    fn marking_matches_a_hand_marked_paper() {
        let single = Question {
            id: "s".into(),
            kind: Kind::Single,
            articles: vec![22],
            stem: "?".into(),
            options: s(&["5日", "7日", "15日", "30日"]),
            answer: s(&["C"]),
            blanks: vec![],
            explanation: "e".into(),
        };
        let multiple = Question { kind: Kind::Multiple, answer: s(&["A", "C", "D"]), ..single.clone() };
        let judge = Question { kind: Kind::Judge, options: vec![], answer: s(&["错"]), ..single.clone() };
        let blank = Question {
            kind: Kind::Blank,
            options: vec![],
            answer: vec![],
            stem: "受理之日起____日内办结，延长不超过____日".into(),
            blanks: vec![s(&["60", "六十"]), s(&["30", "三十"])],
            ..single.clone()
        };
        let paper: Vec<(&Question, Vec<String>, u32)> = vec![
            (&single, s(&["C"]), 2),
            (&single, s(&["B"]), 0),
            (&single, s(&["C", "D"]), 0),
            (&single, s(&[]), 0),
            (&single, s(&[" c "]), 2),
            (&single, s(&["C", "C"]), 2),
            (&multiple, s(&["D", "A", "C"]), 2),
            (&multiple, s(&["A", "C"]), 1),
            (&multiple, s(&["a", "Ｃ", "c"]), 1),
            (&multiple, s(&["A"]), 1),
            (&multiple, s(&["A", "B", "C"]), 0),
            (&multiple, s(&["A", "B", "C", "D"]), 0),
            (&multiple, s(&[]), 0),
            (&judge, s(&["错"]), 2),
            (&judge, s(&["对"]), 0),
            (&blank, s(&["60", "30"]), 2),
            (&blank, s(&[" ６０ ", "三十"]), 2),
            (&blank, s(&["60", "15"]), 1),
            (&blank, s(&["60"]), 1),
            (&blank, s(&["90", "15"]), 0),
        ];
        for (q, given, halves) in paper {
            assert_eq!(q.mark(&given), halves, "{:?} {given:?}", q.kind);
        }
    }
}
