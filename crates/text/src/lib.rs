//! Text analysis for petitions (issue 13), pure and IO-free: the store,
//! the web layer and the workbench call these functions and keep the
//! results; nothing here touches a database, the network, the clock or a
//! global.
//!
//! * [`segment`] — Chinese words: terms for analysis, tokens for the
//!   database's full-text index, query words, highlighted snippets.
//! * [`similar`] — repeat detection: SimHash fingerprints to pre-filter
//!   near-copies, TF-IDF cosine over words and character pairs with the
//!   shared words as the reason.
//! * [`classify`] — naive Bayes triage learnt from confirmed routings,
//!   with the words that drove each suggestion.
//! * [`rules`] — the admin-editable keyword table triage starts from;
//!   [`compare`] decides when the model has earned the right to replace it;
//!   [`departments`] knows which names mean the same body; [`seed`] fills
//!   the places the rules leave empty from the project's labelled sets.
//! * [`risk`] — risk signals (self-harm, violence, threats, road blocking,
//!   gathering, going to Beijing) from a lexicon, with the words that
//!   raised them.
//! * [`rank`] — ordering search results: rare words, title over body,
//!   the whole phrase over scattered words.
//! * [`synonyms`] — search words that mean the same (欠薪, 拖欠工资).
//! * [`spike`] — hot spots: a Poisson test of this week's count in a
//!   topic × area cell against the cell's own history.
//!
//! Everything that needs words takes them from one [`Segmenter`], built
//! once at start-up (about 0.2 s) and shared.

pub mod amounts;
pub mod classify;
pub mod compare;
pub mod departments;
pub mod names;
pub mod particulars;
pub mod rank;
pub mod risk;
pub mod rules;
pub mod seed;
pub mod segment;
pub mod similar;
pub mod spike;
pub mod synonyms;
pub mod urgent;

#[cfg(test)]
mod fixtures;

pub use classify::{Model, Prediction};
pub use compare::{Comparison, better_than_rules};
pub use risk::{RiskKind, RiskLevel, Signal};
pub use rules::{Rule, RuleField, RuleTable};
pub use segment::{Segmenter, Span, snippet};
pub use similar::{DocFreq, Similarity, TermVector};
pub use spike::Spike;
