//! Backlog clearance campaigns (积案化解, issue 12 item 3): the campaign,
//! the petitions it listed when it started (with their state then), and
//! their state and owner leader now. Rules in `domain::campaign`.

use crate::db::{Result, RowExt, Store, StoreError, fmt_date, fmt_instant, parse_date};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::AssertSqlSafe;
use xinfang_domain::unit::UnitId;

#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub unit_id: UnitId,
    pub name: String,
    pub older_than_days: i64,
    pub target_percent: i64,
    pub target_on: NaiveDate,
    pub started_on: NaiveDate,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
}

/// A campaign with its counts now.
#[derive(Debug, Clone)]
pub struct CampaignRow {
    pub id: i64,
    pub unit_id: UnitId,
    pub name: String,
    pub older_than_days: i64,
    pub target_percent: i64,
    pub target_on: NaiveDate,
    pub started_on: NaiveDate,
    pub created_by: String,
    pub total: i64,
    pub resolved: i64,
    pub owned: i64,
}

/// One listed petition.
#[derive(Debug, Clone)]
pub struct CampaignItemRow {
    pub petition_id: i64,
    pub number: String,
    pub title: String,
    pub received_on: NaiveDate,
    pub state_at_start: String,
    pub state: String,
    pub handling_unit_id: Option<UnitId>,
    pub leader: Option<String>,
    pub confidential: bool,
    /// The procedure state, for the viewer's access rules (sealed titles).
    pub case: xinfang_domain::procedure::Case,
}

/// The states that end a procedure (`State::is_terminal`), for SQL.
const ENDED: &str = "('closed', 'declined', 'redirected', 'not_reaccepted')";

const CAMPAIGN_SELECT: &str = "SELECT c.id, c.unit_id, c.name, c.older_than_days, c.target_percent, c.target_on, c.started_on, \
     u.display_name AS created_by, \
     (SELECT COUNT(*) FROM campaign_items i WHERE i.campaign_id = c.id) AS total, \
     (SELECT COUNT(*) FROM campaign_items i JOIN petitions p ON p.id = i.petition_id WHERE i.campaign_id = c.id \
        AND p.state IN ('closed', 'declined', 'redirected', 'not_reaccepted')) AS resolved, \
     (SELECT COUNT(*) FROM campaign_items i JOIN petition_leads l ON l.petition_id = i.petition_id AND l.released_at IS NULL \
        WHERE i.campaign_id = c.id) AS owned \
     FROM campaigns c JOIN users u ON u.id = c.created_by";

fn campaign_row(r: &sqlx::any::AnyRow) -> Result<CampaignRow> {
    Ok(CampaignRow {
        id: r.i("id")?,
        unit_id: r.i("unit_id")?,
        name: r.s("name")?,
        older_than_days: r.i("older_than_days")?,
        target_percent: r.i("target_percent")?,
        target_on: parse_date(&r.s("target_on")?)?,
        started_on: parse_date(&r.s("started_on")?)?,
        created_by: r.s("created_by")?,
        total: r.i("total")?,
        resolved: r.i("resolved")?,
        owned: r.i("owned")?,
    })
}

impl Store {
    /// The open petitions of `units` (registered at or handled by one of
    /// them) received before `before`, oldest first, at most `limit`:
    /// (id, state).
    /// Accusations (sealed, Art. 30) only with `accusations`: they are
    /// listed only in a discipline body's own campaign.
    pub async fn backlog(&self, units: &[UnitId], before: NaiveDate, limit: usize, accusations: bool) -> Result<Vec<(i64, String)>> {
        if units.is_empty() {
            return Ok(Vec::new());
        }
        let ids = crate::db::int_list(units);
        let sealed = if accusations { "" } else { " AND category <> 'accusation'" };
        let sql = format!(
            "SELECT id, state FROM petitions WHERE id IN (\
               SELECT id FROM petitions WHERE registered_unit_id IN ({ids}) AND received_on < $1 \
               UNION SELECT id FROM petitions WHERE handling_unit_id IN ({ids}) AND received_on < $1) \
             AND state NOT IN {ENDED}{sealed} ORDER BY received_on, id LIMIT {limit}"
        );
        let rows = sqlx::query(AssertSqlSafe(sql)).bind(fmt_date(before)).fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok((r.i("id")?, r.s("state")?))).collect()
    }

    /// Start a campaign listing `items` (petition id, state now);
    /// `Conflict` if the unit has one of that name already.
    pub async fn create_campaign(&self, c: &NewCampaign, items: &[(i64, String)]) -> Result<i64> {
        let mut w = self.begin_write().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO campaigns (unit_id, name, older_than_days, target_percent, target_on, started_on, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (unit_id, name) DO NOTHING RETURNING id",
        )
        .bind(c.unit_id)
        .bind(c.name.clone())
        .bind(c.older_than_days)
        .bind(c.target_percent)
        .bind(fmt_date(c.target_on))
        .bind(fmt_date(c.started_on))
        .bind(c.created_by)
        .bind(fmt_instant(c.created_at))
        .fetch_optional(&mut *w.tx)
        .await?;
        let Some(id) = id else { return Err(StoreError::Conflict) };
        for chunk in items.chunks(500) {
            let mut sql = String::from("INSERT INTO campaign_items (campaign_id, petition_id, state_at_start) VALUES ");
            for (i, _) in chunk.iter().enumerate() {
                sql.push_str(&format!("{}($1, ${}, ${})", if i > 0 { ", " } else { "" }, 2 * i + 2, 2 * i + 3));
            }
            let mut q = sqlx::query(AssertSqlSafe(sql)).bind(id);
            for (pid, state) in chunk {
                q = q.bind(*pid).bind(state.clone());
            }
            q.execute(&mut *w.tx).await?;
        }
        w.commit().await?;
        Ok(id)
    }

    /// The campaigns of a unit, newest first.
    pub async fn campaigns_of(&self, unit_id: UnitId) -> Result<Vec<CampaignRow>> {
        let rows = sqlx::query(AssertSqlSafe(format!("{CAMPAIGN_SELECT} WHERE c.unit_id = $1 ORDER BY c.id DESC")))
            .bind(unit_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(campaign_row).collect()
    }

    pub async fn campaign(&self, id: i64) -> Result<Option<CampaignRow>> {
        let row = sqlx::query(AssertSqlSafe(format!("{CAMPAIGN_SELECT} WHERE c.id = $1"))).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(campaign_row).transpose()
    }

    /// A campaign's petitions, oldest first, with their state and owner now.
    pub async fn campaign_items(&self, id: i64) -> Result<Vec<CampaignItemRow>> {
        let rows = sqlx::query(
            "SELECT p.id, p.number, p.title, p.received_on, i.state_at_start, p.state, p.handling_unit_id, p.confidential, p.case_json, u.display_name AS leader \
             FROM campaign_items i JOIN petitions p ON p.id = i.petition_id \
             LEFT JOIN petition_leads l ON l.petition_id = p.id AND l.released_at IS NULL LEFT JOIN users u ON u.id = l.leader_id \
             WHERE i.campaign_id = $1 ORDER BY p.received_on, p.id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CampaignItemRow {
                    petition_id: r.i("id")?,
                    number: r.s("number")?,
                    title: r.s("title")?,
                    received_on: parse_date(&r.s("received_on")?)?,
                    state_at_start: r.s("state_at_start")?,
                    state: r.s("state")?,
                    handling_unit_id: r.oi("handling_unit_id")?,
                    leader: r.os("leader")?,
                    confidential: r.b("confidential")?,
                    case: serde_json::from_str(&r.s("case_json")?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                })
            })
            .collect()
    }
}
