//! `xinfang`: the one binary. `xinfang serve --demo` runs the system.

use clap::{Parser, Subcommand};
use std::process::ExitCode;
use xinfang::{config, demo, seed};

#[derive(Parser)]
#[command(name = "xinfang", version, about = "信访信息系统 — petition case management under the 2022 Regulations on Petition Work")]
struct Cli {
    /// Configuration file (TOML); default ./xinfang.toml if present.
    #[arg(long, global = true, env = "XINFANG_CONFIG")]
    config: Option<String>,
    /// Database URL: sqlite://FILE or postgres://…
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<String>,
        /// Load the demo data (idempotent).
        #[arg(long)]
        demo: bool,
        /// A PostgreSQL streaming replica for lists, searches and exports
        /// (postgres://…); writes and read-your-write reads stay on the
        /// primary, and reads fall back to it when the replica is down.
        #[arg(long)]
        read_database_url: Option<String>,
    },
    /// Create or upgrade the database schema and load reference data.
    Migrate,
    /// Print the action table (every procedural action, its fields, who
    /// takes it and its article) as Markdown, as docs/api.md shows it.
    ActionsTable,
    /// Print the demo accounts.
    DemoAccounts {
        /// As JSON: [{"username","password","role","unit_code","unit_name"}].
        #[arg(long)]
        json: bool,
    },
    /// Import 行政区划 divisions from a CSV file (code,name,parent_code).
    ImportDivisions { file: String },
    /// Import or update units from a CSV file
    /// (code,name,kind,level,parent_code,gov_code,jurisdiction), all or
    /// nothing; running servers pick them up within a second.
    ImportUnits { file: String },
    /// Check the whole record: every hash chain (event histories, access
    /// log), the petition record each history rests on, attachment
    /// contents, the HMAC anchors (with the key file) and the newest
    /// checkpoint; exit 1 and name each petition and field, event,
    /// missing petition or access-log entry that changed. Takes a new
    /// checkpoint when all is intact.
    Verify,
    /// Bring the precomputed statistics up to date — build them when there
    /// are none or the unit tree changed — and print their state. The
    /// server does the same every `statistics_schedule`; run this after a
    /// bulk load so that the first requests need not recount.
    Statistics,
    /// Rebuild the full-text index of petitions from the record (words
    /// cut afresh, with the current unit names in the dictionary); the
    /// server may keep running.
    SearchIndex,
    /// Add to every petition the identity keys its stored petitioners now
    /// give (keyed ID number, name + phone, the name + address hint), never
    /// removing one: for records kept before a kind of key existed. Run it
    /// once every server runs the new binary.
    IdentityKeys,
    /// Train the triage models now from the confirmed routings, as the
    /// server does on `triage_training_schedule`, and print how each did
    /// against the rules and the commonest label; record a training of the
    /// urgent model with the risk alerts' corrections (every server trains
    /// it within seconds).
    TrainTriage,
    /// Render letters for a server (one JSON request per line on stdin,
    /// one answer per line on stdout; app::letter_process). Started by
    /// `serve` itself.
    #[command(hide = true)]
    RenderLetters {
        #[arg(long)]
        fonts_dir: String,
        #[arg(long)]
        templates_dir: Option<String>,
    },
    /// Move attachment content still held in the database (BLOBs from
    /// before issue 9) into the object store; safe to run again.
    MigrateAttachments,
    /// Write a consistent snapshot of the database to FILE (the server may
    /// keep running), and copy a local object store to FILE.objects (an S3
    /// bucket is backed up by its own versioning). The key file is not
    /// included: back it up separately.
    Backup { file: String },
    /// Replace the database with a snapshot made by `backup` (stop the
    /// server first) and put FILE.objects back into a local object store;
    /// then run `xinfang verify`.
    Restore { file: String },
    /// Import whole holiday calendar years from a CSV file (date,kind,name)
    /// and count open timers touching them again.
    ImportCalendar {
        file: String,
        /// A year the file covers completely (repeat for several): it
        /// becomes covered and its days are replaced by the file's. Every
        /// day in the file must belong to a declared year.
        #[arg(long = "year", required = true)]
        years: Vec<i32>,
        /// Where the data comes from (recorded with each year).
        #[arg(long, default_value = "imported CSV")]
        source: String,
    },
}

/// mimalloc instead of glibc's malloc: glibc gives each allocating thread
/// its own arena (up to eight per core) and keeps what one frees from the
/// others, and SQLite runs one thread per connection: at a province's scale
/// the server's peak RSS was 143 MiB with glibc for the same work
/// (docs/performance.md, "Province scale").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("XINFANG_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if matches!(cli.command, Command::Serve { .. }) {
        tune_allocators();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

use xinfang::{AnyError, open};

/// Allocator settings that are read only when a process starts, each with
/// the variables that, when the environment already has any of them, mean
/// the deployment chose for itself (a service file may set anything,
/// including the defaults).
///
/// * glibc's allocator gives every thread that allocates its own arena, up
///   to eight per core, and keeps what is freed in each. The server's Rust
///   side allocates through mimalloc, but SQLite (one worker thread per
///   pooled connection) and some libraries use glibc's malloc: at 200,000
///   petitions the peak resident memory was 8–18 MiB lower with two arenas
///   than with glibc's default in alternating runs (docs/performance.md,
///   "glibc's arenas capped by the server itself").
/// * mimalloc asks the kernel for transparent huge pages on its arenas
///   (`madvise(MADV_HUGEPAGE)`): a 2 MiB page is resident whole as soon as
///   one byte of it is touched, so a heap spread thinly over its arenas
///   counts many megabytes it does not use. Off, mimalloc also switches
///   them off for the process (`PR_SET_THP_DISABLE`).
/// * mimalloc gives freed memory back to the kernel 10 ms after the free
///   at the earliest, and (as this version's source reads) only when the
///   thread that owns it calls the allocator again: a thread that did one
///   large piece of work and then waits (the urgent model's fit on the
///   blocking pool, a pooled SQLite connection's worker after a
///   dashboard's rows) keeps what it freed. With no delay the pages go
///   back as they are freed.
///
/// Together, in the 20,000-petition benchmark, alternating runs: peak
/// 175–179 MiB against 235–254 MiB with mimalloc's defaults, 56–59 MiB
/// after start against 90–97; intake and the detail's p95 the same.
/// docs/performance.md, "The allocator's huge pages and purge delay".
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const ALLOCATOR_SETTINGS: &[(&str, &str, &[&str])] = &[
    ("MALLOC_ARENA_MAX", "2", &["MALLOC_ARENA_MAX", "GLIBC_TUNABLES"]),
    ("MIMALLOC_ALLOW_THP", "0", &["MIMALLOC_ALLOW_THP"]),
    ("MIMALLOC_PURGE_DELAY", "0", &["MIMALLOC_PURGE_DELAY", "MIMALLOC_RESET_DELAY"]),
];

/// Set on the one start again: never a second (glibc drops
/// `MALLOC_ARENA_MAX` from the environment of a binary with file
/// capabilities, which would otherwise start itself again for ever).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const ALLOCATORS_SET: &str = "XINFANG_ALLOCATORS_SET";

/// Whether the environment sets `name`: mimalloc reads its variables in
/// any case (`mimalloc_purge_delay` too), glibc in upper case only.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn env_sets(name: &str) -> bool {
    if name.starts_with("MIMALLOC_") {
        std::env::vars_os().any(|(k, _)| k.to_str().is_some_and(|k| k.eq_ignore_ascii_case(name)))
    } else {
        std::env::var_os(name).is_some()
    }
}

/// The project forbids `unsafe` (no `mallopt`, no `mi_option_set`), so
/// `serve` starts itself again once with every setting of
/// [`ALLOCATOR_SETTINGS`] the environment does not give. The process keeps
/// its id: `exec` replaces the program, it does not fork.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocators() {
    use std::os::unix::process::CommandExt;
    if std::env::var_os(ALLOCATORS_SET).is_some() {
        return;
    }
    let missing: Vec<(&str, &str)> =
        ALLOCATOR_SETTINGS.iter().filter(|(_, _, given)| !given.iter().any(|v| env_sets(v))).map(|(k, v, _)| (*k, *v)).collect();
    if missing.is_empty() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    let err = std::process::Command::new(exe).args(std::env::args_os().skip(1)).envs(missing).env(ALLOCATORS_SET, "1").exec();
    // Only reached when the exec failed (the binary replaced on disk, say):
    // go on with the allocators' defaults.
    tracing::warn!("could not start again with the allocator settings: {err}");
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocators() {}

async fn run(cli: Cli) -> Result<(), AnyError> {
    let (listen, demo_flag, read_database_url) = match &cli.command {
        Command::Serve { listen, demo, read_database_url } => (listen.clone(), *demo, read_database_url.clone()),
        _ => (None, false, None),
    };
    let cfg = config::load(
        cli.config.as_deref(),
        config::Overrides { listen, database_url: cli.database_url.clone(), read_database_url, demo: demo_flag },
    )?;
    match cli.command {
        Command::ActionsTable => {
            print!("{}", xinfang_domain::procedure::actions::markdown_table());
            Ok(())
        }
        Command::DemoAccounts { json } => {
            let accounts = demo::accounts();
            if json {
                println!("{}", serde_json::to_string_pretty(&accounts)?);
            } else {
                for a in accounts {
                    println!("{:<18} {:<18} {:<16} {} {}", a.username, a.password, a.role, a.unit_code, a.unit_name);
                }
            }
            Ok(())
        }
        Command::Migrate => {
            let store = open(&cfg).await?;
            eprintln!("database ready: {}", redact(&cfg.database_url));
            store.close().await;
            Ok(())
        }
        Command::Statistics => {
            let store = open(&cfg).await?;
            let tree = xinfang_domain::unit::UnitTree::new(store.load_units().await?);
            let started = std::time::Instant::now();
            let (r, ix) =
                xinfang_web::precomputed::refresh_store(&store, &tree, &cfg.settings, xinfang_web::precomputed::Pace::Bulk).await?;
            let st = store.aggregate_status().await?;
            println!(
                "{} changed petition(s) applied{} in {:.1} s; {} kept scopes ({} units kept for their history); {} petitions counted, {} metric rows, {} count rows",
                r.applied,
                if r.rebuilt { " (rebuilt)" } else { "" },
                started.elapsed().as_secs_f64(),
                ix.scopes().len(),
                ix.busy().len(),
                st.petitions,
                st.tally_rows,
                st.count_rows
            );
            store.close().await;
            Ok(())
        }
        Command::SearchIndex => {
            // Names are indexed keyed: without the deployment's key they could not be found.
            let keys = xinfang::existing_keyring(&cfg)?.ok_or_else(|| format!("key file {} not found", cfg.key_file))?;
            let started = std::time::Instant::now();
            let store = open(&cfg).await?;
            // A database marked stale was rebuilt by `open` just now.
            let n = match xinfang::search_index_rebuilt_at_open() {
                Some(n) => n,
                None => {
                    let tree = xinfang_domain::unit::UnitTree::new(store.load_units().await?);
                    xinfang_web::search::rebuild_index(&store, &tree, &keys).await?
                }
            };
            let (indexed, petitions) = store.index_coverage().await?;
            println!("{n} petitions indexed in {:.1} s; the index holds {indexed} of {petitions}", started.elapsed().as_secs_f64());
            store.close().await;
            Ok(())
        }
        Command::IdentityKeys => {
            let keys = xinfang::existing_keyring(&cfg)?.ok_or_else(|| format!("key file {} not found", cfg.key_file))?;
            let store = open(&cfg).await?;
            let started = std::time::Instant::now();
            let r = xinfang_web::intake::rebuild_identity_keys(&store, &keys).await?;
            println!(
                "{} petitions read, {} keys added in {:.1} s; {} petitions had fields the key file does not open (their keys were kept)",
                r.petitions,
                r.keys_added,
                started.elapsed().as_secs_f64(),
                r.undecryptable
            );
            store.close().await;
            Ok(())
        }
        Command::TrainTriage => {
            let store = open(&cfg).await?;
            let tree = std::sync::Arc::new(xinfang_domain::unit::UnitTree::new(store.load_units().await?));
            let started = std::time::Instant::now();
            let s = &cfg.settings;
            let report = xinfang_web::triage_model::train_in(&store, tree, s.triage_training_examples, s.triage_min_held_out)
                .await
                .map_err(|e| e.message)?;
            for r in &report {
                println!(
                    "{}: {} examples; held back {}: model {}, rules {}, commonest label {}{}",
                    r.field,
                    r.examples,
                    r.held_out,
                    r.model_correct,
                    r.rules_correct,
                    r.baseline_correct,
                    if r.active { " — the model answers" } else { " — the rules answer" }
                );
            }
            println!("trained in {:.1} s", started.elapsed().as_secs_f64());
            match store.record_urgent_training(None, chrono::Utc::now()).await? {
                Some(t) => println!(
                    "urgent model: training {} of {} petitions' corrections recorded; each server trains it within seconds",
                    t.id, t.corrections
                ),
                None => println!("urgent model: no risk alert has been corrected yet"),
            }
            store.close().await;
            Ok(())
        }
        Command::MigrateAttachments => {
            let store = open(&cfg).await?;
            let moved = store.migrate_attachments().await?;
            println!("{moved} attachment(s) moved into {}", cfg.object_store_url());
            store.close().await;
            Ok(())
        }
        Command::ImportDivisions { file } => {
            let text = std::fs::read_to_string(&file)?;
            let rows = seed::parse_divisions(&text, |_| true)?;
            let store = open(&cfg).await?;
            let n = store.import_divisions(&rows).await?;
            println!("imported {n} divisions from {file}");
            store.close().await;
            Ok(())
        }
        Command::ImportUnits { file } => {
            let text = std::fs::read_to_string(&file)?;
            let rows = xinfang_domain::import::parse_units(&text).map_err(|e| format!("{file}: {e}"))?;
            let store = open(&cfg).await?;
            let result = store.import_units(&rows).await;
            store.close().await;
            let s = result.map_err(|e| format!("{file}: {e}"))?;
            println!(
                "{file}: {} rows, {} inserted, {} updated, {} unchanged, {} paths changed",
                s.rows, s.inserted, s.updated, s.unchanged, s.paths_changed
            );
            Ok(())
        }
        Command::ImportCalendar { file, mut years, source } => {
            let text = std::fs::read_to_string(&file)?;
            let (in_file, days) = seed::parse_calendar(&text)?;
            years.sort_unstable();
            years.dedup();
            if let Some(y) = in_file.iter().find(|y| !years.contains(y)) {
                return Err(format!("{file} has days of {y}, which is not declared with --year").into());
            }
            if let Some(y) = years.iter().find(|y| !in_file.contains(y)) {
                return Err(format!("{file} has no day of {y}: a covered year needs its whole data").into());
            }
            let store = open(&cfg).await?;
            store.import_calendar(&years, &days, &source).await?;
            println!("imported {} days, years {years:?} now covered, from {file}", days.len());
            // The running servers notice the new calendar version on their own.
            let tree = xinfang_domain::unit::UnitTree::new(store.load_units().await?);
            let calendar = store.load_calendar().await?;
            let system = xinfang_store::ActorRef { kind: "system", user_id: None, unit_id: None };
            let outcome =
                xinfang_web::calendar_sync::resync(&store, &tree, &calendar, &years, xinfang_web::calendar_sync::Cause::Import, system)
                    .await?;
            println!(
                "{} petitions with open timers in those years, {} recomputed ({} timers)",
                outcome.petitions_checked, outcome.petitions_changed, outcome.timers_changed
            );
            store.close().await;
            Ok(())
        }
        Command::Backup { file } => {
            // A checkpoint first, so that the snapshot carries it.
            match xinfang::existing_keyring(&cfg)? {
                Some(keys) => {
                    let store = xinfang::open_with(&cfg, Some(std::sync::Arc::new(keys))).await?;
                    let taken = store.take_checkpoint(Some(&cfg.checkpoint_path())).await;
                    store.close().await;
                    match taken {
                        Ok(cp) => println!("checkpoint {} taken", cp.seq),
                        Err(e) => eprintln!("warning: no checkpoint taken ({e}); run `xinfang verify`"),
                    }
                }
                None => eprintln!("warning: key file {} not found: no checkpoint taken", cfg.key_file),
            }
            let store = xinfang_store::Store::connect(&cfg.database_url).await?;
            store.backup_to(&cfg.database_url, std::path::Path::new(&file)).await?;
            store.close().await;
            match xinfang::backup_objects(&cfg, std::path::Path::new(&file))? {
                Some(n) => println!("{n} object(s) copied to {}", xinfang::backup_objects_dir(std::path::Path::new(&file)).display()),
                None => println!("objects in {} are not copied: back up the bucket with its own versioning", cfg.object_store_url()),
            }
            println!("backup written to {file}");
            Ok(())
        }
        Command::Restore { file } => {
            xinfang_store::restore(&cfg.database_url, std::path::Path::new(&file)).await?;
            if let Some(n) = xinfang::restore_objects(&cfg, std::path::Path::new(&file))? {
                println!("{n} object(s) restored into {}", cfg.object_store_url());
            }
            // The checkpoint file describes the record before the restore;
            // kept aside, the restored database's own checkpoints apply.
            let cp = cfg.checkpoint_path();
            if cp.exists() {
                let aside = cp.with_extension(format!("before-restore-{}.json", chrono::Utc::now().format("%Y%m%dT%H%M%S")));
                std::fs::rename(&cp, &aside)?;
                println!("checkpoint file moved aside to {}", aside.display());
            }
            println!("restored {} from {file}; run `xinfang verify` next", redact(&cfg.database_url));
            Ok(())
        }
        Command::Verify => {
            let v = xinfang::verify(&cfg).await?;
            if !v.authenticated {
                println!(
                    "WARNING: key file {} not found: HMAC anchors and checkpoint signatures not checked (pass --config or XINFANG_KEY_FILE)",
                    cfg.key_file
                );
            }
            if v.breaks.is_empty() {
                match v.checkpoint {
                    Some(n) => println!("all hash chains intact; the record matches checkpoint {n}"),
                    None => println!("all hash chains intact"),
                }
                return Ok(());
            }
            for b in &v.breaks {
                println!("BROKEN {b}");
            }
            Err(format!("{} finding(s): the record was changed outside the system", v.breaks.len()).into())
        }
        Command::Serve { .. } => {
            let mut cfg = cfg;
            // Letters render in a child of this very executable.
            if cfg.letters_process.trim() == "self" {
                cfg.letters_process = std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default();
            }
            serve(cfg).await
        }
        Command::RenderLetters { fonts_dir, templates_dir } => {
            let cfg = xinfang_letters::LetterConfig { fonts_dir: fonts_dir.into(), templates_dir: templates_dir.map(Into::into) };
            Ok(xinfang::letter_process::serve_child(cfg, xinfang::letter_process::IDLE)?)
        }
    }
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}***{}", &url[..s + 3], &url[at..]),
        _ => url.to_string(),
    }
}

async fn serve(cfg: config::Config) -> Result<(), AnyError> {
    // Process-wide, like the two check turns it bounds (tests set their own).
    xinfang_web::auth::set_argon2_wait(cfg.password_check_wait());
    let (store, router) = xinfang::build(&cfg).await?;
    let listener = tokio::net::TcpListener::bind(&cfg.listen).await?;
    // Issue 13: the urgent model is trained once per process; begin now so
    // that the first registration does not wait for it.
    xinfang_web::triage::warm_urgent_model();
    let replica = cfg.read_database_url.as_deref().filter(|u| !u.trim().is_empty()).map(redact).unwrap_or_else(|| "none".into());
    tracing::info!(listen = %listener.local_addr()?, database = %redact(&cfg.database_url), read_replica = %replica, demo = cfg.demo, "xinfang serving");
    axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).with_graceful_shutdown(shutdown()).await?;
    store.close().await;
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
