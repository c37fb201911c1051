//! The 《信访工作条例》 as data (issue 15).
//!
//! * `library`: chapters and the 50 articles, each with a heading and a
//!   plain-language summary written by the project and the key wording
//!   `regulation.md` quotes (labelled as a quotation with its source), and
//!   the related national rules the system applies.
//! * `official`: the documented plain-text format an admin imports the
//!   official text from, and its validation (50 articles, continuous).
//! * `questions`: the question bank (学法考法) and its marking rule.
//! * `practice`: which questions a daily self-test asks (spaced repetition).
//! * `paper`: an exam's question mix and each person's randomised paper.
//! * `participation`: 参学率, 参考率, 通过率 from raw attempts.
//! * `guide`: the citizens' guidance pages and the "which way" guide.
//!
//! Nothing here touches a database or the network.

pub mod guide;
pub mod library;
pub mod numerals;
pub mod official;
pub mod paper;
pub mod participation;
pub mod practice;
pub mod questions;

pub use library::{Article, Chapter, Library, Quote, RelatedRule, library};
pub use numerals::{article_label, cn_number};
