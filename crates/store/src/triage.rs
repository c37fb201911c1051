//! The triage rule table an admin edits (issue 13, item 3): one JSON
//! document in the database, so that every node suggests the same.

use crate::db::{Result, RowExt, Store, fmt_instant};

/// The rule table as stored: which revision, who saved it and when, and
/// the admin's table itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RulesRecord {
    /// 0 while no admin has saved anything; every save adds one.
    pub revision: i64,
    /// The admin's table as JSON; none: the starter table of the running
    /// version is in force (never saved, or restored by `updated_by`).
    pub body: Option<String>,
    pub updated_at: Option<String>,
    /// The display name of the admin who saved it last.
    pub updated_by: Option<String>,
}

impl Store {
    /// The triage rule table as JSON, if an admin stored one (and did not
    /// restore the starter table since).
    pub async fn triage_rules(&self) -> Result<Option<String>> {
        Ok(self.triage_rules_record().await?.body)
    }

    /// The rule table with its revision and its last save.
    pub async fn triage_rules_record(&self) -> Result<RulesRecord> {
        let row = sqlx::query(
            "SELECT r.body, r.revision, r.starter, r.updated_at, u.display_name FROM triage_rules r \
             LEFT JOIN users u ON u.id = r.updated_by WHERE r.id = 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(RulesRecord::default()) };
        Ok(RulesRecord {
            revision: r.i("revision")?,
            body: if r.i("starter")? == 0 { Some(r.s("body")?) } else { None },
            updated_at: Some(r.s("updated_at")?),
            updated_by: r.os("display_name")?,
        })
    }

    /// Store a rule table (JSON, already validated): the admin's, or with
    /// `starter` the starter table restored (stored too, for nodes of an
    /// older version, which read any row as the admin's table). With
    /// `expected`, only if the stored revision is still that one: a
    /// conditional UPDATE, or for the first save an INSERT that does
    /// nothing if another came first, in one transaction, so two admins
    /// saving at once cannot both win. The new revision, or `None` when
    /// `expected` was stale and nothing changed.
    pub async fn save_triage_rules(
        &self,
        body: &str,
        starter: bool,
        user_id: i64,
        at: chrono::DateTime<chrono::Utc>,
        expected: Option<i64>,
    ) -> Result<Option<i64>> {
        // Each statement binds the new values as $1–$4 (the UPDATE adds
        // the expected revision as $5).
        const UPSERT: &str = "INSERT INTO triage_rules (id, body, updated_at, updated_by, revision, starter) VALUES (1, $1, $2, $3, 1, $4) \
             ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at, \
             updated_by = excluded.updated_by, revision = triage_rules.revision + 1, starter = excluded.starter RETURNING revision";
        const UPDATE_IF: &str = "UPDATE triage_rules SET body = $1, updated_at = $2, updated_by = $3, revision = revision + 1, starter = $4 \
             WHERE id = 1 AND revision = $5 RETURNING revision";
        const FIRST: &str = "INSERT INTO triage_rules (id, body, updated_at, updated_by, revision, starter) VALUES (1, $1, $2, $3, 1, $4) \
             ON CONFLICT (id) DO NOTHING RETURNING revision";
        let (text, starter, at) = (body.to_string(), i64::from(starter), fmt_instant(at));
        let stmt = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).bind(text.clone()).bind(at.clone()).bind(user_id).bind(starter);
        let mut w = self.begin_write().await?;
        let revision = match expected {
            None => Some(stmt(UPSERT).fetch_one(&mut *w.tx).await?),
            Some(expected) => match stmt(UPDATE_IF).bind(expected).fetch_optional(&mut *w.tx).await? {
                // Revision 0 with no row: nothing was ever saved.
                None if expected == 0 => stmt(FIRST).fetch_optional(&mut *w.tx).await?,
                other => other,
            },
        };
        w.commit().await?;
        Ok(revision)
    }
}

/// A petition whose routing someone confirmed (it left `registered`): its
/// text and the labels it carries now, after any correction.
#[derive(Debug, Clone)]
pub struct TrainingExample {
    pub labels: TrainingLabels,
    pub text: String,
}

/// What a training example is labelled with, without its text.
#[derive(Debug, Clone)]
pub struct TrainingLabels {
    pub id: i64,
    pub category: String,
    pub litigation_related: bool,
    pub topic: Option<String>,
    pub handling_unit_id: Option<i64>,
}

/// One stored triage model (without its body).
#[derive(Debug, Clone)]
pub struct TriageModelRow {
    pub id: i64,
    pub field: String,
    pub trained_at: String,
    pub examples: i64,
    pub held_out: i64,
    pub model_correct: i64,
    pub rules_correct: i64,
    pub baseline_correct: i64,
    pub active: bool,
}

/// A model to store.
pub struct NewTriageModel {
    pub field: String,
    pub examples: i64,
    pub held_out: i64,
    pub model_correct: i64,
    pub rules_correct: i64,
    pub baseline_correct: i64,
    pub active: bool,
    pub model: String,
}

/// Training runs kept per field (the newest is the one in force).
const KEEP_MODELS: i64 = 10;

impl Store {
    /// The labels of the newest `limit` training examples, newest first:
    /// every petition someone moved past registration.
    pub async fn training_labels(&self, limit: i64) -> Result<Vec<TrainingLabels>> {
        let rows = sqlx::query(
            "SELECT id, category, litigation_related, topic, handling_unit_id \
             FROM petitions WHERE state <> 'registered' ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(training_labels_of).collect()
    }

    /// Training examples with ids in `(after, upto]`, oldest first, at most
    /// `limit`: a training run reads its texts a page at a time.
    pub async fn training_page(&self, after: i64, upto: i64, limit: i64) -> Result<Vec<TrainingExample>> {
        use crate::db::RowExt;
        let rows = sqlx::query(
            "SELECT id, title, content, request, facts_and_reasons, category, litigation_related, topic, handling_unit_id \
             FROM petitions WHERE state <> 'registered' AND id > $1 AND id <= $2 ORDER BY id LIMIT $3",
        )
        .bind(after)
        .bind(upto)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TrainingExample {
                    labels: training_labels_of(r)?,
                    text: [r.s("title")?, r.s("content")?, r.s("request")?, r.s("facts_and_reasons")?].join("\n"),
                })
            })
            .collect()
    }

    /// Store one training run's models; older runs beyond the newest
    /// `KEEP_MODELS` of each field are dropped.
    pub async fn insert_triage_models(&self, models: &[NewTriageModel]) -> Result<()> {
        let mut w = self.begin_write().await?;
        let now = crate::db::fmt_instant(chrono::Utc::now());
        for m in models {
            sqlx::query(
                "INSERT INTO triage_models (field, trained_at, examples, held_out, model_correct, rules_correct, baseline_correct, active, model) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(m.field.clone())
            .bind(now.clone())
            .bind(m.examples)
            .bind(m.held_out)
            .bind(m.model_correct)
            .bind(m.rules_correct)
            .bind(m.baseline_correct)
            .bind(i64::from(m.active))
            .bind(m.model.clone())
            .execute(&mut *w.tx)
            .await?;
            sqlx::query(
                "DELETE FROM triage_models WHERE field = $1 AND id NOT IN \
                 (SELECT id FROM (SELECT id FROM triage_models WHERE field = $2 ORDER BY id DESC LIMIT $3) AS keep)",
            )
            .bind(m.field.clone())
            .bind(m.field.clone())
            .bind(KEEP_MODELS)
            .execute(&mut *w.tx)
            .await?;
        }
        w.commit().await
    }

    /// The newest model of each field (the one in force when active).
    pub async fn latest_triage_models(&self) -> Result<Vec<TriageModelRow>> {
        use crate::db::RowExt;
        let rows = sqlx::query(
            "SELECT id, field, trained_at, examples, held_out, model_correct, rules_correct, baseline_correct, active FROM triage_models \
             WHERE id IN (SELECT MAX(id) FROM triage_models GROUP BY field) ORDER BY field",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TriageModelRow {
                    id: r.i("id")?,
                    field: r.s("field")?,
                    trained_at: r.s("trained_at")?,
                    examples: r.i("examples")?,
                    held_out: r.i("held_out")?,
                    model_correct: r.i("model_correct")?,
                    rules_correct: r.i("rules_correct")?,
                    baseline_correct: r.i("baseline_correct")?,
                    active: r.i("active")? != 0,
                })
            })
            .collect()
    }

    /// A stored model's JSON.
    pub async fn triage_model_body(&self, id: i64) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT model FROM triage_models WHERE id = $1").bind(id).fetch_optional(&self.pool).await?)
    }
}

fn training_labels_of(r: &sqlx::any::AnyRow) -> Result<TrainingLabels> {
    use crate::db::RowExt;
    Ok(TrainingLabels {
        id: r.i("id")?,
        category: r.s("category")?,
        litigation_related: r.i("litigation_related")? != 0,
        topic: r.os("topic")?,
        handling_unit_id: r.oi("handling_unit_id")?,
    })
}
