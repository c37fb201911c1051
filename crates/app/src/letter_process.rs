//! Letters rendered in a child process (`xinfang render-letters`).
//!
//! Why: typst with Debian's Noto CJK holds about 90 MB of fonts and, while
//! a node renders a burst of letters (the deadline watch's 督办 letters,
//! a day's refusals), a few hundred MB of working memory that the allocator
//! keeps. In the server that was the peak of its memory (docs/performance.md
//! "Memory: the letter fonts"). In a child, the server's memory stays flat,
//! a renderer crash cannot take the server down, and the child exits after
//! `IDLE` without work, which returns everything to the system. It is
//! started again on the next letter (fonts load in about 0.2 s).
//!
//! Protocol: one JSON request per line on the child's stdin
//! (`{"kind","data"}`), one JSON answer per line on its stdout
//! (`{"pdf": base64}` or `{"error": text}`).

use base64::Engine;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

/// A child with no letter to render for this long exits.
pub const IDLE: Duration = Duration::from_secs(60);

#[derive(Serialize, Deserialize)]
struct Request {
    kind: String,
    data: serde_json::Value,
}

#[derive(Serialize, Deserialize, Default)]
struct Answer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pdf: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

struct Running {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The server's side: a `LetterRenderer` that hands each letter to the
/// child, starting it when needed (one letter at a time).
pub struct ChildLetters {
    program: PathBuf,
    cfg: xinfang_letters::LetterConfig,
    running: Mutex<Option<Running>>,
}

impl ChildLetters {
    pub fn new(program: PathBuf, cfg: xinfang_letters::LetterConfig) -> ChildLetters {
        ChildLetters { program, cfg, running: Mutex::new(None) }
    }

    fn spawn(&self) -> Result<Running, String> {
        let mut cmd = Command::new(&self.program);
        cmd.arg("render-letters").arg("--fonts-dir").arg(&self.cfg.fonts_dir);
        if let Some(t) = &self.cfg.templates_dir {
            cmd.arg("--templates-dir").arg(t);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("letter renderer {} not started: {e}", self.program.display()))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            return Err("letter renderer without pipes".into());
        };
        Ok(Running { child, stdin, stdout: BufReader::new(stdout) })
    }
}

/// One request and its answer; Err(transport) when the child is gone.
fn exchange(r: &mut Running, line: &str) -> Result<Answer, String> {
    r.stdin.write_all(line.as_bytes()).and_then(|()| r.stdin.flush()).map_err(|e| e.to_string())?;
    let mut answer = String::new();
    if r.stdout.read_line(&mut answer).map_err(|e| e.to_string())? == 0 {
        return Err("the letter renderer exited".into());
    }
    serde_json::from_str(&answer).map_err(|e| format!("letter renderer answered garbage: {e}"))
}

impl xinfang_web::notices::LetterRenderer for ChildLetters {
    fn render(&self, kind: &str, data: &serde_json::Value) -> Result<Vec<u8>, String> {
        let mut line = serde_json::to_string(&Request { kind: kind.to_string(), data: data.clone() }).map_err(|e| e.to_string())?;
        line.push('\n');
        let mut slot = self.running.lock().map_err(|_| "letter renderer lock poisoned".to_string())?;
        // A child that went idle and exited is met once: start another.
        let mut last = String::new();
        for _ in 0..2 {
            let mut r = match slot.take() {
                Some(r) => r,
                None => self.spawn()?,
            };
            match exchange(&mut r, &line) {
                Ok(Answer { pdf: Some(b64), .. }) => {
                    *slot = Some(r);
                    return base64::engine::general_purpose::STANDARD.decode(b64).map_err(|e| e.to_string());
                }
                Ok(Answer { error, .. }) => {
                    *slot = Some(r);
                    return Err(error.unwrap_or_else(|| "letter not rendered".into()));
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}

/// The child's side (`xinfang render-letters`): render what comes on
/// stdin until it closes or nothing comes for `idle`.
pub fn serve_child(cfg: xinfang_letters::LetterConfig, idle: Duration) -> Result<(), String> {
    let renderer = xinfang_letters::Renderer::new(&cfg).map_err(|e| e.to_string())?;
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut out = std::io::stdout().lock();
    while let Ok(line) = rx.recv_timeout(idle) {
        let answer = match serde_json::from_str::<Request>(&line) {
            Ok(req) => match renderer.render(&req.kind, &req.data) {
                Ok(pdf) => Answer { pdf: Some(base64::engine::general_purpose::STANDARD.encode(pdf)), error: None },
                Err(e) => Answer { pdf: None, error: Some(e.to_string()) },
            },
            Err(e) => Answer { pdf: None, error: Some(format!("bad request: {e}")) },
        };
        let mut text = serde_json::to_string(&answer).map_err(|e| e.to_string())?;
        text.push('\n');
        if out.write_all(text.as_bytes()).and_then(|()| out.flush()).is_err() {
            break;
        }
    }
    Ok(())
}
