//! Persistence for xinfang on SQLite (embedded default) and PostgreSQL.
//!
//! One schema, written once with a handful of dialect substitutions
//! (`schema.rs`), and one set of queries using only what both engines share
//! (through sqlx's `Any` driver). Integers are BIGINT, booleans 0/1,
//! instants RFC 3339 UTC text, dates `YYYY-MM-DD` text: every value sorts
//! and compares the same way on both engines.

mod aggregates;
mod anchor;
mod appointments;
mod approvals;
mod audit;
mod backup;
mod bulk;
mod campaigns;
mod contacts;
mod dashboard;
mod db;
mod dispatch;
mod disputes;
mod documents;
mod duty;
mod fulltext;
mod green_channel;
mod group_commit;
mod heads;
mod hotspots;
mod leadership;
mod learning;
mod limits;
mod nodes;
mod objects;
mod petition_reads;
mod petitions;
mod private_file;
mod queue;
mod ranking;
mod rate_file;
mod read_session;
mod reference;
mod replica;
mod request_keys;
mod risk;
mod schema;
mod screen;
pub use rate_file::rate_file_url;
pub use schema::{LATEST_MIGRATION, UNNAMED_ACCUSATION_VIEWERS};
mod searches;
mod spotcheck;
mod statistics;
mod supervision;
mod timers;
mod triage;
mod units;
mod urgent;
mod users;
mod viewers;

pub use aggregates::{AggregateCount, AggregateQuery, AggregateRows, AggregateStatus};
pub use anchor::{Checkpoint, Verification};
pub use appointments::{AppointmentRow, Booking, CheckInRefused, NewAppointment, NewTicket, SlotRow, TicketRow, reminder_key};
pub use approvals::*;
pub use audit::*;
pub use backup::restore;
pub use bulk::{BulkAct, BulkPetition, BulkRows, BulkStart, BulkUnits, Val};
pub use campaigns::{CampaignItemRow, CampaignRow, NewCampaign};
pub use contacts::{DueTimer, StaffContact};
pub use dashboard::Counts;
pub use db::{Dialect, PoolSettings, Store, StoreError, WriteTx, fmt_instant, parse_instant};
pub use dispatch::{NewOrder, OrderRow, PlacePetitions, VillageDisputes};
pub use disputes::{DisputeChange, DisputeFilter, DisputeRecordRow, DisputeRow, NewDispute, NothingFound};
pub use documents::{DocumentRow, RENDER_DOCUMENT, doc_number};
pub use duty::{DutyRow, LawyerRow, LawyerVisitRow, OutreachRow};
pub use fulltext::{COMMON_MATCHES, FullText, IndexSource, IndexText, clean_tokens};
pub use green_channel::{GreenFilter, GreenRow, NewGreenChannel};
pub use heads::{HeadEntry, HeadList};
pub use hotspots::DayCount;
pub use leadership::{EscalationRow, LeadRow, Leadership, LedCase, TrackRow};
pub use learning::{AttemptRow, ExamRow, MarkedAnswer, NewExam, RegulationArticle};
pub use limits::DailyBudget;
pub use nodes::{OpenTimers, SetupLock};
pub use petition_reads::{PetitionReads, Related};
pub use petitions::*;
pub use queue::*;
pub use ranking::*;
pub use reference::*;
pub use replica::{REPLICA_ACQUIRE_TIMEOUT, REPLICA_PROBE_INTERVAL, Reader, ReplicaCounts, ReplicaStatus};
pub use request_keys::Claim;
pub use risk::{NewRiskAlert, RaisedAlert, RiskAlertRow, RiskCorrection, UrgentTraining};
pub use screen::{Screen, Screened};
pub use spotcheck::{Handled, SpotCheckRow, SpotItemRow};
pub use statistics::{FactsFilter, PetitionFacts};
pub use supervision::*;
pub use triage::{NewTriageModel, RulesRecord, TrainingExample, TrainingLabels, TriageModelRow};
pub use units::*;
pub use urgent::*;
pub use users::*;
pub use viewers::NO_DUE;
