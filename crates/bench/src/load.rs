//! `xinfang-bench load`: a fresh database with a province of units, its
//! staff and `n` petitions over 13 months, written through the store's bulk
//! path (see `xinfang_store::bulk`).

use crate::life::{Life, Refusals};
use crate::rng::Rng;
use crate::world::{Door, PASSWORD, PROVINCE, Plan, World, draw, instants, roles_of, username};
use crate::{AnyError, Manifest, Paths};
use chrono::{Duration, Utc};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use xinfang::config::Config;
use xinfang_domain::local_date;
use xinfang_domain::number::{number_prefix, public_number, query_code_from};
use xinfang_domain::petition::{Category, Channel};
use xinfang_domain::procedure::intake_conflict;
use xinfang_domain::unit::UnitTree;
use xinfang_store::{BulkAct, BulkPetition, BulkRows, BulkUnits, EventDraft, Store};
use xinfang_web::acting::involved_units;
use xinfang_web::intake::{identity_keys, query_code_hash, seal_petitioner};

pub struct LoadArgs {
    pub paths: Paths,
    pub database_url: String,
    pub petitions: usize,
    pub seed: u64,
    pub days: i64,
    pub batch: usize,
    pub threads: usize,
}

/// What one batch produced, besides its rows.
#[derive(Default)]
struct BatchStats {
    states: BTreeMap<String, u64>,
    events: u64,
    overdue: u64,
    accusations_sealed: u64,
    repeats: u64,
}

pub async fn run(args: LoadArgs) -> Result<(), AnyError> {
    let t0 = Instant::now();
    std::fs::create_dir_all(&args.paths.dir)?;
    let cfg = Config {
        database_url: args.database_url.clone(),
        key_file: args.paths.key_file().display().to_string(),
        demo: false,
        demo_petitions: false,
        // SQLite, one connection: batches are written one after the other,
        // and a single connection keeps its page cache (with WAL a
        // connection drops its cache whenever another one has written).
        // PostgreSQL needs more than one: setting up holds the session
        // lock on one connection while the migrations run on another.
        database_max_connections: if args.database_url.starts_with("sqlite:") { 1 } else { 4 },
        ..Config::default()
    };
    let store = xinfang::open(&cfg).await?;
    let keys = Arc::new(xinfang::keyring(&cfg)?);
    let start = store.bulk_begin().await?;
    if start.petitions > 0 {
        return Err(format!("the database already holds {} petitions: load into a fresh one (--fresh)", start.petitions).into());
    }

    // The townships of the province (the shipped data carries only counties
    // up), then the units: the same parser and import as `xinfang import-units`.
    let streets = xinfang::seed::parse_divisions(xinfang::seed::DIVISIONS_STREETS_CSV, |c| c.starts_with(PROVINCE))?;
    store.import_divisions(&streets).await?;
    let file = xinfang::province::to_csv(&xinfang::province::shuffled(xinfang::province::rows(PROVINCE)?, args.seed));
    std::fs::write(args.paths.units_file(), &file)?;
    let rows = xinfang_domain::import::parse_units(&file)?;
    let t_units = Instant::now();
    let summary = store.import_units(&rows).await?;
    eprintln!(
        "units: {} rows imported in {:.2}s ({} inserted), from {}",
        summary.rows,
        t_units.elapsed().as_secs_f64(),
        summary.inserted,
        args.paths.units_file().display()
    );
    let units = store.load_units().await?;
    let tree = UnitTree::new(units.clone());
    let calendar = store.load_calendar().await?;

    // Staff: every unit its roles, one password.
    let hash = xinfang_web::auth::hash_password(PASSWORD).map_err(|e| e.message)?;
    let mut wanted = Vec::new();
    for u in &units {
        for role in roles_of(u.kind) {
            wanted.push((username(&u.code, *role), format!("{}{}", u.name, role.label()), *role, u.id));
        }
    }
    let ids = store.bulk_users(&wanted, &hash).await?;
    let users: HashMap<_, _> = wanted.iter().filter_map(|(name, _, role, unit)| ids.get(name).map(|id| ((*unit, *role), *id))).collect();
    eprintln!("users: {} staff accounts (password {PASSWORD})", users.len());

    let names: HashMap<String, String> = xinfang::province::divisions(PROVINCE)?.into_iter().map(|d| (d.code, d.name)).collect();
    let now = Utc::now();
    let world = Arc::new(World::new(args.seed, tree, calendar, users, names, now, args.days));

    // The plan, in registration order.
    let t_plan = Instant::now();
    let times = instants(&world, args.petitions);
    let mut plans: Vec<Plan> = Vec::with_capacity(args.petitions);
    for (i, at) in times.into_iter().enumerate() {
        let mut k = 0u64;
        let plan = loop {
            if let Some(p) = draw(&world, i + (k as usize) * args.petitions.max(1), at) {
                break p;
            }
            k += 1;
            if k > 100 {
                return Err("cannot place a petition in the unit tree".into());
            }
        };
        plans.push(plan);
    }
    let repeats = plan_repeats(&world, &mut plans);
    // Numbers: one counter per registering division and day, as intake.
    let mut sequences: HashMap<String, i64> = start.sequences.clone();
    for (i, p) in plans.iter_mut().enumerate() {
        let unit = world.tree.get(p.receiving).ok_or("unknown receiving unit")?;
        let prefix = number_prefix(&unit.jurisdiction, local_date(p.at));
        let seq = sequences.entry(prefix.clone()).or_insert(0);
        *seq += 1;
        p.id = start.next_id + i as i64;
        p.number = public_number(&prefix, *seq, keys.keyed_hash("number", &prefix).as_bytes());
    }
    eprintln!(
        "plan: {} petitions over {} days, {repeats} repeat petitions, in {:.1}s",
        plans.len(),
        args.days,
        t_plan.elapsed().as_secs_f64()
    );

    // Lives and rows on worker threads, batches written in order here.
    let plans = Arc::new(plans);
    let refusals = Arc::new(Refusals::default());
    let bulk_units = Arc::new(BulkUnits::new(&units));
    let batches = plans.len().div_ceil(args.batch.max(1));
    let next = Arc::new(AtomicUsize::new(0));
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<(usize, BulkRows, BatchStats), String>>(args.threads * 2);
    let mut workers = Vec::new();
    for _ in 0..args.threads.max(1) {
        let (world, plans, refusals, bulk_units, next, tx, keys, store) =
            (world.clone(), plans.clone(), refusals.clone(), bulk_units.clone(), next.clone(), tx.clone(), keys.clone(), store.clone());
        let batch = args.batch.max(1);
        workers.push(std::thread::spawn(move || {
            loop {
                let b = next.fetch_add(1, Ordering::Relaxed);
                if b >= batches {
                    break;
                }
                let range = b * batch..((b + 1) * batch).min(plans.len());
                let out = build_batch(&world, &plans, range, &refusals, &bulk_units, &keys, &store).map(|(r, s)| (b, r, s));
                if tx.blocking_send(out).is_err() {
                    break;
                }
            }
        }));
    }
    drop(tx);
    let t_write = Instant::now();
    let mut pending: BTreeMap<usize, (BulkRows, BatchStats)> = BTreeMap::new();
    let mut written = 0usize;
    let mut rows_written = 0usize;
    let mut stats = BatchStats::default();
    let mut write_secs = 0.0;
    while let Some(msg) = rx.recv().await {
        let (b, rows, s) = msg?;
        pending.insert(b, (rows, s));
        while let Some((rows, s)) = pending.remove(&written) {
            let t = Instant::now();
            store.bulk_write(&rows).await?;
            write_secs += t.elapsed().as_secs_f64();
            rows_written += rows.row_count();
            for (k, v) in s.states {
                *stats.states.entry(k).or_default() += v;
            }
            stats.events += s.events;
            stats.overdue += s.overdue;
            stats.accusations_sealed += s.accusations_sealed;
            stats.repeats += s.repeats;
            written += 1;
            let done = (written * args.batch).min(plans.len());
            if written.is_multiple_of(25) || written == batches {
                let secs = t_write.elapsed().as_secs_f64();
                eprintln!(
                    "  {done} petitions, {rows_written} rows in {secs:.0}s ({:.0} petitions/s; {:.0}s in the database)",
                    done as f64 / secs.max(0.001),
                    write_secs
                );
            }
        }
    }
    for w in workers {
        let _ = w.join();
    }
    if written != batches {
        return Err(format!("only {written} of {batches} batches written").into());
    }
    let last = plans.last().map(|p| p.number.clone()).unwrap_or_default();
    let t_finish = Instant::now();
    store.bulk_finish(&sequences, plans.len() as i64, &last).await?;
    let finish_secs = t_finish.elapsed().as_secs_f64();
    // The precomputed statistics, as `xinfang statistics` builds them.
    let t_stats = Instant::now();
    let tree = xinfang_domain::unit::UnitTree::new(store.load_units().await?);
    let (built, ix) = xinfang_web::precomputed::refresh_store(&store, &tree, &cfg.settings, xinfang_web::precomputed::Pace::Bulk).await?;
    let aggregates = store.aggregate_status().await?;
    let stats_secs = t_stats.elapsed().as_secs_f64();
    store.close().await;
    let total = t0.elapsed().as_secs_f64();

    let manifest = Manifest::choose(&world, &plans);
    std::fs::write(args.paths.manifest(), serde_json::to_string_pretty(&manifest.to_json())?)?;
    println!("\nLoaded {} petitions ({} events, {rows_written} rows) in {total:.0} s", plans.len(), stats.events);
    println!(
        "  writing {:.0} s (of it {write_secs:.0} s in the database), finish {finish_secs:.1} s",
        t_write.elapsed().as_secs_f64() - stats_secs - finish_secs,
    );
    println!(
        "  precomputed statistics: {} petitions counted into {} kept scopes in {stats_secs:.0} s ({} metric rows, {} count rows)",
        built.applied,
        ix.scopes().len(),
        aggregates.tally_rows,
        aggregates.count_rows
    );
    println!("  states:");
    let n = plans.len().max(1) as f64;
    for (state, count) in &stats.states {
        println!("    {state:<22} {count:>9}  {:>5.1}%", *count as f64 * 100.0 / n);
    }
    println!(
        "  open and overdue: {} ({:.1}%); accusations sealed from an accused unit's line: {}; repeat petitions: {}",
        stats.overdue,
        stats.overdue as f64 * 100.0 / n,
        stats.accusations_sealed,
        stats.repeats
    );
    let refused = refusals.0.lock().map(|m| m.clone()).unwrap_or_default();
    if !refused.is_empty() {
        println!("  acts the procedure refused (the petition stayed where it was):");
        for (k, v) in refused {
            println!("    {k}: {v}");
        }
    }
    println!("  manifest: {}", args.paths.manifest().display());
    Ok(())
}

/// Some petitioners come back: 4% of petitions are by someone who filed
/// before; most of them on the same matter. A same-matter one is a repeat
/// petition only where intake would register it as one (the earlier
/// petition, acted out to that day, raises no Art. 19 para 3 or Art. 36
/// refusal); otherwise the person brings a new matter.
fn plan_repeats(world: &World, plans: &mut [Plan]) -> usize {
    let refusals = Refusals::default();
    let mut last_of: HashMap<u64, usize> = HashMap::new();
    let mut repeats = 0;
    for i in 0..plans.len() {
        let mut rng = Rng::for_item(world.seed, 3, i as u64);
        if i > 1_000 && rng.chance(0.04) {
            let j0 = i - 1 - rng.below(i.min(200_000) - 1);
            let j = last_of.get(&plans[j0].person).copied().unwrap_or(j0);
            let earlier = plans[j].clone();
            plans[i].person = earlier.person;
            plans[i].anonymous = false;
            plans[i].collective = earlier.collective;
            let gap = plans[i].at - earlier.at;
            if rng.chance(0.7)
                && gap > Duration::days(20)
                && earlier.category != Category::Accusation
                && !earlier.anonymous
                && let Some(life) = world.live(plans, j, &refusals)
            {
                let case = life.acts.iter().rev().find(|a| a.at <= plans[i].at).map(|a| a.case.clone());
                let mut candidate = plans[i].clone();
                candidate.matter = earlier.matter;
                candidate.topic = earlier.topic.clone();
                candidate.category = earlier.category;
                candidate.litigation_related = earlier.litigation_related;
                candidate.jurisdiction = earlier.jurisdiction.clone();
                candidate.accused_unit = None;
                if candidate.door == Door::Citizen && candidate.channel == Channel::Online {
                    match world.tree.bureau_for(&candidate.jurisdiction) {
                        Some(b) => candidate.receiving = b.id,
                        None => candidate.receiving = earlier.receiving,
                    }
                }
                let refused = case.as_ref().is_some_and(|c| {
                    intake_conflict(c, "", candidate.receiving, &world.tree, local_date(candidate.at), false, c.next_duty_due()).is_some()
                });
                if !refused {
                    candidate.repeat_of = Some(j);
                    plans[i] = candidate;
                    repeats += 1;
                }
            }
        }
        last_of.insert(plans[i].person, i);
    }
    repeats
}

fn build_batch(
    world: &World,
    plans: &[Plan],
    range: std::ops::Range<usize>,
    refusals: &Refusals,
    bulk_units: &BulkUnits,
    keys: &xinfang_crypto::Keyring,
    store: &Store,
) -> Result<(BulkRows, BatchStats), String> {
    let mut rows = BulkRows::default();
    let mut stats = BatchStats::default();
    let today = local_date(world.now);
    for i in range {
        let plan = &plans[i];
        let life = world.live(plans, i, refusals).ok_or_else(|| format!("petition {i}: no life"))?;
        let bp = bulk_petition(world, plan, life, keys, i as u64);
        if let Some(last) = bp.acts.last().and_then(|a| a.case.as_ref()) {
            *stats.states.entry(last.state.as_str().to_string()).or_default() += 1;
            if last.next_duty_due().is_some_and(|d| d < today) {
                stats.overdue += 1;
            }
            if last.category == Category::Accusation && last.accused_unit.is_some() {
                stats.accusations_sealed += 1;
            }
        }
        stats.events += bp.acts.len() as u64;
        stats.repeats += u64::from(bp.repeat_of.is_some());
        rows.append(store.bulk_rows(&bp, bulk_units).map_err(|e| format!("{}: {e}", bp.number))?);
    }
    Ok((rows, stats))
}

fn bulk_petition(world: &World, plan: &Plan, life: Life, keys: &xinfang_crypto::Keyring, i: u64) -> BulkPetition {
    let tree = &world.tree;
    let mut rng = Rng::for_item(world.seed, 4, i);
    let mut code = [0u8; xinfang_domain::number::QUERY_CODE_LEN];
    for b in code.iter_mut() {
        *b = (rng.next_u64() & 0xff) as u8;
    }
    let acts = life
        .acts
        .into_iter()
        .map(|a| {
            let accused_unit_path = a.case.accused_unit.and_then(|u| tree.get(u)).map(|u| u.path.clone());
            BulkAct {
                event: EventDraft {
                    action: a.action,
                    actor: a.actor,
                    occurred_at: a.at,
                    from_state: a.from_state,
                    to_state: a.to_state,
                    payload: a.payload,
                    reason: a.reason,
                },
                // The write lands a few milliseconds after the act.
                recorded_at: a.at + Duration::milliseconds(2 + (rng.next_u64() % 20) as i64),
                involved: involved_units(&a.case, tree),
                case: Some(a.case),
                notice: a.notice,
                accused_unit_path,
                evaluation: a.evaluation,
            }
        })
        .collect();
    BulkPetition {
        id: plan.id,
        number: plan.number.clone(),
        petitioners: life.reg.petitioners.iter().map(|p| seal_petitioner(keys, p)).collect(),
        identity_keys: identity_keys(keys, &life.reg.petitioners),
        query_code_hash: query_code_hash(keys, &query_code_from(&code)),
        repeat_of: life.repeat_of,
        registered_at: plan.at,
        search_tokens: xinfang_web::search::registration_tokens(&xinfang_web::search::segmenter(tree), keys, &life.reg),
        reg: life.reg,
        acts,
    }
}

impl Manifest {
    /// The units the measurement reads: the province bureau, the bureau of
    /// the busiest city, a department of the busiest county and the busiest
    /// township office, by the plan.
    fn choose(world: &World, plans: &[Plan]) -> Manifest {
        let mut per_unit: HashMap<i64, u64> = HashMap::new();
        for p in plans {
            *per_unit.entry(p.receiving).or_default() += 1;
        }
        let busiest = |pred: &dyn Fn(&xinfang_domain::unit::Unit) -> bool| {
            world
                .tree
                .all()
                .filter(|u| pred(u))
                .max_by_key(|u| (per_unit.get(&u.id).copied().unwrap_or(0), std::cmp::Reverse(u.id)))
                .cloned()
        };
        use xinfang_domain::unit::UnitKind;
        let township = busiest(&|u| u.kind == UnitKind::PetitionBureau && u.jurisdiction.len() == 9);
        let county = busiest(&|u| u.kind == UnitKind::PetitionBureau && u.jurisdiction.len() == 6);
        let city = busiest(&|u| u.kind == UnitKind::PetitionBureau && u.jurisdiction.len() == 4);
        let county_code = county.as_ref().map(|c| c.jurisdiction.clone()).unwrap_or_default();
        let department = world.unit(&county_code, "RST").cloned();
        let code = |u: &Option<xinfang_domain::unit::Unit>| u.as_ref().map(|u| u.code.clone()).unwrap_or_default();
        Manifest {
            petitions: plans.len(),
            seed: world.seed,
            loaded_at: world.now.to_rfc3339(),
            township: code(&township),
            county_department: code(&department),
            city_bureau: code(&city),
            province_bureau: xinfang::province::code(PROVINCE, "XFJ"),
            counties: world.counties.iter().map(|c| c.code.clone()).collect(),
        }
    }

    fn to_json(&self) -> serde_json::Value {
        json!({
            "petitions": self.petitions,
            "seed": self.seed,
            "loaded_at": self.loaded_at,
            "township": self.township,
            "county_department": self.county_department,
            "city_bureau": self.city_bureau,
            "province_bureau": self.province_bureau,
            "counties": self.counties,
        })
    }
}
