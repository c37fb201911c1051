//! Request and response bodies of the JSON API (names from the glossary).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// The 6-digit code, for accounts with a second factor.
    #[serde(default)]
    pub totp: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// Bearer token for `Authorization: Bearer …`.
    pub token: String,
    pub expires_at: String,
    pub user: MeResponse,
}

#[derive(Serialize, ToSchema)]
pub struct MeResponse {
    pub username: String,
    pub display_name: String,
    /// clerk, handling_officer, unit_head, reviewer, supervisor, leader, admin
    pub role: String,
    pub role_label: String,
    pub unit: UnitRef,
    pub totp_enabled: bool,
}

#[derive(Serialize, Clone, Debug, Default, ToSchema)]
pub struct UnitRef {
    pub code: String,
    pub name: String,
    /// petition_bureau, department, discipline_body, court, procuratorate, police, joint_conference, party_government
    pub kind: String,
    /// province, city, county, township
    pub level: String,
}

#[derive(Deserialize, ToSchema)]
pub struct PetitionerInput {
    /// `person` (default) or `organisation`.
    #[serde(default)]
    pub kind: Option<String>,
    pub name: String,
    /// 18-character citizen identity number (GB 11643 checksum).
    #[serde(default)]
    pub id_number: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    /// A chosen representative of a collective visit (at most 5, Art. 20).
    #[serde(default)]
    pub representative: bool,
}

#[derive(Deserialize, Default, ToSchema)]
pub struct AccusedInput {
    pub name: Option<String>,
    pub unit: Option<String>,
    pub position: Option<String>,
    /// Code of the accused unit, if it is a unit of this system
    /// (`GET /api/v1/units`): its chain will never see the accusation.
    pub unit_code: Option<String>,
}

/// A multipart upload: one or more parts named `file`, each with a file name.
#[derive(ToSchema)]
pub struct AttachmentUpload {
    /// The file's bytes (the type is detected from the content).
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

#[derive(Deserialize, ToSchema)]
pub struct AttachmentInput {
    pub filename: String,
    /// File content, base64 encoded. The type is detected from the content.
    pub content_base64: String,
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PetitionInput {
    /// online, letter, visit, phone, fax, email, hotline, mailbox. A citizen
    /// without a token may use only `online` (default) or `mailbox`.
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub petitioners: Vec<PetitionerInput>,
    #[serde(default)]
    pub collective: bool,
    /// Number of people for a collective petition.
    #[serde(default)]
    pub headcount: Option<u32>,
    /// 行政区划 code of the place the matter arises (属地).
    pub jurisdiction: String,
    pub title: String,
    #[serde(default)]
    pub content: String,
    /// 诉求.
    pub request: String,
    /// 事实和理由.
    pub facts_and_reasons: String,
    /// suggestion, accusation or claim.
    pub category: String,
    #[serde(default)]
    pub litigation_related: bool,
    /// Topic code (内容分类).
    #[serde(default)]
    pub topic: Option<String>,
    #[serde(default)]
    pub accused: Option<AccusedInput>,
    #[serde(default)]
    pub anonymous: bool,
    #[serde(default)]
    pub confidential: bool,
    /// Staff only: the day the letter, call or visit was received (YYYY-MM-DD).
    #[serde(default)]
    pub received_on: Option<String>,
    /// The unit addressed (a leader's unit for `mailbox`).
    #[serde(default)]
    pub target_unit: Option<String>,
    #[serde(default)]
    pub attachments: Vec<AttachmentInput>,
    /// Files of a multipart form (portal, workbench), already streamed into
    /// the object store and checked; never read from JSON.
    #[serde(skip)]
    pub staged: Vec<xinfang_store::NewAttachment>,
    /// Staff only: the petitioner brings new facts and reasons, so a match
    /// with an earlier petition is not a repeat; the reason is recorded.
    #[serde(default)]
    pub new_facts_reason: Option<String>,
    /// Staff only: the clerk's 初件 / 重件 finding, made while registering
    /// (the same as `PUT /api/v1/petitions/{number}/repeat` afterwards). It
    /// is checked before anything is written: a bad one registers nothing.
    #[serde(default)]
    pub repeat: Option<crate::api::repeats::RepeatInput>,
}

#[derive(Serialize, ToSchema)]
pub struct SubmitResponse {
    /// Petition number, e.g. XF-440304-20261122-000001.
    pub number: String,
    /// Shown once: the petitioner tracks the petition with it.
    pub query_code: String,
    pub state: String,
    pub received_on: String,
    pub receiving_unit: UnitRef,
    /// Earlier petition of the same matter, if this is a repeat (重复信访).
    pub repeat_of: Option<String>,
    /// Set when the submission was registered but refused (Art. 19 para 3:
    /// 不予受理; Art. 36: 不再受理); `state` is then `declined` or
    /// `not_reaccepted` and the written notice states the ground.
    pub refused: Option<crate::intake::Refusal>,
    pub deadlines: Vec<DeadlineView>,
    /// The finding of `repeat`, recorded with the registration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat_finding: Option<crate::api::repeats::RepeatFinding>,
    /// Registered, but the finding could not be recorded (the petition was
    /// refused at intake and is closed, or it changed meanwhile): why, in
    /// Chinese. The finding can be made on the petition afterwards.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat_error: Option<String>,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct DeadlineView {
    /// T1 … T10 (regulation.md §2.3).
    pub kind: String,
    pub label: String,
    pub started_on: String,
    pub length: u32,
    /// calendar or working
    pub day_unit: String,
    /// The counting policy that produced the due date.
    pub policy: String,
    pub extension_days: u32,
    pub pauses: Vec<PauseView>,
    /// Last day of the period (Beijing date).
    pub due_on: String,
    /// End of the last day, Beijing time.
    pub due_at: String,
    pub met_at: Option<String>,
    /// True when the calendar does not cover every day the count used.
    pub provisional: bool,
    pub overdue: bool,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct PauseView {
    pub from: String,
    pub to: String,
    pub days: u32,
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct PetitionerView {
    pub kind: String,
    pub name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub representative: bool,
    /// True when identity number, phone and address are masked.
    pub masked: bool,
}

#[derive(Deserialize, ToSchema)]
pub struct UnmaskInput {
    /// Why the unmasked data is needed (recorded in the access log).
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct UnmaskResponse {
    pub petitioners: Vec<PetitionerView>,
    /// Sequence number of the access-log entry that records this read.
    pub access_log_seq: i64,
}

#[derive(Serialize, ToSchema)]
pub struct AccessLogEntry {
    pub seq: i64,
    pub username: Option<String>,
    pub unit: Option<String>,
    pub at: String,
    pub petition_number: String,
    pub fields: String,
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct EventView {
    pub seq: i64,
    pub action: String,
    pub actor_kind: String,
    pub actor_username: Option<String>,
    pub actor_unit: Option<String>,
    pub occurred_at: String,
    pub recorded_at: String,
    pub from_state: Option<String>,
    pub to_state: String,
    #[schema(value_type = Object)]
    pub payload: Value,
    /// The reason the actor gave, where the act has one.
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct NoticeView {
    pub created_at: String,
    pub body: String,
}

#[derive(Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
}

#[derive(Serialize, ToSchema)]
pub struct PetitionDetail {
    pub number: String,
    /// What the caller may see: `full`, `identity_hidden` (the petitioner
    /// asked for confidentiality) or `sealed` (accusation material).
    pub view: String,
    pub state: String,
    pub state_label: String,
    pub channel: String,
    pub category: String,
    pub litigation_related: bool,
    pub topic: Option<String>,
    pub jurisdiction: String,
    pub title: String,
    pub content: String,
    pub request: String,
    pub facts_and_reasons: String,
    pub collective: bool,
    pub headcount: i64,
    pub anonymous: bool,
    pub confidential: bool,
    #[schema(value_type = Object)]
    pub accused: Option<Value>,
    pub petitioners: Vec<PetitionerView>,
    pub received_on: String,
    pub registered_at: String,
    pub updated_at: String,
    pub registered_unit: Option<UnitRef>,
    pub current_unit: Option<UnitRef>,
    pub handling_unit: Option<UnitRef>,
    pub review_unit: Option<UnitRef>,
    pub final_review_unit: Option<UnitRef>,
    /// Art. 31 route (1–6) for claims.
    pub claim_route: Option<u8>,
    pub extended: bool,
    pub supervised: bool,
    pub urgent_reported: bool,
    /// Closed after 复核: the same facts and reasons are not accepted again.
    pub terminated: bool,
    pub repeat_of: Option<String>,
    /// Staff's 初件 / 重件 finding (`first` or `repeat`), once recorded
    /// (`PUT /api/v1/petitions/{number}/repeat`).
    pub repeat_verdict: Option<String>,
    /// Risk alerts raised at registration (issue 13), dismissed ones with
    /// their reason; shown only with the full view.
    pub risk_alerts: Vec<crate::api::risk::RiskAlert>,
    /// The screened dispute (矛盾纠纷排查台账) this petition was turned
    /// from, if any (issue 14).
    pub dispute: Option<DisputeRef>,
    /// In the wage-arrears green channel (issue 14): flagged or confirmed.
    pub green_channel: bool,
    /// The lane's record: claimed, first contact due, recovered.
    pub green: Option<crate::api::green_channel::GreenView>,
    /// 受理 date: T6 and the simplified procedure count from it.
    pub accepted_on: Option<String>,
    /// Handled under the simplified procedure (简易办理).
    pub simplified: bool,
    /// Outcome of the current document (`upheld`, `uphold`…) and its label.
    pub outcome: Option<String>,
    pub outcome_label: Option<String>,
    /// For a suggestion's reply: `adopted`, `partly_adopted` or `not_adopted`.
    pub adoption: Option<String>,
    /// Ground of a 不予受理 / 不再受理 (`already_in_process`…).
    pub decline_ground: Option<String>,
    /// The written documents issued so far, from the history.
    pub documents: Vec<DocumentView>,
    /// The letters issued as PDF (full view only).
    pub letters: Vec<crate::api::letters::LetterView>,
    /// Requests waiting for (or decided by) the unit head.
    pub approvals: Vec<ApprovalView>,
    /// What the caller may do now, with each action's fields.
    pub available_actions: Vec<ActionView>,
    pub deadlines: Vec<DeadlineView>,
    pub history: Vec<EventView>,
    pub notices: Vec<NoticeView>,
    pub attachments: Vec<AttachmentView>,
}

/// A dispute of the screening ledger: `GET /api/v1/disputes/{id}`.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct DisputeRef {
    pub id: i64,
    pub number: String,
}

#[derive(Serialize, ToSchema)]
pub struct PetitionListItem {
    pub number: String,
    /// A 重件: the number of the first petition it is linked to, for a
    /// reader who sees both in full (as `repeat_of` on the petition's page).
    pub repeat_of: Option<String>,
    pub title: String,
    pub state: String,
    pub state_label: String,
    pub category: String,
    pub channel: String,
    pub topic: Option<String>,
    pub jurisdiction: String,
    pub current_unit: Option<UnitRef>,
    pub registered_at: String,
    pub received_on: String,
    /// Earliest open duty deadline (petitioner windows excluded).
    pub next_due_on: Option<String>,
    /// The timer behind `next_due_on` (e.g. `T3`) and its Chinese label.
    pub next_due_kind: Option<String>,
    pub next_due_label: Option<String>,
    pub overdue: bool,
    /// First petitioner, masked (`王*`), or `[保密]`.
    pub petitioner_name: Option<String>,
    /// Masked identity number (`4403**********1234`), if any and visible.
    pub petitioner_id_number: Option<String>,
    /// Masked phone (`138****8000`), if any and visible.
    pub petitioner_phone: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PetitionPage {
    pub items: Vec<PetitionListItem>,
    /// Matching rows, counted exactly up to 10,000; beyond that `total` is
    /// 10,000 and `total_capped` is true ("more than 10,000").
    pub total: i64,
    pub total_capped: bool,
    pub page: i64,
    pub per_page: i64,
    /// Pass as `cursor` for the next page (keyset pagination: constant cost
    /// however deep); none on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ActionResponse {
    pub number: String,
    pub action: String,
    pub state: String,
    pub state_label: String,
    pub event_seq: i64,
    pub notice: Option<String>,
    pub deadlines: Vec<DeadlineView>,
    /// `reissue_query_code` only: the new query code, given this once (the
    /// record keeps its keyed hash; an `Idempotency-Key` resend's stored
    /// answer holds it encrypted for 24 hours); the old one no longer works.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_code: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TrackView {
    pub number: String,
    pub title: String,
    pub state: String,
    pub state_label: String,
    pub registered_at: String,
    pub current_unit: Option<String>,
    pub handling_unit: Option<String>,
    /// The 复查 body, once a review was requested (Art. 35).
    pub review_unit: Option<String>,
    /// The 复核 body, once a final review was requested (Art. 35).
    pub final_review_unit: Option<String>,
    pub progress: Vec<ProgressStep>,
    /// The petitioner's own evaluations (Art. 21), oldest first: one per
    /// document evaluated.
    pub evaluations: Vec<EvaluationView>,
    pub notices: Vec<NoticeView>,
    pub deadlines: Vec<DeadlineView>,
    /// Whether the petitioner may evaluate now.
    pub can_evaluate: bool,
    /// An open 复查 or 复核 window, if any.
    pub review_window: Option<ReviewWindow>,
    /// What the petitioner submitted.
    pub submitted: SubmittedView,
    /// The written documents issued to the petitioner, with their content
    /// (decision letter: request, facts and reasons, decision, legal basis,
    /// outcome; a suggestion's reply and whether it was adopted; the
    /// extension and its reason; review opinions), oldest first.
    pub documents: Vec<TrackDocument>,
    /// The letters addressed to the petitioner as PDF (受理告知书,
    /// 信访处理意见书, …): `url` plus `?code=` downloads one.
    pub letters: Vec<crate::api::letters::LetterView>,
}

#[derive(Serialize, ToSchema)]
pub struct SubmittedView {
    pub category: String,
    pub category_label: String,
    pub channel_label: String,
    pub jurisdiction: String,
    /// The place in words, e.g. 广东省深圳市福田区华强北街道.
    pub jurisdiction_name: String,
    pub received_on: String,
    pub request: String,
    pub facts_and_reasons: String,
}

#[derive(Serialize, ToSchema)]
pub struct TrackDocument {
    /// e.g. 信访处理意见书.
    pub name: String,
    pub action: String,
    pub issued_at: String,
    /// The document's parts in order: (label, text).
    pub items: Vec<TrackItem>,
}

#[derive(Serialize, ToSchema)]
pub struct TrackItem {
    pub label: String,
    pub text: String,
}

/// An evaluation the petitioner gave.
#[derive(Serialize, ToSchema)]
pub struct EvaluationView {
    pub evaluated_at: String,
    /// The document evaluated: `decision_letter`, `reply`, `review_opinion`
    /// or `final_review_opinion`, with its name in Chinese.
    pub document: Option<String>,
    pub document_label: Option<String>,
    /// `satisfied`, `basically_satisfied` or `dissatisfied`.
    pub rating: String,
    pub rating_label: String,
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ProgressStep {
    pub occurred_at: String,
    pub action: String,
    pub label: String,
    pub state: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReviewWindow {
    /// `review` (复查) or `final_review` (复核).
    pub kind: String,
    pub due_on: String,
    pub days_left: i64,
    /// Where the request may go (Art. 35, 36: the government at the
    /// deciding unit's level or its line superior); the first is the default.
    pub units: Vec<UnitRef>,
}

#[derive(Deserialize, ToSchema)]
pub struct EvaluationInput {
    /// The query code (may also be given as `?code=`).
    #[serde(default)]
    pub code: Option<String>,
    /// satisfied, basically_satisfied, dissatisfied
    #[serde(default)]
    pub rating: String,
    #[serde(default)]
    pub reason: String,
}

#[derive(Deserialize, ToSchema)]
pub struct ReviewRequestInput {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub reason: String,
    /// The reviewing unit chosen (Art. 35: the handling unit's government or
    /// its line superior); the default shown on the tracking page otherwise.
    #[serde(default)]
    pub unit: Option<String>,
    /// A late request's good reason; the reviewing unit's head decides it.
    #[serde(default)]
    pub good_reason: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct ApiKeyInput {
    pub label: String,
    /// Unit code the key acts for.
    pub unit: String,
    /// `hotline` (12345 hand-over) or `online`.
    pub channel: String,
}

#[derive(Serialize, ToSchema)]
pub struct ApiKeyResponse {
    pub id: i64,
    /// Shown once.
    pub api_key: String,
}

#[derive(Deserialize, ToSchema)]
pub struct CalendarDayInput {
    /// holiday or workday
    pub kind: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct CalendarView {
    pub year: i32,
    pub covered: bool,
    pub days: Vec<CalendarDayView>,
}

#[derive(Serialize, ToSchema)]
pub struct CalendarDayView {
    pub date: String,
    pub kind: String,
    pub name: String,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct DocumentView {
    /// e.g. 信访处理意见书.
    pub name: String,
    pub action: String,
    pub event_seq: i64,
    pub issued_at: String,
    pub outcome: Option<String>,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct ActionFieldView {
    pub name: String,
    pub label: String,
    /// text, long_text, date, days, bool, unit, units, choice, route, topic (a code from `GET /api/v1/topics`).
    pub kind: String,
    pub required: bool,
    /// For choices: the codes and labels.
    pub options: Vec<(String, String)>,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct ActionView {
    pub name: String,
    pub label: String,
    /// The article it carries out, e.g. `art34`, and its citation.
    pub rule: String,
    pub citation: String,
    /// The article's page (`/law/34`), where the rule is law.
    pub law_link: Option<String>,
    /// True when the caller's act becomes a request for the unit head.
    pub needs_approval: bool,
    pub fields: Vec<ActionFieldView>,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct ApprovalView {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub action: String,
    pub action_label: String,
    #[schema(value_type = Object)]
    pub body: Value,
    /// The earlier date a late entry (补录) asks to be recorded on.
    pub occurred_on: Option<String>,
    pub evidence_attachment_id: Option<i64>,
    /// Username of the requester, or none when the petitioner asked.
    pub requested_by: Option<String>,
    pub requested_at: String,
    /// The approval is due by this day (the act's own limit where it has one).
    pub due_on: String,
    pub overdue: bool,
    /// pending, approved, refused, lapsed.
    pub status: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub decision_note: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ApprovalRequested {
    pub number: String,
    pub action: String,
    pub approval_id: i64,
    pub approver_unit: Option<UnitRef>,
    pub due_on: String,
    pub message: String,
}

#[derive(Deserialize, ToSchema)]
pub struct ApprovalDecision {
    /// Why (required when refusing).
    #[serde(default)]
    pub note: String,
}
