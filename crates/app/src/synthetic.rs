//! Synthetic but plausible petitions: a seeded generator that gives the
//! same sequence on every machine, and petition text and petitioners by
//! topic. The province benchmark (`xinfang-bench`) builds its million
//! petitions from it, and the demo's history its few thousand, so that
//! search, triage, the repeats and the hot spots have words to work on.

pub mod rng;
pub mod text;
