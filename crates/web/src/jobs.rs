//! Periodic work that must run once across nodes. Each job has a name and
//! an interval; every node ticks it, and only the node that takes the
//! job's lease in the database (`leases`, one conditional upsert) runs it
//! that time. The lease lasts one interval, so however many nodes tick,
//! the job runs about once per interval; if its holder dies, another node
//! takes over when the lease expires. Later periodic work (reminders,
//! sweeps, deliveries) is added as further jobs.

use futures_util::future::BoxFuture;
use std::sync::Arc;
use std::time::Duration;
use xinfang_store::Store;

/// What a job run reports: a line for the log, or why it failed.
pub type JobResult = Result<String, String>;

/// A named periodic job.
#[derive(Clone)]
pub struct Job {
    pub name: &'static str,
    pub every: Duration,
    pub run: Arc<dyn Fn() -> BoxFuture<'static, JobResult> + Send + Sync>,
}

impl Job {
    pub fn new<F, Fut>(name: &'static str, every: Duration, f: F) -> Job
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = JobResult> + Send + 'static,
    {
        Job { name, every, run: Arc::new(move || Box::pin(f())) }
    }
}

/// This process's name as a lease holder: host, process id and a random
/// part (two servers in one process are two holders).
pub fn holder_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_string()).unwrap_or_else(|_| "node".into());
    format!("{host}-{}-{:08x}", std::process::id(), rand::random::<u32>())
}

/// Tick each job on its interval (the first tick one interval after start)
/// and run it when this node holds its lease. A job with a zero interval
/// is off.
pub fn spawn(store: Store, jobs: Vec<Job>) {
    let holder: Arc<str> = holder_id().into();
    for job in jobs {
        if job.every.is_zero() {
            continue;
        }
        let store = store.clone();
        let holder = Arc::clone(&holder);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + job.every, job.every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = run_once(&store, &holder, &job).await {
                    tracing::warn!(job = job.name, error = %e, "job not run");
                }
            }
        });
    }
}

/// One tick of `job` on this node: take the lease, run, record the run.
/// Returns whether it ran here.
pub async fn run_once(store: &Store, holder: &str, job: &Job) -> Result<bool, xinfang_store::StoreError> {
    let now = chrono::Utc::now();
    let lease = chrono::Duration::from_std(job.every).unwrap_or(chrono::Duration::seconds(60));
    // The holder renews its own lease on its next tick; another node's
    // tick within the interval finds it taken.
    let until = now + lease;
    if !store.acquire_lease(job.name, holder, now, until).await? {
        return Ok(false);
    }
    let outcome = (job.run)().await;
    let ok = outcome.is_ok();
    match outcome {
        Ok(msg) => tracing::info!(job = job.name, "{msg}"),
        Err(e) => tracing::error!(job = job.name, error = %e, "job failed"),
    }
    crate::observe::job_ran(job.name, ok);
    store.record_job_run(job.name, holder, now, ok).await?;
    Ok(true)
}

/// Delete bearer tokens that expired or went idle for longer than
/// `idle_timeout_minutes`, rate counters of past minutes and submission
/// budgets of past days.
pub fn purge_job(store: Store, every: Duration, idle_timeout_minutes: i64) -> Job {
    Job::new("purge_expired", every, move || {
        let store = store.clone();
        async move {
            let now = chrono::Utc::now();
            let minute = now.timestamp().div_euclid(60);
            let idle_since = now - chrono::Duration::minutes(idle_timeout_minutes);
            let today = xinfang_domain::local_date(now).format("%Y-%m-%d").to_string();
            let (tokens, counters) = store.purge_expired(now, idle_since, minute - 1, &today).await.map_err(|e| e.to_string())?;
            Ok(format!("purged {tokens} expired tokens, {counters} old rate counters"))
        }
    })
}
