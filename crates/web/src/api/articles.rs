//! The article library (issue 15 item 1): every article of the 2022
//! Regulations with the project's plain-language summary and the key
//! wording `regulation.md` quotes, each labelled as what it is; the
//! official text once an admin has imported it; the related national rules.
//! Public: citizens follow links to it from the tracking page.

use crate::auth::Staff;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use xinfang_domain::role::Role;
use xinfang_law::{Article, article_label, library};

/// What the summary is, said wherever it is shown.
pub const SUMMARY_NOTE: &str = "本条摘要是本系统编写的通俗说明，不是条例原文；以正式文本为准。";

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct ChapterView {
    pub number: u16,
    /// 第三章
    pub label: String,
    pub title: String,
    pub first: u16,
    pub last: u16,
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct QuoteView {
    /// A short extract of the official text.
    pub text: String,
    /// Where it is quoted from.
    pub source: String,
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct ArticleView {
    pub number: u16,
    /// 第二十二条
    pub label: String,
    pub chapter: ChapterView,
    /// The project's heading (the official text has none).
    pub heading: String,
    /// The project's plain-language summary — not the official wording.
    pub summary: String,
    pub summary_note: String,
    /// Key wording quoted from the official text, with its source.
    pub quotes: Vec<QuoteView>,
    /// The official text's paragraphs, once imported.
    pub text: Option<Vec<String>>,
    /// Where the imported official text came from.
    pub source: Option<String>,
    /// Whether it concerns what a petitioner can do, must do or expect.
    pub for_petitioner: bool,
    /// The article's page.
    pub link: String,
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct RelatedRuleView {
    pub key: String,
    pub title: String,
    pub issued: Option<String>,
    pub source: String,
    /// What the system applies from it (the project's words).
    pub points: Vec<String>,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct ArticleList {
    pub title: String,
    pub chapters: Vec<ChapterView>,
    pub articles: Vec<ArticleView>,
    /// Whether the official text has been imported.
    pub official_text: bool,
    pub related_rules: Vec<RelatedRuleView>,
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct ArticleQuery {
    /// Words to look for (heading, summary, quotes, official text), or an
    /// article number (22, 第二十二条).
    pub q: Option<String>,
}

fn chapter_view(c: &xinfang_law::Chapter) -> ChapterView {
    ChapterView {
        number: c.number,
        label: format!("第{}章", xinfang_law::cn_number(c.number)),
        title: c.title.clone(),
        first: c.first,
        last: c.last,
    }
}

/// The official text by article, with its source.
pub type Official = HashMap<u16, (Vec<String>, String)>;

pub async fn official(state: &AppState) -> ApiResult<Official> {
    Ok(state
        .store
        .regulation_text()
        .await?
        .into_iter()
        .map(|a| (a.article as u16, (a.body.split('\n').map(str::to_string).collect(), a.source)))
        .collect())
}

pub fn article_view(a: &Article, official: &Official) -> ArticleView {
    let lib = library();
    let chapter = lib.chapter_of(a.number).map(chapter_view).unwrap_or(ChapterView {
        number: 0,
        label: String::new(),
        title: String::new(),
        first: 0,
        last: 0,
    });
    let text = official.get(&a.number);
    ArticleView {
        number: a.number,
        label: article_label(a.number),
        chapter,
        heading: a.heading.clone(),
        summary: a.summary.clone(),
        summary_note: SUMMARY_NOTE.into(),
        quotes: a.quotes.iter().map(|q| QuoteView { text: q.text.clone(), source: quote_source(&q.source) }).collect(),
        text: text.map(|t| t.0.clone()),
        source: text.map(|t| t.1.clone()),
        for_petitioner: a.for_petitioner,
        link: format!("/law/{}", a.number),
    }
}

/// "S1" → what S1 is (regulation.md §0).
pub fn quote_source(id: &str) -> String {
    match id {
        "S1" => "《信访工作条例》全文（中共中央、国务院2022年2月25日发布）摘录".into(),
        other => other.into(),
    }
}

pub fn related_views() -> Vec<RelatedRuleView> {
    library()
        .related
        .iter()
        .map(|r| RelatedRuleView {
            key: r.key.clone(),
            title: r.title.clone(),
            issued: r.issued.clone(),
            source: r.source.clone(),
            points: r.points.clone(),
        })
        .collect()
}

/// Articles matching `q` (all when empty), with the official text if any.
pub async fn search(state: &AppState, q: &str) -> ApiResult<(Vec<ArticleView>, bool)> {
    if q.chars().count() > 100 {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_parameter", "查询词不超过100字").at("q"));
    }
    let off = official(state).await?;
    let text = |n: u16| off.get(&n).map(|t| t.0.join(""));
    let found = library().search(q, &text).into_iter().map(|a| article_view(a, &off)).collect();
    Ok((found, !off.is_empty()))
}

#[utoipa::path(get, path = "/api/v1/articles", tag = "law",
    description = "The 2022 《信访工作条例》: chapters and articles, each with the project's plain-language summary (labelled as such), the key wording quoted with its source, and the official text once imported; `q` searches (words or an article number). Public.",
    params(ArticleQuery),
    responses((status = 200, body = ArticleList), (status = 422, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, ApiQuery(q): ApiQuery<ArticleQuery>) -> ApiResult<Json<ArticleList>> {
    let (articles, official_text) = search(&state, q.q.as_deref().unwrap_or("")).await?;
    Ok(Json(ArticleList {
        title: xinfang_law::library::TITLE.into(),
        chapters: library().chapters.iter().map(chapter_view).collect(),
        articles,
        official_text,
        related_rules: related_views(),
    }))
}

#[utoipa::path(get, path = "/api/v1/articles/{number}", tag = "law",
    description = "One article (1–50): `number`, `chapter`, `summary` (the project's), `quotes`, `text` when the official text is loaded, `source`. Public.",
    params(("number" = u16, Path, description = "1–50")),
    responses((status = 200, body = ArticleView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get(State(state): State<AppState>, ApiPath(number): ApiPath<String>) -> ApiResult<Json<ArticleView>> {
    // A public page: "无权查看" would make no sense, the count helps.
    let nf = || ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("没有这一条（本条例共{}条）", xinfang_law::library::ARTICLES));
    let n = xinfang_law::library::article_number(&number).ok_or_else(nf)?;
    let off = official(&state).await?;
    let a = library().article(n).ok_or_else(nf)?;
    Ok(Json(article_view(a, &off)))
}

#[derive(Deserialize, ToSchema)]
pub struct OfficialImport {
    /// The official text in the documented plain-text format (docs/learning.md).
    pub text: String,
    /// Where it was taken from (shown beside the text).
    pub source: String,
}

#[derive(Serialize, ToSchema)]
pub struct ImportResult {
    pub articles: usize,
    pub chapters: usize,
}

#[utoipa::path(put, path = "/api/v1/articles/official-text", tag = "law", security(("bearer" = [])),
    description = "Import the official text (admin): one article per block, numbered as in the gazette (docs/learning.md). Validated whole — 50 articles, numbering continuous, chapters in place — and then replaces any earlier import; a refused file changes nothing.",
    request_body = OfficialImport,
    responses((status = 200, body = ImportResult), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import(State(state): State<AppState>, staff: Staff, ApiJson(input): ApiJson<OfficialImport>) -> ApiResult<Json<ImportResult>> {
    staff.require_role(&[Role::Admin])?;
    let source = input.source.trim();
    let (n_articles, n_chapters) = import_text(&state, &input.text, source, staff.user.id).await?;
    Ok(Json(ImportResult { articles: n_articles, chapters: n_chapters }))
}

/// Parse, validate and store the official text (the API and the
/// workbench's form both come here).
pub async fn import_text(state: &AppState, text: &str, source: &str, by: i64) -> ApiResult<(usize, usize)> {
    let source = source.trim();
    if source.is_empty() || source.chars().count() > 300 {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", "请注明文本来源（不超过300字）").at("source"));
    }
    let lib = library();
    let parsed = xinfang_law::official::parse(text, lib).map_err(|p| {
        let mut e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_official_text", p.to_string()).at("text");
        if p.line > 0 {
            e = e.at(&format!("line {}", p.line));
        }
        e
    })?;
    let rows: Vec<(i64, i64, String)> = parsed
        .articles
        .iter()
        .map(|a| (i64::from(a.number), lib.chapter_of(a.number).map_or(0, |c| i64::from(c.number)), a.paragraphs.join("\n")))
        .collect();
    state.store.import_regulation_text(&rows, source, by).await?;
    Ok((parsed.articles.len(), parsed.chapters.len()))
}

/// The page of the article (or related rule) a rule of the procedure
/// carries out: `art19_3` → `/law/19`, the discipline bodies' rules →
/// `/law/rules/discipline`; None for rules that are not law (access, input).
pub fn rule_link(rule: xinfang_domain::error::Rule) -> Option<String> {
    use xinfang_domain::error::Rule;
    match rule {
        Rule::DisciplineRules => Some("/law/rules/discipline".into()),
        Rule::Simplified => Some("/law/rules/simplified".into()),
        Rule::Access | Rule::Procedure | Rule::Input => None,
        other => {
            let code = other.code();
            let digits: String = code.trim_start_matches("art").chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u16>().ok().filter(|n| library().article(*n).is_some()).map(|n| format!("/law/{n}"))
        }
    }
}

/// `rule_link`, for the public pages: only articles that concern the
/// petitioner (the library's `for_petitioner`) are linked there.
pub fn petitioner_link(rule: xinfang_domain::error::Rule) -> Option<String> {
    let link = rule_link(rule)?;
    let n: u16 = link.strip_prefix("/law/")?.parse().ok()?;
    library().article(n).filter(|a| a.for_petitioner).map(|_| link)
}

#[cfg(test)]
mod tests {
    use super::*;
    use xinfang_domain::error::Rule;

    #[test]
    fn every_article_rule_links_to_its_page() {
        assert_eq!(rule_link(Rule::Art19Para3).as_deref(), Some("/law/19"));
        assert_eq!(rule_link(Rule::Art36).as_deref(), Some("/law/36"));
        assert_eq!(rule_link(Rule::DisciplineRules).as_deref(), Some("/law/rules/discipline"));
        assert_eq!(rule_link(Rule::Input), None);
        assert_eq!(petitioner_link(Rule::Art35).as_deref(), Some("/law/35"));
        assert_eq!(petitioner_link(Rule::DisciplineRules), None);
        assert!(library().related("simplified").is_some() && library().related("discipline").is_some());
    }
}
