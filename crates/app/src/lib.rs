//! The `xinfang` application: configuration, reference and demo data, and
//! assembling the store and the HTTP router. `main.rs` is the CLI on top.

pub mod config;
pub mod demo;
pub mod demo_petitions;
pub mod seed;

use xinfang_domain::deadline::CountingPolicy;
use xinfang_store::Store;
use xinfang_web::{AppState, Settings};

pub type AnyError = Box<dyn std::error::Error + Send + Sync>;

/// Connect, migrate and load the reference data (calendar, topics,
/// divisions) if the database is new.
pub async fn open(cfg: &config::Config) -> Result<Store, AnyError> {
    let store = Store::connect(&cfg.database_url).await?;
    store.migrate().await?;
    seed::reference_data(&store).await?;
    Ok(store)
}

/// Everything `serve` needs: the opened store (demo loaded if asked) and
/// the router.
pub async fn build(cfg: &config::Config) -> Result<(Store, axum::Router), AnyError> {
    let store = open(cfg).await?;
    if cfg.demo {
        demo::load(&store, |pw| xinfang_web::auth::hash_password(pw).unwrap_or_default()).await?;
    }
    let policy = CountingPolicy::parse(&cfg.counting_policy)
        .ok_or("counting_policy must be start_excluded_roll_forward or start_excluded_no_roll")?;
    let window_policy = CountingPolicy::parse(&cfg.window_counting_policy)
        .ok_or("window_counting_policy must be start_excluded_roll_forward or start_excluded_no_roll")?;
    let settings = Settings { policy, window_policy, token_ttl_hours: cfg.token_ttl_hours, ..Settings::default() };
    let state = AppState::new(store.clone(), settings).await?;
    if cfg.demo && cfg.demo_petitions {
        demo_petitions::load(&state).await?;
    }
    Ok((store, xinfang_web::router(state)))
}
