//! `xinfang-bench`: the province-scale benchmark (issue 9).
//!
//! ```sh
//! xinfang-bench load    --dir DIR --database-url URL --petitions 1000000 --fresh
//! xinfang-bench measure --dir DIR --database-url URL
//! xinfang-bench units > guangdong-units.csv     # the unit file alone
//! ```
//!
//! `load` builds a province in a fresh database: Guangdong's 6,726 units
//! from the official division data (imported with the same code as
//! `xinfang import-units`), staff for every unit, and the petitions of 13
//! months acted out through the real procedure and written through the
//! store's bulk path. `measure` starts the real `xinfang serve` on it as a
//! child process and measures it over HTTP. See docs/performance.md.

mod life;
mod load;
mod measure;
mod world;

use xinfang::synthetic::{rng, text};

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

pub type AnyError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Parser)]
#[command(name = "xinfang-bench", about = "Province-scale benchmark of xinfang: load a province, then measure the server")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Build a province with N petitions in a fresh database.
    Load {
        /// Working directory: key file, unit file, manifest, server config.
        #[arg(long)]
        dir: PathBuf,
        /// sqlite://FILE or postgres://…/DATABASE
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value_t = 20_000)]
        petitions: usize,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Days of history (13 months).
        #[arg(long, default_value_t = 395)]
        days: i64,
        /// Petitions per transaction.
        #[arg(long, default_value_t = 2_000)]
        batch: usize,
        /// Threads acting out petitions (default: the machine's cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Start from nothing: delete the SQLite file, or drop and create
        /// the PostgreSQL database (and the key file in DIR).
        #[arg(long)]
        fresh: bool,
    },
    /// Start `xinfang serve` on a loaded database and measure it.
    Measure {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        database_url: String,
        /// The server binary (default: `xinfang` beside this one).
        #[arg(long)]
        server: Option<PathBuf>,
        /// Online submissions for the intake measurement.
        #[arg(long, default_value_t = 4_000)]
        intake: usize,
        /// Concurrent clients for intake.
        #[arg(long, default_value_t = 4)]
        clients: usize,
        /// Requests per list or detail measurement.
        #[arg(long, default_value_t = 200)]
        samples: usize,
        /// Drop the OS page cache before the cold start (needs root).
        #[arg(long)]
        drop_caches: bool,
        /// Also write the Markdown report here.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Measure only the lists and searches whose label holds this
        /// text (e.g. `search`): no intake, detail, export or figures.
        #[arg(long)]
        only: Option<String>,
    },
    /// Print the generated province unit file (CSV for `xinfang import-units`).
    Units {
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
}

/// Where a run keeps its files.
#[derive(Debug, Clone)]
pub struct Paths {
    pub dir: PathBuf,
}

impl Paths {
    pub fn key_file(&self) -> PathBuf {
        self.dir.join("xinfang.key")
    }
    pub fn units_file(&self) -> PathBuf {
        self.dir.join("units.csv")
    }
    pub fn manifest(&self) -> PathBuf {
        self.dir.join("manifest.json")
    }
    pub fn config(&self) -> PathBuf {
        self.dir.join("xinfang.toml")
    }
}

/// What `load` leaves for `measure`: which units to read as which level.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub petitions: usize,
    pub seed: u64,
    pub loaded_at: String,
    pub township: String,
    pub county_department: String,
    pub city_bureau: String,
    pub province_bureau: String,
    pub counties: Vec<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
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

async fn run(cli: Cli) -> Result<(), AnyError> {
    match cli.command {
        Cmd::Units { seed } => {
            print!("{}", xinfang::province::to_csv(&xinfang::province::shuffled(xinfang::province::rows(world::PROVINCE)?, seed)));
            Ok(())
        }
        Cmd::Load { dir, database_url, petitions, seed, days, batch, threads, fresh } => {
            let paths = Paths { dir };
            if fresh {
                make_fresh(&database_url, &paths).await?;
            }
            let threads = threads.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2));
            load::run(load::LoadArgs { paths, database_url, petitions, seed, days, batch, threads }).await
        }
        Cmd::Measure { dir, database_url, server, intake, clients, samples, drop_caches, out, only } => {
            let paths = Paths { dir };
            measure::run(measure::MeasureArgs { paths, database_url, server, intake, clients, samples, drop_caches, out, only }).await
        }
    }
}

/// Delete the SQLite database (with its WAL, lock and checkpoint files) or
/// drop and create the PostgreSQL database; remove the run's key file.
async fn make_fresh(url: &str, paths: &Paths) -> Result<(), AnyError> {
    let _ = std::fs::remove_file(paths.key_file());
    let _ = std::fs::remove_file(paths.manifest());
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let path = rest.trim_start_matches("//");
        let path = path.split('?').next().unwrap_or(path);
        for suffix in ["", "-wal", "-shm", ".setup.lock", ".checkpoint.json"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
        return Ok(());
    }
    use sqlx::Connection;
    let (head, name) = url.rsplit_once('/').ok_or("a PostgreSQL URL names its database")?;
    let name = name.split('?').next().unwrap_or(name);
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') || name == "postgres" {
        return Err(format!("refusing to drop database {name:?}: name a database of its own, e.g. …/xf_scale").into());
    }
    let mut admin = sqlx::PgConnection::connect(&format!("{head}/postgres")).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(&mut admin).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut admin).await?;
    admin.close().await?;
    Ok(())
}
