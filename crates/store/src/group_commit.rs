//! Group commit of new petitions on SQLite (issue 9).
//!
//! SQLite has one writer, and every petition is committed with
//! `synchronous = FULL`: one fsync per commit, 0.4–1.4 ms on this project's
//! machines, which alone caps one-at-a-time intake at a few hundred a second.
//! Petitions that arrive while a commit is in flight queue here; one writer
//! task takes all that are waiting and writes them in one transaction, each
//! inside its own savepoint, and commits once. Every caller is answered only
//! after that commit returns, so a number handed out is as durable as before;
//! what is shared is the fsync.
//!
//! A petition whose own rows fail (a constraint, a corrupt value) is rolled
//! back to its savepoint and gets its error; the others go on. If the batch
//! itself fails (the commit, or SQLite rolled the whole transaction back on
//! a full disk), each petition is written again alone, so every caller gets
//! its own true answer. PostgreSQL takes concurrent transactions and groups
//! its own commits: it writes directly.

use crate::db::{Result, Store, StoreError};
use crate::petitions::NewPetition;
use std::sync::Mutex;
use tokio::sync::{mpsc, oneshot};

/// At most this many petitions share one commit (a bound on how long the
/// write lock is held for one batch, so acts do not wait behind it long).
const MAX_BATCH: usize = 64;

type Answer = Result<(i64, String)>;

struct Job {
    petition: Box<NewPetition>,
    done: oneshot::Sender<Answer>,
}

/// The queue in front of the writer task (started on first use, on the
/// runtime of the first caller; started again if that runtime went away).
#[derive(Default)]
pub(crate) struct IntakeQueue {
    sender: Mutex<Option<mpsc::UnboundedSender<Job>>>,
}

impl IntakeQueue {
    /// Write `petition` in the next group commit; answered after it.
    pub(crate) async fn submit(&self, store: &Store, petition: NewPetition) -> Answer {
        let (done, answer) = oneshot::channel();
        let job = Job { petition: Box::new(petition), done };
        let sent = {
            let mut sender = self.sender.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if sender.as_ref().is_none_or(mpsc::UnboundedSender::is_closed) {
                let (tx, rx) = mpsc::unbounded_channel();
                // The writer's store has no queue: it writes directly, and
                // holds no sender, so it ends when the store is dropped.
                let mut writer = store.clone();
                writer.intake_queue = None;
                tokio::spawn(write_batches(writer, rx));
                *sender = Some(tx);
            }
            sender.as_ref().map(|s| s.send(job))
        };
        match sent {
            Some(Ok(())) => answer.await.unwrap_or_else(|_| Err(StoreError::Corrupt("the petition writer stopped".into()))),
            // The writer is gone (its runtime shut down): write it here.
            Some(Err(mpsc::error::SendError(job))) => store.insert_petition_alone(&job.petition).await,
            None => Err(StoreError::Corrupt("no petition writer".into())),
        }
    }
}

async fn write_batches(store: Store, mut jobs: mpsc::UnboundedReceiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let taken = std::mem::take(&mut batch);
        store.commit_batch(taken).await;
    }
}

impl Store {
    async fn commit_batch(&self, jobs: Vec<Job>) {
        if jobs.len() > 1 {
            match self.write_batch(&jobs).await {
                Ok(answers) => {
                    for (job, answer) in jobs.into_iter().zip(answers) {
                        let _ = job.done.send(answer);
                    }
                    return;
                }
                Err(e) => tracing::warn!(error = %e, petitions = jobs.len(), "group commit failed; writing each alone"),
            }
        }
        for job in jobs {
            let answer = self.insert_petition_alone(&job.petition).await;
            let _ = job.done.send(answer);
        }
    }

    /// One transaction, one savepoint per petition; the answers are valid
    /// only if this returns Ok (the commit succeeded).
    async fn write_batch(&self, jobs: &[Job]) -> Result<Vec<Answer>> {
        let mut w = self.begin_write().await?;
        let mut answers = Vec::with_capacity(jobs.len());
        for job in jobs {
            sqlx::query("SAVEPOINT intake").execute(&mut *w.tx).await?;
            match self.insert_petition_in(&mut w, &job.petition).await {
                Ok(done) => {
                    sqlx::query("RELEASE intake").execute(&mut *w.tx).await?;
                    answers.push(Ok(done));
                }
                Err(e) => {
                    sqlx::query("ROLLBACK TO intake").execute(&mut *w.tx).await?;
                    sqlx::query("RELEASE intake").execute(&mut *w.tx).await?;
                    answers.push(Err(e));
                }
            }
        }
        w.commit().await?;
        Ok(answers)
    }
}
