//! `xinfang serve` sets its allocators by starting itself again once with
//! `MALLOC_ARENA_MAX=2`, `MIMALLOC_ALLOW_THP=0` and `MIMALLOC_PURGE_DELAY=0`
//! (issue 9, memory; `main.rs`, `tune_allocators`), keeping its process
//! id, and leaves a setting the environment already gives alone. Not a
//! database test: the server runs on a throw-away SQLite file on either
//! suite.

#![cfg(all(target_os = "linux", target_env = "gnu"))]
#![allow(clippy::unwrap_used)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A server on a fresh SQLite file, with `env` added to the environment
/// the test runs in; answers once `/healthz` does.
async fn serve(dir: &tempfile::TempDir, env: &[(&str, &str)]) -> Child {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xinfang"));
    cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--database-url")
        .arg(format!("sqlite://{}", dir.path().join("x.db").display()))
        .env("XINFANG_KEY_FILE", dir.path().join("key"))
        .env("XINFANG_LOG", "error")
        .env_remove("MALLOC_ARENA_MAX")
        .env_remove("GLIBC_TUNABLES")
        .env_remove("MIMALLOC_ALLOW_THP")
        .env_remove("MIMALLOC_PURGE_DELAY")
        .env_remove("MIMALLOC_RESET_DELAY")
        .env_remove("XINFANG_ALLOCATORS_SET")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let started = Instant::now();
    loop {
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await
            && r.status().is_success()
        {
            return child;
        }
        assert!(child.try_wait().unwrap().is_none(), "the server exited");
        assert!(started.elapsed() < Duration::from_secs(120), "no /healthz within 120 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The environment the program now running under `pid` was started with.
fn environ(pid: u32) -> Vec<String> {
    let raw = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
    raw.split(|b| *b == 0).filter(|v| !v.is_empty()).map(|v| String::from_utf8_lossy(v).into_owned()).collect()
}

#[tokio::test]
async fn serve_starts_itself_again_with_its_allocator_settings_under_the_same_process_id() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = serve(&dir, &[]).await;
    // The process spawned without the variables now runs with them: the
    // same id, a new program image.
    let env = environ(child.id());
    for set in ["MALLOC_ARENA_MAX=2", "MIMALLOC_ALLOW_THP=0", "MIMALLOC_PURGE_DELAY=0"] {
        assert!(env.iter().any(|v| v == set), "{set}: {env:?}");
    }
    // mimalloc switched transparent huge pages off for the whole process
    // (a kernel that reports it says so in the process's status).
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    if let Some(line) = status.lines().find(|l| l.starts_with("THP_enabled:")) {
        assert_eq!(line.split_whitespace().nth(1), Some("0"), "{line}");
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn an_allocator_setting_in_the_environment_is_left_as_it_is() {
    for (given, ours) in [
        (("MALLOC_ARENA_MAX", "8"), "MALLOC_ARENA_MAX=2"),
        (("GLIBC_TUNABLES", "glibc.malloc.arena_max=4"), "MALLOC_ARENA_MAX=2"),
        (("MIMALLOC_ALLOW_THP", "1"), "MIMALLOC_ALLOW_THP=0"),
        (("MIMALLOC_PURGE_DELAY", "10"), "MIMALLOC_PURGE_DELAY=0"),
        (("MIMALLOC_RESET_DELAY", "10"), "MIMALLOC_PURGE_DELAY=0"),
        (("mimalloc_purge_delay", "100"), "MIMALLOC_PURGE_DELAY=0"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut child = serve(&dir, &[given]).await;
        let env = environ(child.id());
        assert!(env.iter().any(|v| *v == format!("{}={}", given.0, given.1)), "{env:?}");
        assert!(!env.iter().any(|v| v == ours), "{given:?}: {env:?}");
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
