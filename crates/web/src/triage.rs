//! Triage suggestions (issue 13, item 3; docs/intelligence.md): for a new
//! petition's text, the legal class, the topic and the handling unit, top
//! three each with a confidence and the words that drove it, and the risk
//! signals (item 4) — from the rule table (`xinfang_text::rules`).
//!
//! The rule table answers with a *kind* of unit in Chinese
//! (人力资源和社会保障局); with a region (a division code) it is resolved
//! here to the concrete unit serving that area or the nearest area above
//! it whose name shares the most of that kind's name (阳春市人力资源和社会
//! 保障局, 石望镇人民政府). Places the rules leave empty in the topic and
//! unit lists are filled from the seed model (`xinfang_text::seed`).

use crate::error::ApiError;
use std::sync::Arc;
use xinfang_domain::unit::{Unit, UnitKind, UnitTree};
use xinfang_text::rules::{FieldSuggestion, RuleField, RuleTable};
use xinfang_text::seed::Seed;
use xinfang_text::urgent::UrgentModel;

/// Suggestions per field.
pub const TOP: usize = 3;

/// The areas from `region` up: 441781106 → 441781 → 4417 → 44.
pub fn region_chain(region: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut code = region.to_string();
    loop {
        out.push(code.clone());
        let next = match code.len() {
            12 => 9,
            9 => 6,
            6 => 4,
            4 => 2,
            _ => break,
        };
        code.truncate(next);
    }
    out
}

/// Characters of the longest common substring of `a` and `b`.
pub(crate) fn common_run(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut best = 0;
    let mut prev = vec![0usize; b.len() + 1];
    for ca in &a {
        let mut cur = vec![0usize; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            if ca == cb {
                cur[j + 1] = prev[j] + 1;
                best = best.max(cur[j + 1]);
            }
        }
        prev = cur;
    }
    best
}

/// Fewest shared characters for a unit's name to stand for a kind.
const MIN_SHARED: usize = 3;

/// Endings every kind of body shares (市场监督管理局 and 国有资产监督管理
/// 委员会 share 监督管理): not evidence that a unit is of a kind.
const GENERIC_ENDINGS: &[&str] =
    &["监督管理委员会", "监督管理局", "管理委员会", "委员会", "管理局", "办公室", "事务局", "分局", "局", "委"];

/// `name` without its generic ending.
fn core(name: &str) -> &str {
    GENERIC_ENDINGS.iter().find_map(|e| name.strip_suffix(e)).unwrap_or(name)
}

/// How well a unit's name stands for `kind` (a kind name from the rule
/// table): `usize::MAX` when it ends with the kind's name or another name
/// of the same body, else the longest run of characters shared with one
/// of them, generic endings left out; `None` below the minimum.
pub fn kind_match(unit_name: &str, kind: &str) -> Option<usize> {
    let names = std::iter::once(kind).chain(xinfang_text::departments::also_called(kind).iter().copied());
    let names: Vec<&str> = names.collect();
    if names.iter().any(|n| unit_name.ends_with(n)) {
        return Some(usize::MAX);
    }
    names
        .iter()
        .map(|n| (common_run(core(unit_name), core(n)), core(n).chars().count()))
        .filter(|&(shared, len)| shared >= MIN_SHARED.min(len).max(2))
        .map(|(shared, _)| shared)
        .max()
}

/// The unit of `kind` (a kind name from the rule table) serving `region`
/// or the nearest area above it, nearest area first: a unit whose name
/// ends with the kind's name or another name of the same body
/// (`xinfang_text::departments`: 城市管理局 is also 城市管理和综合执法局),
/// else the one sharing the longest run of characters with one of them,
/// generic endings (管理局, 委员会…) left out. Petition bureaus and joint
/// conferences are not handling units.
pub fn resolve_unit<'a>(tree: &'a UnitTree, kind: &str, region: &str) -> Option<&'a Unit> {
    for area in region_chain(region) {
        let best = tree
            .all()
            .filter(|u| u.jurisdiction == area && !matches!(u.kind, UnitKind::PetitionBureau | UnitKind::JointConference))
            .filter_map(|u| kind_match(&u.name, kind).map(|score| (score, u)))
            .max_by(|(a, ua), (b, ub)| a.cmp(b).then_with(|| ub.code.cmp(&ua.code)));
        if let Some((_, u)) = best {
            return Some(u);
        }
    }
    None
}

/// One risk signal as the API shows it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RiskSignal {
    pub kind: String,
    pub label: String,
    pub urgent: bool,
    /// The lexicon's phrases (as written) that raised it, or for a group's
    /// rising repeats the counts.
    pub words: Vec<String>,
    /// The passages (up to two, each at most 30 characters) for which the
    /// urgent model of the project's labelled examples raised it or made
    /// it urgent (`xinfang_text::urgent`); empty otherwise.
    #[serde(default)]
    #[schema(required = true)]
    pub passages: Vec<String>,
    /// What raised it. Alerts stored before the model say nothing and
    /// read as `lexicon` (or `repeats`, for a group's rising repeats).
    #[serde(default)]
    #[schema(required = true)]
    pub basis: SignalBasis,
}

/// What raised a risk signal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignalBasis {
    /// The risk lexicon's phrases and constructions (`xinfang_text::risk`).
    #[default]
    Lexicon,
    /// The urgent model alone (`xinfang_text::urgent`): see `passages`.
    Seed,
    /// The lexicon found it, elevated; the urgent model made it urgent.
    LexiconAndSeed,
    /// A group's repeat petitions rising week on week.
    Repeats,
    /// Raised by hand by a member of staff (the alert's `raise_reason`).
    Staff,
}

impl RiskSignal {
    /// A signal read back from a stored alert: the group signal of alerts
    /// stored before `basis` existed is `repeats`, not `lexicon`.
    pub fn stored(mut self) -> RiskSignal {
        if self.kind == xinfang_text::risk::RiskKind::GroupRepeatsRising.as_str() {
            self.basis = SignalBasis::Repeats;
        }
        self
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Risk {
    /// `none`, `elevated` or `urgent`.
    pub level: String,
    pub signals: Vec<RiskSignal>,
}

/// The risk signals of a text: the lexicon's (`xinfang_text::risk::scan`)
/// with the urgent model's second reading (`xinfang_text::urgent`) when
/// there is a model, as the triage answer and the alerts raised at
/// registration carry them. CPU work: call it off the async threads.
pub fn risk(text: &str, model: Option<&UrgentModel>) -> Risk {
    let lexicon = xinfang_text::risk::scan(text);
    let signals = match model {
        Some(model) => xinfang_text::urgent::with_model(lexicon, model, text),
        None => lexicon,
    };
    let level = match xinfang_text::risk::level(&signals) {
        xinfang_text::RiskLevel::None => "none",
        xinfang_text::RiskLevel::Elevated => "elevated",
        xinfang_text::RiskLevel::Urgent => "urgent",
    };
    Risk {
        level: level.into(),
        signals: signals
            .into_iter()
            .map(|s| RiskSignal {
                kind: s.kind.as_str().into(),
                label: s.kind.label().into(),
                urgent: s.urgent,
                basis: match (s.words.is_empty(), s.passages.is_empty()) {
                    (_, true) => SignalBasis::Lexicon,
                    (true, false) => SignalBasis::Seed,
                    (false, false) => SignalBasis::LexiconAndSeed,
                },
                words: s.words,
                passages: s.passages,
            })
            .collect(),
    }
}

/// A petition's text as the risk readers scan it (at registration, and
/// when a correction of it is learnt).
pub fn scanned_text(title: &str, content: &str, request: &str, facts_and_reasons: &str) -> String {
    [title, content, request, facts_and_reasons].join("\n")
}

/// [`risk`] off the async threads, with `trained` (the model trained with
/// the bureau's corrections, `AppState::urgent`) or else this process's
/// model of the labelled sets. If that cannot be had (its training
/// failed), the lexicon alone answers, and the failure is logged: a
/// registration must not fail for want of a second reader.
pub async fn risk_of(text: String, trained: Option<Arc<UrgentModel>>) -> Result<Risk, ApiError> {
    let copy = text.clone();
    let read = move || match trained {
        Some(model) => risk(&text, Some(&model)),
        None => risk(&text, Some(urgent_model())),
    };
    match tokio::task::spawn_blocking(read).await {
        Ok(r) => Ok(r),
        Err(e) => {
            tracing::error!("the urgent model is unavailable, risk read by the lexicon alone: {e}");
            tokio::task::spawn_blocking(move || risk(&copy, None)).await.map_err(|_| ApiError::internal())
        }
    }
}

/// This process's urgent model (`xinfang_text::urgent`), trained at first
/// use — about a second in a release build; blocking, so call it off the
/// async threads. Being in a `OnceLock` filled by the blocking task itself,
/// a request that gives up waiting does not throw the work away. The same
/// on every node, being built from data shipped in the binary.
pub fn urgent_model() -> &'static UrgentModel {
    static MODEL: std::sync::OnceLock<UrgentModel> = std::sync::OnceLock::new();
    MODEL.get_or_init(|| UrgentModel::train(None))
}

/// Train the urgent model in the background at start-up, so that the
/// first registration does not wait for it.
pub fn warm_urgent_model() {
    drop(tokio::task::spawn_blocking(urgent_model));
}

/// A group's repeat petitions rising week on week (issue 13, item 4): the
/// dates its earlier petitions were received, counted in the last
/// `RISING_WEEKS` weeks up to `today` (this petition included), tested by
/// `xinfang_text::risk::group_repeats_rising`. The signal names the counts.
pub fn group_signal(earlier: &[chrono::NaiveDate], today: chrono::NaiveDate) -> Option<RiskSignal> {
    use xinfang_text::risk::{RISING_WEEKS, RiskKind, group_repeats_rising};
    let mut counts = vec![0u32; RISING_WEEKS];
    for d in earlier.iter().chain(std::iter::once(&today)) {
        let age = (today - *d).num_days();
        if (0..(7 * RISING_WEEKS as i64)).contains(&age) {
            // Oldest week first: age 0–6 is the last entry.
            counts[RISING_WEEKS - 1 - (age / 7) as usize] += 1;
        }
    }
    group_repeats_rising(&counts).then(|| RiskSignal {
        kind: RiskKind::GroupRepeatsRising.as_str().into(),
        label: RiskKind::GroupRepeatsRising.label().into(),
        urgent: false,
        basis: SignalBasis::Repeats,
        passages: Vec::new(),
        words: vec![format!("近{RISING_WEEKS}周每周{}件", counts.iter().map(u32::to_string).collect::<Vec<_>>().join("、"))],
    })
}

/// This process's seed models (`xinfang_text::seed`), trained on first use
/// off the async threads (about a second in a release build) with the
/// segmenter every suggestion uses; the same on every node, being built
/// from data shipped in the binary.
pub async fn seed(tree: &UnitTree) -> Result<Arc<Seed>, ApiError> {
    static SEED: tokio::sync::OnceCell<Arc<Seed>> = tokio::sync::OnceCell::const_new();
    let seg = crate::search::segmenter(tree);
    SEED.get_or_try_init(|| async move {
        tokio::task::spawn_blocking(move || Arc::new(Seed::train(&seg, None))).await.map_err(|_| ApiError::internal())
    })
    .await
    .cloned()
}

/// The three fields the rule table suggests for `text`.
pub fn rule_suggestions(table: &RuleTable, text: &str) -> [(RuleField, Vec<FieldSuggestion>); 3] {
    [RuleField::Category, RuleField::Topic, RuleField::UnitKind].map(|f| (f, table.suggest_field(f, text, TOP)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use xinfang_domain::unit::Level;

    fn unit(id: i64, code: &str, name: &str, kind: UnitKind, jurisdiction: &str) -> Unit {
        Unit {
            id,
            code: code.into(),
            name: name.into(),
            kind,
            level: Level::County,
            parent_id: None,
            gov_id: None,
            jurisdiction: jurisdiction.into(),
            path: format!("/{id}/"),
        }
    }

    #[test]
    fn a_signal_stored_before_its_basis_was_kept_reads_as_what_raised_it() {
        let old = r#"[{"kind":"group_repeats_rising","label":"群体重复信访上升","urgent":false,"words":["近3周每周1、2、3件"]},
                      {"kind":"self_harm","label":"扬言自伤自杀","urgent":true,"words":["跳楼"]}]"#;
        let read: Vec<RiskSignal> =
            serde_json::from_str::<Vec<RiskSignal>>(old).unwrap_or_default().into_iter().map(RiskSignal::stored).collect();
        assert_eq!(read.iter().map(|s| s.basis).collect::<Vec<_>>(), [SignalBasis::Repeats, SignalBasis::Lexicon]);
        assert!(read.iter().all(|s| s.passages.is_empty()));
    }

    #[test]
    fn the_basis_says_which_reader_raised_a_signal() {
        let text = "欠薪半年没人管，我活不下去了。来电人称现在就在大桥护栏外面，今天再不给个准话就下去，话务员已转110。";
        let lexicon = risk(text, None);
        let both = risk(text, Some(urgent_model()));
        assert_eq!((lexicon.level.as_str(), both.level.as_str()), ("elevated", "urgent"), "{both:?}");
        let raised = both.signals.iter().find(|s| s.urgent).unwrap_or_else(|| panic!("{both:?}"));
        assert!(matches!(raised.basis, SignalBasis::Seed | SignalBasis::LexiconAndSeed), "{raised:?}");
        assert_eq!(raised.basis == SignalBasis::LexiconAndSeed, !raised.words.is_empty(), "{raised:?}");
        // The model never lowers: what the lexicon calls urgent stays so,
        // with the lexicon as its basis.
        let plain = risk("再不发工资我就去跳楼。", Some(urgent_model()));
        assert_eq!(plain.level, "urgent");
        assert!(plain.signals.iter().all(|s| s.basis == SignalBasis::Lexicon && s.passages.is_empty()), "{plain:?}");
    }

    #[test]
    fn a_groups_rising_repeats_raise_a_signal_that_names_the_counts() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default();
        let ago = |n: i64| today - chrono::Duration::days(n);
        // 1, 2, 3 (with today's): rising.
        let s = group_signal(&[ago(15), ago(9), ago(8), ago(1), ago(2)], today).expect("rising");
        assert_eq!((s.kind.as_str(), s.urgent), ("group_repeats_rising", false));
        assert_eq!(s.words, ["近3周每周1、2、3件"]);
        // A steady group, and one that has turned: nothing.
        assert!(group_signal(&[ago(15), ago(16), ago(17), ago(8), ago(9), ago(10), ago(1), ago(2)], today).is_none());
        assert!(group_signal(&[ago(9), ago(10), ago(11), ago(12), ago(1)], today).is_none());
        // Older petitions do not count.
        assert!(group_signal(&[ago(40), ago(41), ago(42)], today).is_none());
    }

    #[test]
    fn a_kind_resolves_to_the_unit_of_the_nearest_area() {
        let tree = UnitTree::new([
            unit(1, "GD441781-RST", "阳春市人力资源和社会保障局", UnitKind::Department, "441781"),
            unit(2, "GD441781-ZJ", "阳春市住房和建设局", UnitKind::Department, "441781"),
            unit(3, "GD441781103-ZF", "石望镇人民政府", UnitKind::Government, "441781103"),
            unit(4, "GD441781103-XFB", "石望镇信访办", UnitKind::PetitionBureau, "441781103"),
            unit(5, "GD4417-RST", "阳江市人力资源和社会保障局", UnitKind::Department, "4417"),
            unit(6, "GD4417-FY", "阳江市中级人民法院", UnitKind::Court, "4417"),
        ]);
        let code = |k: &str, r: &str| resolve_unit(&tree, k, r).map(|u| u.code.clone());
        assert_eq!(code("人力资源和社会保障局", "441781103").as_deref(), Some("GD441781-RST"));
        assert_eq!(code("住房和城乡建设局", "441781").as_deref(), Some("GD441781-ZJ"));
        assert_eq!(code("乡镇人民政府", "441781103").as_deref(), Some("GD441781103-ZF"));
        assert_eq!(code("人民法院", "441781103").as_deref(), Some("GD4417-FY"), "none in the county: the city's");
        assert_eq!(code("通信管理局", "441781103"), None);
        // A shared generic ending (监督管理) is no evidence; another name of
        // the same body is.
        let tree = UnitTree::new([
            unit(1, "GD440304-SJ", "福田区市场监督管理局", UnitKind::Department, "440304"),
            unit(2, "GD440304-CG", "福田区城市管理和综合执法局", UnitKind::Department, "440304"),
            unit(3, "GD440304-GA", "福田区公安分局", UnitKind::Police, "440304"),
        ]);
        let code = |k: &str| resolve_unit(&tree, k, "440304").map(|u| u.code.clone());
        assert_eq!(code("国有资产监督管理委员会"), None);
        assert_eq!(code("地方金融监督管理局"), None);
        assert_eq!(code("城市管理局").as_deref(), Some("GD440304-CG"));
        assert_eq!(code("公安局").as_deref(), Some("GD440304-GA"));
        assert_eq!(code("市场监督管理局").as_deref(), Some("GD440304-SJ"));
        assert_eq!(region_chain("441781106"), vec!["441781106", "441781", "4417", "44"]);
    }
}
