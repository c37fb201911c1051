//! Learning the Regulations (issue 15): the imported official text, every
//! answer given (self-test, exam, contest), the spaced-repetition state,
//! exams and the papers drawn for them. Marking and scheduling are pure
//! (`xinfang_law`); this module only keeps what happened.

use crate::db::{Result, RowExt, Store, StoreError, fmt_instant, is_unique};
use chrono::Utc;
use std::collections::HashMap;

/// An imported article of the official text.
#[derive(Debug, Clone)]
pub struct RegulationArticle {
    pub article: i64,
    pub chapter: i64,
    /// Paragraphs joined by '\n'.
    pub body: String,
    pub imported_at: String,
    pub source: String,
}

#[derive(Debug, Clone)]
pub struct NewExam {
    pub title: String,
    /// JSON array of unit ids (each with its subtree) that must sit it.
    pub units: String,
    /// JSON array of role codes; empty: every staff role.
    pub roles: String,
    /// JSON of the mix rows (`xinfang_law::paper::MixRow`).
    pub mix: String,
    pub time_limit_minutes: i64,
    pub pass_mark: i64,
    pub opens_on: String,
    pub closes_on: String,
    /// Sittings allowed per person (1: no re-sit).
    pub attempts: i64,
    pub created_by: i64,
}

#[derive(Debug, Clone)]
pub struct ExamRow {
    pub id: i64,
    pub title: String,
    pub units: String,
    pub roles: String,
    pub mix: String,
    pub time_limit_minutes: i64,
    pub pass_mark: i64,
    pub opens_on: String,
    pub closes_on: String,
    pub attempts: i64,
    pub created_at: String,
}

/// One sitting: an exam's paper (`exam_id`) or a month's contest.
#[derive(Debug, Clone)]
pub struct AttemptRow {
    pub id: i64,
    pub exam_id: Option<i64>,
    pub contest_month: Option<String>,
    pub user_id: i64,
    pub attempt_no: i64,
    /// JSON array of question ids.
    pub questions: String,
    pub started_at: String,
    pub deadline_at: String,
    pub submitted_at: Option<String>,
    pub halves: Option<i64>,
    pub percent: Option<i64>,
    pub passed: Option<bool>,
    /// Answers saved while answering (JSON: question id → answers).
    pub draft: Option<String>,
}

/// A marked answer to keep.
#[derive(Debug, Clone)]
pub struct MarkedAnswer {
    pub question_id: String,
    /// JSON array of the strings given.
    pub answer: String,
    pub halves: i64,
}

const EXAM_COLS: &str = "id, title, units, roles, mix, time_limit_minutes, pass_mark, opens_on, closes_on, attempts, created_at";
const ATTEMPT_COLS: &str =
    "id, exam_id, contest_month, user_id, attempt_no, questions, started_at, deadline_at, submitted_at, halves, percent, passed, draft";

fn exam_row(r: &sqlx::any::AnyRow) -> Result<ExamRow> {
    Ok(ExamRow {
        id: r.i("id")?,
        title: r.s("title")?,
        units: r.s("units")?,
        roles: r.s("roles")?,
        mix: r.s("mix")?,
        time_limit_minutes: r.i("time_limit_minutes")?,
        pass_mark: r.i("pass_mark")?,
        opens_on: r.s("opens_on")?,
        closes_on: r.s("closes_on")?,
        attempts: r.i("attempts")?,
        created_at: r.s("created_at")?,
    })
}

fn attempt_row(r: &sqlx::any::AnyRow) -> Result<AttemptRow> {
    Ok(AttemptRow {
        id: r.i("id")?,
        exam_id: r.oi("exam_id")?,
        contest_month: r.os("contest_month")?,
        user_id: r.i("user_id")?,
        attempt_no: r.i("attempt_no")?,
        questions: r.s("questions")?,
        started_at: r.s("started_at")?,
        deadline_at: r.s("deadline_at")?,
        submitted_at: r.os("submitted_at")?,
        halves: r.oi("halves")?,
        percent: r.oi("percent")?,
        passed: r.oi("passed")?.map(|p| p != 0),
        draft: r.os("draft")?,
    })
}

impl Store {
    /// Replace the official text as a whole (the import is all or nothing).
    pub async fn import_regulation_text(&self, articles: &[(i64, i64, String)], source: &str, by: i64) -> Result<()> {
        let now = fmt_instant(Utc::now());
        let mut w = self.begin_write().await?;
        sqlx::query("DELETE FROM regulation_text").execute(&mut *w.tx).await?;
        for (article, chapter, body) in articles {
            sqlx::query(
                "INSERT INTO regulation_text (article, chapter, body, imported_at, imported_by, source) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(*article)
            .bind(*chapter)
            .bind(body.clone())
            .bind(now.clone())
            .bind(by)
            .bind(source.to_string())
            .execute(&mut *w.tx)
            .await?;
        }
        w.commit().await
    }

    /// The imported official text, by article (empty until imported).
    pub async fn regulation_text(&self) -> Result<Vec<RegulationArticle>> {
        let rows = sqlx::query("SELECT article, chapter, body, imported_at, source FROM regulation_text ORDER BY article")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(RegulationArticle {
                    article: r.i("article")?,
                    chapter: r.i("chapter")?,
                    body: r.s("body")?,
                    imported_at: r.s("imported_at")?,
                    source: r.s("source")?,
                })
            })
            .collect()
    }

    /// A person's spaced-repetition state: (question, box, due day).
    pub async fn learning_reviews(&self, user: i64) -> Result<Vec<(String, i64, String)>> {
        let rows =
            sqlx::query("SELECT question_id, box, due FROM learning_reviews WHERE user_id = $1").bind(user).fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok((r.s("question_id")?, r.i("box")?, r.s("due")?))).collect()
    }

    /// The day's self-test for a person: the one kept, or `proposed` kept
    /// now (the first showing of the day fixes it; a race keeps one).
    pub async fn daily_questions(&self, user: i64, day: &str, proposed: &str) -> Result<String> {
        let mut w = self.begin_write().await?;
        sqlx::query("INSERT INTO learning_daily (user_id, day, questions) VALUES ($1, $2, $3) ON CONFLICT (user_id, day) DO NOTHING")
            .bind(user)
            .bind(day.to_string())
            .bind(proposed.to_string())
            .execute(&mut *w.tx)
            .await?;
        let kept: String = sqlx::query_scalar("SELECT questions FROM learning_daily WHERE user_id = $1 AND day = $2")
            .bind(user)
            .bind(day.to_string())
            .fetch_one(&mut *w.tx)
            .await?;
        w.commit().await?;
        Ok(kept)
    }

    /// A person's papers not handed in whose deadline (plus `grace`) has
    /// not passed: while one is open, practice gives no keys.
    pub async fn open_attempts(&self, user: i64, now_minus_grace: &str) -> Result<i64> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM exam_attempts WHERE user_id = $1 AND submitted_at IS NULL AND deadline_at > $2")
                .bind(user)
                .bind(now_minus_grace.to_string())
                .fetch_one(&self.pool)
                .await?;
        Ok(n)
    }

    /// Practice answers a person gave between two instants.
    pub async fn practice_count(&self, user: i64, from: &str, to: &str) -> Result<i64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM learning_answers WHERE user_id = $1 AND context = 'practice' AND answered_at >= $2 AND answered_at < $3",
        )
        .bind(user)
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_one(&self.pool)
        .await?;
        Ok(n)
    }

    /// Whether a person answered this practice question between two instants.
    pub async fn practice_answered(&self, user: i64, question: &str, from: &str, to: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM learning_answers WHERE user_id = $1 AND question_id = $2 AND context = 'practice' \
             AND answered_at >= $3 AND answered_at < $4",
        )
        .bind(user)
        .bind(question.to_string())
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// Who answered a practice or contest question between two instants.
    pub async fn practised_between(&self, from: &str, to: &str) -> Result<Vec<i64>> {
        let rows =
            sqlx::query("SELECT DISTINCT user_id FROM learning_answers WHERE context <> 'exam' AND answered_at >= $1 AND answered_at < $2")
                .bind(from.to_string())
                .bind(to.to_string())
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(|r| r.i("user_id")).collect()
    }

    /// Answers between two instants, summed by person and question:
    /// (user, question, answers, answers not fully right).
    pub async fn answer_tallies(&self, from: &str, to: &str) -> Result<Vec<(i64, String, i64, i64)>> {
        let rows = sqlx::query(
            "SELECT user_id, question_id, COUNT(*) AS n, SUM(CASE WHEN halves >= 2 THEN 0 ELSE 1 END) AS missed \
             FROM learning_answers WHERE answered_at >= $1 AND answered_at < $2 GROUP BY user_id, question_id",
        )
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.i("user_id")?, r.s("question_id")?, r.i("n")?, r.i("missed")?))).collect()
    }

    /// Keep a self-test answer and the question's next review, together.
    pub async fn record_practice(&self, user: i64, a: &MarkedAnswer, boxed: i64, due: &str) -> Result<()> {
        let now = fmt_instant(Utc::now());
        let mut w = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO learning_answers (user_id, question_id, context, attempt_id, answer, halves, answered_at) \
             VALUES ($1, $2, 'practice', NULL, $3, $4, $5)",
        )
        .bind(user)
        .bind(a.question_id.clone())
        .bind(a.answer.clone())
        .bind(a.halves)
        .bind(now)
        .execute(&mut *w.tx)
        .await?;
        sqlx::query(
            "INSERT INTO learning_reviews (user_id, question_id, box, due) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, question_id) DO UPDATE SET box = excluded.box, due = excluded.due",
        )
        .bind(user)
        .bind(a.question_id.clone())
        .bind(boxed)
        .bind(due.to_string())
        .execute(&mut *w.tx)
        .await?;
        w.commit().await
    }

    pub async fn create_exam(&self, e: &NewExam) -> Result<i64> {
        let mut w = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO exams (title, units, roles, mix, time_limit_minutes, pass_mark, opens_on, closes_on, attempts, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(e.title.clone())
        .bind(e.units.clone())
        .bind(e.roles.clone())
        .bind(e.mix.clone())
        .bind(e.time_limit_minutes)
        .bind(e.pass_mark)
        .bind(e.opens_on.clone())
        .bind(e.closes_on.clone())
        .bind(e.attempts)
        .bind(e.created_by)
        .bind(fmt_instant(Utc::now()))
        .fetch_one(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(id)
    }

    pub async fn exams(&self) -> Result<Vec<ExamRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {EXAM_COLS} FROM exams ORDER BY opens_on DESC, id DESC")))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(exam_row).collect()
    }

    pub async fn exam(&self, id: i64) -> Result<Option<ExamRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {EXAM_COLS} FROM exams WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(exam_row).transpose()
    }

    /// Exams whose window overlaps [from, to] (days, inclusive).
    pub async fn exams_between(&self, from: &str, to: &str) -> Result<Vec<ExamRow>> {
        let rows =
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {EXAM_COLS} FROM exams WHERE closes_on >= $1 AND opens_on <= $2 ORDER BY id")))
                .bind(from.to_string())
                .bind(to.to_string())
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(exam_row).collect()
    }

    /// Start a sitting; `Conflict` when this attempt number (or this
    /// month's contest) was started already (two tabs, a double click).
    #[allow(clippy::too_many_arguments)]
    pub async fn start_attempt(
        &self,
        exam_id: Option<i64>,
        contest_month: Option<&str>,
        user: i64,
        attempt_no: i64,
        questions: &str,
        started_at: &str,
        deadline_at: &str,
    ) -> Result<i64> {
        let mut w = self.begin_write().await?;
        let id = sqlx::query_scalar(
            "INSERT INTO exam_attempts (exam_id, contest_month, user_id, attempt_no, questions, started_at, deadline_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(exam_id)
        .bind(contest_month.map(str::to_string))
        .bind(user)
        .bind(attempt_no)
        .bind(questions.to_string())
        .bind(started_at.to_string())
        .bind(deadline_at.to_string())
        .fetch_one(&mut *w.tx)
        .await;
        let id: i64 = match id {
            Ok(id) => id,
            Err(e) if is_unique(&e) => return Err(StoreError::Conflict),
            Err(e) => return Err(e.into()),
        };
        w.commit().await?;
        Ok(id)
    }

    pub async fn attempt(&self, id: i64) -> Result<Option<AttemptRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {ATTEMPT_COLS} FROM exam_attempts WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(attempt_row).transpose()
    }

    /// A person's sittings of an exam, first first.
    pub async fn attempts_of(&self, exam_id: i64, user: i64) -> Result<Vec<AttemptRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ATTEMPT_COLS} FROM exam_attempts WHERE exam_id = $1 AND user_id = $2 ORDER BY attempt_no"
        )))
        .bind(exam_id)
        .bind(user)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(attempt_row).collect()
    }

    /// Every sitting of the given exams (for participation).
    pub async fn attempts_of_exams(&self, exams: &[i64]) -> Result<Vec<AttemptRow>> {
        if exams.is_empty() {
            return Ok(Vec::new());
        }
        let marks = crate::db::values_marks(1, exams.len(), 1).trim_start_matches('(').trim_end_matches(')').to_string();
        let sql = format!("SELECT {ATTEMPT_COLS} FROM exam_attempts WHERE exam_id IN ({marks}) ORDER BY id");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for e in exams {
            q = q.bind(*e);
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(attempt_row).collect()
    }

    /// The month's contest sittings, submitted ones only.
    pub async fn contest_attempts(&self, month: &str) -> Result<Vec<AttemptRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ATTEMPT_COLS} FROM exam_attempts WHERE contest_month = $1 AND submitted_at IS NOT NULL ORDER BY id"
        )))
        .bind(month.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(attempt_row).collect()
    }

    pub async fn contest_attempt(&self, month: &str, user: i64) -> Result<Option<AttemptRow>> {
        let row =
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {ATTEMPT_COLS} FROM exam_attempts WHERE contest_month = $1 AND user_id = $2")))
                .bind(month.to_string())
                .bind(user)
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref().map(attempt_row).transpose()
    }

    /// Submit a sitting once: its marked answers and its result together.
    /// False when it was submitted already.
    pub async fn submit_attempt(
        &self,
        id: i64,
        user: i64,
        answers: &[MarkedAnswer],
        halves: i64,
        percent: i64,
        passed: bool,
    ) -> Result<bool> {
        let now = fmt_instant(Utc::now());
        let mut w = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE exam_attempts SET submitted_at = $2, halves = $3, percent = $4, passed = $5 WHERE id = $1 AND submitted_at IS NULL",
        )
        .bind(id)
        .bind(now.clone())
        .bind(halves)
        .bind(percent)
        .bind(i64::from(passed))
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        let context: Option<String> =
            sqlx::query_scalar("SELECT CASE WHEN exam_id IS NULL THEN 'contest' ELSE 'exam' END FROM exam_attempts WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *w.tx)
                .await?;
        let context = context.unwrap_or_else(|| "exam".into());
        for a in answers {
            sqlx::query(
                "INSERT INTO learning_answers (user_id, question_id, context, attempt_id, answer, halves, answered_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(user)
            .bind(a.question_id.clone())
            .bind(context.clone())
            .bind(id)
            .bind(a.answer.clone())
            .bind(a.halves)
            .bind(now.clone())
            .execute(&mut *w.tx)
            .await?;
        }
        w.commit().await?;
        Ok(true)
    }

    /// Keep the answers given so far on a paper not handed in; false when it
    /// was handed in (or is not this person's).
    pub async fn save_draft(&self, id: i64, user: i64, draft: &str) -> Result<bool> {
        let mut w = self.begin_write().await?;
        let n = sqlx::query("UPDATE exam_attempts SET draft = $3 WHERE id = $1 AND user_id = $2 AND submitted_at IS NULL")
            .bind(id)
            .bind(user)
            .bind(draft.to_string())
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        w.commit().await?;
        Ok(n == 1)
    }

    /// Papers not handed in whose deadline is before `before` (RFC 3339):
    /// to be closed with what was saved.
    pub async fn expired_attempts(&self, user: Option<i64>, before: &str) -> Result<Vec<AttemptRow>> {
        let sql = format!(
            "SELECT {ATTEMPT_COLS} FROM exam_attempts WHERE submitted_at IS NULL AND deadline_at < $1{} ORDER BY id",
            if user.is_some() { " AND user_id = $2" } else { "" }
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(before.to_string());
        if let Some(u) = user {
            q = q.bind(u);
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(attempt_row).collect()
    }

    /// The answers kept for a sitting, by question.
    pub async fn attempt_answers(&self, id: i64) -> Result<HashMap<String, (String, i64)>> {
        let rows = sqlx::query("SELECT question_id, answer, halves FROM learning_answers WHERE attempt_id = $1")
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.s("question_id")?, (r.s("answer")?, r.i("halves")?)))).collect()
    }
}
