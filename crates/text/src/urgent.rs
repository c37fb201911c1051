//! A second reader for urgent risk (issue 13, item 4): logistic regression
//! over the characters of the project's labelled petitions, beside the
//! lexicon of [`crate::risk`].
//!
//! Why: the lexicon catches what it has been shown. On each new blind set,
//! run once before it was read, it missed one to four urgent petitions of
//! fourteen, and a third to two fifths of the forty-five on the sets
//! written to vary how danger is said (in 12345 operators' notes, farewell
//! arrangements, 就在塔吊上见, a gas cylinder by the door). A word list
//! cannot list what nobody has written yet; a model of many such texts
//! generalises a little further. Left out of the set it was tried on, and
//! joined with the lexicon as it stood before each set was read, it
//! caught most of the lexicon's unseen misses at the price of about one
//! false urgent alarm per hundred ordinary petitions (docs/intelligence.md,
//! "A second reader for urgent risk").
//!
//! It only ever raises: a petition the lexicon calls urgent stays urgent;
//! one the model finds urgent gets an urgent signal of the kind its
//! nearest labelled examples have (a gathering or a trip to Beijing only
//! with a planned time, as the lexicon's: without one they are elevated
//! by the labelling convention, and the model's look-alike alarms were
//! mostly these), and with the stretches of text that weighed most as
//! its passages (`Signal::passages`, apart from the lexicon's words), so
//! the clerk who dismisses a false one can see why it was raised. Texts of
//! fewer than 20 letters are not read by it.
//!
//! Features: character 1- to 3-grams of the normalised text (robust to the
//! segmenter not knowing a dialect word), sublinear TF-IDF, each text
//! scaled to unit length. Weights: L2-regularised logistic regression,
//! urgent and not urgent weighed evenly (urgent is one text in ten),
//! fitted by L-BFGS — deterministic, about a second on the labelled sets
//! in a release build.

use std::collections::HashMap;

use serde::Deserialize;

use crate::risk::{RiskKind, Signal};
use crate::segment::normalize_char;

/// Probability at or above which a petition is urgent by the model. Chosen
/// on the older sets, each left out in turn (see the module comment).
pub const URGENT_AT: f64 = 0.5;

/// Inverse regularisation strength (as in the usual `C`): chosen among
/// 1, 4 and 16 on the older sets.
const C: f64 = 4.0;

/// A text with fewer letters and digits than this is not read by the model:
/// scaled to unit length, a few characters (下去, 明天) weigh as much as a
/// whole letter, and the registration panel asks for suggestions from
/// the fourth character typed.
const MIN_LETTERS: usize = 20;

/// The longest passage given as a signal's words: a clause of an
/// unpunctuated letter can be the whole letter, and the words go into the
/// duty officer's e-mail.
const MAX_PASSAGE: usize = 30;

/// A text longer than this is also read in windows of this many
/// characters, half overlapping: scaled to unit length, one dangerous
/// sentence in the middle of a long letter about something else weighs
/// too little in the whole (a review's example: 0.36 in 1,000 characters).
const WINDOW: usize = 160;

/// An n-gram seen in fewer texts than this is left out.
const MIN_DOCS: u32 = 2;

/// L-BFGS: remembered steps, and the iterations allowed.
const MEMORY: usize = 5;
const ITERATIONS: usize = 300;

/// The kinds a model signal can have.
const KINDS: [RiskKind; 7] = RiskKind::FROM_TEXT;

/// How many labelled examples one of the bureau's own corrections counts
/// as. The labelled sets hold over four thousand texts: at the weight of
/// one, a clerk's "false alarm" does not always move the model enough,
/// and the same letter sent again would be raised again. Chosen with the
/// `urgent_corrections` example (each set read by the model trained
/// without it, half of its errors given back as corrections): at 2, 18 of
/// 19 corrected petitions came out right; at 4, 8 and 12 all 19, also
/// when the same matter came again in a second letter, and no decision
/// that was right became wrong. 8 leaves room for a letter that says it
/// in other words (docs/intelligence.md, "Corrections teach the urgent
/// model").
pub const CORRECTION_WEIGHT: f64 = 8.0;

/// A bureau's own judgement of one petition's urgency, learnt by the next
/// model: a clerk dismissing an alert as a false alarm (not urgent), or
/// raising one that neither reader raised (urgent, of a kind).
#[derive(Debug, Clone, PartialEq)]
pub struct Correction {
    /// The petition's text as the readers scanned it.
    pub text: String,
    pub urgent: bool,
    /// The kind of danger, for an urgent one.
    pub kind: Option<RiskKind>,
}

/// One training text: the text, urgent or not, its first kind's index, and
/// how many examples it counts as.
type Example = (String, bool, Option<usize>, f64);

#[derive(Deserialize)]
struct Labelled {
    title: String,
    content: String,
    risk: String,
    #[serde(default)]
    risk_kinds: Vec<String>,
}

/// One n-gram's inverse document frequency and weight.
#[derive(Debug, Clone, Copy)]
struct Feature {
    idf: f32,
    weight: f32,
}

/// The trained model.
pub struct UrgentModel {
    features: HashMap<u64, Feature>,
    bias: f64,
    /// For n-grams met in at least two urgent texts: how much each kind's
    /// urgent texts hold of it (the kinds' centroids).
    kinds: HashMap<u64, [f32; 7]>,
    examples: usize,
    corrections: usize,
}

impl std::fmt::Debug for UrgentModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UrgentModel")
            .field("features", &self.features.len())
            .field("examples", &self.examples)
            .field("corrections", &self.corrections)
            .finish()
    }
}

/// The text's characters, normalised as the lexicon reads them.
fn chars(text: &str) -> Vec<char> {
    text.chars().map(normalize_char).collect()
}

/// A character n-gram (n ≤ 3) packed in 63 bits, 21 per character, each
/// character counted from 1 (U+10FFFF + 1 still fits in 21 bits), so
/// n-grams of different lengths never collide, NUL included.
fn key(grams: &[char]) -> u64 {
    grams.iter().fold(0u64, |k, &c| (k << 21) | (u64::from(c) + 1))
}

/// Every 1- to 3-gram of `chars` with its count, with the position each
/// starts at and its length (for the explanation).
fn grams(chars: &[char]) -> Vec<(u64, usize, usize)> {
    let mut out = Vec::with_capacity(chars.len() * 3);
    for i in 0..chars.len() {
        for n in 1..=3 {
            if i + n <= chars.len() {
                out.push((key(&chars[i..i + n]), i, n));
            }
        }
    }
    out
}

/// Distinct keys of a text with their counts, sorted by key.
fn counts(chars: &[char]) -> Vec<(u64, u32)> {
    let mut keys: Vec<u64> = grams(chars).into_iter().map(|(k, _, _)| k).collect();
    keys.sort_unstable();
    let mut out: Vec<(u64, u32)> = Vec::new();
    for k in keys {
        match out.last_mut() {
            Some((last, n)) if *last == k => *n += 1,
            _ => out.push((k, 1)),
        }
    }
    out
}

/// A text as (feature index or key, value) pairs: sublinear TF × IDF,
/// scaled to unit length; n-grams outside `known` are dropped.
fn vector<T: Copy>(counts: &[(u64, u32)], known: impl Fn(u64) -> Option<(T, f32)>) -> Vec<(T, f32)> {
    let mut v: Vec<(T, f32)> = counts.iter().filter_map(|&(k, n)| known(k).map(|(t, idf)| (t, (1.0 + (n as f32).ln()) * idf))).collect();
    let norm = v.iter().map(|(_, x)| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for (_, x) in &mut v {
            *x /= norm;
        }
    }
    v
}

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// `ln(1 + e^-m)` without overflow.
fn log_loss(m: f64) -> f64 {
    if m > 0.0 { (-m).exp().ln_1p() } else { -m + m.exp().ln_1p() }
}

/// The regularised logistic loss and its gradient (weights, then the
/// bias last) over sparse rows.
struct Problem<'a> {
    rows: &'a [Vec<(u32, f32)>],
    urgent: &'a [bool],
    /// How many examples each row counts as.
    counts_as: &'a [f64],
    /// The weight of an urgent and of another text (balanced classes).
    weights: (f64, f64),
    dim: usize,
}

impl Problem<'_> {
    fn loss(&self, w: &[f64], grad: &mut [f64]) -> f64 {
        let bias = w[self.dim];
        let mut loss = 0.0;
        for (i, g) in grad.iter_mut().enumerate() {
            *g = if i < self.dim { w[i] } else { 0.0 };
        }
        loss += 0.5 * w[..self.dim].iter().map(|x| x * x).sum::<f64>();
        for ((row, &urgent), &times) in self.rows.iter().zip(self.urgent).zip(self.counts_as) {
            let z = bias + row.iter().map(|&(j, x)| w[j as usize] * f64::from(x)).sum::<f64>();
            let (y, weight) = if urgent { (1.0, self.weights.0 * times) } else { (-1.0, self.weights.1 * times) };
            loss += C * weight * log_loss(y * z);
            // d/dz of weight·log(1 + e^(−yz)) = weight·(σ(z) − t).
            let d = C * weight * (sigmoid(z) - if urgent { 1.0 } else { 0.0 });
            for &(j, x) in row {
                grad[j as usize] += d * f64::from(x);
            }
            grad[self.dim] += d;
        }
        loss
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Minimise `problem` by L-BFGS with a backtracking (Armijo) line search,
/// from zero. Deterministic.
fn lbfgs(problem: &Problem<'_>) -> Vec<f64> {
    let n = problem.dim + 1;
    let mut w = vec![0.0; n];
    let mut g = vec![0.0; n];
    let mut f = problem.loss(&w, &mut g);
    let mut history: Vec<(Vec<f64>, Vec<f64>, f64)> = Vec::new();
    let mut next = vec![0.0; n];
    let mut next_g = vec![0.0; n];
    for _ in 0..ITERATIONS {
        // Two-loop recursion: d = −H·g.
        let mut d: Vec<f64> = g.iter().map(|x| -x).collect();
        let mut alphas = Vec::with_capacity(history.len());
        for (s, y, rho) in history.iter().rev() {
            let a = rho * dot(s, &d);
            for (di, yi) in d.iter_mut().zip(y) {
                *di -= a * yi;
            }
            alphas.push(a);
        }
        if let Some((s, y, _)) = history.last() {
            let scale = dot(s, y) / dot(y, y);
            for di in &mut d {
                *di *= scale;
            }
        }
        for ((s, y, rho), a) in history.iter().zip(alphas.iter().rev()) {
            let b = rho * dot(y, &d);
            for (di, si) in d.iter_mut().zip(s) {
                *di += (a - b) * si;
            }
        }
        let slope = dot(&g, &d);
        if slope >= 0.0 {
            // Not a descent direction (numerical trouble): start afresh.
            history.clear();
            d = g.iter().map(|x| -x).collect();
        }
        let slope = dot(&g, &d);
        let mut step = if history.is_empty() { 1.0 / dot(&g, &g).sqrt().max(1.0) } else { 1.0 };
        let mut next_f;
        loop {
            for i in 0..n {
                next[i] = w[i] + step * d[i];
            }
            next_f = problem.loss(&next, &mut next_g);
            if next_f <= f + 1e-4 * step * slope {
                break;
            }
            step *= 0.5;
            if step < 1e-12 {
                // No step along d lowers the loss: as good as it gets.
                return w;
            }
        }
        let s: Vec<f64> = next.iter().zip(&w).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = next_g.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        let done = (f - next_f).abs() <= 1e-9 * f.abs().max(1.0);
        std::mem::swap(&mut w, &mut next);
        std::mem::swap(&mut g, &mut next_g);
        f = next_f;
        if sy > 1e-12 {
            if history.len() == MEMORY {
                history.remove(0);
            }
            history.push((s, y, 1.0 / sy));
        }
        if done {
            break;
        }
    }
    w
}

impl UrgentModel {
    /// Train on the labelled sets of [`crate::seed::SETS`] except the one
    /// named `except` (an evaluation leaves out the set it measures).
    pub fn train(except: Option<&str>) -> UrgentModel {
        Self::train_with(except, &[])
    }

    /// [`UrgentModel::train`] with the bureau's own corrections beside the
    /// labelled sets, each counting as [`CORRECTION_WEIGHT`] examples.
    /// Deterministic: the same corrections in the same order give the same
    /// model on every node.
    pub fn train_with(except: Option<&str>, corrections: &[Correction]) -> UrgentModel {
        Self::train_weighted(except, corrections, CORRECTION_WEIGHT)
    }

    /// [`UrgentModel::train_with`] at another weight of a correction (for
    /// the `urgent_corrections` example that chose the weight).
    pub fn train_weighted(except: Option<&str>, corrections: &[Correction], weight: f64) -> UrgentModel {
        let mut texts: Vec<Example> = Vec::new();
        for (name, body) in crate::seed::SETS.iter().filter(|(name, _)| Some(*name) != except) {
            for line in body.lines().filter(|l| !l.trim().is_empty()) {
                // The sets are parsed by the seed's tests.
                let Ok(p) = serde_json::from_str::<Labelled>(line) else {
                    debug_assert!(false, "{name}: a labelled line does not parse");
                    continue;
                };
                let urgent = p.risk == "urgent";
                let kind = p.risk_kinds.first().and_then(|k| KINDS.iter().position(|x| x.as_str() == k));
                texts.push((format!("{}。{}", p.title, p.content), urgent, kind, 1.0));
            }
        }
        for c in corrections {
            let kind = c.kind.filter(|_| c.urgent).and_then(|k| KINDS.iter().position(|x| *x == k));
            texts.push((c.text.clone(), c.urgent, kind, weight));
        }
        let mut model = Self::fit(&texts);
        model.corrections = corrections.len();
        model
    }

    /// Fit on `(text, urgent, first kind)`. Memory is kept low on purpose
    /// (the server trains this once, beside everything else it holds):
    /// each text's n-grams are counted again when needed instead of being
    /// kept, document frequencies come from one sorted list, not a map, and
    /// the vocabulary is a sorted list searched by halves.
    fn fit(texts: &[Example]) -> UrgentModel {
        let total = texts.len() as f64;
        let mut all: Vec<u64> = Vec::new();
        for (t, _, _, _) in texts {
            all.extend(counts(&chars(t)).into_iter().map(|(k, _)| k));
        }
        all.sort_unstable();
        let mut keys: Vec<u64> = Vec::new();
        let mut idfs: Vec<f32> = Vec::new();
        for run in all.chunk_by(|a, b| a == b) {
            if run.len() as u32 >= MIN_DOCS {
                keys.push(run[0]);
                idfs.push((((1.0 + total) / (1.0 + run.len() as f64)).ln() + 1.0) as f32);
            }
        }
        drop(all);
        let known = |k: u64| keys.binary_search(&k).ok().map(|i| (i as u32, idfs[i]));
        let rows: Vec<Vec<(u32, f32)>> = texts.iter().map(|(t, _, _, _)| vector(&counts(&chars(t)), known)).collect();
        let urgent: Vec<bool> = texts.iter().map(|(_, u, _, _)| *u).collect();
        let counts_as: Vec<f64> = texts.iter().map(|(_, _, _, times)| *times).collect();
        let positives = urgent.iter().filter(|u| **u).count().max(1) as f64;
        let negatives = (urgent.len() as f64 - positives).max(1.0);
        let problem = Problem {
            rows: &rows,
            urgent: &urgent,
            counts_as: &counts_as,
            weights: (total / (2.0 * positives), total / (2.0 * negatives)),
            dim: keys.len(),
        };
        let w = lbfgs(&problem);
        let features: HashMap<u64, Feature> =
            keys.iter().zip(&idfs).enumerate().map(|(i, (k, &idf))| (*k, Feature { idf, weight: w[i] as f32 })).collect();
        // The kinds' centroids, over n-grams of at least two urgent texts.
        let mut in_urgent: HashMap<u32, u32> = HashMap::new();
        for (row, _) in rows.iter().zip(&urgent).filter(|(_, u)| **u) {
            for &(j, _) in row {
                *in_urgent.entry(j).or_insert(0) += 1;
            }
        }
        // Ordered, so that the norms below are summed in the same order in
        // every process (the same kinds on every node, to the last bit).
        let mut by_index: std::collections::BTreeMap<u32, [f32; 7]> = std::collections::BTreeMap::new();
        for (row, (_, u, kind, _)) in rows.iter().zip(texts) {
            if let (true, Some(kind)) = (*u, *kind) {
                for &(j, x) in row.iter().filter(|(j, _)| in_urgent.get(j).is_some_and(|n| *n >= MIN_DOCS)) {
                    by_index.entry(j).or_insert([0.0; 7])[kind] += x;
                }
            }
        }
        // Each kind's centroid scaled to unit length, so that the kind with
        // the most examples (self-harm) does not win by its size alone.
        let mut norms = [0.0f32; 7];
        for c in by_index.values() {
            for (n, x) in norms.iter_mut().zip(c) {
                *n += x * x;
            }
        }
        for c in by_index.values_mut() {
            for (x, n) in c.iter_mut().zip(&norms) {
                *x = if *n > 0.0 { *x / n.sqrt() } else { 0.0 };
            }
        }
        let kinds = keys.iter().enumerate().filter_map(|(i, k)| by_index.get(&(i as u32)).map(|c| (*k, *c))).collect();
        UrgentModel { features, bias: w[keys.len()], kinds, examples: texts.len(), corrections: 0 }
    }

    /// How many labelled texts it learnt from (corrections included).
    pub fn examples(&self) -> usize {
        self.examples
    }

    /// How many of those were the bureau's own corrections.
    pub fn corrections(&self) -> usize {
        self.corrections
    }

    /// The probability that `text` is urgent.
    pub fn probability(&self, text: &str) -> f64 {
        self.score(&vector(&counts(&chars(text)), |k| self.features.get(&k).map(|f| (k, f.idf))))
    }

    fn score(&self, v: &[(u64, f32)]) -> f64 {
        let z: f64 = v.iter().filter_map(|(k, x)| self.features.get(k).map(|f| f64::from(f.weight) * f64::from(*x))).sum();
        sigmoid(self.bias + z)
    }

    /// The urgent signal the model raises for `text`, if it is urgent by
    /// the model: the kind of the urgent examples it is nearest to, and
    /// as passages the (one or two) stretches of text that weighed most.
    /// None for a text of fewer than [`MIN_LETTERS`] letters, for a
    /// gathering or a trip to Beijing with no planned time in the sentence
    /// that weighed most, and when no passage can be named.
    pub fn signal(&self, text: &str) -> Option<Signal> {
        let chars = chars(text);
        if chars.iter().filter(|c| c.is_alphanumeric()).count() < MIN_LETTERS {
            return None;
        }
        let v = vector(&counts(&chars), |k| self.features.get(&k).map(|f| (k, f.idf)));
        // The whole text, or any window of a long one.
        let windowed = || {
            (0..chars.len().saturating_sub(WINDOW) / (WINDOW / 2) + 1).any(|i| {
                let w = &chars[i * WINDOW / 2..(i * WINDOW / 2 + WINDOW).min(chars.len())];
                self.score(&vector(&counts(w), |k| self.features.get(&k).map(|f| (k, f.idf)))) >= URGENT_AT
            })
        };
        if self.score(&v) < URGENT_AT && !(chars.len() > WINDOW && windowed()) {
            return None;
        }
        let mut kind_score = [0.0f32; 7];
        for (k, x) in &v {
            if let Some(c) = self.kinds.get(k) {
                for (s, c) in kind_score.iter_mut().zip(c) {
                    *s += x * c;
                }
            }
        }
        let kind = kind_score
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1).then_with(|| b.0.cmp(&a.0)))
            .map_or(RiskKind::SelfHarm, |(i, _)| KINDS[i]);
        let passages = self.passages(&chars, &v);
        let (at, _) = passages.first()?;
        // A gathering or a trip to Beijing is urgent with a time, a plan
        // rather than a mention (the labelling convention, and the
        // lexicon's rule), in the sentence the model read it in: without
        // one the model does not raise it.
        if matches!(kind, RiskKind::Gathering | RiskKind::ToBeijing)
            && !crate::risk::names_a_planned_time(crate::risk::sentence_around(&chars, *at))
        {
            return None;
        }
        Some(Signal { kind, urgent: true, words: Vec::new(), passages: passages.into_iter().map(|(_, p)| p).collect() })
    }

    /// The stretches of `chars` that pushed most towards urgent, with where
    /// each starts: the clause (cut at punctuation) with the largest sum of
    /// its n-grams' positive contributions, and a second if it weighs at
    /// least half as much. A clause longer than [`MAX_PASSAGE`] gives its
    /// heaviest window of that length. A clause reads better to the clerk
    /// than scattered n-grams do.
    fn passages(&self, chars: &[char], v: &[(u64, f32)]) -> Vec<(usize, String)> {
        let weight: HashMap<u64, f32> =
            v.iter().filter_map(|(k, x)| self.features.get(k).map(|f| (*k, f.weight * x))).filter(|(_, c)| *c > 0.0).collect();
        let cut = |c: char| "，。、；：！？,.;:!?\n“”\"（）()《》…".contains(c) || c.is_whitespace();
        let mut found: Vec<(f32, usize, usize)> = Vec::new();
        let mut start = 0;
        for end in (0..=chars.len()).filter(|&i| i == chars.len() || cut(chars[i])) {
            if end >= start + 2 {
                // What the n-grams starting at each place of the clause add.
                let clause = &chars[start..end];
                let by_start: Vec<f32> = (0..clause.len())
                    .map(|i| (1..=3).filter(|n| i + n <= clause.len()).filter_map(|n| weight.get(&key(&clause[i..i + n]))).sum())
                    .collect();
                let width = clause.len().min(MAX_PASSAGE);
                let (best, score) = (0..=clause.len() - width)
                    .map(|w| (w, by_start[w..w + width].iter().sum::<f32>()))
                    .fold((0, f32::MIN), |a, b| if b.1 > a.1 { b } else { a });
                if score > 0.0 {
                    found.push((score, start + best, start + best + width));
                }
            }
            start = end + 1;
        }
        found.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let top = found.first().map_or(0.0, |f| f.0);
        let mut out: Vec<(usize, String)> = Vec::new();
        for (score, s, e) in found {
            if out.len() == 2 || score < top / 2.0 {
                break;
            }
            let text: String = chars[s..e].iter().collect();
            if !out.iter().any(|(_, t)| *t == text) {
                out.push((s, text));
            }
        }
        out
    }
}

/// The lexicon's signals with the model's second reading: unchanged when
/// the lexicon already calls the text urgent or the model does not; else
/// the model's urgent signal, merged into the lexicon's signal of the same
/// kind when there is one (which then becomes urgent, keeps its words and
/// gets the model's passages beside them).
pub fn with_model(mut signals: Vec<Signal>, model: &UrgentModel, text: &str) -> Vec<Signal> {
    if signals.iter().any(|s| s.urgent) {
        return signals;
    }
    let Some(found) = model.signal(text) else { return signals };
    match signals.iter_mut().find(|s| s.kind == found.kind) {
        Some(s) => {
            s.urgent = true;
            s.passages = found.passages;
        }
        None => signals.push(found),
    }
    signals
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::{RiskLevel, level, scan};

    fn model() -> &'static UrgentModel {
        static MODEL: std::sync::OnceLock<UrgentModel> = std::sync::OnceLock::new();
        MODEL.get_or_init(|| UrgentModel::train(None))
    }

    #[test]
    fn ngrams_of_different_lengths_never_share_a_key() {
        assert_ne!(key(&['北']), key(&['\u{0}', '北']));
        assert_ne!(key(&['北', '京']), key(&['北', '京', '路']));
        let c = counts(&chars("跳跳跳"));
        assert_eq!(c.iter().find(|(k, _)| *k == key(&['跳'])).map(|(_, n)| *n), Some(3));
        assert_eq!(c.iter().find(|(k, _)| *k == key(&['跳', '跳'])).map(|(_, n)| *n), Some(2));
    }

    #[test]
    fn the_fit_separates_what_it_was_taught() {
        let mut texts = Vec::new();
        for i in 0..20 {
            texts.push((format!("第{i}次反映，今天不给钱我就从塔吊上下去"), true, Some(0), 1.0));
            texts.push((format!("第{i}次反映，小区路灯坏了请修一下"), false, None, 1.0));
        }
        let m = UrgentModel::fit(&texts);
        assert!(m.probability("不给钱就从塔吊上下去") > 0.9);
        assert!(m.probability("路灯坏了请修") < 0.1);
    }

    #[test]
    fn an_urgent_threat_the_lexicon_has_no_words_for_is_raised_by_the_examples_and_says_where_it_read_it() {
        // Told as a 12345 operator's note: the caller is outside a bridge's
        // railing and says she will go down today without an answer.
        let text = "来电人情绪激动。来电人称现在就在大桥护栏外面，公司欠她工资半年，今天再不给个准话就下去，话务员已转110。";
        let lexicon = scan(text);
        let signals = with_model(lexicon.clone(), model(), text);
        assert_eq!(level(&signals), RiskLevel::Urgent, "{signals:?}");
        let raised: Vec<&Signal> = signals.iter().filter(|s| s.urgent).collect();
        assert!(raised.iter().all(|s| !s.passages.is_empty() && s.passages.iter().all(|p| p.chars().count() <= MAX_PASSAGE)), "{raised:?}");
        for s in &raised {
            for w in &s.passages {
                assert!(crate::segment::normalize(text).contains(w.as_str()), "{w} is not in the text");
            }
        }
    }

    #[test]
    fn a_gathering_the_model_finds_is_urgent_only_with_a_time_as_the_lexicons_are() {
        let undated = "欠薪半年，工友们商量好了，再不给钱我们就一起去市政府门口讨说法。";
        assert!(model().probability(undated) >= URGENT_AT, "the model alone would raise it");
        assert_eq!(level(&with_model(scan(undated), model(), undated)), RiskLevel::Elevated);
        let dated = "欠薪半年，工友们商量好了，再不给钱，下周三上午我们就一起去市政府门口讨说法。";
        assert_eq!(level(&with_model(scan(dated), model(), dated)), RiskLevel::Urgent);
    }

    #[test]
    fn a_time_in_another_sentence_does_not_make_a_gathering_urgent() {
        let undated = "欠薪半年，工友们商量好了，再不给钱我们就一起去市政府门口讨说法。请在下周一前答复。我明天上午还要去医院复查。";
        assert!(model().probability(undated) >= URGENT_AT, "the model alone would raise it");
        assert_eq!(level(&with_model(scan(undated), model(), undated)), RiskLevel::Elevated);
    }

    #[test]
    fn a_danger_in_the_middle_of_a_long_letter_is_read_in_its_window() {
        let filler =
            "我们小区物业服务很差，电梯经常停运，楼道灯坏了也不修，垃圾清运不及时，业主多次向物业公司反映都没有结果，物业费却年年催缴。";
        let danger = "来电人情绪激动。来电人称现在就在大桥护栏外面，公司欠她工资半年，今天再不给个准话就下去，话务员已转110，请人社局速与来电人联系。";
        let text = format!("{}{danger}{}", filler.repeat(5), filler.repeat(5));
        assert!(model().probability(&text) < URGENT_AT, "diluted in the whole");
        let s = model().signal(&text).expect("raised in its window");
        assert!(s.passages.iter().any(|p| danger.contains(p.as_str())), "{s:?}");
    }

    #[test]
    fn a_short_text_is_not_read_by_the_model() {
        for text in ["下去", "明天", "我", "我想下去看看", "来电人情绪激动，反映小区停水两天"] {
            assert!(model().signal(text).is_none(), "{text}");
        }
    }

    #[test]
    fn an_unpunctuated_letter_gives_short_passages() {
        let text = "来电人情绪激动来电人称现在就在大桥护栏外面公司欠她工资半年今天再不给个准话就下去话务员已转110".repeat(40);
        let s = model().signal(&text).expect("urgent by the model");
        assert!(!s.passages.is_empty() && s.passages.iter().all(|p| p.chars().count() <= MAX_PASSAGE), "{s:?}");
    }

    #[test]
    fn a_false_alarm_a_clerk_dismissed_is_not_raised_by_the_next_model() {
        // Old classmates going together on a date to ask the social
        // security office about contributions: the model reads a dated
        // gathering.
        let text = "我们几个老同学商量好了，下周一一起去社保局咨询养老保险补缴的政策，请问需要带哪些材料。";
        assert_eq!(level(&with_model(scan(text), model(), text)), RiskLevel::Urgent, "raised before the correction");
        let corrected = UrgentModel::train_with(None, &[Correction { text: text.into(), urgent: false, kind: None }]);
        assert_eq!(corrected.corrections(), 1);
        assert!(corrected.probability(text) < URGENT_AT, "{}", corrected.probability(text));
        assert_ne!(level(&with_model(scan(text), &corrected, text)), RiskLevel::Urgent);
        // The same letter sent again.
        let again = format!("再次来信反映：{text}");
        assert_ne!(level(&with_model(scan(&again), &corrected, &again)), RiskLevel::Urgent, "{}", corrected.probability(&again));
        // What was urgent stays urgent.
        let danger = "来电人情绪激动。来电人称现在就在大桥护栏外面，公司欠她工资半年，今天再不给个准话就下去，话务员已转110。";
        assert_eq!(level(&with_model(scan(danger), &corrected, danger)), RiskLevel::Urgent);
    }

    #[test]
    fn a_danger_a_clerk_raised_by_hand_is_raised_by_the_next_model_with_its_kind() {
        // Giving away what one owns, as a farewell: neither reader knows it.
        let text = "老李把家里的存折和房本都交给了侄子，说以后用不着了，工伤认定拖了两年没有结果，他让我们别再找他。";
        assert_ne!(level(&with_model(scan(text), model(), text)), RiskLevel::Urgent, "missed before the correction");
        let corrected = UrgentModel::train_with(None, &[Correction { text: text.into(), urgent: true, kind: Some(RiskKind::SelfHarm) }]);
        let signals = with_model(scan(text), &corrected, text);
        assert_eq!(level(&signals), RiskLevel::Urgent, "{signals:?}");
        assert!(signals.iter().any(|s| s.urgent && s.kind == RiskKind::SelfHarm && !s.passages.is_empty()), "{signals:?}");
        // The corrections change nothing for an ordinary petition.
        let plain = "小区路灯坏了三个月，晚上出门很不方便，希望尽快修好。";
        assert_eq!(with_model(scan(plain), &corrected, plain), scan(plain));
    }

    #[test]
    fn the_same_corrections_train_the_same_model() {
        let c = [
            Correction {
                text: "我们几个老同学商量好了，下周一一起去社保局咨询养老保险补缴的政策。".into(), urgent: false, kind: None
            },
            Correction {
                text: "老李把家里的存折和房本都交给了侄子，说以后用不着了，他让我们别再找他。".into(),
                urgent: true,
                kind: Some(RiskKind::SelfHarm),
            },
        ];
        let (a, b) = (UrgentModel::train_with(None, &c), UrgentModel::train_with(None, &c));
        for text in ["老李把家里的存折交给了侄子", "下周一一起去社保局咨询", "今天再不给个准话就下去"] {
            assert_eq!(a.probability(text).to_bits(), b.probability(text).to_bits(), "{text}");
        }
    }

    #[test]
    fn an_ordinary_petition_stays_as_the_lexicon_read_it() {
        for text in [
            "小区路灯坏了三个月，晚上出门很不方便，希望尽快修好。",
            "我父亲去年在县医院做了手术，医保报销比例比说好的低，请医保局核实。",
            "建议在学校门口增设红绿灯，上下学时段车多，孩子过马路危险。",
        ] {
            assert_eq!(with_model(scan(text), model(), text), scan(text), "{text}");
        }
    }
}
