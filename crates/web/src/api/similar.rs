//! `GET /api/v1/petitions/{number}/similar` (issue 13, item 2): the
//! petitions the caller sees in full that look like a repeat of this one —
//! the same petitioner (a keyed identity number, or name with phone) or
//! the same matter in other words — with a score and the reasons.
//!
//! Candidates come from two places: the petitioner's other petitions
//! (`petition_identities`), and the full-text index, asked for petitions
//! sharing at least two of this one's most telling words. Each is scored by
//! TF-IDF cosine over the segmenter's words and the text's character pairs
//! (`xinfang_text::similar::features`),
//! with document frequencies from the candidates and the caller's newest
//! petitions, so that words every petition uses count for little.

use super::petitions::load_visible;
use crate::auth::Staff;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiPath;
use crate::search::segmenter;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use utoipa::ToSchema;
use xinfang_domain::access::{View, view};
use xinfang_store::{FullText, PetitionFilter};
use xinfang_text::particulars::{Commonness, Particulars};
pub use xinfang_text::similar::Filed;
use xinfang_text::similar::{DocFreq, FILED_APART_FACTOR, SAME_MATTER_SCORE, TermVector, features, filed_apart, matter_score};

/// Candidates read from the index, and petitions read for word weights.
const CANDIDATES: i64 = 200;
const BACKGROUND: i64 = 300;
/// Words of this petition asked for (any two of them together).
const QUERY_WORDS: usize = 6;
/// Most petitions answered.
const MAX_SIMILAR: usize = 10;
/// Characters of each petition compared: the matter is told at the start,
/// and this bounds the work of a request over 500 long petitions.
const COMPARED_CHARS: usize = 2_000;

/// The first `n` characters of `text`.
fn head(text: &str, n: usize) -> &str {
    text.char_indices().nth(n).map_or(text, |(i, _)| &text[..i])
}

#[derive(Serialize, ToSchema)]
pub struct SimilarPetition {
    pub number: String,
    pub title: String,
    pub state: String,
    pub registered_at: String,
    /// Same-matter score in [0, 1]: the TF-IDF cosine of the two petitions'
    /// words and character pairs, halved when they name different things of
    /// one kind, doubled when they state the same sum or name the same
    /// person (`xinfang_text::similar::matter_score`).
    pub score: f64,
    /// Filed by the same person (identity number, name with phone, or name
    /// with address).
    pub same_petitioner: bool,
    /// This one was concluded after 复核: if the new petition repeats its
    /// facts and reasons, it is not accepted again (Art. 36).
    pub no_longer_accepted: bool,
    /// Why it is listed, in Chinese: the same petitioner, the words shared,
    /// names that differ, sums or people that agree.
    pub reasons: Vec<String>,
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[utoipa::path(get, path = "/api/v1/petitions/{number}/similar", tag = "intelligence", security(("bearer" = [])),
    params(("number" = String, Path, description = "Petition number")),
    description = "Possible repeats of this petition among those the caller sees in full: the same petitioner, or the same matter by text similarity; best first.",
    responses((status = 200, body = Vec<SimilarPetition>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn similar(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(number): ApiPath<String>,
) -> ApiResult<Json<Vec<SimilarPetition>>> {
    let (rec, v) = load_visible(&state, &staff, &number).await?;
    super::petitions::require_full(v)?;
    let own_text = [rec.title.as_str(), &rec.content, &rec.request, &rec.facts_and_reasons].join("\n");
    let keys = state.store.identity_keys_of(rec.id).await?;
    let filed = Filed::stored(rec.case.category.as_str(), rec.case.litigation_related, rec.topic.as_deref());
    Ok(Json(similar_to(&state, &staff, &own_text, filed, &keys, Some(rec.id)).await?))
}

/// Petitions the caller sees in full that look like a repeat of `own_text`
/// filed by the petitioner of `keys` (keyed identity hashes), best first;
/// `exclude` is the petition itself, when it is stored; `filed` its class
/// and topic as far as known (a petition being registered: the topic the
/// clerk chose, if any). Used for a stored petition and for one being
/// registered.
pub async fn similar_to(
    state: &AppState,
    staff: &Staff,
    own_text: &str,
    filed: Filed<'_>,
    keys: &[String],
    exclude: Option<i64>,
) -> ApiResult<Vec<SimilarPetition>> {
    let tree = state.tree();
    let seg = segmenter(&tree);
    let own_text = head(own_text, COMPARED_CHARS);
    let own_terms = seg.terms(own_text);
    let own_features = features(&own_terms, own_text);
    let own_particulars = Particulars::of(&seg, own_text, &own_terms);
    // The same petitioner.
    let same: HashMap<i64, String> = if keys.is_empty() {
        HashMap::new()
    } else {
        state.store.same_petitioner(keys).await?.into_iter().filter(|c| Some(c.id) != exclude).map(|c| (c.id, c.number)).collect()
    };
    // The same matter: petitions sharing two of the most telling words
    // (the longest distinct ones: names, places, amounts).
    let mut words: Vec<&String> = own_terms.iter().filter(|t| t.chars().count() >= 2).collect();
    words.sort_by(|a, b| b.chars().count().cmp(&a.chars().count()).then_with(|| a.cmp(b)));
    words.dedup();
    words.truncate(QUERY_WORDS);
    let mut alternatives = Vec::new();
    for (i, a) in words.iter().enumerate() {
        for b in &words[i + 1..] {
            alternatives.push(vec![(*a).clone(), (*b).clone()]);
        }
    }
    let vis = staff.visibility(&tree);
    let reader = state.store.reader();
    let mut rows = Vec::new();
    if !alternatives.is_empty() {
        let f = PetitionFilter {
            fulltext: Some(FullText { alternatives, ..Default::default() }),
            skip_total: true,
            limit: CANDIDATES,
            ..Default::default()
        };
        rows = reader.list_petitions(&f, Some(&vis)).await?.0;
    }
    if !same.is_empty() {
        let numbers: Vec<String> = same.values().take(CANDIDATES as usize).cloned().collect();
        let f = PetitionFilter { numbers, skip_total: true, limit: CANDIDATES, ..Default::default() };
        rows.extend(reader.list_petitions(&f, Some(&vis)).await?.0);
    }
    let mut seen: HashSet<i64> = exclude.into_iter().collect();
    rows.retain(|r| seen.insert(r.id) && view(&r.case, r.confidential, staff.unit.id, staff.user.role, &tree) == View::Full);
    // Word weights: the candidates and the caller's newest petitions.
    let (background, _) =
        reader.list_petitions(&PetitionFilter { limit: BACKGROUND, skip_total: true, ..Default::default() }, Some(&vis)).await?;
    let mut ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    ids.extend(background.iter().map(|r| r.id).filter(|id| !seen.contains(id)));
    let bodies = state.store.petition_bodies(&ids).await?;
    let titles: HashMap<i64, &str> =
        rows.iter().map(|r| (r.id, r.title.as_str())).chain(background.iter().map(|r| (r.id, r.title.as_str()))).collect();
    let texts: Vec<(i64, String)> = ids
        .iter()
        .map(|id| {
            let text = format!("{}\n{}", titles.get(id).copied().unwrap_or(""), bodies.get(id).map_or("", String::as_str));
            (*id, head(&text, COMPARED_CHARS).to_owned())
        })
        .collect();
    // Cutting up to 500 texts is CPU work: off the async workers.
    let (candidates, cutter) = (rows.len(), seg.clone());
    let (terms_of, particulars_of) = tokio::task::spawn_blocking(move || {
        let mut particulars_of: HashMap<i64, Particulars> = HashMap::new();
        let mut terms_of: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for (i, (id, text)) in texts.iter().enumerate() {
            let terms = cutter.terms(text);
            // Only the candidates are scored; the rest give word weights.
            if i < candidates {
                particulars_of.insert(*id, Particulars::of(&cutter, text, &terms));
            }
            terms_of.insert(*id, features(&terms, text));
        }
        (terms_of, particulars_of)
    })
    .await
    .map_err(|_| ApiError::internal())?;
    // How many of the compared petitions give each sum and person: one that
    // many candidates give (a round 2万元, a common 王伟) agrees with nothing.
    let mut common = Commonness::new();
    common.add(&own_particulars);
    for p in particulars_of.values() {
        common.add(p);
    }
    let mut df = DocFreq::new();
    df.add(&own_features);
    for t in terms_of.values() {
        df.add(t);
    }
    let own = TermVector::new(&own_features, &df);
    let mut out: Vec<SimilarPetition> = rows
        .into_iter()
        .filter_map(|r| {
            let mut sim = own.cosine(&TermVector::new(terms_of.get(&r.id)?, &df));
            let matter = matter_score(sim.score, &own_particulars, particulars_of.get(&r.id)?, &common);
            sim.score = matter.score;
            // Filed under another class or topic: less likely one matter.
            let theirs = Filed::stored(r.case.category.as_str(), r.case.litigation_related, r.topic.as_deref());
            let apart = filed_apart(filed, theirs);
            if apart {
                sim.score *= FILED_APART_FACTOR;
            }
            let same_petitioner = same.contains_key(&r.id);
            if !same_petitioner && sim.score < SAME_MATTER_SCORE {
                return None;
            }
            let mut reasons = Vec::new();
            if same_petitioner {
                reasons.push("同一信访人（身份证号、姓名与电话或姓名与地址相同）".to_string());
            }
            if !sim.shared.is_empty() {
                let shared: Vec<&str> = sim.shared.iter().map(|(w, _)| w.as_str()).collect();
                reasons.push(format!("相同词语：{}", shared.join("、")));
            }
            if let Some((a, b)) = &matter.different_names {
                reasons.push(format!("所涉名称不同：{a}／{b}（相似度减半）"));
            }
            if !matter.agreeing.is_empty() {
                reasons.push(format!("金额或人名相同：{}（相似度加倍）", matter.agreeing.join("、")));
            }
            if let Some((a, b)) = matter.different_sums {
                reasons.push(format!("所述金额不同：{a}元／{b}元（相似度降低）"));
            }
            if apart {
                reasons.push("分类或内容分类不同（相似度降低）".to_string());
            }
            // Said from the score as given, so the reason and the score
            // the page shows beside it read the same percentage.
            let score = round3(sim.score);
            if sim.score >= SAME_MATTER_SCORE {
                reasons.push(format!("内容相似度 {:.0}%", score * 100.0));
            }
            if xinfang_domain::repeats::no_longer_accepted(&r.case) {
                reasons.push("该件已经复核终结：同一事实和理由不再受理（第三十六条）".to_string());
            }
            Some(SimilarPetition {
                number: r.number,
                title: r.title,
                state: r.state,
                registered_at: r.registered_at,
                score,
                same_petitioner,
                no_longer_accepted: xinfang_domain::repeats::no_longer_accepted(&r.case),
                reasons,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        let key = |p: &SimilarPetition| p.score + if p.same_petitioner { 0.5 } else { 0.0 };
        key(b).total_cmp(&key(a)).then_with(|| b.registered_at.cmp(&a.registered_at))
    });
    out.truncate(MAX_SIMILAR);
    Ok(out)
}
