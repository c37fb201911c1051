//! The `xinfang` application: configuration, reference and demo data, and
//! assembling the store and the HTTP router. `main.rs` is the CLI on top.

pub mod config;
pub mod demo;
pub mod demo_petitions;
pub mod seed;

use xinfang_crypto::{Algorithm, Keyring};
use xinfang_store::Store;
use xinfang_web::AppState;

pub type AnyError = Box<dyn std::error::Error + Send + Sync>;

/// Connect, migrate and load the reference data (calendar, topics,
/// divisions) if the database is new.
pub async fn open(cfg: &config::Config) -> Result<Store, AnyError> {
    let store = Store::connect(&cfg.database_url).await?;
    store.migrate().await?;
    seed::reference_data(&store).await?;
    Ok(store)
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
    let store = open(cfg).await?;
    if cfg.demo {
        demo::load(&store, |pw| xinfang_web::auth::hash_password(pw).unwrap_or_default()).await?;
    }
    let settings = cfg.settings.clone();
    let state = AppState::new(store.clone(), settings, keyring(cfg)?).await?;
    if cfg.demo && cfg.demo_petitions {
        demo_petitions::load(&state).await?;
    }
    Ok((store, xinfang_web::router_with(state, Some(xinfang_ui::pages(cfg.portal.clone())))))
}
