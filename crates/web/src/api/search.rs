//! `GET /api/v1/search`: Chinese full-text search over the petitions the
//! caller may see, with the list's filters, ranked, with snippets
//! (issue 13; docs/search.md).
//!
//! The database's index finds the matching petitions the caller's unit
//! sees, newest first, up to `SEARCH_WINDOW`; those are ranked here
//! (`xinfang_text::rank`) and paged by position. A petition the caller
//! does not see in full (a confidential petitioner, a sealed accusation)
//! is found only by words of its title, which the caller sees anyway, and
//! its snippet is cut from the title: the index must not tell what its
//! body or its petitioner's name holds.

use super::petitions::{ListQuery, filter_of, list_items};
use crate::auth::Staff;
use crate::dto::PetitionListItem;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use crate::observe::Phases;
use crate::search::{query, segmenter, synonyms, title_has_terms, wider_query};
use crate::state::AppState;
use crate::views::shown_title;
use axum::extract::State;
use axum::{Extension, Json};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;
use xinfang_domain::access::{View, view};
use xinfang_store::PetitionFilter;
use xinfang_text::rank::{Doc, scores};

/// Most matching petitions read and ranked per search: the newest this
/// many the caller may see (`total_capped` says when there were more).
pub const SEARCH_WINDOW: i64 = 200;
/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 50;
/// Characters of a snippet.
pub const SNIPPET_CHARS: usize = 80;

/// A piece of a snippet; `hit` marks a searched word.
#[derive(Serialize, ToSchema)]
pub struct SnippetSpan {
    pub text: String,
    pub hit: bool,
}

#[derive(Serialize, ToSchema)]
pub struct SearchHit {
    #[serde(flatten)]
    pub petition: PetitionListItem,
    /// Relevance among this search's results (higher first); comparable
    /// only within one search.
    pub score: f64,
    /// Where the words occur: from the body for a petition seen in full,
    /// else from the title.
    pub snippet: Vec<SnippetSpan>,
}

#[derive(Serialize, ToSchema)]
pub struct SearchPage {
    pub items: Vec<SearchHit>,
    /// The words searched for, as the query was cut.
    pub terms: Vec<String>,
    /// The query said other ways and searched for too (欠薪 → 拖欠工资;
    /// `data/search_synonyms.txt`): each as its words.
    pub also: Vec<Vec<String>>,
    /// Matching petitions ranked (at most `SEARCH_WINDOW`, the newest).
    pub total: i64,
    /// More petitions matched than were ranked: narrow the search (words,
    /// dates, state) to reach older ones.
    pub total_capped: bool,
    pub next_cursor: Option<String>,
}

fn bad_query(message: &str) -> ApiError {
    ApiError::bad_request("invalid_query", message.to_string())
}

/// The position a cursor of this endpoint stands for.
fn decode_position(cursor: Option<&str>) -> ApiResult<usize> {
    match cursor.filter(|c| !c.is_empty()) {
        None => Ok(0),
        Some(c) => c
            .strip_prefix("r")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n < SEARCH_WINDOW as usize)
            .ok_or_else(|| ApiError::bad_request("invalid_cursor", "分页游标（cursor）无效，请从第一页重新开始")),
    }
}

#[utoipa::path(get, path = "/api/v1/search", tag = "petitions", params(ListQuery), security(("bearer" = [])),
    description = "Full-text search (`q`, required: words, or a petitioner's full name) with the list's filters. \
        Ranked by relevance among the newest 200 matches the caller may see; `cursor` pages through them.",
    responses((status = 200, body = SearchPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<(Extension<Phases>, Json<SearchPage>)> {
    let mut phases = Phases::start();
    let page = search_page(state, staff, q, &mut phases).await?;
    Ok((Extension(phases), Json(page)))
}

/// A search's answer (the API's and the workbench's), each phase timed
/// into `phases` (`Server-Timing`: query, find, rank, items).
pub async fn search_page(state: AppState, staff: Staff, q: ListQuery, phases: &mut Phases) -> ApiResult<SearchPage> {
    let text = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()).ok_or_else(|| bad_query("请输入要搜索的词语（q）"))?.to_string();
    if text.chars().count() > MAX_QUERY_CHARS {
        return Err(bad_query(&format!("搜索词不能超过{MAX_QUERY_CHARS}个字")));
    }
    // A petition number, an identity number or a phone: what the list's
    // search box finds for it (the same rules, the same access log).
    if !matches!(super::petitions::SearchText::parse(&text), Some(super::petitions::SearchText::Words(_))) {
        return by_identifier(state, staff, q, text).await;
    }
    let per_page = usize::try_from(super::petitions::per_page(q.per_page)?).unwrap_or(20);
    let start = decode_position(q.cursor.as_deref())?;
    let tree = state.tree();
    let seg = segmenter(&tree);
    let (fulltext, terms) =
        query(&seg, &state.keyring, &text).filter(|(_, terms)| !terms.is_empty()).ok_or_else(|| bad_query("搜索词中没有可以查找的字词"))?;
    let also = synonyms(&seg, &text);
    phases.lap("query");
    let base = filter_of(&state, &ListQuery { q: None, cursor: None, id_number: None, phone: None, ..q })?;
    let filter = PetitionFilter {
        fulltext: Some(fulltext),
        text: None,
        skip_total: true,
        common_matches: Some(state.settings.search_common_matches),
        limit: SEARCH_WINDOW,
        offset: 0,
        after: None,
        sort_by_due: false,
        with_body: true,
        ..base
    };
    let visibility = staff.visibility(&tree);
    // What the caller may be shown of the rows found: a petition it does
    // not see in full only by the words of the title it may read.
    let shown = |rows: Vec<xinfang_store::PetitionSummary>| -> Vec<(xinfang_store::PetitionSummary, View)> {
        rows.into_iter()
            .map(|r| {
                let v = view(&r.case, r.confidential, staff.unit.id, staff.user.role, &tree);
                (r, v)
            })
            .filter(|(r, v)| *v == View::Full || (*v != View::Hidden && title_has_terms(shown_title(&r.title, *v), &terms)))
            .collect()
    };
    let rows = state.store.reader().search_petitions(&filter, Some(&visibility)).await?;
    let mut capped = i64::try_from(rows.len()).unwrap_or(0) >= SEARCH_WINDOW;
    let mut seen = shown(rows);
    // Nothing to show as typed: the long words as their pieces (人力资源
    // inside a unit's name), a second read only then. Decided on what may
    // be shown, so a hidden row's words change nothing.
    if seen.is_empty()
        && let Some(wider) = wider_query(&seg, &text)
    {
        let rows = state.store.reader().search_petitions(&PetitionFilter { fulltext: Some(wider), ..filter }, Some(&visibility)).await?;
        capped = i64::try_from(rows.len()).unwrap_or(0) >= SEARCH_WINDOW;
        seen = shown(rows);
    }
    phases.lap("find");
    // Bodies came with the rows (`with_body`); only a petition seen in
    // full is ranked and cut by its body.
    fn body_of(r: &xinfang_store::PetitionSummary, v: View) -> &str {
        if v == View::Full { r.body.as_deref().unwrap_or("") } else { "" }
    }
    let docs: Vec<Doc<'_>> = seen.iter().map(|(r, v)| Doc { title: shown_title(&r.title, *v), body: body_of(r, *v) }).collect();
    // A petition found by a word said another way ranks as if that word
    // had been typed (`scores` reads each term's ways), and the snippet
    // marks the way it says it.
    let score = scores(&text, &terms, &docs);
    let marked: Vec<String> =
        terms.iter().flat_map(|t| xinfang_text::synonyms::variants(t)).chain(also.iter().flat_map(|(_, w)| w.iter().cloned())).collect();
    let mut order: Vec<usize> = (0..seen.len()).collect();
    // Stable: equal scores keep the index's order, newest first.
    order.sort_by(|a, b| score[*b].total_cmp(&score[*a]));
    let total = order.len();
    let page: Vec<usize> = order.into_iter().skip(start).take(per_page).collect();
    let mut snippets: HashMap<i64, (f64, Vec<SnippetSpan>)> = HashMap::new();
    for i in &page {
        let (r, v) = &seen[*i];
        // The body, unless only the title says a word looked for (the
        // snippet then shows where the match is, not unmarked text).
        let body = body_of(r, *v);
        let says = |text: &str| {
            let text = xinfang_text::segment::normalize(text);
            marked.iter().any(|w| !w.is_empty() && text.contains(&xinfang_text::segment::normalize(w)))
        };
        let title = shown_title(&r.title, *v);
        let source = if !body.is_empty() && (says(body) || !says(title)) { body } else { title };
        let spans =
            xinfang_text::snippet(source, &marked, SNIPPET_CHARS).into_iter().map(|s| SnippetSpan { text: s.text, hit: s.hit }).collect();
        snippets.insert(r.id, (score[*i], spans));
    }
    phases.lap("rank");
    let ids: Vec<(i64, String)> = page.iter().map(|i| (seen[*i].0.id, seen[*i].0.number.clone())).collect();
    let rows: Vec<xinfang_store::PetitionSummary> = page.iter().map(|i| seen[*i].0.clone()).collect();
    let items = list_items(&state, &staff, rows).await?;
    let by_number: HashMap<&str, i64> = ids.iter().map(|(id, n)| (n.as_str(), *id)).collect();
    let items = items
        .into_iter()
        .map(|petition| {
            let (score, snippet) = by_number.get(petition.number.as_str()).and_then(|id| snippets.remove(id)).unwrap_or_default();
            SearchHit { petition, score: (score * 1000.0).round() / 1000.0, snippet }
        })
        .collect();
    phases.lap("items");
    let next = start + per_page;
    Ok(SearchPage {
        items,
        terms,
        also: also.into_iter().map(|(_, w)| w).collect(),
        total: i64::try_from(total).unwrap_or(0),
        total_capped: capped,
        next_cursor: (next < total).then(|| format!("r{next}")),
    })
}

/// A search for a petition number, an identity number or a phone: the
/// list's answer as search hits (no ranking; the title as the snippet).
async fn by_identifier(state: AppState, staff: Staff, q: ListQuery, text: String) -> ApiResult<SearchPage> {
    let cursor = q.cursor.clone();
    let page = super::petitions::list(State(state), staff, ApiQuery(ListQuery { q: Some(text), cursor, page: None, ..q })).await?.0;
    let items = page
        .items
        .into_iter()
        .map(|petition| {
            let snippet = vec![SnippetSpan { text: petition.title.clone(), hit: false }];
            SearchHit { petition, score: 0.0, snippet }
        })
        .collect();
    Ok(SearchPage {
        items,
        terms: Vec::new(),
        also: Vec::new(),
        total: page.total,
        total_capped: page.total_capped,
        next_cursor: page.next_cursor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_positions_inside_the_window() {
        assert_eq!(decode_position(None).ok(), Some(0));
        assert_eq!(decode_position(Some("r20")).ok(), Some(20));
        assert!(decode_position(Some("r200")).is_err());
        assert!(decode_position(Some("20")).is_err());
        assert!(decode_position(Some("r-1")).is_err());
    }
}
