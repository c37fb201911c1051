//! "Same facts and reasons" (Art. 19 para 3, Art. 36).
//!
//! The Regulations give no matching rule (regulation.md §2.5 item 7). We
//! compare the petitioner's request plus facts and reasons by character
//! bigrams (Dice coefficient) after dropping punctuation and whitespace:
//! robust to re-typing, reordering of sentences and small edits, cheap, and
//! explainable to a clerk. Staff can override a match with a recorded reason
//! when the petitioner brings genuinely new facts.

use std::collections::HashMap;

/// At or above this score two texts count as the same facts and reasons.
pub const SAME_MATTER_THRESHOLD: f64 = 0.8;

fn normalise(text: &str) -> Vec<char> {
    text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

fn bigrams(chars: &[char]) -> HashMap<(char, char), u32> {
    let mut out = HashMap::new();
    for w in chars.windows(2) {
        if let [a, b] = w {
            *out.entry((*a, *b)).or_insert(0) += 1;
        }
    }
    out
}

/// Dice similarity of two texts in [0, 1].
pub fn similarity(a: &str, b: &str) -> f64 {
    let (na, nb) = (normalise(a), normalise(b));
    if na.is_empty() && nb.is_empty() {
        return 1.0;
    }
    if na.len() < 2 || nb.len() < 2 {
        return if na == nb { 1.0 } else { 0.0 };
    }
    let (ba, bb) = (bigrams(&na), bigrams(&nb));
    let shared: u32 = ba.iter().map(|(k, n)| (*n).min(bb.get(k).copied().unwrap_or(0))).sum();
    let total = (na.len() - 1) + (nb.len() - 1);
    2.0 * f64::from(shared) / total as f64
}

/// The text a matter is compared on.
pub fn matter_text(request: &str, facts_and_reasons: &str) -> String {
    format!("{request}\n{facts_and_reasons}")
}

pub fn same_matter(a: &str, b: &str) -> bool {
    similarity(a, b) >= SAME_MATTER_THRESHOLD
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn art36_same_facts_and_reasons_match_despite_punctuation() {
        let a = matter_text("要求支付拖欠的工资", "某公司拖欠本人2026年7月至9月工资共计一万五千元。");
        let b = matter_text("要求支付拖欠工资！", "某公司拖欠本人2026年7月至9月的工资，共计一万五千元");
        assert!(same_matter(&a, &b), "{}", similarity(&a, &b));
        let c = matter_text("要求解决小区噪音", "楼下商铺夜间施工噪音扰民");
        assert!(!same_matter(&a, &c));
    }
}
