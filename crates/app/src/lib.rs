//! The `xinfang` application: configuration, reference and demo data, and
//! assembling the store and the HTTP router. `main.rs` is the CLI on top.

pub mod config;
pub mod demo;
pub mod demo_history;
pub mod demo_petitions;
pub mod letter_process;
pub mod province;
pub mod seed;
pub mod synthetic;

use std::sync::Arc;
use xinfang_crypto::{Algorithm, Keyring};
use xinfang_store::Store;
use xinfang_web::AppState;

pub type AnyError = Box<dyn std::error::Error + Send + Sync>;

/// Connect, migrate and load the reference data (calendar, topics,
/// divisions) if the database is new. The store carries the key file's
/// anchor key (created with the key file if there is none yet), so every
/// event and chain head it writes is authenticated.
pub async fn open(cfg: &config::Config) -> Result<Store, AnyError> {
    open_with(cfg, Some(Arc::new(keyring(cfg)?))).await
}

/// Petitions the search index was rebuilt with by an `open` of this
/// process (-1: none was), so that `xinfang search-index` on a database
/// marked stale does not rebuild it a second time right after.
static REBUILT_AT_OPEN: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(-1);

/// How many petitions an `open` of this process indexed while rebuilding
/// a missing or stale search index, if one did.
pub fn search_index_rebuilt_at_open() -> Option<usize> {
    usize::try_from(REBUILT_AT_OPEN.load(std::sync::atomic::Ordering::Relaxed)).ok()
}

/// `open` with the given key (or none: heads written unauthenticated).
pub async fn open_with(cfg: &config::Config, keys: Option<Arc<Keyring>>) -> Result<Store, AnyError> {
    // Nodes starting together set the database up one after the other.
    // On SQLite the file lock is taken before connecting: the first
    // connection switches a new file to WAL, which needs the file to
    // itself and is refused at once (not after busy_timeout) when another
    // process is switching it too.
    let file_lock = sqlite_setup_lock(cfg).await?;
    let mut store = Store::connect_with(&cfg.database_url, cfg.pool()).await?.with_objects(objects(cfg)?);
    let lock = store.setup_lock().await?;
    let setup: Result<Vec<i64>, AnyError> = async {
        let applied = store.migrate().await?;
        seed::reference_data(&store).await?;
        Ok(applied)
    }
    .await;
    lock.release().await;
    drop(file_lock);
    let applied = setup?;
    // Viewer rows written before migrations 1309 and 1341 count an
    // accusation whose accused is not named under an older rule of who may
    // know of it (Art. 30): refreshed once, by the node that applied one.
    if applied.iter().any(|m| xinfang_store::UNNAMED_ACCUSATION_VIEWERS.contains(m)) {
        let n = store.refresh_unnamed_accusations().await?;
        tracing::info!(petitions = n, "viewers of unnamed accusations refreshed");
    }
    // A database from before the viewer index gets it filled once.
    if store.viewers_missing().await? {
        let n = store.rebuild_viewers().await?;
        tracing::info!(petitions = n, "viewer index built");
    }
    // Work that checks, then writes, once per database: an index left
    // empty (SQLite's, by migration 1305) or marked stale (by 1310) is
    // rebuilt (names are indexed keyed, so this needs the key file), and
    // chain heads written before the key existed are anchored. Under the
    // setup lock: nodes starting together leave it to the first and find it
    // done (two nodes anchoring at once both inserted the counter's head).
    let lock = store.setup_lock().await?;
    let once: Result<Store, AnyError> = async move {
        if let Some(k) = keys.as_deref()
            && store.search_index_missing().await?
        {
            let tree = xinfang_domain::unit::UnitTree::new(store.load_units().await?);
            let n = xinfang_web::search::rebuild_index(&store, &tree, k).await?;
            REBUILT_AT_OPEN.store(i64::try_from(n).unwrap_or(i64::MAX), std::sync::atomic::Ordering::Relaxed);
            tracing::info!(petitions = n, "search index built");
        }
        if let Some(k) = keys {
            store = store.with_anchor(k);
            if store.adopt_unanchored().await? {
                tracing::info!("chain heads anchored with the key file's HMAC key");
            }
        }
        Ok(store)
    }
    .await;
    lock.release().await;
    once
}

/// SQLite's counterpart of the PostgreSQL setup lock: an exclusive lock on
/// `<database>.setup.lock` (processes sharing the file take turns; the
/// lock goes with the returned file).
async fn sqlite_setup_lock(cfg: &config::Config) -> Result<Option<std::fs::File>, AnyError> {
    let Some(rest) = cfg.database_url.strip_prefix("sqlite:") else { return Ok(None) };
    let path = rest.trim_start_matches("//");
    let path = format!("{}.setup.lock", path.split('?').next().unwrap_or(path));
    if let Some(dir) = std::path::Path::new(&path).parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path)?;
    let file = tokio::task::spawn_blocking(move || file.lock().map(|()| file)).await??;
    Ok(Some(file))
}

/// The object store attachments live in (`object_store_url`).
pub fn objects(cfg: &config::Config) -> Result<xinfang_objects::Objects, AnyError> {
    Ok(xinfang_objects::Objects::open(&cfg.object_store_url(), &cfg.s3())?)
}

/// Where a backup keeps a local object store's files: beside the snapshot.
pub fn backup_objects_dir(file: &std::path::Path) -> std::path::PathBuf {
    let mut name = file.as_os_str().to_os_string();
    name.push(".objects");
    name.into()
}

/// Copy a local object store beside the database snapshot (objects are
/// immutable and content-addressed, so a copy taken after the snapshot
/// holds every object the snapshot names). An S3 bucket is backed up by
/// its own versioning: nothing is copied. Returns the files copied.
pub fn backup_objects(cfg: &config::Config, file: &std::path::Path) -> Result<Option<u64>, AnyError> {
    let objects = objects(cfg)?;
    let Some(root) = objects.local_root() else { return Ok(None) };
    Ok(Some(xinfang_objects::copy_tree(root, &backup_objects_dir(file))?))
}

/// Put a backup's objects back into the local object store (existing
/// objects, being content-addressed, are kept).
pub fn restore_objects(cfg: &config::Config, file: &std::path::Path) -> Result<Option<u64>, AnyError> {
    let objects = objects(cfg)?;
    let (Some(root), from) = (objects.local_root(), backup_objects_dir(file)) else { return Ok(None) };
    if !from.is_dir() {
        return Ok(None);
    }
    Ok(Some(xinfang_objects::copy_tree(&from, root)?))
}

/// The key file's keys, if the file exists (never creates one: a new key
/// would not verify anything).
pub fn existing_keyring(cfg: &config::Config) -> Result<Option<Keyring>, AnyError> {
    if std::path::Path::new(&cfg.key_file).exists() { Ok(Some(keyring(cfg)?)) } else { Ok(None) }
}

/// What `xinfang verify` does: check the whole record against its chains,
/// MACs and the newest checkpoint (table and file), and take a new
/// checkpoint when all is intact and the key is there.
pub async fn verify(cfg: &config::Config) -> Result<xinfang_store::Verification, AnyError> {
    let keys = existing_keyring(cfg)?.map(Arc::new);
    let store = open_with(cfg, keys).await?;
    let file = cfg.checkpoint_path();
    let result = store.verify_record(Some(&file)).await;
    if let Ok(v) = &result
        && v.breaks.is_empty()
        && store.is_anchored()
    {
        store.take_checkpoint(Some(&file)).await?;
    }
    store.close().await;
    Ok(result?)
}

/// The job runtime of a server (see `xinfang_web::jobs`): the handlers of
/// every job kind and the periodic schedules — the signed checkpoint every
/// `checkpoint_interval_seconds`, the purge every `purge_interval_seconds`,
/// the staff digest on `digest_schedule`, the deadline watch on
/// `watch_schedule`, the triage models' training on
/// `triage_training_schedule`. Each firing runs once across
/// nodes. (The calendar check is per node by nature and runs in `AppState`.)
pub fn runtime(state: &AppState, cfg: &config::Config) -> Result<xinfang_web::jobs::Runtime, AnyError> {
    use std::time::Duration;
    use xinfang_web::jobs::{Period, Runtime, Schedule};
    use xinfang_web::{documents, notices};
    let mut rt = Runtime::new(state.store.clone(), state.services.wake.clone());
    rt.retry_base = Duration::from_secs(cfg.job_retry_base_seconds.max(1));
    rt.retry_max = Duration::from_secs(cfg.job_retry_max_seconds.max(cfg.job_retry_base_seconds).max(1));
    rt.poll = Duration::from_millis(cfg.job_poll_millis.max(50));
    let lease = Duration::from_secs(cfg.job_lease_seconds.max(1));
    let s = state.clone();
    let rt = rt.handle(notices::SMS, lease, move |j| notices::deliver_sms(s.clone(), j));
    let s = state.clone();
    let rt = rt.handle(notices::EMAIL, lease, move |j| notices::deliver_email(s.clone(), j));
    let s = state.clone();
    let rt = rt.handle(xinfang_store::RENDER_DOCUMENT, lease.max(Duration::from_secs(30)), move |j| documents::render_job(s.clone(), j));
    let s = state.clone();
    let rt = rt.handle(notices::DIGEST, Duration::from_secs(300), move |_| {
        let s = s.clone();
        async move { notices::digest(&s, xinfang_domain::local_date(chrono::Utc::now())).await }
    });
    let s = state.clone();
    let rt =
        rt.handle(xinfang_web::ranking::MONTHLY_RANKING, Duration::from_secs(600), move |_| xinfang_web::ranking::monthly_job(s.clone()));
    let s = state.clone();
    let rt =
        rt.handle(xinfang_web::precomputed::REFRESH, Duration::from_secs(3600), move |_| xinfang_web::precomputed::refresh_job(s.clone()));
    let s = state.clone();
    let rt =
        rt.handle(xinfang_web::triage_model::TRAIN, Duration::from_secs(1800), move |_| xinfang_web::triage_model::train_job(s.clone()));
    let s = state.clone();
    let rt = rt.handle(xinfang_web::supervision::WATCH, Duration::from_secs(300), move |_| xinfang_web::supervision::watch_job(s.clone()));
    let store = state.store.clone();
    let idle = cfg.settings.idle_timeout_minutes;
    let keep = cfg.keep_finished_jobs_days.max(1);
    let rt = rt.handle(xinfang_web::jobs::PURGE, Duration::from_secs(300), move |_| {
        let store = store.clone();
        async move { xinfang_web::jobs::purge(&store, idle, keep).await }
    });
    let store = state.store.clone();
    let file = cfg.checkpoint_path();
    let mut rt = rt.handle(xinfang_web::jobs::CHECKPOINT, Duration::from_secs(600), move |_| {
        let store = store.clone();
        let file = file.clone();
        async move {
            // A refusal means the record does not verify: run `xinfang verify`.
            let cp = store
                .take_checkpoint(Some(&file))
                .await
                .map_err(|e| xinfang_web::jobs::JobError::Retry(format!("checkpoint not taken: {e}")))?;
            Ok(format!("checkpoint {} taken over {} petitions", cp.seq, cp.petitions))
        }
    });
    if cfg.checkpoint_interval_seconds > 0 {
        rt = rt.schedule(Schedule {
            name: xinfang_web::jobs::CHECKPOINT,
            kind: xinfang_web::jobs::CHECKPOINT,
            period: Period::Every(Duration::from_secs(cfg.checkpoint_interval_seconds)),
        });
    }
    if cfg.purge_interval_seconds > 0 {
        rt = rt.schedule(Schedule {
            name: xinfang_web::jobs::PURGE,
            kind: xinfang_web::jobs::PURGE,
            period: Period::Every(Duration::from_secs(cfg.purge_interval_seconds)),
        });
    }
    // Each (setting, its text, job): off when the text is empty.
    let named: [(&str, &str, &'static str, &'static str); 5] = [
        ("digest_schedule", &cfg.digest_schedule, "deadline_digest", notices::DIGEST),
        ("watch_schedule", &cfg.watch_schedule, xinfang_web::supervision::WATCH, xinfang_web::supervision::WATCH),
        ("ranking_schedule", &cfg.ranking_schedule, xinfang_web::ranking::MONTHLY_RANKING, xinfang_web::ranking::MONTHLY_RANKING),
        ("statistics_schedule", &cfg.statistics_schedule, xinfang_web::precomputed::REFRESH, xinfang_web::precomputed::REFRESH),
        ("triage_training_schedule", &cfg.triage_training_schedule, xinfang_web::triage_model::TRAIN, xinfang_web::triage_model::TRAIN),
    ];
    for (setting, text, name, kind) in named {
        if text.trim().is_empty() {
            continue;
        }
        let period = Period::parse(text).ok_or_else(|| format!("{setting} must be `daily HH:MM` or `every N[s|m|h]`, not `{text}`"))?;
        rt = rt.schedule(Schedule { name, kind, period });
    }
    Ok(rt)
}

/// The delivery channels and letter renderer of `cfg`. A channel whose
/// URL is empty is off; letters without fonts are reported (and their jobs
/// wait, visible to the admin) rather than stopping the server.
pub fn services(cfg: &config::Config) -> Result<xinfang_web::notices::Services, AnyError> {
    let sms = xinfang_notify::SmsGateway::from_config(&cfg.notify)?;
    let mail = xinfang_notify::Mailer::from_config(&cfg.notify)?;
    let letter_cfg = xinfang_letters::LetterConfig {
        fonts_dir: cfg.fonts_dir.clone().into(),
        templates_dir: cfg.letter_templates_dir.as_ref().filter(|d| !d.trim().is_empty()).map(Into::into),
    };
    // The fonts (about 90 MB with Debian's Noto CJK) are loaded on the
    // first letter, not at start: a node that renders none never holds
    // them. Whether there are any is checked now, cheaply.
    let (letters, letters_unavailable): (Option<Arc<dyn xinfang_web::notices::LetterRenderer>>, _) =
        if has_font_files(&letter_cfg.fonts_dir) {
            let r: Arc<dyn xinfang_web::notices::LetterRenderer> = match cfg.letters_process.trim() {
                // Unresolved ("self" outside `xinfang serve`) or off: in this process.
                "" | "self" => Arc::new(Letters { cfg: letter_cfg, renderer: std::sync::OnceLock::new() }),
                program => Arc::new(letter_process::ChildLetters::new(program.into(), letter_cfg)),
            };
            (Some(r), None)
        } else {
            let dir = letter_cfg.fonts_dir.display();
            tracing::warn!(fonts_dir = %dir, "letters cannot be rendered on this node: no fonts (run scripts/setup.sh)");
            (None, Some(format!("文书无法生成：字体目录{dir}中没有字体（请运行 scripts/setup.sh 安装字体，或设置 fonts_dir）")))
        };
    Ok(xinfang_web::notices::Services {
        sms,
        mail,
        letters,
        letters_unavailable,
        wake: Arc::default(),
        digest_days: cfg.digest_days_before.clone(),
    })
}

/// The typst renderer behind the web crate's trait, built on first use.
struct Letters {
    cfg: xinfang_letters::LetterConfig,
    renderer: std::sync::OnceLock<Result<xinfang_letters::Renderer, String>>,
}

impl xinfang_web::notices::LetterRenderer for Letters {
    fn render(&self, kind: &str, data: &serde_json::Value) -> Result<Vec<u8>, String> {
        let r = self.renderer.get_or_init(|| xinfang_letters::Renderer::new(&self.cfg).map_err(|e| e.to_string()));
        r.as_ref().map_err(Clone::clone)?.render(kind, data).map_err(|e| e.to_string())
    }
}

/// Whether `dir` (recursively) holds a font file the renderer can load.
fn has_font_files(dir: &std::path::Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else { return false };
    entries.flatten().any(|e| {
        let p = e.path();
        if p.is_dir() {
            return has_font_files(&p);
        }
        p.extension().and_then(|x| x.to_str()).is_some_and(|x| matches!(x.to_ascii_lowercase().as_str(), "ttf" | "otf" | "ttc" | "otc"))
    })
}

/// Load the key file, or create it with fresh keys (readable by the owner
/// only) when it does not exist yet.
pub fn keyring(cfg: &config::Config) -> Result<Keyring, AnyError> {
    let path = std::path::Path::new(&cfg.key_file);
    if path.exists() {
        let text = std::fs::read_to_string(path)?;
        return Ok(Keyring::from_key_file(&text).map_err(|e| format!("{}: {e}", cfg.key_file))?);
    }
    let alg = Algorithm::parse(&cfg.encryption_algorithm).ok_or("encryption_algorithm must be sm4-gcm or aes-256-gcm")?;
    let (ring, text) = Keyring::generate(alg);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    std::io::Write::write_all(&mut opts.open(path)?, text.as_bytes())?;
    tracing::warn!(key_file = %cfg.key_file, algorithm = alg.as_str(), "created a new key file; back it up apart from the database");
    Ok(ring)
}

/// Everything `serve` needs: the opened store (demo loaded if asked) and
/// the router.
pub async fn build(cfg: &config::Config) -> Result<(Store, axum::Router), AnyError> {
    // Refused before anything is opened: a misplaced read URL is a mistake.
    let read_url = cfg.read_database_url()?;
    xinfang_domain::ranking::Weights::parse(&cfg.settings.ranking_weights).map_err(|e| format!("ranking_weights: {e}"))?;
    let mut store = open(cfg).await?;
    if let Some(url) = read_url {
        store = store.with_read_replica(url, cfg.pool())?;
        // Connected lazily; asked once now so that the log says where lists
        // are read from (a replica down at startup only sends them to the
        // primary until it answers).
        match store.replica_status().await {
            Some(s @ xinfang_store::ReplicaStatus::Up { .. }) => tracing::info!(replica = %s, "read replica"),
            Some(s) => tracing::warn!(replica = %s, "read replica"),
            None => {}
        }
    }
    if cfg.demo {
        demo::load(&store, |pw| xinfang_web::auth::hash_password(pw).unwrap_or_default()).await?;
    }
    let settings = cfg.settings.clone();
    let state = AppState::new(store.clone(), settings, keyring(cfg)?).await?.with_services(services(cfg)?);
    let runtime = if cfg.run_jobs { Some(runtime(&state, cfg)?) } else { None };
    // The generated history goes only into a database without petitions
    // (a fresh demo), with or without the sample petitions.
    let fresh = cfg.demo && cfg.demo_history > 0 && state.store.bulk_begin().await?.petitions == 0;
    if cfg.demo && cfg.demo_petitions {
        demo_petitions::load(&state).await?;
    }
    if cfg.demo {
        demo::load_official_text(&state.store).await?;
    }
    if fresh {
        let spec = demo_history::HistorySpec { petitions: cfg.demo_history, days: 395, seed: 2026 };
        let loaded = demo_history::load(&state.store, &state.keyring, spec).await?;
        tracing::info!(
            petitions = loaded.petitions,
            accounts = loaded.accounts_made,
            elapsed_ms = loaded.elapsed.as_millis() as u64,
            "demo history loaded"
        );
    }
    // Started after the demo is in, so that the first firing of each
    // schedule (the monthly ranking, the watch) sees it.
    if let Some(rt) = runtime {
        rt.spawn();
    }
    Ok((store, xinfang_web::router_with(state, Some(xinfang_ui::pages(cfg.portal.clone())))))
}
