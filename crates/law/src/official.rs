//! The official text, imported by an admin or a deployment's setup from a
//! plain-text file (documented in docs/learning.md):
//!
//! ```text
//! # comment lines start with '#'; blank lines are ignored
//! 第一章 总则
//! 第一条 为了……制定本条例。
//! 第五条 信访工作应当遵循下列原则：
//! （一）坚持党的全面领导。……
//! ```
//!
//! A line `第X章 标题` starts a chapter, a line `第X条 ` (numeral, then one
//! space) starts an article with its first paragraph, and every other line
//! is a further paragraph of the current article. The file is taken whole or
//! not at all: 50 articles numbered 1..=50 without gap or repeat, chapters
//! (if given) numbered from 1 and matching the library's division.

use crate::library::{ARTICLES, Library};
use crate::numerals::parse_cn_number;

/// One imported article: its paragraphs as the gazette has them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficialArticle {
    pub number: u16,
    pub paragraphs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficialText {
    pub articles: Vec<OfficialArticle>,
    /// (number, title) of the chapters the file names.
    pub chapters: Vec<(u16, String)>,
}

/// Why a file was refused, with the line (1-based; 0: the file as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProblem {
    pub line: usize,
    pub problem: String,
}

impl std::fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 { write!(f, "{}", self.problem) } else { write!(f, "第{}行：{}", self.line, self.problem) }
    }
}

/// The largest file accepted (the 2022 text is about 30 KB in UTF-8).
pub const MAX_BYTES: usize = 512 * 1024;

fn problem(line: usize, p: impl Into<String>) -> ImportProblem {
    ImportProblem { line, problem: p.into() }
}

/// `第X章 …` / `第X条 …` → (number, rest) when the line has that shape.
fn heading(line: &str, unit: char) -> Option<(Option<u16>, &str)> {
    let rest = line.strip_prefix('第')?;
    let end = rest.find(unit)?;
    let numeral = &rest[..end];
    // A heading's numeral is short and made of numeral characters only.
    if numeral.is_empty() || numeral.chars().count() > 4 || !numeral.chars().all(|c| "零一二三四五六七八九十百".contains(c)) {
        return None;
    }
    let after = &rest[end + unit.len_utf8()..];
    Some((parse_cn_number(numeral), after))
}

pub fn parse(text: &str, lib: &Library) -> Result<OfficialText, ImportProblem> {
    if text.len() > MAX_BYTES {
        return Err(problem(0, format!("文件超过{}KB", MAX_BYTES / 1024)));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut articles: Vec<OfficialArticle> = Vec::new();
    let mut chapters: Vec<(u16, String)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((n, rest)) = heading(line, '章') {
            let n = n.ok_or_else(|| problem(line_no, "章的序号写法不正确"))?;
            let title = rest.trim();
            if title.is_empty() {
                return Err(problem(line_no, "章缺少标题"));
            }
            if usize::from(n) != chapters.len() + 1 {
                return Err(problem(line_no, format!("章的序号应为第{}章", crate::cn_number(chapters.len() as u16 + 1))));
            }
            chapters.push((n, title.to_string()));
            continue;
        }
        if let Some((n, rest)) = heading(line, '条')
            && (rest.starts_with(' ') || rest.starts_with('\u{3000}'))
        {
            let n = n.ok_or_else(|| problem(line_no, "条的序号写法不正确"))?;
            let expected = articles.len() as u16 + 1;
            if n != expected {
                return Err(problem(line_no, format!("条文序号不连续：此处应为{}", crate::article_label(expected))));
            }
            if n > ARTICLES {
                return Err(problem(line_no, format!("条例只有{ARTICLES}条")));
            }
            let first = rest.trim();
            if first.is_empty() {
                return Err(problem(line_no, format!("{}没有条文内容", crate::article_label(n))));
            }
            if let Some(chapter) = lib.chapter_of(n)
                && !chapters.is_empty()
                && chapters.last().map(|c| c.0) != Some(chapter.number)
            {
                return Err(problem(line_no, format!("{}应属第{}章", crate::article_label(n), crate::cn_number(chapter.number))));
            }
            articles.push(OfficialArticle { number: n, paragraphs: vec![first.to_string()] });
            continue;
        }
        match articles.last_mut() {
            Some(a) => a.paragraphs.push(line.to_string()),
            None => return Err(problem(line_no, "第一条之前出现了正文（每条须以“第X条 ”开头）")),
        }
    }
    if articles.len() != usize::from(ARTICLES) {
        return Err(problem(0, format!("共{}条，应为{ARTICLES}条", articles.len())));
    }
    if !chapters.is_empty() && chapters.len() != lib.chapters.len() {
        return Err(problem(0, format!("共{}章，应为{}章", chapters.len(), lib.chapters.len())));
    }
    Ok(OfficialText { articles, chapters })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{article_label, library};

    /// A file in the format with `n` articles and the library's chapters.
    fn file(n: u16) -> String {
        let lib = library();
        let mut s = String::from("# test\n\n");
        for a in 1..=n {
            if let Some(c) = lib.chapters.iter().find(|c| c.first == a) {
                s.push_str(&format!("第{}章 {}\n", crate::cn_number(c.number), c.title));
            }
            s.push_str(&format!("{} 第{a}条的第一款。\n（一）第{a}条的一项。\n\n", article_label(a)));
        }
        s
    }

    #[test]
    fn a_whole_file_is_taken_with_its_paragraphs() {
        let t = parse(&file(50), library()).unwrap();
        assert_eq!(t.articles.len(), 50);
        assert_eq!(t.chapters.len(), 6);
        assert_eq!(t.articles[21].number, 22);
        assert_eq!(t.articles[21].paragraphs, vec!["第22条的第一款。", "（一）第22条的一项。"]);
    }

    #[test]
    fn gaps_repeats_missing_articles_and_misplaced_chapters_are_refused() {
        let lib = library();
        let e = parse(&file(49), lib).unwrap_err();
        assert!(e.problem.contains("共49条"), "{e}");
        let gap = file(50).replace("第十二条 第12条的第一款。", "第十三条 重复。");
        let e = parse(&gap, lib).unwrap_err();
        assert!(e.problem.contains("应为第十二条"), "{e}");
        assert!(e.line > 0);
        let stray = format!("序言\n{}", file(50));
        assert!(parse(&stray, lib).unwrap_err().problem.contains("第一条之前"));
        let moved = file(50).replace("第三章 ", "第三章 提前\n第四章 ");
        assert!(parse(&moved, lib).is_err());
        // Without chapter headings the articles alone are enough.
        let bare: String = file(50).lines().filter(|l| !l.contains('章')).map(|l| format!("{l}\n")).collect();
        assert_eq!(parse(&bare, lib).unwrap().chapters.len(), 0);
        // A paragraph that merely mentions an article is not a heading.
        let mention = file(50).replace("（一）第5条的一项。", "第三十一条第六项规定的事项。");
        assert_eq!(parse(&mention, lib).unwrap().articles[4].paragraphs[1], "第三十一条第六项规定的事项。");
    }

    #[test]
    fn the_shipped_official_text_parses_whole() {
        let text = include_str!("../../../data/regulation/xinfang-gongzuo-tiaoli-2022.txt");
        let t = parse(text, library()).unwrap();
        assert_eq!(t.articles.len(), 50);
        assert_eq!(
            t.chapters.iter().map(|c| c.1.as_str()).collect::<Vec<_>>(),
            library().chapters.iter().map(|c| c.title.as_str()).collect::<Vec<_>>()
        );
        assert!(t.articles[35].paragraphs.iter().any(|p| p.contains("不再受理")));
    }
}
