//! The store's bulk path (`xinfang_store::bulk`, used by the province-scale
//! benchmark) writes exactly the rows of the ordinary write path: the same
//! petitions and acts written both ways into two databases compare equal
//! row by row (only ids of child rows and write clocks aside), hash chains,
//! record digests and HMAC anchors included, and both verify.

#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::RngCore;
use serde_json::json;
use sqlx::{AnyPool, AssertSqlSafe, Connection, Row};
use std::collections::HashMap;
use std::sync::Arc;
use xinfang::config::Config;
use xinfang_crypto::{Algorithm, Keyring};
use xinfang_domain::local_date;
use xinfang_domain::number::number_prefix;
use xinfang_domain::petition::{
    Accused, Category, Channel, DeliveryMethod, Disposition, Outcome, Petitioner, PetitionerKind, Rating, Registration, ReviewOutcome,
};
use xinfang_domain::procedure::{Actor, Case, Command, Ctx, StaffActor, register, transition};
use xinfang_domain::role::Role;
use xinfang_domain::unit::UnitTree;
use xinfang_store::{ActorRef, BulkAct, BulkPetition, BulkUnits, EventDraft, NewPetition, Store};
use xinfang_web::acting::involved_units;
use xinfang_web::intake::{identity_keys, query_code_hash, seal_petitioner};

async fn fresh_url(dir: &std::path::Path, name: &str) -> String {
    match std::env::var("XINFANG_TEST_DATABASE_URL") {
        Ok(admin) if !admin.is_empty() => {
            let mut b = [0u8; 6];
            rand::rng().fill_bytes(&mut b);
            let db = format!("xf_test_{}", b.iter().map(|x| format!("{x:02x}")).collect::<String>());
            let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
            sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {db}"))).execute(&mut c).await.unwrap();
            format!("{}/{db}", admin.rsplit_once('/').unwrap().0)
        }
        _ => format!("sqlite://{}/{name}.db", dir.display()),
    }
}

async fn open(url: &str, dir: &std::path::Path, keys: &Arc<Keyring>) -> Store {
    let cfg = Config { database_url: url.into(), key_file: dir.join("unused.key").display().to_string(), ..Config::default() };
    let store = xinfang::open_with(&cfg, Some(keys.clone())).await.unwrap();
    xinfang::demo::load(&store, |_| "not-a-login".into()).await.unwrap();
    store
}

struct World {
    tree: UnitTree,
    calendar: xinfang_domain::calendar::HolidayCalendar,
    users: HashMap<String, (i64, i64, Role)>,
    keys: Arc<Keyring>,
}

impl World {
    fn staff(&self, username: &str) -> (Actor, ActorRef) {
        let (id, unit, role) = self.users[username];
        (Actor::Staff(StaffActor { user_id: id, unit_id: unit, role }), ActorRef { kind: "staff", user_id: Some(id), unit_id: Some(unit) })
    }

    fn ctx(&self, at: DateTime<Utc>) -> Ctx<'_> {
        let s = xinfang_web::Settings::default();
        Ctx { on: local_date(at), now: at, calendar: &self.calendar, tree: &self.tree, policy: s.policy, window_policy: s.window_policy }
    }
}

/// One petition written through the ordinary path into `a`, its acts
/// recorded for the bulk path.
struct Written {
    bulk: BulkPetition,
}

fn reg(jurisdiction: &str, category: Category, channel: Channel, received: DateTime<Utc>, people: usize) -> Registration {
    let petitioners = (0..people)
        .map(|i| Petitioner {
            kind: PetitionerKind::Person,
            name: format!("测试人{i}"),
            id_number: (i == 0).then(|| "11010519491231002X".to_string()),
            phone: Some(format!("1380013800{i}")),
            address: Some("深圳市福田区".into()),
            representative: people > 1,
        })
        .collect();
    Registration {
        channel,
        petitioners,
        collective: people > 1,
        headcount: if people > 1 { 12 } else { 1 },
        jurisdiction: jurisdiction.into(),
        title: format!("{}事项", category.label()),
        content: "具体情况如下。".into(),
        request: "要求依法处理".into(),
        facts_and_reasons: "事实和理由如下，多次反映未果。".into(),
        category,
        litigation_related: false,
        topic: Some("0202".into()),
        accused: (category == Category::Accusation).then(|| Accused {
            name: Some("某某".into()),
            unit: Some("区住建局".into()),
            position: None,
            unit_code: Some("440304-ZJT".into()),
        }),
        anonymous: false,
        confidential: people > 1,
        received_on: local_date(received),
    }
}

async fn submit(a: &Store, w: &World, reg: Registration, receiving: &str, clerk: Option<&str>, at: DateTime<Utc>) -> Written {
    let unit = w.tree.by_code(receiving).unwrap().clone();
    let case = register(&reg, &unit, &w.ctx(at));
    let prefix = number_prefix(&unit.jurisdiction, reg.received_on);
    let (actor, action) = match clerk {
        Some(c) => (w.staff(c).1, "register"),
        None => (ActorRef { kind: "petitioner", user_id: None, unit_id: None }, "submit"),
    };
    let event = EventDraft {
        action: action.into(),
        actor,
        occurred_at: at,
        from_state: None,
        to_state: case.state,
        payload: json!({"channel": reg.channel.as_str(), "receiving_unit": unit.code}),
        reason: None,
    };
    let notice = format!("{}已收到。", unit.name);
    let petitioners: Vec<_> = reg.petitioners.iter().map(|p| seal_petitioner(&w.keys, p)).collect();
    let keys = identity_keys(&w.keys, &reg.petitioners);
    let qch = query_code_hash(&w.keys, "ABCDEFGH");
    let accused_path = case.accused_unit.and_then(|u| w.tree.get(u)).map(|u| u.path.clone());
    let involved = vec![(unit.id, unit.path.clone())];
    let (id, number) = a
        .insert_petition(NewPetition {
            reg: reg.clone(),
            petitioners: petitioners.clone(),
            number_prefix: prefix.clone(),
            number_key: w.keys.keyed_hash("number", &prefix).into_bytes(),
            query_code_hash: qch.clone(),
            identity_keys: keys.clone(),
            repeat_of: None,
            source_key_id: None,
            case: case.clone(),
            event: event.clone(),
            notice: Some(notice.clone()),
            attachments: Vec::new(),
            involved: involved.clone(),
            accused_unit_path: accused_path.clone(),
            registered_at: at,
            rows: Default::default(),
            risk_alerts: Vec::new(),
            green_channel: None,
            search_tokens: xinfang_web::search::registration_tokens(&xinfang_web::search::segmenter(&w.tree), &w.keys, &reg),
        })
        .await
        .unwrap();
    let first = BulkAct {
        event,
        recorded_at: at,
        case: Some(case),
        notice: Some(notice),
        involved,
        accused_unit_path: accused_path,
        evaluation: None,
    };
    Written {
        bulk: BulkPetition {
            search_tokens: xinfang_web::search::registration_tokens(&xinfang_web::search::segmenter(&w.tree), &w.keys, &reg),
            id,
            number,
            reg,
            petitioners,
            query_code_hash: qch,
            identity_keys: keys,
            repeat_of: None,
            registered_at: at,
            acts: vec![first],
        },
    }
}

impl Written {
    /// An act as `web::acting::perform` carries it out: the record read
    /// back, the real transition, `apply_transition`.
    async fn act(&mut self, a: &Store, w: &World, who: Option<&str>, cmd: Command, at: DateTime<Utc>) {
        let rec = a.petition_by_number(&self.bulk.number).await.unwrap().unwrap();
        let (actor, actor_ref) = match who {
            Some(u) => w.staff(u),
            None => (Actor::Petitioner, ActorRef { kind: "petitioner", user_id: None, unit_id: None }),
        };
        let reason = cmd.stated_reason().map(String::from);
        let evaluation = match &cmd {
            Command::Evaluate { rating, reason } => {
                let doc = rec.case.document.as_ref().map(|d| json!(d.kind)).and_then(|v| v.as_str().map(String::from));
                Some((doc.unwrap_or_default(), rating.as_str().to_string(), reason.clone()))
            }
            _ => None,
        };
        let t = transition(&rec.case, cmd, &actor, &w.ctx(at)).unwrap();
        let event = EventDraft {
            action: t.action.into(),
            actor: actor_ref,
            occurred_at: at,
            from_state: Some(rec.case.state),
            to_state: t.case.state,
            payload: t.payload.clone(),
            reason,
        };
        let involved = involved_units(&t.case, &w.tree);
        let accused = t.case.accused_unit.and_then(|u| w.tree.get(u)).map(|u| u.path.clone());
        let eval = evaluation.as_ref().map(|(d, r, why)| (d.as_str(), r.as_str(), why.as_str()));
        a.apply_transition(rec.id, rec.version, &t.case, &event, t.notice.as_deref(), &involved, eval, accused.as_deref()).await.unwrap();
        self.bulk.acts.push(BulkAct {
            event,
            recorded_at: at,
            case: Some(t.case),
            notice: t.notice,
            involved,
            accused_unit_path: accused,
            evaluation,
        });
    }

    /// An event that changes nothing (`append_event`).
    async fn note(&mut self, a: &Store, case: &Case, at: DateTime<Utc>) {
        let event = EventDraft {
            action: "repeat_refused".into(),
            actor: ActorRef { kind: "petitioner", user_id: None, unit_id: None },
            occurred_at: at,
            from_state: Some(case.state),
            to_state: case.state,
            payload: json!({"rule": "art36"}),
            reason: Some("同一事项".into()),
        };
        a.append_event(self.bulk.id, &event).await.unwrap();
        self.bulk.acts.push(BulkAct {
            event,
            recorded_at: at,
            case: None,
            notice: None,
            involved: Vec::new(),
            accused_unit_path: None,
            evaluation: None,
        });
    }
}

/// Every row of the tables a petition writes, as text, in a stable order,
/// without the ids of child rows and the write clocks.
async fn dump(url: &str) -> HashMap<&'static str, Vec<Vec<Option<String>>>> {
    sqlx::any::install_default_drivers();
    let pool = AnyPool::connect(url).await.unwrap();
    let tables: [(&str, &str, &str); 10] = [
        (
            "petitions",
            "id, number, query_code_hash, channel, category, litigation_related, topic, jurisdiction, title, content, request, facts_and_reasons, collective, headcount, anonymous, confidential, accused_name, accused_unit, accused_position, state, registered_unit_id, current_unit_id, handling_unit_id, received_on, registered_at, identity_key, repeat_of, source_key_id, case_json, next_due_on, event_head_hash, event_head_mac, event_seq, accused_unit_path, next_due_kind, version",
            "id",
        ),
        (
            "petitioners",
            "petition_id, position, kind, name, id_number, phone, address, id_hash, phone_hash, representative",
            "petition_id, position",
        ),
        ("petition_identities", "petition_id, identity_key", "petition_id, identity_key"),
        ("petition_units", "petition_id, unit_id, unit_path", "petition_id, unit_id"),
        (
            "deadlines",
            "petition_id, seq, kind, start_event_seq, started_on, length, day_unit, pauses, extension_days, policy, due_on, provisional, met_at",
            "petition_id, seq",
        ),
        (
            "events",
            "petition_id, seq, action, actor_kind, actor_user_id, actor_unit_id, occurred_at, recorded_at, from_state, to_state, payload, reason, prev_hash, hash, record_digest, mac",
            "petition_id, seq",
        ),
        ("notices", "petition_id, event_seq, body", "petition_id, event_seq"),
        ("evaluations", "petition_id, document, rating, reason", "petition_id"),
        ("petition_viewers", "unit_id, petition_id, registered_at, due_key", "petition_id, unit_id"),
        ("number_sequences", "prefix, last", "prefix"),
    ];
    let mut out = HashMap::new();
    for (table, cols, order) in tables {
        let list: Vec<String> = cols.split(", ").map(|c| format!("CAST({c} AS TEXT)")).collect();
        let rows =
            sqlx::query(AssertSqlSafe(format!("SELECT {} FROM {table} ORDER BY {order}", list.join(", ")))).fetch_all(&pool).await.unwrap();
        let rows = rows.iter().map(|r| (0..list.len()).map(|i| r.try_get::<Option<String>, _>(i).unwrap()).collect()).collect();
        out.insert(table, rows);
    }
    let head = sqlx::query("SELECT CAST(seq AS TEXT), hash, mac FROM chain_heads WHERE name = 'petitions'").fetch_all(&pool).await.unwrap();
    out.insert("chain_heads", head.iter().map(|r| (0..3).map(|i| r.try_get::<Option<String>, _>(i).unwrap()).collect()).collect());
    pool.close().await;
    out
}

#[tokio::test]
async fn bulk_matches_the_write_path() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Arc::new(Keyring::generate(Algorithm::Sm4Gcm).0);
    let (url_a, url_b) = (fresh_url(dir.path(), "a").await, fresh_url(dir.path(), "b").await);
    let a = open(&url_a, dir.path(), &keys).await;
    let b = open(&url_b, dir.path(), &keys).await;
    let units = a.load_units().await.unwrap();
    assert_eq!(units, b.load_units().await.unwrap(), "the same units with the same ids");
    let users = a.users().await.unwrap().into_iter().map(|u| (u.username, (u.id, u.unit_id, u.role))).collect();
    let w = World { tree: UnitTree::new(units.clone()), calendar: a.load_calendar().await.unwrap(), users, keys: keys.clone() };
    let day = |d: i64| Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap() + Duration::days(d) + Duration::minutes(d * 7);

    let mut all = Vec::new();
    // A claim through handling, decision, evaluation, 复查 and closing.
    let mut p = submit(&a, &w, reg("440304", Category::Claim, Channel::Online, day(0), 1), "440304-XFJ", None, day(0)).await;
    p.act(&a, &w, Some("ft_clerk"), Command::Forward { unit: "440304-RST".into(), note: String::new() }, day(2)).await;
    p.act(&a, &w, Some("ft_rst_officer"), Command::Accept { route: Some(6), simplified: false, note: String::new() }, day(4)).await;
    p.act(&a, &w, Some("ft_rst_officer"), Command::Investigate { note: "约谈".into() }, day(9)).await;
    p.act(&a, &w, Some("ft_rst_head"), Command::Extend { days: 30, reason: "案情复杂".into() }, day(50)).await;
    let conclude = Command::Conclude {
        outcome: Outcome::Explained,
        request: "r".into(),
        facts_and_reasons: "f".into(),
        decision: "d".into(),
        legal_basis: "l".into(),
    };
    p.act(&a, &w, Some("ft_rst_officer"), conclude, day(70)).await;
    p.act(
        &a,
        &w,
        Some("ft_rst_officer"),
        Command::Deliver { method: DeliveryMethod::Post, delivered_on: local_date(day(72)), signed: true },
        day(72),
    )
    .await;
    p.act(&a, &w, None, Command::Evaluate { rating: Rating::Dissatisfied, reason: "没有解决".into() }, day(74)).await;
    p.act(&a, &w, None, Command::RequestReview { unit: None, reason: "不服".into(), good_reason: None }, day(80)).await;
    let decide = Command::DecideReview {
        outcome: ReviewOutcome::Uphold,
        opinion: "o".into(),
        facts_and_reasons: "f".into(),
        legal_basis: "l".into(),
    };
    p.act(&a, &w, Some("sz_rst_reviewer"), decide, day(95)).await;
    p.act(
        &a,
        &w,
        Some("sz_rst_reviewer"),
        Command::Deliver { method: DeliveryMethod::InPerson, delivered_on: local_date(day(96)), signed: true },
        day(96),
    )
    .await;
    p.act(&a, &w, Some("sz_rst_reviewer"), Command::Close { note: String::new() }, day(130)).await;
    all.push(p);

    // An accusation naming a unit (sealed from its line), at the discipline body.
    let mut p =
        submit(&a, &w, reg("440304", Category::Accusation, Channel::Letter, day(1), 1), "440304-XFJ", Some("ft_clerk"), day(1)).await;
    p.act(&a, &w, Some("ft_clerk"), Command::ReferDiscipline { unit: "440304-JW".into(), note: String::new() }, day(3)).await;
    p.act(&a, &w, Some("ft_jw_officer"), Command::Accept { route: None, simplified: false, note: String::new() }, day(5)).await;
    p.act(&a, &w, Some("ft_jw_officer"), Command::Dispose { disposition: Disposition::TalkInquiry, summary: "谈话".into() }, day(20)).await;
    p.act(&a, &w, Some("ft_jw_officer"), Command::Reply { text: "反馈".into(), adoption: None }, day(30)).await;
    all.push(p);

    // A collective, confidential claim: an objection sends it back and on.
    let mut p = submit(&a, &w, reg("440304", Category::Claim, Channel::Visit, day(2), 3), "440304-XFJ", Some("ft_clerk"), day(2)).await;
    p.act(&a, &w, Some("ft_clerk"), Command::Forward { unit: "440304-JTT".into(), note: String::new() }, day(3)).await;
    p.act(&a, &w, Some("ft_jtt_officer"), Command::Object { reasons: "不属于本单位职责".into() }, day(4)).await;
    p.act(&a, &w, Some("ft_clerk"), Command::ApproveObjection { note: String::new() }, day(5)).await;
    p.act(&a, &w, Some("ft_clerk"), Command::Forward { unit: "440304-ZJT".into(), note: String::new() }, day(6)).await;
    p.act(&a, &w, Some("ft_zjt_officer"), Command::Accept { route: Some(6), simplified: false, note: String::new() }, day(8)).await;
    all.push(p);

    // A suggestion only registered, then a refusal noted on it.
    let mut p = submit(&a, &w, reg("4403", Category::Suggestion, Channel::Online, day(3), 1), "4403-XFJ", None, day(3)).await;
    let case = p.bulk.acts[0].case.clone().unwrap();
    p.note(&a, &case, day(5)).await;
    all.push(p);

    // The bulk path into `b`, with the write clocks the ordinary path took.
    let start = b.bulk_begin().await.unwrap();
    assert_eq!(start.next_id, 1);
    sqlx::any::install_default_drivers();
    let pool = AnyPool::connect(&url_a).await.unwrap();
    let bulk_units = BulkUnits::new(&units);
    let mut rows = xinfang_store::BulkRows::default();
    for p in &mut all {
        let clocks: Vec<String> = sqlx::query_scalar("SELECT recorded_at FROM events WHERE petition_id = $1 ORDER BY seq")
            .bind(p.bulk.id)
            .fetch_all(&pool)
            .await
            .unwrap();
        assert_eq!(clocks.len(), p.bulk.acts.len());
        for (act, at) in p.bulk.acts.iter_mut().zip(clocks) {
            act.recorded_at = xinfang_store::parse_instant(&at).unwrap();
        }
        rows.append(b.bulk_rows(&p.bulk, &bulk_units).unwrap());
    }
    let sequences: HashMap<String, i64> = sqlx::query("SELECT prefix, last FROM number_sequences")
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get::<String, _>(0), r.get::<i64, _>(1)))
        .collect();
    pool.close().await;
    b.bulk_write(&rows).await.unwrap();
    b.bulk_finish(&sequences, all.len() as i64, &all.last().unwrap().bulk.number).await.unwrap();

    let (da, db) = (dump(&url_a).await, dump(&url_b).await);
    for (table, rows_a) in &da {
        let rows_b = &db[table];
        assert_eq!(rows_a.len(), rows_b.len(), "{table}: row count");
        for (i, (ra, rb)) in rows_a.iter().zip(rows_b).enumerate() {
            assert_eq!(ra, rb, "{table}: row {i} differs between the write path and the bulk path");
        }
    }
    assert!(da["events"].len() > 20 && da["petition_viewers"].len() > 10 && da["evaluations"].len() == 1);
    for store in [&a, &b] {
        let v = store.verify_record(None).await.unwrap();
        assert!(v.breaks.is_empty(), "{:?}", v.breaks);
    }
}
