//! The urgent model in force on this node (issue 13, item 4): the model of
//! the labelled sets (`triage::urgent_model`), or, once the bureau has
//! corrected its alerts and a training has been recorded, the model
//! trained with those corrections (`xinfang_text::urgent::UrgentModel::
//! train_with`).
//!
//! A clerk who dismisses an alert as a false alarm, or raises one the
//! readers missed, gives a correction (`risk_corrections`). A training
//! (`urgent_trainings`, on the triage training's schedule or when an admin
//! asks) names the corrections up to one id. Training is deterministic,
//! so instead of shipping a model between nodes each node trains the same
//! one from the same rows: it checks the newest training's id every
//! `calendar_refresh_seconds` (one primary-key read) and, when it changed,
//! trains in the background (about a second of one core) while the model
//! before keeps answering.

use crate::state::AppState;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use xinfang_store::{RiskCorrection, Store, StoreError, UrgentTraining};
use xinfang_text::risk::RiskKind;
use xinfang_text::urgent::{Correction, UrgentModel};

/// This node's trained model with the training it was made from.
#[derive(Default)]
pub struct UrgentSlot {
    trained: RwLock<Option<(UrgentTraining, Arc<UrgentModel>)>>,
    /// A training runs on this node (a second check does not start another).
    training: AtomicBool,
}

impl UrgentSlot {
    /// The model trained with the bureau's corrections, when there is one.
    pub fn model(&self) -> Option<Arc<UrgentModel>> {
        self.trained.read().ok().and_then(|t| t.as_ref().map(|(_, m)| Arc::clone(m)))
    }

    /// The training the model in force was made from.
    pub fn training(&self) -> Option<UrgentTraining> {
        self.trained.read().ok().and_then(|t| t.as_ref().map(|(t, _)| t.clone()))
    }

    /// Train again if the newest recorded training is not the one in force.
    pub async fn refresh(&self, store: &Store) -> Result<(), StoreError> {
        let Some(newest) = store.urgent_training().await? else { return Ok(()) };
        if self.training().is_some_and(|t| t.id == newest.id) {
            return Ok(());
        }
        if self.training.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        // Cleared however this ends, a dropped request's future included:
        // a flag left set would stop this node from ever training again.
        let _turn = Turn(&self.training);
        // Another task may have trained it while this one waited for the flag.
        if self.training().is_some_and(|t| t.id >= newest.id) {
            return Ok(());
        }
        self.train(store, newest).await
    }

    async fn train(&self, store: &Store, training: UrgentTraining) -> Result<(), StoreError> {
        let corrections: Vec<Correction> = store.risk_corrections(training.corrections_upto).await?.iter().map(correction).collect();
        let model = tokio::task::spawn_blocking(move || UrgentModel::train_with(None, &corrections))
            .await
            .map_err(|e| StoreError::Corrupt(format!("training the urgent model failed: {e}")))?;
        tracing::info!(training = training.id, corrections = model.corrections(), "urgent model trained with the bureau's corrections");
        if let Ok(mut slot) = self.trained.write() {
            // A slower training of an older row never replaces a newer one.
            if slot.as_ref().is_none_or(|(t, _)| t.id < training.id) {
                *slot = Some((training, Arc::new(model)));
            }
        }
        Ok(())
    }
}

/// This node's turn to train, given back when dropped.
struct Turn<'a>(&'a AtomicBool);

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// A stored correction as the model learns it: the petition's text as the
/// readers scanned it at registration.
fn correction(c: &RiskCorrection) -> Correction {
    Correction {
        text: crate::triage::scanned_text(&c.title, &c.content, &c.request, &c.facts_and_reasons),
        urgent: c.urgent,
        kind: c.kind.as_deref().and_then(RiskKind::from_code),
    }
}

/// What `GET /api/v1/risk-model` shows.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct UrgentModelStatus {
    /// The newest training recorded (when, and how many petitions' corrections
    /// it learnt); absent before the first.
    pub trained_at: Option<String>,
    pub corrections: i64,
    /// Petitions corrected since, which the next training will learn.
    pub corrections_pending: i64,
    /// Whether this node answers with that training's model yet (a node
    /// trains it within seconds of seeing it).
    pub in_force_here: bool,
    /// Labelled texts the model in force on this node learnt from,
    /// corrections included.
    pub examples: usize,
}

pub async fn status(state: &AppState) -> Result<UrgentModelStatus, StoreError> {
    let newest = state.store.urgent_training().await?;
    let pending = state.store.untrained_corrections().await?;
    let here = state.urgent.training();
    let examples = match state.urgent.model() {
        Some(m) => m.examples(),
        None => tokio::task::spawn_blocking(|| crate::triage::urgent_model().examples())
            .await
            .map_err(|e| StoreError::Corrupt(format!("the urgent model is unavailable: {e}")))?,
    };
    Ok(UrgentModelStatus {
        in_force_here: match (&newest, &here) {
            (Some(n), Some(h)) => n.id == h.id,
            (None, _) => true,
            _ => false,
        },
        trained_at: newest.as_ref().map(|t| t.trained_at.clone()),
        corrections: newest.map_or(0, |t| t.corrections),
        corrections_pending: pending,
        examples,
    })
}

/// Record a training with every correction so far and train it on this
/// node before answering (other nodes follow within seconds). `None` when
/// this node had not trained it after 30 seconds (another task of this
/// node was training an older one): it is recorded, and in force shortly.
pub async fn train(state: &AppState, by: Option<i64>) -> Result<Option<UrgentModelStatus>, StoreError> {
    state.store.record_urgent_training(by, chrono::Utc::now()).await?;
    // Wait for a training another task of this node may have begun.
    for _ in 0..600 {
        state.urgent.refresh(&state.store).await?;
        let now = status(state).await?;
        if now.in_force_here {
            return Ok(Some(now));
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    Ok(None)
}

/// The scheduled training, beside the triage models'.
pub async fn train_job(state: &AppState) -> Result<String, StoreError> {
    Ok(match train(state, None).await? {
        Some(s) => format!("urgent model: {} petitions' corrections learnt", s.corrections),
        None => "urgent model: training recorded, still running on this node".into(),
    })
}

/// Check for a newer training now and then every `secs` seconds (0: only
/// now); the task ends with the last clone of the slot's state.
pub(crate) fn watch(slot: &Arc<UrgentSlot>, store: &Store, secs: u64) {
    let slot = Arc::downgrade(slot);
    let store = store.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(secs.max(1)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(slot) = slot.upgrade() else { break };
            if let Err(e) = slot.refresh(&store).await {
                tracing::warn!(error = %e, "urgent model check failed");
            }
            if secs == 0 {
                break;
            }
        }
    });
}
