//! Shared application state: the store plus in-memory copies of the two
//! things every action consults, the unit tree and the holiday calendar.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use xinfang_crypto::Keyring;
use xinfang_domain::aggregate::ScopeIndex;
use xinfang_domain::calendar::HolidayCalendar;
use xinfang_domain::deadline::CountingPolicy;
use xinfang_domain::unit::UnitTree;
use xinfang_store::Store;

/// The tunables of a deployment; read from `xinfang.toml` / `XINFANG_*`
/// (flattened into the app's configuration, same names).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Settings {
    /// How periods are counted (recorded on every timer):
    /// `start_excluded_roll_forward` or `start_excluded_no_roll`.
    #[serde(rename = "counting_policy")]
    pub policy: CountingPolicy,
    /// How the petitioner's 30-day 复查/复核 windows are counted; default
    /// `start_excluded_no_roll` (online filing is open every day).
    #[serde(rename = "window_counting_policy")]
    pub window_policy: CountingPolicy,
    /// Lifetime of a bearer token, in hours.
    pub token_ttl_hours: i64,
    #[serde(skip)]
    pub max_attachments: usize,
    #[serde(skip)]
    pub max_attachment_bytes: usize,
    /// A session ends after this many minutes without a request.
    pub idle_timeout_minutes: i64,
    /// Consecutive wrong passwords (or TOTP codes) that lock an account.
    pub max_failed_logins: i64,
    pub lockout_minutes: i64,
    /// Per address and minute; counted in the database across nodes
    /// (`rate_limits_in_database`, the default) or on each node in memory.
    pub submit_per_minute: u32,
    pub track_per_minute: u32,
    pub login_per_minute: u32,
    /// Anonymous submissions per client address and day (China time),
    /// counted in the database across nodes; with `submit_bytes_per_day`
    /// (the request bodies, attachments included) they keep anonymous
    /// uploads from filling the disk.
    pub submit_per_day: i64,
    pub submit_bytes_per_day: i64,
    /// Reverse proxies (addresses or CIDR networks, e.g. `10.0.0.0/8`)
    /// whose `X-Forwarded-For` is believed; empty (the default): the peer
    /// address is the client, whatever the header says.
    pub trusted_proxies: Vec<String>,
    /// The public address of the service, e.g. `https://xf.example.gov.cn`;
    /// an `https://` address means the service is served over HTTPS.
    pub public_url: String,
    /// Served over HTTPS by a TLS-terminating proxy in front (also turns
    /// on `Secure` cookies and HSTS).
    pub tls_proxy: bool,
    /// `Secure` on every cookie; default: on when served over HTTPS
    /// (`public_url` is https or `tls_proxy`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secure_cookies: Option<bool>,
    /// Hours a recipient has to acknowledge an Art. 25 report before it is
    /// listed as overdue.
    pub urgent_ack_hours: i64,
    /// How often (seconds) a node checks whether another node changed the
    /// holiday calendar; 0 turns the background check off (acts still
    /// check before they count).
    pub calendar_refresh_seconds: u64,
    /// Searches by identity number or phone one user may make per hour.
    pub identity_searches_per_hour: i64,
    /// Count the per-minute limits in the database (shared by every node;
    /// one upsert per limited request, see docs/performance.md) rather
    /// than in each node's memory.
    pub rate_limits_in_database: bool,
    /// If set, `GET /metrics` answers only `Authorization: Bearer <this>`.
    pub metrics_token: String,
    /// The deadline watch: a duty timer is "due soon" this many days
    /// before its due date.
    pub watch_due_soon_days: u32,
    /// The deadline watch opens at most this many supervision cases per
    /// run (the rest on the next run), so a backlog of breaches found at
    /// once does not hold the job for long.
    pub watch_batch: i64,
    /// The weights of the monthly ranking's score, `metric=weight,…`
    /// (`domain::ranking::DEFAULT_WEIGHTS` when unset).
    pub ranking_weights: String,
    /// Working days a warned area has to rectify.
    pub ranking_rectify_days: u32,
    /// The least number of cases (the sum of the weighted metrics'
    /// denominators) an area needs in the month to be ranked.
    pub ranking_min_cases: u64,
    /// Scopes (a unit with the units below it, an area) of at least this
    /// many units have their statistics precomputed; smaller ones are
    /// recounted on each request (docs/metrics.md "Precomputed").
    pub statistics_min_scope_units: usize,
    /// A unit with at least this many petitions in its record (registered
    /// or handled) has its scopes precomputed too, whatever the size of its
    /// subtree; the set is taken when the aggregates are built.
    pub statistics_min_scope_petitions: i64,
    /// A search matching more petitions than this is read in the list's
    /// order, each row looked up in the index (`store::fulltext`); fewer,
    /// and the matches drive the read.
    pub search_common_matches: i64,
    /// Triage training reads at most this many of the newest confirmed
    /// routings (`triage_model`). The run reads them a page at a time and
    /// holds the models' counts, not the examples: its time grows with
    /// this, its memory barely (docs/performance.md, "Triage training").
    pub triage_training_examples: i64,
    /// The model replaces the rules for a field only when it beats them on
    /// at least this many held-back recent cases.
    pub triage_min_held_out: usize,
    /// A read corrects the precomputed figures by at most this many
    /// petitions changed since the last refresh; with more it recounts.
    pub statistics_max_corrections: usize,
    /// The wage-arrears green channel (issue 14): working days from
    /// receipt to the handling unit's first contact with the employer.
    pub green_channel_contact_days: u32,
    /// The green channel's pre-Spring-Festival list starts this many days
    /// before the festival holiday.
    pub green_channel_season_days: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            policy: CountingPolicy::default(),
            window_policy: CountingPolicy::StartExcludedNoRoll,
            token_ttl_hours: 12,
            max_attachments: 10,
            max_attachment_bytes: 10 * 1024 * 1024,
            idle_timeout_minutes: 30,
            max_failed_logins: 10,
            lockout_minutes: 30,
            submit_per_minute: 30,
            track_per_minute: 60,
            login_per_minute: 30,
            submit_per_day: 100,
            submit_bytes_per_day: 200 * 1024 * 1024,
            trusted_proxies: Vec::new(),
            public_url: String::new(),
            tls_proxy: false,
            secure_cookies: None,
            urgent_ack_hours: 2,
            calendar_refresh_seconds: 5,
            identity_searches_per_hour: 30,
            rate_limits_in_database: true,
            metrics_token: String::new(),
            watch_due_soon_days: xinfang_domain::supervision::DEFAULT_DUE_SOON_DAYS,
            watch_batch: 200,
            ranking_weights: xinfang_domain::ranking::DEFAULT_WEIGHTS.into(),
            ranking_rectify_days: xinfang_domain::ranking::RECTIFY_WORKING_DAYS,
            ranking_min_cases: xinfang_domain::ranking::MIN_CASES,
            statistics_min_scope_units: xinfang_domain::aggregate::DEFAULT_MIN_SCOPE_UNITS,
            statistics_min_scope_petitions: xinfang_domain::aggregate::DEFAULT_MIN_SCOPE_PETITIONS,
            search_common_matches: xinfang_store::COMMON_MATCHES,
            triage_training_examples: 5_000,
            triage_min_held_out: 30,
            statistics_max_corrections: 2000,
            green_channel_contact_days: 5,
            green_channel_season_days: 75,
        }
    }
}

impl Settings {
    /// Whether browsers reach the service over HTTPS.
    pub fn https(&self) -> bool {
        self.tls_proxy || self.public_url.to_ascii_lowercase().starts_with("https://")
    }

    /// Whether cookies carry `Secure`.
    pub fn secure_cookies(&self) -> bool {
        self.secure_cookies.unwrap_or_else(|| self.https())
    }
}

/// A scope index and the tree and busy units it was built from.
type ScopesFor = (Arc<UnitTree>, Arc<BTreeSet<i64>>, Arc<ScopeIndex>);

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    /// Keys for personal data at rest and for keyed hashes.
    pub keyring: Arc<Keyring>,
    pub limiter: Arc<crate::ratelimit::RateLimiter>,
    tree: Arc<RwLock<Arc<UnitTree>>>,
    /// The `units_version` the tree was loaded at (see `refresh_units`).
    units_version: Arc<AtomicI64>,
    calendar: Arc<CalendarCache>,
    /// The scope index of the precomputed statistics, for the tree it was
    /// built from (compared by pointer: a reloaded tree is a new Arc).
    scopes: Arc<RwLock<Option<ScopesFor>>>,
    /// The busy units of the aggregates as last seen in the database
    /// (`ScopeIndex::busy`; `precomputed` keeps it current).
    busy: Arc<RwLock<Arc<BTreeSet<i64>>>>,
    /// Delivery channels, the letter renderer and the job runtime's bell.
    pub services: Arc<crate::notices::Services>,
    /// The urgent model trained with the bureau's corrections, once any
    /// training has been recorded (`urgent_model`).
    pub urgent: Arc<crate::urgent_model::UrgentSlot>,
}

/// This node's copy of the calendar and the `calendar_version` it was
/// loaded at. Several nodes share one database, so a node compares the
/// version (one primary-key read) before every act and every
/// `calendar_refresh_seconds` in the background, and reloads on a change.
#[derive(Default)]
struct CalendarCache {
    slot: RwLock<Arc<HolidayCalendar>>,
    version: AtomicI64,
}

impl CalendarCache {
    async fn refresh(&self, store: &Store, force: bool) -> Result<(), xinfang_store::StoreError> {
        // The version is read before the days: a change in between makes
        // the next check reload again, never keeps a stale calendar.
        let version = store.calendar_version().await?;
        if !force && version == self.version.load(Ordering::Acquire) {
            return Ok(());
        }
        let cal = store.load_calendar().await?;
        if let Ok(mut slot) = self.slot.write() {
            *slot = Arc::new(cal);
        }
        self.version.store(version, Ordering::Release);
        Ok(())
    }
}

impl AppState {
    pub async fn new(store: Store, settings: Settings, keyring: Keyring) -> Result<Self, xinfang_store::StoreError> {
        let units_version = store.units_version().await?;
        let tree = UnitTree::new(store.load_units().await?);
        let calendar = Arc::new(CalendarCache::default());
        calendar.refresh(&store, true).await?;
        let state = AppState {
            store,
            settings: Arc::new(settings),
            keyring: Arc::new(keyring),
            limiter: Arc::default(),
            tree: Arc::new(RwLock::new(Arc::new(tree))),
            units_version: Arc::new(AtomicI64::new(units_version)),
            calendar,
            scopes: Arc::default(),
            busy: Arc::default(),
            services: Arc::default(),
            urgent: Arc::default(),
        };
        state.watch_calendar();
        crate::urgent_model::watch(&state.urgent, &state.store, state.settings.calendar_refresh_seconds);
        Ok(state)
    }

    /// The same state with these delivery channels and letter renderer.
    pub fn with_services(mut self, services: crate::notices::Services) -> Self {
        self.services = Arc::new(services);
        self
    }

    /// Check the calendar version in the background; the task ends with
    /// the last clone of this state.
    fn watch_calendar(&self) {
        let secs = self.settings.calendar_refresh_seconds;
        if secs == 0 {
            return;
        }
        let cache = Arc::downgrade(&self.calendar);
        let store = self.store.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(secs));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(cache) = cache.upgrade() else { break };
                if let Err(e) = cache.refresh(&store, false).await {
                    tracing::warn!(error = %e, "calendar version check failed");
                }
            }
        });
    }

    /// The scope index of the precomputed statistics for this node's tree.
    pub fn scope_index(&self) -> Arc<ScopeIndex> {
        let tree = self.tree();
        let busy = self.busy.read().map(|b| Arc::clone(&b)).unwrap_or_default();
        if let Ok(slot) = self.scopes.read()
            && let Some((t, b, ix)) = slot.as_ref()
            && Arc::ptr_eq(t, &tree)
            && Arc::ptr_eq(b, &busy)
        {
            return Arc::clone(ix);
        }
        let ix = Arc::new(ScopeIndex::build(&tree, self.settings.statistics_min_scope_units, &busy));
        if let Ok(mut slot) = self.scopes.write() {
            *slot = Some((tree, busy, Arc::clone(&ix)));
        }
        ix
    }

    /// Take the busy units the aggregates were built with; true when they
    /// differ from those this node knew (its scope index changes).
    pub fn set_busy_units(&self, units: BTreeSet<i64>) -> bool {
        let Ok(mut slot) = self.busy.write() else { return false };
        if **slot == units {
            return false;
        }
        *slot = Arc::new(units);
        true
    }

    pub fn tree(&self) -> Arc<UnitTree> {
        self.tree.read().map(|t| Arc::clone(&t)).unwrap_or_default()
    }

    pub fn calendar(&self) -> Arc<HolidayCalendar> {
        self.calendar.slot.read().map(|c| Arc::clone(&c)).unwrap_or_default()
    }

    /// Reload the calendar now (after this node changed it).
    pub async fn reload_calendar(&self) -> Result<(), xinfang_store::StoreError> {
        self.calendar.refresh(&self.store, true).await
    }

    /// Reload the calendar if any node changed it since it was loaded.
    pub async fn refresh_calendar(&self) -> Result<(), xinfang_store::StoreError> {
        self.calendar.refresh(&self.store, false).await
    }

    pub async fn reload_units(&self) -> Result<(), xinfang_store::StoreError> {
        // The version is read before the units: a change in between makes
        // the next check reload again, never keeps a stale tree.
        let version = self.store.units_version().await?;
        let tree = UnitTree::new(self.store.load_units().await?);
        if let Ok(mut slot) = self.tree.write() {
            *slot = Arc::new(tree);
        }
        self.units_version.store(version, Ordering::Release);
        Ok(())
    }

    /// Reload the unit tree if any node changed it since it was loaded:
    /// one primary-key read, done before every staff request and act, so
    /// a unit imported on one node is known to all at their next request.
    pub async fn refresh_units(&self) -> Result<(), xinfang_store::StoreError> {
        let version = self.store.units_version().await?;
        self.refresh_units_at(version).await
    }

    /// `refresh_units` with the version already read (authentication
    /// reads it with the token).
    pub async fn refresh_units_at(&self, version: i64) -> Result<(), xinfang_store::StoreError> {
        if version != self.units_version.load(Ordering::Acquire) {
            self.reload_units().await?;
        }
        Ok(())
    }
}
