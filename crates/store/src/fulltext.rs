//! The full-text index of petitions (issue 13; docs/search.md): the
//! database's own index on both engines, fed with words the text crate cut
//! (`xinfang_text::Segmenter::index_text`), so that neither engine has to
//! know Chinese.
//!
//! * SQLite: an FTS5 table of the words (each once) without positions
//!   (`detail=column`: matching only; ranking is done on the few rows
//!   shown, in Rust, the same on both engines), whose rowid is the
//!   petition's id. (Migration 1300 made it without content and with
//!   `detail=none`; 1305 made it again as it is now, see below.)
//! * PostgreSQL: a `tsvector` per petition built from the words as they are
//!   (`array_to_tsvector`, no parser, no dictionary) under a GIN index.
//!
//! A query is a list of alternatives, each a list of words that must all
//! occur (`(a AND b) OR c`): the words typed, or the keyed token of a
//! petitioner's name. The words are data, never syntax: each is quoted for
//! the engine's query language.
//!
//! Each entry also carries the petition's viewing units (the ids of its
//! `petition_viewers` rows, migration 1305), so that "the caller's
//! matches" is one intersection inside the index, read newest first and
//! stopped at the page, instead of every match of a common word joined
//! with the caller's rows (which grows with the table: docs/performance.md,
//! issue 13 at 1,000,000). The viewer rows stay the rule: every read joins
//! them as before, the tokens only narrow what the index hands over.
//! * SQLite: a second column, `viewers`, of tokens `v<id>`, queried with a
//!   column filter (the words are queried in `tokens` only; a column filter
//!   needs `detail=column`, which keeps per entry the columns a word is in,
//!   still no positions). The table now keeps its content, because
//!   changing the viewers rewrites the entry.
//! * PostgreSQL: lexemes `#<id>` in the same `tsvector` (a typed word never
//!   holds `#`: `pieces` splits there), replaced with `ts_delete`.
//!
//! PostgreSQL's entries also carry the petition's *id bucket*, `@<id >>
//! 13>` (migration 1306): 8,192 consecutive petitions share one. A GIN
//! index hands over its matches as a bitmap that must be read from the
//! table before they can be ordered; for a common word at 1,000,000
//! petitions that was 53,811 rows over 43,018 blocks to show 200
//! (docs/performance.md). `fulltext_candidates` asks for the newest
//! bucket first, then for as many older ones as the density of matches so
//! far says the page needs (`next_span`), so the rows read follow the
//! page, not the word. SQLite's FTS5
//! reads its matches in rowid order and stops by itself.

use crate::db::{Arg, Dialect, Result, Sql, Store, WriteTx};

/// The statements of migration 1300.
pub(crate) fn schema(dialect: Dialect) -> Vec<String> {
    match dialect {
        Dialect::Sqlite => vec![
            "CREATE VIRTUAL TABLE petition_fts USING fts5(tokens, content = '', contentless_delete = 1, detail = none, \
             tokenize = 'ascii')"
                .into(),
        ],
        Dialect::Postgres => vec![
            "CREATE TABLE petition_fts (petition_id BIGINT PRIMARY KEY, doc tsvector NOT NULL)".into(),
            "CREATE INDEX petition_fts_doc ON petition_fts USING gin (doc)".into(),
        ],
    }
}

/// The statements of migration 1305: viewers in the index. SQLite's
/// table is made again, with content and a `viewers` column, and left
/// empty: it is refilled at start-up (`search_index_missing`), because the
/// words were never stored. PostgreSQL adds the viewer lexemes in place.
pub(crate) fn viewers_schema(dialect: Dialect) -> Vec<String> {
    match dialect {
        Dialect::Sqlite => vec![
            "DROP TABLE petition_fts".into(),
            "CREATE VIRTUAL TABLE petition_fts USING fts5(tokens, viewers, detail = column, columnsize = 0, tokenize = 'ascii')".into(),
        ],
        Dialect::Postgres => vec![
            "UPDATE petition_fts f SET doc = doc || array_to_tsvector(ARRAY(SELECT '#' || v.unit_id FROM petition_viewers v \
             WHERE v.petition_id = f.petition_id))"
                .into(),
        ],
    }
}

/// A viewing unit as the index holds it (see the module's comment).
fn viewer_token(dialect: Dialect, unit_id: i64) -> String {
    match dialect {
        Dialect::Sqlite => format!("v{unit_id}"),
        Dialect::Postgres => format!("#{unit_id}"),
    }
}

/// Petitions per id bucket, as a shift (PostgreSQL; see the module's
/// comment).
const BUCKET_SHIFT: u32 = 13;

/// The id bucket lexeme of a petition (PostgreSQL). A typed word never
/// holds `@` (`pieces` splits there).
fn bucket_token(petition_id: i64) -> String {
    bucket_lexeme(petition_id >> BUCKET_SHIFT)
}

/// The lexeme of bucket `b` (migration 1306 writes the same in SQL).
fn bucket_lexeme(b: i64) -> String {
    format!("@{b}")
}

/// How many more petition ids (newest first) the next query of a search
/// covers, from the ids `read` so far and the matches `found` among them,
/// to find `need` more: enough at the density seen so far, with half again
/// to spare, so a search takes one query where its matches are dense and
/// two or three where they are sparse. None found yet: all that is left
/// (the matches are too sparse for buckets to save anything).
/// At least as many as were read (the span at least doubles), so a word
/// whose matches all sit among the newest petitions is not read one bucket
/// a query.
fn next_span(read: i64, found: i64, need: i64) -> i64 {
    if found <= 0 {
        return i64::MAX;
    }
    (need.saturating_mul(read).saturating_mul(3) / found.saturating_mul(2)).max(read).max(1)
}

/// Most buckets one query names; a wider span reads everything left
/// without a bucket condition (its matches are sparse by then).
const MAX_QUERY_BUCKETS: i64 = 32;

/// The statements of migration 1306: the id bucket in PostgreSQL's
/// entries (nothing for SQLite).
pub(crate) fn buckets_schema(dialect: Dialect) -> Vec<String> {
    match dialect {
        Dialect::Sqlite => Vec::new(),
        Dialect::Postgres => {
            vec![format!("UPDATE petition_fts SET doc = doc || array_to_tsvector(ARRAY['@' || (petition_id >> {BUCKET_SHIFT})::text])")]
        }
    }
}

/// The viewer tokens of an entry, space-separated.
fn viewer_tokens(dialect: Dialect, unit_ids: &[i64]) -> String {
    unit_ids.iter().map(|u| viewer_token(dialect, *u)).collect::<Vec<_>>().join(" ")
}

/// Longest word kept in the index (PostgreSQL refuses lexemes over 2 KB;
/// nothing a clerk types is this long).
const MAX_WORD_CHARS: usize = 60;

/// The pieces a word is stored and looked up as: split at every ASCII
/// character that is not a letter or digit (`3.5万` → `3`, `5万`). This is
/// exactly where SQLite's `ascii` tokenizer splits, so a word of a query
/// is always one token there (FTS5 without positions refuses a phrase),
/// and PostgreSQL, given the same pieces, finds the same petitions.
fn pieces(word: &str) -> impl Iterator<Item = &str> {
    word.split(|c: char| c.is_ascii() && !c.is_ascii_alphanumeric()).filter(|p| !p.is_empty())
}

/// Words as the index stores them: split on white space and into
/// `pieces`, each at most `MAX_WORD_CHARS`, each once (the index keeps
/// neither counts nor positions, so a repeat would only take room), in
/// their first order, joined by one space.
pub fn clean_tokens(tokens: &str) -> String {
    let mut seen = std::collections::HashSet::new();
    tokens
        .split_whitespace()
        .flat_map(pieces)
        .filter(|w| w.chars().count() <= MAX_WORD_CHARS && seen.insert(*w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A full-text query: any of `alternatives` matches, an alternative when
/// all its words occur. Empty: matches nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FullText {
    pub alternatives: Vec<Vec<String>>,
    /// Words that may well be held by none of the caller's entries (the
    /// keyed token of a petitioner's name tried for a search's words):
    /// each is looked up once before the search, and an alternative
    /// holding one that none of them holds is dropped (`Store::pruned`).
    /// The answer is the same; the query the index runs is smaller: on
    /// PostgreSQL four such alternatives ORed beside a phrase's words
    /// doubled the index scan (6.6 → 16 ms at 1,000,000 petitions;
    /// docs/performance.md).
    pub probe: Vec<String>,
}

impl FullText {
    pub fn is_empty(&self) -> bool {
        self.alternatives().next().is_none()
    }

    /// This query without the alternatives that hold one of `unheld`.
    fn without(&self, unheld: &[&String]) -> FullText {
        let alternatives = self.alternatives.iter().filter(|a| !a.iter().any(|w| unheld.contains(&w))).cloned().collect();
        FullText { alternatives, probe: Vec::new() }
    }

    /// Each alternative as the pieces of its words (see `pieces`).
    fn alternatives(&self) -> impl Iterator<Item = Vec<String>> + '_ {
        self.alternatives
            .iter()
            .map(|a| {
                a.iter().flat_map(|w| pieces(w)).filter(|w| w.chars().count() <= MAX_WORD_CHARS).map(str::to_string).collect::<Vec<_>>()
            })
            .filter(|a| !a.is_empty())
    }

    /// The words in the engine's syntax: every word quoted (FTS5 a
    /// double-quoted string, `tsquery` a single-quoted lexeme), AND within
    /// an alternative, OR between them.
    fn words(&self, dialect: Dialect) -> String {
        let (and, or) = match dialect {
            Dialect::Sqlite => (" AND ", " OR "),
            Dialect::Postgres => (" & ", " | "),
        };
        let quote = |w: &String| match dialect {
            Dialect::Sqlite => format!("\"{}\"", w.replace('"', "\"\"")),
            Dialect::Postgres => format!("'{}'", w.replace('\\', "\\\\").replace('\'', "''")),
        };
        self.alternatives().map(|a| format!("({})", a.iter().map(quote).collect::<Vec<_>>().join(and))).collect::<Vec<_>>().join(or)
    }

    /// FTS5 query syntax, the words looked up in the words' column; with
    /// `viewers`, entries one of them sees.
    fn fts5(&self, viewers: Option<&[i64]>) -> String {
        let words = self.words(Dialect::Sqlite);
        match viewers {
            Some(units) => format!("tokens : ({words}) AND viewers : ({})", or_tokens(Dialect::Sqlite, units, " OR ")),
            None => format!("tokens : ({words})"),
        }
    }

    /// `tsquery` input syntax; with `viewers`, entries one of them sees.
    fn tsquery(&self, viewers: Option<&[i64]>) -> String {
        let words = self.words(Dialect::Postgres);
        match viewers {
            Some(units) => format!("({words}) & ({})", or_tokens(Dialect::Postgres, units, " | ")),
            None => words,
        }
    }

    /// ` AND <id_col>` is a matching petition (one `viewers` sees, when
    /// given). With `common` (many matches) SQLite walks the list's own
    /// order and checks each row against the matches, stopping at the
    /// page; with few matches, the list of matches drives the query (each
    /// probed in the viewer index).
    pub(crate) fn push_condition(&self, sql: &mut Sql, dialect: Dialect, id_col: &str, common: bool, viewers: Option<&[i64]>) {
        if self.is_empty() {
            sql.push(" AND 1 = 0");
            return;
        }
        match dialect {
            Dialect::Sqlite => {
                // A common word: `+` keeps the match list from driving the
                // read (it is then no index constraint), so the list's own
                // order is walked and the page stops it, each row checked
                // against the matches. (Checking each row with a rowid
                // lookup in the index instead was 3–30× slower at 200,000
                // petitions: docs/performance.md.)
                let plus = if common { "+" } else { "" };
                sql.push(&format!(" AND {plus}{id_col} IN (SELECT rowid FROM petition_fts WHERE petition_fts MATCH "))
                    .bind(Arg::S(self.fts5(viewers)))
                    .push(")");
            }
            Dialect::Postgres => {
                sql.push(&format!(" AND {id_col} IN (SELECT petition_id FROM petition_fts WHERE doc @@ CAST("))
                    .bind(Arg::S(self.tsquery(viewers)))
                    .push(" AS tsquery))");
            }
        }
    }
}

/// Viewer tokens joined by the engine's OR, each quoted.
fn or_tokens(dialect: Dialect, units: &[i64], or: &str) -> String {
    if units.is_empty() {
        // No unit: nothing is seen (a token no entry holds).
        return match dialect {
            Dialect::Sqlite => "\"v\"".into(),
            Dialect::Postgres => "'#'".into(),
        };
    }
    let quote = |t: String| match dialect {
        Dialect::Sqlite => format!("\"{t}\""),
        Dialect::Postgres => format!("'{t}'"),
    };
    units.iter().map(|u| quote(viewer_token(dialect, *u))).collect::<Vec<_>>().join(or)
}

/// The statement `pruned` runs: the positions in `words` of those that
/// an entry (one of `viewers` sees) holds, one counted branch per word.
/// A count, not EXISTS: PostgreSQL plans EXISTS (a LIMIT 1) as a walk
/// of the table that expects to meet a row soon, and for a word no
/// entry holds it read all of it (1.6 s at 1,000,000 petitions); a
/// count reads the word's postings in the index.
fn probe_sql(dialect: Dialect, words: &[&String], viewers: Option<&[i64]>) -> Sql {
    let mut sql = Sql::new("");
    for (i, w) in words.iter().enumerate() {
        let one = FullText { alternatives: vec![vec![(*w).clone()]], probe: Vec::new() };
        if i > 0 {
            sql.push(" UNION ALL ");
        }
        sql.push(&format!("SELECT CAST({i} AS BIGINT) FROM (SELECT COUNT(*) AS n FROM petition_fts WHERE "));
        match dialect {
            Dialect::Sqlite => sql.push("petition_fts MATCH ").bind(Arg::S(one.fts5(viewers))),
            Dialect::Postgres => sql.push("doc @@ CAST(").bind(Arg::S(one.tsquery(viewers))).push(" AS tsquery)"),
        };
        sql.push(&format!(") t{i} WHERE n > 0"));
    }
    sql
}

/// A petition's body as search ranks it and cuts snippets from.
pub(crate) fn body_text(content: &str, request: &str, facts_and_reasons: &str) -> String {
    format!("{content}\n{request}\n{facts_and_reasons}")
}

/// Most words of a query's `probe` looked up (the rest are kept as they are).
const MAX_PROBES: usize = 8;

/// Above this many matching petitions a word is "common" (`push_condition`).
pub const COMMON_MATCHES: i64 = 2_000;

impl Store {
    /// `q` without the alternatives that hold a word of `q.probe` that no
    /// entry holds (that one of `viewers` sees, when given): one query (on
    /// PostgreSQL inside a `ReadSession`), an indexed lookup per
    /// word (at most a few: a name per query word tried). Only the
    /// caller's entries count, so whether an alternative is kept, and the
    /// time the search then takes, depends on nothing the caller's units
    /// do not see.
    pub(crate) async fn pruned(&self, db: &mut sqlx::AnyConnection, q: &FullText, viewers: Option<&[i64]>) -> Result<FullText> {
        // Each word once, only words of an alternative, and only words that
        // are words of the index at all (a word made only of what `pieces`
        // drops is ignored by the search, so it must not drop anything).
        let mut probe: Vec<&String> = Vec::new();
        for w in &q.probe {
            let indexable = !FullText { alternatives: vec![vec![w.clone()]], probe: Vec::new() }.is_empty();
            if indexable && !probe.contains(&w) && q.alternatives.iter().any(|a| a.contains(w)) && probe.len() < MAX_PROBES {
                probe.push(w);
            }
        }
        if probe.is_empty() {
            return Ok(q.clone());
        }
        let sql = probe_sql(self.dialect, &probe, viewers);
        // On PostgreSQL without parallel workers (the caller's
        // `ReadSession`): a name's few postings are counted in a fraction
        // of a millisecond, and PostgreSQL, estimating thousands of rows
        // for a word it has no statistics on, started two workers for
        // them (5 ms to set up).
        let held: Vec<i64> =
            sqlx::query_scalar_with(sqlx::AssertSqlSafe(sql.text.as_str()), crate::petitions::args(&sql)).fetch_all(&mut *db).await?;
        let unheld: Vec<&String> = probe.iter().enumerate().filter(|(i, _)| !held.contains(&(*i as i64))).map(|(_, w)| *w).collect();
        Ok(q.without(&unheld))
    }

    /// Whether more than `COMMON_MATCHES` petitions match (one bounded
    /// read of the index).
    pub(crate) async fn is_common(&self, db: &mut sqlx::AnyConnection, q: &FullText, above: i64, viewers: Option<&[i64]>) -> Result<bool> {
        if q.is_empty() {
            return Ok(false);
        }
        let mut sql = Sql::new("SELECT COUNT(*) FROM (SELECT 1 FROM ");
        match self.dialect {
            Dialect::Sqlite => {
                sql.push("petition_fts WHERE petition_fts MATCH ").bind(Arg::S(q.fts5(viewers)));
            }
            Dialect::Postgres => {
                sql.push("petition_fts WHERE doc @@ CAST(").bind(Arg::S(q.tsquery(viewers))).push(" AS tsquery)");
            }
        }
        sql.push(&format!(" LIMIT {}) t", above.max(0) + 1));
        let n: i64 =
            sqlx::query_scalar_with(sqlx::AssertSqlSafe(sql.text.as_str()), crate::petitions::args(&sql)).fetch_one(&mut *db).await?;
        Ok(n > above)
    }

    /// The ids of the newest petitions matching `q` (that one of `viewers`
    /// sees, when given), below `before`, newest first, at most `limit`:
    /// read from the index in id order and stopped there, however many
    /// petitions match.
    pub(crate) async fn fulltext_candidates(
        &self,
        db: &mut sqlx::AnyConnection,
        q: &FullText,
        viewers: Option<&[i64]>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<i64>> {
        if q.is_empty() || limit <= 0 {
            return Ok(Vec::new());
        }
        if self.dialect == Dialect::Postgres {
            return self.bucketed_candidates(db, q, viewers, before, limit).await;
        }
        let mut sql = Sql::new("SELECT rowid FROM petition_fts WHERE petition_fts MATCH ");
        sql.bind(Arg::S(q.fts5(viewers)));
        if let Some(b) = before {
            sql.push(" AND rowid < ").bind(Arg::I(b));
        }
        sql.push(" ORDER BY rowid DESC LIMIT ").bind(Arg::I(limit));
        Ok(sqlx::query_scalar_with(sqlx::AssertSqlSafe(sql.text.as_str()), crate::petitions::args(&sql)).fetch_all(&mut *db).await?)
    }

    /// PostgreSQL's `fulltext_candidates`: the newest id bucket first, then
    /// as many older ones as the matches found so far say the page needs
    /// (`next_span`), down to all that is left, so the rows read from the
    /// table stay near the page's size whether the word is common or rare:
    /// one query where matches are dense, two or three where they are
    /// sparse. `+ 0` keeps
    /// the planner from walking the primary key backwards and testing
    /// every entry, which it chose on a misestimate and which then read
    /// the whole table for a rare word (docs/performance.md).
    async fn bucketed_candidates(
        &self,
        db: &mut sqlx::AnyConnection,
        q: &FullText,
        viewers: Option<&[i64]>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<i64>> {
        let top = match before {
            Some(b) => b - 1,
            None => {
                sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(petition_id) FROM petition_fts").fetch_one(&mut *db).await?.unwrap_or(0)
            }
        };
        if top < 0 {
            return Ok(Vec::new());
        }
        let matches = q.tsquery(viewers);
        // The first query covers at least a bucket's worth of ids (the
        // newest bucket may have only begun), the next ones what
        // `next_span` says; each reads whole buckets below the last.
        let (mut out, mut hi, mut span) = (Vec::new(), top >> BUCKET_SHIFT, 1i64 << BUCKET_SHIFT);
        loop {
            let first_id = (top - span + 1).max(0);
            let lo = (first_id >> BUCKET_SHIFT).min(hi);
            let lo = if hi - lo + 1 > MAX_QUERY_BUCKETS { 0 } else { lo };
            // Down to the first bucket: no bucket condition is needed.
            let expression = if lo == 0 {
                matches.clone()
            } else {
                let buckets = (lo..=hi).map(|b| format!("'{}'", bucket_lexeme(b))).collect::<Vec<_>>().join(" | ");
                format!("({matches}) & ({buckets})")
            };
            let upper = top.min(((hi + 1) << BUCKET_SHIFT) - 1);
            let mut sql = Sql::new("SELECT petition_id FROM petition_fts WHERE doc @@ CAST(");
            sql.bind(Arg::S(expression)).push(" AS tsquery) AND petition_id <= ").bind(Arg::I(upper));
            sql.push(" ORDER BY petition_id + 0 DESC LIMIT ").bind(Arg::I(limit - out.len() as i64));
            let mut ids: Vec<i64> =
                sqlx::query_scalar_with(sqlx::AssertSqlSafe(sql.text.as_str()), crate::petitions::args(&sql)).fetch_all(&mut *db).await?;
            out.append(&mut ids);
            if out.len() as i64 >= limit || lo == 0 {
                return Ok(out);
            }
            // Ids covered so far: from the top down to bucket `lo`.
            let read = top - (lo << BUCKET_SHIFT) + 1;
            span = read.saturating_add(next_span(read, out.len() as i64, limit - out.len() as i64));
            hi = lo - 1;
        }
    }

    /// Put a petition's words in the index, replacing what it held, with
    /// its viewers as its viewer rows now say, inside the caller's write
    /// (the index never disagrees with the petition).
    pub async fn index_petition_text(&self, w: &mut WriteTx<'_>, petition_id: i64, tokens: &str) -> Result<()> {
        let viewers: Vec<i64> = sqlx::query_scalar("SELECT unit_id FROM petition_viewers WHERE petition_id = $1 ORDER BY unit_id")
            .bind(petition_id)
            .fetch_all(&mut *w.tx)
            .await?;
        write_tokens(self.dialect, w, petition_id, &clean_tokens(tokens), &viewers).await
    }

    /// Replace the viewers of a petition's index entry (its viewer rows
    /// changed), inside the caller's write. No entry: nothing to do.
    pub(crate) async fn index_viewers(&self, w: &mut WriteTx<'_>, petition_id: i64, viewers: &[i64]) -> Result<()> {
        let sql = match self.dialect {
            Dialect::Sqlite => "UPDATE petition_fts SET viewers = $2 WHERE rowid = $1",
            Dialect::Postgres => {
                "UPDATE petition_fts SET doc = ts_delete(doc, ARRAY(SELECT t.lexeme FROM unnest(doc) t WHERE t.lexeme LIKE '#%')) \
                 || array_to_tsvector(string_to_array($2, ' ')) WHERE petition_id = $1"
            }
        };
        sqlx::query(sql).bind(petition_id).bind(viewer_tokens(self.dialect, viewers)).execute(&mut *w.tx).await?;
        Ok(())
    }

    /// Petitions in id order after `after_id`, up to `limit`, with what
    /// their index entry is made of: `(id, text, petitioner names)` — for
    /// the rebuild command.
    pub async fn petitions_for_index(&self, after_id: i64, limit: i64) -> Result<Vec<IndexSource>> {
        let list = sqlx::query(
            "SELECT id, title, content, request, facts_and_reasons, accused_name, accused_unit, accused_position \
             FROM petitions WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(list.len());
        for r in &list {
            use crate::db::RowExt;
            out.push(IndexSource {
                id: r.i("id")?,
                text: IndexText {
                    title: r.s("title")?,
                    content: r.s("content")?,
                    request: r.s("request")?,
                    facts_and_reasons: r.s("facts_and_reasons")?,
                    accused: [r.os("accused_name")?, r.os("accused_unit")?, r.os("accused_position")?]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" "),
                },
                names: Vec::new(),
            });
        }
        let ids: Vec<i64> = out.iter().map(|s| s.id).collect();
        let people = self.petitioners_of(&ids).await?;
        for s in &mut out {
            s.names = people.get(&s.id).map(|ps| ps.iter().map(|p| p.name.clone()).collect()).unwrap_or_default();
        }
        Ok(out)
    }

    /// The body text of petitions (content, request, facts and reasons,
    /// accused), for ranking and snippets of search results.
    pub async fn petition_bodies(&self, ids: &[i64]) -> Result<std::collections::HashMap<i64, String>> {
        let mut out = std::collections::HashMap::new();
        for chunk in ids.chunks(500) {
            let mut sql = Sql::new("SELECT id, content, request, facts_and_reasons FROM petitions WHERE id IN (");
            sql.ints(chunk);
            sql.push(")");
            for r in sql.query().fetch_all(&self.pool).await? {
                use crate::db::RowExt;
                out.insert(r.i("id")?, body_text(&r.s("content")?, &r.s("request")?, &r.s("facts_and_reasons")?));
            }
        }
        Ok(out)
    }

    /// The keys a petition's petitioners are recognised by (repeat matching).
    pub async fn identity_keys_of(&self, petition_id: i64) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT identity_key FROM petition_identities WHERE petition_id = $1 ORDER BY identity_key")
            .bind(petition_id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Write the index entries of a batch (the rebuild command), one
    /// transaction, each with its petition's viewers.
    pub async fn write_index_batch(&self, entries: &[(i64, String)]) -> Result<()> {
        let mut w = self.begin_write().await?;
        let mut viewers: std::collections::HashMap<i64, Vec<i64>> = std::collections::HashMap::new();
        for chunk in entries.chunks(500) {
            let mut sql = Sql::new("SELECT petition_id, unit_id FROM petition_viewers WHERE petition_id IN (");
            sql.ints(&chunk.iter().map(|(id, _)| *id).collect::<Vec<_>>()).push(") ORDER BY petition_id, unit_id");
            for r in sqlx::query_with(sqlx::AssertSqlSafe(sql.text.as_str()), crate::petitions::args(&sql)).fetch_all(&mut *w.tx).await? {
                use crate::db::RowExt;
                viewers.entry(r.i("petition_id")?).or_default().push(r.i("unit_id")?);
            }
        }
        for (id, tokens) in entries {
            let units = viewers.get(id).map(Vec::as_slice).unwrap_or_default();
            write_tokens(self.dialect, &mut w, *id, &clean_tokens(tokens), units).await?;
        }
        w.commit().await
    }

    /// Whether the index must be rebuilt at start-up: it is empty while
    /// petitions exist (SQLite's index was made again by migration 1305),
    /// or a migration marked it stale (1310: its entries lack tokens the
    /// searches now look for) and no rebuild has finished since.
    pub async fn search_index_missing(&self) -> Result<bool> {
        let stale: Option<i64> = sqlx::query_scalar("SELECT id FROM search_index_stale LIMIT 1").fetch_optional(&self.pool).await?;
        if stale.is_some() {
            return Ok(true);
        }
        let indexed: Option<i64> = sqlx::query_scalar("SELECT 1 FROM petition_fts LIMIT 1").fetch_optional(&self.pool).await?;
        let any: Option<i64> = sqlx::query_scalar("SELECT 1 FROM petitions LIMIT 1").fetch_optional(&self.pool).await?;
        Ok(indexed.is_none() && any.is_some())
    }

    /// A rebuild has rewritten every entry: the marks of the migrations it
    /// answers (those standing when it began, up to `upto`) are cleared.
    pub async fn search_index_rebuilt(&self, upto: Option<i64>) -> Result<()> {
        if let Some(upto) = upto {
            let mut w = self.begin_write().await?;
            sqlx::query("DELETE FROM search_index_stale WHERE id <= $1").bind(upto).execute(&mut *w.tx).await?;
            w.commit().await?;
        }
        Ok(())
    }

    /// Mark the index stale: the next start (or `xinfang search-index`)
    /// rewrites every entry (what migration 1310 does).
    pub async fn mark_search_index_stale(&self, reason: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        sqlx::query("INSERT INTO search_index_stale (reason) VALUES ($1)").bind(reason).execute(&mut *w.tx).await?;
        w.commit().await
    }

    /// The newest stale mark standing now (see `search_index_rebuilt`).
    pub async fn search_index_stale_mark(&self) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT MAX(id) FROM search_index_stale").fetch_one(&self.pool).await?)
    }

    /// Merge the index into one segment after entries were written in
    /// bulk (a load, a rebuild). SQLite's FTS5 otherwise merges the large
    /// segments of a bulk write a little at a time during later inserts:
    /// at 100,000 petitions every 64th registration then spent 15–600 ms
    /// merging; after this (0.4 s at 100,000) none took over 8 ms
    /// (docs/performance.md, "Registration behind the statistics refresh").
    /// PostgreSQL's GIN index needs no merge, but a vacuum and fresh
    /// statistics.
    pub async fn compact_index(&self) -> Result<()> {
        match self.dialect {
            Dialect::Sqlite => {
                let mut w = self.begin_write().await?;
                sqlx::query("INSERT INTO petition_fts (petition_fts) VALUES ('optimize')").execute(&mut *w.tx).await?;
                w.commit().await?;
            }
            // A rebuild in place leaves a dead version of every entry;
            // the planner's statistics of the lexemes change with it.
            Dialect::Postgres => {
                sqlx::query("VACUUM ANALYZE petition_fts").execute(&self.pool).await?;
            }
        }
        Ok(())
    }

    /// Empty the index (a rebuild does not: it rewrites every entry in
    /// place, so searches keep answering meanwhile).
    pub async fn clear_index(&self) -> Result<()> {
        let mut w = self.begin_write().await?;
        sqlx::query("DELETE FROM petition_fts").execute(&mut *w.tx).await?;
        w.commit().await
    }

    /// Petitions in the index and in the record (the rebuild's check).
    pub async fn index_coverage(&self) -> Result<(i64, i64)> {
        let indexed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM petition_fts").fetch_one(&self.pool).await?;
        let petitions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM petitions").fetch_one(&self.pool).await?;
        Ok((indexed, petitions))
    }
}

async fn write_tokens(dialect: Dialect, w: &mut WriteTx<'_>, petition_id: i64, tokens: &str, viewers: &[i64]) -> Result<()> {
    let units = viewer_tokens(dialect, viewers);
    match dialect {
        Dialect::Sqlite => {
            sqlx::query("DELETE FROM petition_fts WHERE rowid = $1").bind(petition_id).execute(&mut *w.tx).await?;
            sqlx::query("INSERT INTO petition_fts (rowid, tokens, viewers) VALUES ($1, $2, $3)")
                .bind(petition_id)
                .bind(tokens.to_string())
                .bind(units)
                .execute(&mut *w.tx)
                .await?;
        }
        Dialect::Postgres => {
            sqlx::query(
                "INSERT INTO petition_fts (petition_id, doc) VALUES ($1, array_to_tsvector(string_to_array($2, ' '))) \
                 ON CONFLICT (petition_id) DO UPDATE SET doc = excluded.doc",
            )
            .bind(petition_id)
            .bind(joined(tokens, &units, petition_id))
            .execute(&mut *w.tx)
            .await?;
        }
    }
    Ok(())
}

/// Words, viewer tokens and the id bucket in one space-separated list
/// (PostgreSQL's entry).
fn joined(tokens: &str, units: &str, petition_id: i64) -> String {
    let bucket = bucket_token(petition_id);
    [tokens, units, &bucket].into_iter().filter(|t| !t.is_empty()).collect::<Vec<_>>().join(" ")
}

/// Index entries of petitions not yet indexed (the bulk load): id, words,
/// viewing units; in multi-row statements.
pub(crate) async fn insert_tokens_many(dialect: Dialect, w: &mut WriteTx<'_>, entries: &[(i64, String, Vec<i64>)]) -> Result<()> {
    for chunk in entries.chunks(500) {
        let mut sql = String::from(match dialect {
            Dialect::Sqlite => "INSERT INTO petition_fts (rowid, tokens, viewers) VALUES ",
            Dialect::Postgres => "INSERT INTO petition_fts (petition_id, doc) VALUES ",
        });
        for i in 0..chunk.len() {
            sql.push_str(if i > 0 { "," } else { "" });
            sql.push_str(&match dialect {
                Dialect::Sqlite => "(?, ?, ?)".to_string(),
                Dialect::Postgres => {
                    format!("(${}, array_to_tsvector(string_to_array(${}, ' ')))", 2 * i + 1, 2 * i + 2)
                }
            });
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for (id, tokens, viewers) in chunk {
            let units = viewer_tokens(dialect, viewers);
            q = match dialect {
                Dialect::Sqlite => q.bind(*id).bind(clean_tokens(tokens)).bind(units),
                Dialect::Postgres => q.bind(*id).bind(joined(&clean_tokens(tokens), &units, *id)),
            };
        }
        q.execute(&mut *w.tx).await?;
    }
    Ok(())
}

/// The searchable text of a petition, as registered.
#[derive(Debug, Clone, Default)]
pub struct IndexText {
    pub title: String,
    pub content: String,
    pub request: String,
    pub facts_and_reasons: String,
    /// The accused person, unit and position, space-separated.
    pub accused: String,
}

/// One petition for the rebuild: its text and its petitioners' names (the
/// caller keys them; the index never holds a name in plain text).
#[derive(Debug, Clone)]
pub struct IndexSource {
    pub id: i64,
    pub text: IndexText,
    pub names: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_query_covers_as_many_ids_as_the_density_so_far_needs() {
        // 400 wanted, 100 found in the newest 1,000 ids: 300 more at one
        // in ten is 3,000 ids, with half again to spare 4,500.
        assert_eq!(next_span(1_000, 100, 300), 4_500);
        // Never less than was read: the span at least doubles.
        assert_eq!(next_span(10_000, 390, 10), 10_000);
        // None found: everything left, in one query.
        assert_eq!(next_span(8_192, 0, 400), i64::MAX);
        assert_eq!(8_192i64.saturating_add(i64::MAX), i64::MAX, "no overflow");
        assert_eq!(bucket_token(8_191), "@0");
        assert_eq!(bucket_token(8_192), "@1");
        assert_eq!(joined("欠薪 工资", "#3 #9", 20_000), "欠薪 工资 #3 #9 @2");
    }

    #[test]
    fn words_are_quoted_for_each_engine() {
        // ASCII punctuation splits a word into pieces, so no quote or
        // backslash ever reaches the engine; other text is quoted as it is.
        let q = FullText {
            alternatives: vec![vec!["欠薪".into(), "a\"b".into()], vec!["o'k\\".into()], vec![], vec!["!!".into()]],
            ..Default::default()
        };
        assert_eq!(q.fts5(None), "tokens : ((\"欠薪\" AND \"a\" AND \"b\") OR (\"o\" AND \"k\"))");
        assert_eq!(q.tsquery(None), "('欠薪' & 'a' & 'b') | ('o' & 'k')");
        // The caller's units: entries one of them sees.
        assert_eq!(
            q.fts5(Some(&[7, 42])),
            "tokens : ((\"欠薪\" AND \"a\" AND \"b\") OR (\"o\" AND \"k\")) AND viewers : (\"v7\" OR \"v42\")"
        );
        assert_eq!(q.tsquery(Some(&[7])), "(('欠薪' & 'a' & 'b') | ('o' & 'k')) & ('#7')");
        assert!(FullText::default().is_empty());
        assert!(!FullText { alternatives: vec![vec!["。".into(), "-".into()]], ..Default::default() }.is_empty());
        assert!(FullText { alternatives: vec![vec!["-".into(), ".".into()]], ..Default::default() }.is_empty());
        // A name is looked for among the caller's entries only.
        let nm = "nm1".to_string();
        let sql = probe_sql(Dialect::Postgres, &[&nm], Some(&[7]));
        assert!(sql.text.contains("COUNT(*)") && !sql.text.contains("EXISTS"), "{}", sql.text);
        assert!(matches!(&sql.args[..], [Arg::S(q)] if q == "(('nm1')) & ('#7')"), "{:?}", sql.args);
        let sql = probe_sql(Dialect::Sqlite, &[&nm, &nm], Some(&[7]));
        assert!(sql.text.contains(" UNION ALL ") && sql.args.len() == 2, "{}", sql.text);
        // An alternative holding a word no entry holds is dropped.
        let named = FullText { alternatives: vec![vec!["医院".into()], vec!["nm1".into(), "医院".into()]], probe: vec!["nm1".into()] };
        assert_eq!(named.without(&[&"nm1".to_string()]).alternatives, vec![vec!["医院".to_string()]]);
    }

    #[test]
    fn tokens_are_cleaned() {
        let long = "长".repeat(MAX_WORD_CHARS + 1);
        assert_eq!(clean_tokens(&format!("  欠薪   工资 {long}\t三个月 3.5万 欠薪 ")), "欠薪 工资 三个月 3 5万");
    }
}
