//! The recount shared by the statistics and ranking tests: the raw rows
//! (petitions, events, timers, evaluations) read with plain queries, and
//! the definitions of docs/metrics.md written out again, independently of
//! `xinfang_domain::metrics`.

#![allow(dead_code, clippy::unwrap_used)]

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{Value, json};
use sqlx::{AnyPool, Row};
use std::collections::{BTreeMap, HashMap, HashSet};
use xinfang_domain::local_date;

// ---------------------------------------------------------------------------
// The recount: raw rows, plain queries, the definitions of docs/metrics.md
// written out again here
// ---------------------------------------------------------------------------

pub struct Raw {
    pub registered_unit: i64,
    pub handling_unit: Option<i64>,
    pub received_on: NaiveDate,
    pub category: String,
    pub litigation_related: bool,
    pub repeat: bool,
    pub channel: String,
    pub topic: String,
    pub brought_back: bool,
    /// (action, to_state, local date), in order.
    pub events: Vec<(String, String, NaiveDate)>,
    /// (kind, due_on, met local date), in order.
    pub deadlines: Vec<(String, NaiveDate, Option<NaiveDate>)>,
    /// (document, rating, local date), in the order given.
    pub evaluations: Vec<(String, String, NaiveDate)>,
}

pub fn day_of(s: &str) -> NaiveDate {
    local_date(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc))
}

/// Units by code: (id, parent_id, gov_id).
pub type Units = HashMap<String, (i64, Option<i64>, Option<i64>)>;

pub async fn raw_rows(url: &str) -> (Vec<Raw>, Units) {
    raw_rows_read_by(url, None).await
}

/// The raw rows a reader's figures count: without the accusations the
/// reader's unit (by code) may not know of (Art. 30: the accused's line,
/// or the accused not named yet and the reader neither the receiving unit
/// nor a discipline body nor reported to).
pub async fn raw_rows_read_by(url: &str, reader: Option<&str>) -> (Vec<Raw>, Units) {
    sqlx::any::install_default_drivers();
    let pool = AnyPool::connect(url).await.unwrap();
    let mut by_id: BTreeMap<i64, Raw> = BTreeMap::new();
    let mut numbers: HashMap<i64, String> = HashMap::new();
    let mut back: HashSet<String> = HashSet::new();
    for r in sqlx::query(
        "SELECT id, number, registered_unit_id, handling_unit_id, received_on, category, litigation_related, repeat_of, channel, topic FROM petitions",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    {
        let id: i64 = r.get(0);
        numbers.insert(id, r.get(1));
        let repeat_of: Option<String> = r.get(7);
        if let Some(n) = &repeat_of {
            back.insert(n.clone());
        }
        by_id.insert(
            id,
            Raw {
                registered_unit: r.get(2),
                handling_unit: r.get(3),
                received_on: r.get::<String, _>(4).parse().unwrap(),
                category: r.get(5),
                litigation_related: r.get::<i64, _>(6) != 0,
                repeat: repeat_of.is_some(),
                channel: r.get(8),
                topic: r.get::<Option<String>, _>(9).unwrap_or_default(),
                brought_back: false,
                events: Vec::new(),
                deadlines: Vec::new(),
                evaluations: Vec::new(),
            },
        );
    }
    for (id, raw) in by_id.iter_mut() {
        raw.brought_back = back.contains(&numbers[id]);
    }
    for r in sqlx::query("SELECT petition_id, action, to_state, occurred_at FROM events ORDER BY petition_id, seq")
        .fetch_all(&pool)
        .await
        .unwrap()
    {
        let raw = by_id.get_mut(&r.get::<i64, _>(0)).unwrap();
        raw.events.push((r.get(1), r.get(2), day_of(&r.get::<String, _>(3))));
    }
    for r in
        sqlx::query("SELECT petition_id, kind, due_on, met_at FROM deadlines ORDER BY petition_id, seq").fetch_all(&pool).await.unwrap()
    {
        let raw = by_id.get_mut(&r.get::<i64, _>(0)).unwrap();
        raw.deadlines.push((r.get(1), r.get::<String, _>(2).parse().unwrap(), r.get::<Option<String>, _>(3).map(|s| day_of(&s))));
    }
    for r in sqlx::query("SELECT petition_id, document, rating, created_at FROM evaluations ORDER BY petition_id, created_at, id")
        .fetch_all(&pool)
        .await
        .unwrap()
    {
        let raw = by_id.get_mut(&r.get::<i64, _>(0)).unwrap();
        raw.evaluations.push((r.get(1), r.get(2), day_of(&r.get::<String, _>(3))));
    }
    let units = sqlx::query("SELECT code, id, parent_id, gov_id FROM units")
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get::<String, _>(0), (r.get::<i64, _>(1), r.get::<Option<i64>, _>(2), r.get::<Option<i64>, _>(3))))
        .collect();
    pool.close().await;
    if let Some(code) = reader {
        for id in screened_ids(url, code).await {
            by_id.remove(&id);
        }
    }
    (by_id.into_values().collect(), units)
}

pub type Counts = BTreeMap<&'static str, (u64, u64)>;

/// Every metric for the petitions `keep` selects, counted for the units in
/// `scope`, for the period `from..=to`, judged on `today`.
pub fn recount(
    raws: &[Raw],
    scope: &HashSet<i64>,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
    keep: &dyn Fn(&Raw) -> bool,
) -> Counts {
    let inside = |d: NaiveDate| from <= d && d <= to;
    let mut c: Counts = BTreeMap::new();
    for m in [
        "on_time_acceptance_rate",
        "on_time_conclusion_rate",
        "repeat_petition_rate",
        "evaluation_rate",
        "satisfaction_rate",
        "resolution_rate",
        "first_time_resolution_rate",
    ] {
        c.insert(m, (0, 0));
    }
    let mut add = |name: &'static str, hit: bool| {
        let e = c.entry(name).or_insert((0, 0));
        e.0 += u64::from(hit);
        e.1 += 1;
    };
    for r in raws.iter().filter(|r| keep(r)) {
        let registering = scope.contains(&r.registered_unit);
        let handling = r.handling_unit.is_some_and(|h| scope.contains(&h));
        let refused = r.events.first().is_some_and(|e| e.1 == "declined" || e.1 == "not_reaccepted");
        let public = !r.litigation_related && r.category != "accusation" && !refused;
        let first_event = |actions: &[&str]| r.events.iter().find(|e| actions.contains(&e.0.as_str())).map(|e| e.2);

        // 及时受理率: the registration timer's due date in the period.
        if (registering || handling)
            && !r.repeat
            && !refused
            && let Some((_, due, _)) = r.deadlines.iter().find(|d| d.0 == "T1" || d.0 == "T2")
            && inside(*due)
        {
            match first_event(&["accept", "decline"]) {
                Some(a) => add("on_time_acceptance_rate", a <= *due),
                None if *due < today => add("on_time_acceptance_rate", false),
                None => {}
            }
        }
        // 按期办结率: the first T6 / S1 due in the period.
        if handling
            && !r.litigation_related
            && !refused
            && let Some((_, due, met)) = r.deadlines.iter().find(|d| d.0 == "T6" || d.0 == "S1")
            && inside(*due)
        {
            match met {
                Some(m) => add("on_time_conclusion_rate", m <= due),
                None if *due < today => add("on_time_conclusion_rate", false),
                None => {}
            }
        }
        // 重复信访率: received in the period, at the registering unit.
        if registering && !r.litigation_related && inside(r.received_on) {
            add("repeat_petition_rate", r.repeat);
        }
        if !handling || !public {
            continue;
        }
        let first_instance = |doc: &str| doc == "decision_letter" || doc == "reply";
        // 参评率: the first delivery in the period.
        if let Some(delivered) = first_event(&["deliver"]).filter(|d| inside(*d)) {
            let evaluated = r.evaluations.iter().any(|e| first_instance(&e.0));
            if evaluated {
                add("evaluation_rate", true);
            } else if delivered + Duration::days(30) < today {
                add("evaluation_rate", false);
            }
        }
        // 满意率: first-instance ratings given in the period.
        for e in r.evaluations.iter().filter(|e| first_instance(&e.0) && inside(e.2)) {
            add("satisfaction_rate", e.1 != "dissatisfied");
        }
        // 化解率 / 一次性化解率: closed in the period.
        if r.events.iter().find(|e| e.1 == "closed").is_some_and(|e| inside(e.2)) {
            let last_dissatisfied = r.evaluations.last().is_some_and(|e| e.1 == "dissatisfied");
            add("resolution_rate", !r.brought_back && !last_dissatisfied);
            if !r.repeat {
                let reviewed = r.events.iter().any(|e| e.0 == "request_review");
                let dissatisfied = r.evaluations.iter().any(|e| first_instance(&e.0) && e.1 == "dissatisfied");
                add("first_time_resolution_rate", !r.brought_back && !reviewed && !dissatisfied);
            }
        }
    }
    c
}

/// The unit, or the unit and everything linked below it: its line (the
/// materialised path) and, through `gov_id`, what answers to a government.
pub fn scope_of(units: &Units, code: &str, subtree: bool) -> HashSet<i64> {
    let (id, _, _) = units[code];
    if !subtree {
        return [id].into();
    }
    let mut scope: HashSet<i64> = [id].into();
    loop {
        let before = scope.len();
        for (uid, parent, gov) in units.values() {
            if parent.is_some_and(|p| scope.contains(&p)) || gov.is_some_and(|g| scope.contains(&g)) {
                scope.insert(*uid);
            }
        }
        if scope.len() == before {
            return scope;
        }
    }
}

pub fn assert_counts(api: &Value, expected: &Counts, what: &str) {
    for (name, (num, den)) in expected {
        let m = &api[*name];
        assert_eq!(m["numerator"], json!(num), "{what}: {name} numerator ({m})");
        assert_eq!(m["denominator"], json!(den), "{what}: {name} denominator ({m})");
        if *den == 0 {
            assert!(m["value"].is_null(), "{what}: {name} value without a denominator");
        } else {
            assert!((m["value"].as_f64().unwrap() - *num as f64 / *den as f64).abs() < 1e-12, "{what}: {name} value");
        }
    }
}

/// Change a sample of petitions with plain SQL, as any write path might,
/// in every way the statistics see: handling units moved, timers met or
/// reopened, ratings changed, a petition made a repeat of another (which
/// brings the other back), states, topics and channels. Returns the rows
/// changed. The precomputed statistics must follow each (the database's
/// triggers mark the petitions changed).
pub async fn shake(url: &str, seed: i64) -> u64 {
    sqlx::any::install_default_drivers();
    let pool = AnyPool::connect(url).await.unwrap();
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM petitions ORDER BY id").fetch_all(&pool).await.unwrap();
    let units: Vec<i64> = sqlx::query_scalar("SELECT id FROM units ORDER BY id").fetch_all(&pool).await.unwrap();
    let met: String = sqlx::query_scalar("SELECT met_at FROM deadlines WHERE met_at IS NOT NULL ORDER BY petition_id LIMIT 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    let pick = |k: i64| ids[((seed * 7919 + k * 104_729).rem_euclid(ids.len() as i64)) as usize];
    let list = |from: i64, n: i64| (from..from + n).map(|k| pick(k).to_string()).collect::<Vec<_>>().join(", ");
    let mut changed = 0;
    let run = |sql: String| {
        let pool = pool.clone();
        async move { sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await.unwrap().rows_affected() }
    };
    let unit = units[(seed.rem_euclid(units.len() as i64)) as usize];
    changed += run(format!("UPDATE petitions SET handling_unit_id = {unit} WHERE id IN ({})", list(0, 40))).await;
    changed += run(format!("UPDATE petitions SET handling_unit_id = NULL WHERE id IN ({})", list(40, 10))).await;
    changed += run(format!("UPDATE deadlines SET met_at = NULL WHERE petition_id IN ({})", list(50, 40))).await;
    changed += run(format!("UPDATE deadlines SET met_at = '{met}' WHERE met_at IS NULL AND petition_id IN ({})", list(90, 40))).await;
    changed += run(format!("UPDATE evaluations SET rating = 'dissatisfied' WHERE petition_id IN ({})", list(130, 60))).await;
    changed += run(format!("UPDATE evaluations SET rating = 'satisfied' WHERE petition_id IN ({})", list(190, 60))).await;
    changed += run(format!("UPDATE petitions SET state = 'closed' WHERE id IN ({})", list(250, 30))).await;
    changed += run(format!("UPDATE petitions SET topic = '0301', channel = 'letter' WHERE id IN ({})", list(280, 30))).await;
    changed += run(format!("UPDATE petitions SET category = 'accusation' WHERE id IN ({})", list(310, 10))).await;
    changed += run(format!("DELETE FROM evaluations WHERE petition_id IN ({})", list(320, 20))).await;
    for k in 0..5 {
        let (a, b) = (pick(400 + 2 * k), pick(401 + 2 * k));
        changed +=
            run(format!("UPDATE petitions SET repeat_of = (SELECT number FROM petitions WHERE id = {a}) WHERE id = {b} AND id <> {a}"))
                .await;
    }
    changed += run(format!("UPDATE petitions SET repeat_of = NULL WHERE repeat_of IS NOT NULL AND id IN ({})", list(420, 200))).await;
    pool.close().await;
    changed
}

/// Bring a server's precomputed statistics up to date, as its
/// `statistics_refresh` job does but in the large batches of the command
/// (tests turn the job off, so that each step knows what the aggregates
/// hold), for scopes of at least `min_units` units.
pub async fn refresh(store: &xinfang_store::Store, min_units: usize) -> xinfang_web::precomputed::RefreshReport {
    let settings = xinfang_web::state::Settings { statistics_min_scope_units: min_units, ..Default::default() };
    refresh_with(store, &settings).await
}

/// `refresh` at the job's own pace (`Pace::Gentle`: on SQLite small
/// transactions that hand the writer over between them).
pub async fn refresh_as_job(store: &xinfang_store::Store, min_units: usize) -> xinfang_web::precomputed::RefreshReport {
    let settings = xinfang_web::state::Settings { statistics_min_scope_units: min_units, ..Default::default() };
    let tree = xinfang_domain::unit::UnitTree::new(store.load_units().await.unwrap());
    xinfang_web::precomputed::refresh_store(store, &tree, &settings, xinfang_web::precomputed::Pace::Gentle).await.unwrap().0
}

/// `refresh` with the server's settings (the thresholds of what is kept).
pub async fn refresh_with(
    store: &xinfang_store::Store,
    settings: &xinfang_web::state::Settings,
) -> xinfang_web::precomputed::RefreshReport {
    let tree = xinfang_domain::unit::UnitTree::new(store.load_units().await.unwrap());
    xinfang_web::precomputed::refresh_store(store, &tree, settings, xinfang_web::precomputed::Pace::Bulk).await.unwrap().0
}

/// The accusations a reader's unit (by code) may not know of (Art. 30):
/// its figures count none of them.
#[allow(dead_code)]
pub async fn screened_ids(url: &str, code: &str) -> HashSet<i64> {
    sqlx::any::install_default_drivers();
    let pool = AnyPool::connect(url).await.unwrap();
    let r = sqlx::query("SELECT id, kind FROM units WHERE code = $1").bind(code).fetch_one(&pool).await.unwrap();
    let (reader, kind): (i64, String) = (r.get(0), r.get(1));
    let mut out = HashSet::new();
    for r in
        sqlx::query("SELECT id, accused_unit_path, case_json FROM petitions WHERE category = 'accusation'").fetch_all(&pool).await.unwrap()
    {
        let (id, path, json): (i64, Option<String>, String) = (r.get(0), r.get(1), r.get(2));
        let case: xinfang_domain::procedure::Case = serde_json::from_str(&json).unwrap();
        let on_line = path.is_some_and(|p| p.split('/').any(|x| x == reader.to_string()));
        if on_line || xinfang_domain::access::hidden_until_accused_named(&case, reader, kind == "discipline_body") {
            out.insert(id);
        }
    }
    pool.close().await;
    out
}
