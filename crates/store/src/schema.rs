//! The schema, written once. `{id}` and `{blob}` are the only words that
//! differ between SQLite and PostgreSQL; everything else is common SQL.
//! Migrations are append-only: add a new entry, never edit an applied one.

use crate::db::{Dialect, Result, Store, WriteTx, fmt_instant};
use sqlx::AssertSqlSafe;

const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        r#"
CREATE TABLE divisions (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    parent_code TEXT,
    level BIGINT NOT NULL
);
CREATE INDEX divisions_parent ON divisions (parent_code);

CREATE TABLE units (
    id {id},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    level TEXT NOT NULL,
    parent_id BIGINT REFERENCES units (id),
    jurisdiction TEXT NOT NULL,
    path TEXT NOT NULL
);
CREATE INDEX units_parent ON units (parent_id);

CREATE TABLE users (
    id {id},
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES units (id),
    active BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until TEXT,
    -- TOTP secret, encrypted like personal data; enabled once confirmed.
    totp_secret TEXT,
    totp_enabled BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX users_unit ON users (unit_id);

CREATE TABLE auth_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX auth_tokens_user ON auth_tokens (user_id);

CREATE TABLE api_keys (
    id {id},
    key_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES units (id),
    channel TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE topics (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    parent_code TEXT,
    sort BIGINT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE calendar_years (
    year BIGINT PRIMARY KEY,
    source TEXT NOT NULL,
    imported_at TEXT NOT NULL
);
CREATE TABLE calendar_days (
    day TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL
);

CREATE TABLE number_sequences (
    prefix TEXT PRIMARY KEY,
    last BIGINT NOT NULL
);

CREATE TABLE petitions (
    id {id},
    number TEXT NOT NULL UNIQUE,
    query_code_hash TEXT NOT NULL,
    channel TEXT NOT NULL,
    category TEXT NOT NULL,
    litigation_related BIGINT NOT NULL,
    topic TEXT,
    jurisdiction TEXT NOT NULL,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    request TEXT NOT NULL,
    facts_and_reasons TEXT NOT NULL,
    collective BIGINT NOT NULL,
    headcount BIGINT NOT NULL,
    anonymous BIGINT NOT NULL,
    confidential BIGINT NOT NULL,
    accused_name TEXT,
    accused_unit TEXT,
    accused_position TEXT,
    state TEXT NOT NULL,
    registered_unit_id BIGINT NOT NULL REFERENCES units (id),
    current_unit_id BIGINT NOT NULL REFERENCES units (id),
    handling_unit_id BIGINT REFERENCES units (id),
    received_on TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    identity_key TEXT,
    -- Tree path of the accused unit of an accusation: its chain never sees it.
    accused_unit_path TEXT,
    -- Head of this petition's event hash chain (SM3).
    event_seq BIGINT NOT NULL DEFAULT 0,
    event_head_hash TEXT NOT NULL,
    -- Earliest open duty deadline, kept with every write (inbox order, overdue).
    next_due_on TEXT,
    next_due_kind TEXT,
    repeat_of TEXT,
    source_key_id BIGINT REFERENCES api_keys (id),
    case_json TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX petitions_state ON petitions (state);
CREATE INDEX petitions_current_unit ON petitions (current_unit_id);
CREATE INDEX petitions_registered_at ON petitions (registered_at);
CREATE INDEX petitions_identity ON petitions (identity_key);
CREATE INDEX petitions_jurisdiction ON petitions (jurisdiction);
CREATE INDEX petitions_next_due ON petitions (next_due_on);

-- Identity numbers, phones and addresses are ciphertexts (v1:alg:key:…);
-- the *_hash columns are keyed hashes for search and repeat matching.
CREATE TABLE petitioners (
    id {id},
    petition_id BIGINT NOT NULL REFERENCES petitions (id),
    position BIGINT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    id_number TEXT,
    phone TEXT,
    address TEXT,
    id_hash TEXT,
    phone_hash TEXT,
    representative BIGINT NOT NULL
);
CREATE INDEX petitioners_petition ON petitioners (petition_id);
CREATE INDEX petitioners_id_hash ON petitioners (id_hash);
CREATE INDEX petitioners_phone_hash ON petitioners (phone_hash);

-- Every unit that has touched a petition, with its tree path: the index
-- behind "a unit sees its own petitions and those of units below it".
CREATE TABLE petition_units (
    petition_id BIGINT NOT NULL REFERENCES petitions (id),
    unit_id BIGINT NOT NULL REFERENCES units (id),
    unit_path TEXT NOT NULL,
    PRIMARY KEY (petition_id, unit_id)
);
CREATE INDEX petition_units_path ON petition_units (unit_path);

CREATE TABLE deadlines (
    petition_id BIGINT NOT NULL REFERENCES petitions (id),
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    start_event_seq BIGINT NOT NULL,
    started_on TEXT NOT NULL,
    length BIGINT NOT NULL,
    day_unit TEXT NOT NULL,
    pauses TEXT NOT NULL,
    extension_days BIGINT NOT NULL,
    policy TEXT NOT NULL,
    due_on TEXT NOT NULL,
    provisional BIGINT NOT NULL,
    met_at TEXT,
    PRIMARY KEY (petition_id, seq)
);
CREATE INDEX deadlines_open_due ON deadlines (due_on) WHERE met_at IS NULL;

-- The record. Rows are only ever inserted.
CREATE TABLE events (
    id {id},
    petition_id BIGINT NOT NULL REFERENCES petitions (id),
    seq BIGINT NOT NULL,
    action TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_user_id BIGINT REFERENCES users (id),
    actor_unit_id BIGINT REFERENCES units (id),
    occurred_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    payload TEXT NOT NULL,
    reason TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (petition_id, seq)
);

-- Every read of unmasked personal data, hash-chained like the events.
CREATE TABLE access_log (
    id {id},
    seq BIGINT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    unit_id BIGINT NOT NULL REFERENCES units (id),
    at TEXT NOT NULL,
    petition_id BIGINT NOT NULL REFERENCES petitions (id),
    fields TEXT NOT NULL,
    reason TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX access_log_petition ON access_log (petition_id);
CREATE INDEX access_log_user ON access_log (user_id);

-- Heads of global chains; updating the row serialises appends.
CREATE TABLE chain_heads (
    name TEXT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);

CREATE TABLE notices (
    id {id},
    petition_id BIGINT NOT NULL REFERENCES petitions (id),
    event_seq BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX notices_petition ON notices (petition_id);

CREATE TABLE attachments (
    id {id},
    petition_id BIGINT NOT NULL REFERENCES petitions (id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content {blob} NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX attachments_petition ON attachments (petition_id);

CREATE TABLE evaluations (
    id {id},
    petition_id BIGINT NOT NULL REFERENCES petitions (id),
    document TEXT NOT NULL,
    rating TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX evaluations_petition ON evaluations (petition_id);
"#,
    ),
    (
        2,
        r#"
-- The territorial government of a unit (块块), beside its line superior
-- parent_id (条条). The materialised path stays line-only.
ALTER TABLE units ADD COLUMN gov_id BIGINT REFERENCES units (id);
CREATE INDEX units_gov ON units (gov_id);
"#,
    ),
    (
        3,
        r#"
-- Bumped in the same transaction as every calendar write, so that each
-- node notices a change made by another one with one cheap read.
CREATE TABLE calendar_version (
    id BIGINT PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO calendar_version (id, version) VALUES (1, 0);

-- Art. 25 reports, one row per recipient unit, written with the
-- report_urgent event (event_seq) in one transaction.
CREATE TABLE urgent_reports (
    id {id},
    petition_id BIGINT NOT NULL REFERENCES petitions (id),
    event_seq BIGINT NOT NULL,
    reporting_unit_id BIGINT NOT NULL REFERENCES units (id),
    recipient_unit_id BIGINT NOT NULL REFERENCES units (id),
    summary TEXT NOT NULL,
    reported_at TEXT NOT NULL,
    ack_due_at TEXT NOT NULL,
    acknowledged_at TEXT,
    acknowledged_by BIGINT REFERENCES users (id)
);
CREATE INDEX urgent_reports_recipient ON urgent_reports (recipient_unit_id, reported_at);
CREATE INDEX urgent_reports_pending ON urgent_reports (recipient_unit_id, ack_due_at) WHERE acknowledged_at IS NULL;
CREATE INDEX urgent_reports_petition ON urgent_reports (petition_id);
"#,
    ),
    (
        4,
        r#"
-- Acts that wait for the unit head's approval in the head's own session
-- (four eyes: extensions, late 复查/复核 requests, re-acceptance under
-- Art. 36, late entries with paper evidence).
CREATE TABLE approvals (
    id {id},
    petition_id BIGINT NOT NULL REFERENCES petitions (id),
    action TEXT NOT NULL,
    body_json TEXT NOT NULL,
    occurred_on TEXT,
    evidence_attachment_id BIGINT,
    requested_by BIGINT REFERENCES users (id),
    requested_by_petitioner BIGINT NOT NULL DEFAULT 0,
    requested_unit_id BIGINT REFERENCES units (id),
    approver_unit_id BIGINT NOT NULL REFERENCES units (id),
    requested_at TEXT NOT NULL,
    due_on TEXT NOT NULL,
    status TEXT NOT NULL,
    decided_by BIGINT REFERENCES users (id),
    decided_at TEXT,
    decision_note TEXT
);
CREATE INDEX approvals_pending ON approvals (approver_unit_id, status, due_on);
CREATE INDEX approvals_petition ON approvals (petition_id);

-- Every key a petitioner can be recognised by (identity number; name and
-- phone), so that Art. 19 para 3 and Art. 36 hold whichever a channel gives.
CREATE TABLE petition_identities (
    petition_id BIGINT NOT NULL REFERENCES petitions (id),
    identity_key TEXT NOT NULL
);
CREATE INDEX petition_identities_key ON petition_identities (identity_key);
INSERT INTO petition_identities (petition_id, identity_key) SELECT id, identity_key FROM petitions WHERE identity_key IS NOT NULL;
"#,
    ),
    (
        5,
        r#"
-- Issue 8, second factors that hold. A TOTP code is accepted once: the
-- last accepted time step is kept per user in the database, so a replay is
-- refused on every node. A new secret waits in totp_pending until it is
-- confirmed, so that re-enrolling never switches the second factor off.
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
ALTER TABLE users ADD COLUMN totp_pending TEXT;
UPDATE users SET totp_pending = totp_secret, totp_secret = NULL WHERE totp_enabled = 0 AND totp_secret IS NOT NULL;

-- Issue 8, limits on every door: anonymous submissions per client address
-- and day (China time), counted in the database so that every node shares
-- the budget; rows of past days are deleted as new ones come.
CREATE TABLE submission_budget (
    day TEXT NOT NULL,
    address TEXT NOT NULL,
    submissions BIGINT NOT NULL,
    bytes BIGINT NOT NULL,
    PRIMARY KEY (day, address)
);
"#,
    ),
    (
        6,
        r#"
-- The record each event rests on: a digest of the petition as it stands
-- after the event (title, request, facts and reasons, category, state,
-- petitioners, attachments), bound into the event's SM3 hash.
ALTER TABLE events ADD COLUMN record_digest TEXT;
-- HMAC-SM3 anchors, keyed from the key file (not in the database): each
-- event, each access-log entry, each chain head and each attachment row.
ALTER TABLE events ADD COLUMN mac TEXT;
ALTER TABLE petitions ADD COLUMN event_head_mac TEXT;
ALTER TABLE access_log ADD COLUMN mac TEXT;
ALTER TABLE chain_heads ADD COLUMN mac TEXT;
ALTER TABLE attachments ADD COLUMN mac TEXT;

-- Signed checkpoints of every head (also written to a file beside the
-- database); the newest few are kept.
CREATE TABLE checkpoints (
    seq BIGINT PRIMARY KEY,
    taken_at TEXT NOT NULL,
    body TEXT NOT NULL,
    mac TEXT NOT NULL
);

-- One row rewritten by the readiness probe: a real write.
CREATE TABLE heartbeat (
    id BIGINT PRIMARY KEY,
    beat BIGINT NOT NULL,
    at TEXT NOT NULL
);
INSERT INTO heartbeat (id, beat, at) VALUES (1, 0, '');
"#,
    ),
    (
        7,
        r#"
-- Searches by identity number or phone (keyed hashes only): each one is
-- recorded, so that a per-user limit holds across nodes and an auditor can
-- see who searched for people.
CREATE TABLE identity_searches (
    id {id},
    user_id BIGINT NOT NULL REFERENCES users (id),
    unit_id BIGINT NOT NULL REFERENCES units (id),
    at TEXT NOT NULL,
    field TEXT NOT NULL,
    matched BIGINT NOT NULL
);
CREATE INDEX identity_searches_user_at ON identity_searches (user_id, at);
"#,
    ),
    (
        8,
        r#"
-- Several nodes on one database (issue 9). The unit tree's version is
-- bumped in the same transaction as every unit write, like the
-- calendar's, so each node reloads its copy after one cheap read.
CREATE TABLE units_version (
    id BIGINT PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO units_version (id, version) VALUES (1, 0);

-- Per-minute rate-limit counters shared by all nodes: fixed one-minute
-- windows, one upsert per counted request; old minutes are purged by a job.
CREATE TABLE rate_counters (
    bucket TEXT NOT NULL,
    client TEXT NOT NULL,
    minute BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    PRIMARY KEY (bucket, client, minute)
);
CREATE INDEX rate_counters_minute ON rate_counters (minute);

-- Periodic work runs once across nodes: a job runs on the node that holds
-- its lease, taken with one conditional upsert.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

-- Every run of a leased job (the test of "once per interval" counts them;
-- operators see when each job last ran and where).
CREATE TABLE job_runs (
    id {id},
    name TEXT NOT NULL,
    holder TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ok BIGINT NOT NULL
);
CREATE INDEX job_runs_name ON job_runs (name, started_at);
"#,
    ),
    (
        9,
        r#"
-- Attachment content in the object store under its SHA-256 (issue 9):
-- rows written since keep an empty BLOB and in_objects = 1; older rows keep
-- their BLOB until `xinfang migrate-attachments` moves it.
ALTER TABLE attachments ADD COLUMN in_objects BIGINT NOT NULL DEFAULT 0;
"#,
    ),
    (
        10,
        r#"
-- Who may see a petition through the unit tree, one row per viewing unit,
-- with the sort keys of the lists: an inbox page is an index range
-- (unit_id, key, petition_id), whatever the size of the table (issue 9).
CREATE TABLE petition_viewers (
    unit_id BIGINT NOT NULL,
    petition_id BIGINT NOT NULL REFERENCES petitions (id),
    registered_at TEXT NOT NULL,
    due_key TEXT NOT NULL,
    PRIMARY KEY (unit_id, petition_id)
);
CREATE INDEX petition_viewers_registered ON petition_viewers (unit_id, registered_at, petition_id);
CREATE INDEX petition_viewers_due ON petition_viewers (unit_id, due_key, petition_id);
CREATE INDEX petition_viewers_petition ON petition_viewers (petition_id);
"#,
    ),
    (
        11,
        r#"
-- One waiting request per act and petition: a double click, a second node
-- or a petitioner asking again finds the request already filed.
CREATE UNIQUE INDEX approvals_one_pending ON approvals (petition_id, action) WHERE status = 'pending';
"#,
    ),
    (
        14,
        r#"
-- Every write finds the petition bureaus (and discipline bodies) of the
-- petition's area by the prefixes of its jurisdiction code: an index
-- lookup instead of a scan of a province's 6,800 units per act.
CREATE INDEX units_jurisdiction_kind ON units (jurisdiction, kind);
"#,
    ),
    (
        16,
        r#"
-- The list filters a bureau uses most (state, category, topic) carried in
-- the viewer rows beside the sort keys, each with its index led by the
-- viewing unit: a filtered page and its capped count are index ranges that
-- never touch the petitions table (at 1,000,000 petitions the province
-- bureau's "state = handling" walked the whole viewer range through a join).
-- The category and topic indexes carry the state last, so that "topic X,
-- closed" is answered from the index alone, in order. A unit's inbox (the
-- petitions now with it) has two partial indexes of one row per petition:
-- the province bureau's inbox page walked its 1,000,000-row due-date range
-- to find the few hundred petitions with it.
-- The table is rebuilt clustered on its key (SQLite: WITHOUT ROWID), which
-- saves one b-tree per row written.
CREATE TABLE petition_viewers_next (
    unit_id BIGINT NOT NULL,
    petition_id BIGINT NOT NULL REFERENCES petitions (id),
    registered_at TEXT NOT NULL,
    due_key TEXT NOT NULL,
    state TEXT NOT NULL,
    category TEXT NOT NULL,
    topic TEXT,
    is_current_unit BIGINT NOT NULL,
    PRIMARY KEY (unit_id, petition_id)
){without_rowid};
INSERT INTO petition_viewers_next (unit_id, petition_id, registered_at, due_key, state, category, topic, is_current_unit)
    SELECT v.unit_id, v.petition_id, v.registered_at, v.due_key, p.state, p.category, p.topic,
           CASE WHEN p.current_unit_id = v.unit_id THEN 1 ELSE 0 END
    FROM petition_viewers v JOIN petitions p ON p.id = v.petition_id ORDER BY v.unit_id, v.petition_id;
DROP TABLE petition_viewers;
ALTER TABLE petition_viewers_next RENAME TO petition_viewers;
CREATE INDEX petition_viewers_registered ON petition_viewers (unit_id, registered_at, petition_id);
CREATE INDEX petition_viewers_due ON petition_viewers (unit_id, due_key, petition_id);
CREATE INDEX petition_viewers_petition ON petition_viewers (petition_id);
CREATE INDEX petition_viewers_state ON petition_viewers (unit_id, state, registered_at, petition_id);
CREATE INDEX petition_viewers_category ON petition_viewers (unit_id, category, registered_at, petition_id, state);
CREATE INDEX petition_viewers_topic ON petition_viewers (unit_id, topic, registered_at, petition_id, state);
CREATE INDEX petition_viewers_inbox_due ON petition_viewers (unit_id, due_key, petition_id) WHERE is_current_unit = 1;
CREATE INDEX petition_viewers_inbox_registered ON petition_viewers (unit_id, registered_at, petition_id) WHERE is_current_unit = 1;
"#,
    ),
    (
        20,
        r#"
-- One answer per submission (issue 10): the API's Idempotency-Key and the
-- portal's one-time form token. A request claims (scope, key) with the
-- fingerprint of its body before it acts; the answer is stored encrypted
-- (it holds the query code) when it is done, so a resend on any node gets
-- the same answer and creates nothing. Keys are keyed hashes; rows expire
-- and the purge job deletes them.
CREATE TABLE request_keys (
    scope TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status BIGINT,
    response TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (scope, key_hash)
);
CREATE INDEX request_keys_expires ON request_keys (expires_at);
"#,
    ),
    (
        1010,
        r#"
-- Issue 10 (workbench): inbox views saved per account on the server, and
-- the petitioner's name searchable from the inbox by an index.
CREATE TABLE saved_views (
    id {id},
    user_id BIGINT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX saved_views_user ON saved_views (user_id);
CREATE INDEX petitioners_name ON petitioners (name);
"#,
    ),
    (
        1100,
        r#"
-- Issue 11: the job runtime, generated letters, message templates, and
-- how staff are reached.
--
-- One row per unit of background work: a notice to deliver, a letter to
-- render, one firing of a periodic job. Written in the same transaction as
-- the change that owes it; `job_key` makes a second enqueue of the same
-- work (a resent form, a second node firing the same period) a no-op.
-- state: pending | running | done | failed. A running job whose lease
-- (`locked_until`) has passed belongs to a holder that died and is claimed
-- again.
CREATE TABLE jobs (
    id {id},
    kind TEXT NOT NULL,
    job_key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    petition_id BIGINT,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    run_at TEXT NOT NULL,
    locked_by TEXT,
    locked_until TEXT,
    last_error TEXT,
    result TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX jobs_ready ON jobs (run_at, id) WHERE state IN ('pending', 'running');
CREATE INDEX jobs_state ON jobs (state, kind, id);
CREATE INDEX jobs_petition ON jobs (petition_id) WHERE petition_id IS NOT NULL;
-- Every claim of a job, by whom, and how it ended.
CREATE TABLE job_attempts (
    job_id BIGINT NOT NULL REFERENCES jobs (id),
    attempt BIGINT NOT NULL,
    holder TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    ok BIGINT,
    error TEXT,
    PRIMARY KEY (job_id, attempt)
);
-- Letters issued on a petition (受理告知书, 信访处理意见书, …): the fields
-- they were filled with at the act, fixed then; the PDF is rendered from
-- them once, stored content-addressed in the object store, and never
-- replaced (sha256 is set once).
CREATE TABLE documents (
    id {id},
    petition_id BIGINT NOT NULL REFERENCES petitions (id),
    event_seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    doc_number TEXT NOT NULL,
    issued_on TEXT NOT NULL,
    to_petitioner BIGINT NOT NULL,
    issuer_unit_id BIGINT NOT NULL,
    data TEXT NOT NULL,
    sha256 TEXT,
    size BIGINT,
    rendered_at TEXT,
    created_at TEXT NOT NULL,
    -- HMACs (the anchor key) over the letter's fields as issued, and over
    -- its PDF's SHA-256 once rendered: `xinfang verify` checks both.
    mac TEXT,
    pdf_mac TEXT,
    UNIQUE (petition_id, event_seq, kind)
);
-- 文号 sequences: one per issuing unit, letter kind and year.
CREATE TABLE doc_numbers (
    unit_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    year BIGINT NOT NULL,
    last_no BIGINT NOT NULL,
    PRIMARY KEY (unit_id, kind, year)
);
-- Message templates an admin edited (the built-in text otherwise).
CREATE TABLE message_templates (
    name TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by BIGINT
);
-- Staff contact for reminders and arrival notices (encrypted like
-- personal data).
ALTER TABLE users ADD COLUMN email TEXT;
ALTER TABLE users ADD COLUMN phone TEXT
"#,
    ),
    (
        1220,
        r#"
-- Issue 12, item 3: a leader owning a case (包案), its triage track
-- (马上办 / 限时办 / 提级办), and escalation to the joint conference with
-- its coordination record. None of them is a procedural step; each also
-- leaves an event in the petition's history.
CREATE TABLE petition_leads (
    id {id},
    petition_id BIGINT NOT NULL REFERENCES petitions (id),
    leader_id BIGINT NOT NULL REFERENCES users (id),
    assigned_by BIGINT NOT NULL REFERENCES users (id),
    assigned_at TEXT NOT NULL,
    note TEXT NOT NULL,
    released_at TEXT
);
CREATE UNIQUE INDEX petition_leads_current ON petition_leads (petition_id) WHERE released_at IS NULL;
CREATE INDEX petition_leads_leader ON petition_leads (leader_id, petition_id) WHERE released_at IS NULL;
CREATE TABLE petition_tracks (
    petition_id BIGINT PRIMARY KEY REFERENCES petitions (id),
    track TEXT NOT NULL,
    due_on TEXT,
    set_by BIGINT NOT NULL REFERENCES users (id),
    set_at TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE TABLE escalations (
    id {id},
    petition_id BIGINT NOT NULL REFERENCES petitions (id),
    to_unit_id BIGINT NOT NULL REFERENCES units (id),
    reason TEXT NOT NULL,
    escalated_by BIGINT NOT NULL REFERENCES users (id),
    escalated_at TEXT NOT NULL
);
CREATE INDEX escalations_petition ON escalations (petition_id);
CREATE INDEX escalations_unit ON escalations (to_unit_id);
CREATE TABLE escalation_records (
    id {id},
    escalation_id BIGINT NOT NULL REFERENCES escalations (id),
    recorded_by BIGINT NOT NULL REFERENCES users (id),
    recorded_at TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX escalation_records_escalation ON escalation_records (escalation_id)
"#,
    ),
    (
        1230,
        r#"
-- Issue 12, item 6: spot checks of handled petitions (抽查) with their
-- checklist, and accountability reviews (责任倒查).
CREATE TABLE spot_checks (
    id {id},
    unit_id BIGINT NOT NULL REFERENCES units (id),
    month TEXT NOT NULL,
    rule TEXT NOT NULL,
    n BIGINT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL
);
CREATE INDEX spot_checks_unit ON spot_checks (unit_id, month);
-- Scores: NULL until the checker decides, then 0 or 1; `suggested` is
-- what the record said about each point when the petition was sampled.
CREATE TABLE spot_check_items (
    id {id},
    check_id BIGINT NOT NULL REFERENCES spot_checks (id),
    petition_id BIGINT NOT NULL REFERENCES petitions (id),
    handling_unit_id BIGINT NOT NULL,
    suggested TEXT NOT NULL,
    procedure_ok BIGINT,
    notice_on_time BIGINT,
    letter_complete BIGINT,
    evaluation_obtained BIGINT,
    passed BIGINT,
    note TEXT NOT NULL DEFAULT '',
    scored_by BIGINT,
    scored_at TEXT,
    UNIQUE (check_id, petition_id)
);
CREATE TABLE accountability_reviews (
    id {id},
    petition_id BIGINT NOT NULL REFERENCES petitions (id),
    unit_id BIGINT NOT NULL REFERENCES units (id),
    opened_by BIGINT NOT NULL REFERENCES users (id),
    opened_at TEXT NOT NULL,
    findings TEXT NOT NULL,
    referred_to BIGINT REFERENCES units (id),
    referred_at TEXT
);
CREATE INDEX accountability_petition ON accountability_reviews (petition_id)
"#,
    ),
    (
        1210,
        r#"
-- Issue 12: supervision cases (督办, Art. 40; 挂牌督办, 约谈, 通报 and
-- 限期整改, Art. 39) and the deadline watch's counts.
-- kind: auto_overdue | manual | listed | interview | circular | rectification.
-- A case about a petition names it and the event that recorded it on the
-- petition's chain (its letter is the document of that event); a case about
-- a unit's work has no petition. The deadline watch opens one auto_overdue
-- case per breached duty timer: (petition, timer kind, due date) is unique,
-- so a second sweep, or a second node sweeping at the same moment, inserts
-- nothing (manual cases leave timer_kind NULL, and NULLs never collide).
CREATE TABLE supervision_cases (
    id {id},
    kind TEXT NOT NULL,
    petition_id BIGINT REFERENCES petitions (id),
    event_seq BIGINT,
    timer_kind TEXT,
    timer_due_on TEXT,
    supervising_unit_id BIGINT NOT NULL REFERENCES units (id),
    supervised_unit_id BIGINT NOT NULL REFERENCES units (id),
    reason TEXT NOT NULL,
    suggestions TEXT NOT NULL,
    reply_due_on TEXT NOT NULL,
    rectify_by TEXT,
    opened_at TEXT NOT NULL,
    opened_by BIGINT REFERENCES users (id),
    reply TEXT,
    replied_at TEXT,
    replied_by BIGINT REFERENCES users (id),
    closed_at TEXT,
    closed_by BIGINT REFERENCES users (id),
    closing_note TEXT,
    UNIQUE (petition_id, timer_kind, timer_due_on)
);
CREATE INDEX supervision_cases_supervised ON supervision_cases (supervised_unit_id, id);
CREATE INDEX supervision_cases_supervising ON supervision_cases (supervising_unit_id, id);
-- What happened to a case: opened, replied, closed (who, when, what).
CREATE TABLE supervision_case_history (
    case_id BIGINT NOT NULL REFERENCES supervision_cases (id),
    seq BIGINT NOT NULL,
    action TEXT NOT NULL,
    at TEXT NOT NULL,
    user_id BIGINT REFERENCES users (id),
    unit_id BIGINT REFERENCES units (id),
    note TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
);
-- The last sweep's count of open duty timers by the unit holding them.
CREATE TABLE watch_counts (
    unit_id BIGINT PRIMARY KEY REFERENCES units (id),
    on_track BIGINT NOT NULL,
    due_soon BIGINT NOT NULL,
    due_today BIGINT NOT NULL,
    overdue BIGINT NOT NULL,
    swept_on TEXT NOT NULL,
    swept_at TEXT NOT NULL
)
"#,
    ),
    (
        1200,
        r#"
-- Issue 12, statistics (docs/metrics.md): a unit's petitions are those it
-- registered or handles, read by unit and date of receipt; a petition is
-- "brought back" when a later one names it in repeat_of.
CREATE INDEX petitions_registered_unit ON petitions (registered_unit_id, received_on);
CREATE INDEX petitions_handling_unit ON petitions (handling_unit_id, received_on);
CREATE INDEX petitions_repeat_of ON petitions (repeat_of)
"#,
    ),
    (
        1240,
        r#"
-- Issue 12, item 5: letters addressed to a unit (not about one petition),
-- numbered in the same 文号 sequences as a petition's letters.
CREATE TABLE unit_documents (
    id {id},
    kind TEXT NOT NULL,
    template TEXT NOT NULL,
    title TEXT NOT NULL,
    doc_number TEXT NOT NULL,
    issued_on TEXT NOT NULL,
    issuer_unit_id BIGINT NOT NULL REFERENCES units (id),
    addressee_unit_id BIGINT NOT NULL REFERENCES units (id),
    source TEXT NOT NULL UNIQUE,
    data TEXT NOT NULL,
    sha256 TEXT,
    size BIGINT,
    rendered_at TEXT,
    created_at TEXT NOT NULL,
    mac TEXT,
    pdf_mac TEXT
);
CREATE INDEX unit_documents_addressee ON unit_documents (addressee_unit_id, id);
-- Monthly rankings of the areas under a bureau (三色预警): one per bureau
-- and month, each area's row with its score, place, warning, letter and
-- rectification case.
CREATE TABLE rankings (
    id {id},
    unit_id BIGINT NOT NULL REFERENCES units (id),
    month TEXT NOT NULL,
    weights TEXT NOT NULL,
    min_cases BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id),
    UNIQUE (unit_id, month)
);
CREATE TABLE ranking_entries (
    ranking_id BIGINT NOT NULL REFERENCES rankings (id),
    position BIGINT NOT NULL,
    area TEXT NOT NULL,
    area_name TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES units (id),
    score TEXT,
    rank_no BIGINT,
    warning TEXT,
    unranked TEXT,
    metrics TEXT NOT NULL,
    letter_id BIGINT REFERENCES unit_documents (id),
    case_id BIGINT REFERENCES supervision_cases (id),
    PRIMARY KEY (ranking_id, position)
);
CREATE INDEX ranking_entries_unit ON ranking_entries (unit_id)
"#,
    ),
    (
        1250,
        r#"
-- Issue 12, item 3: backlog clearance campaigns (积案化解): the petitions a
-- unit listed, with their state when the campaign started.
CREATE TABLE campaigns (
    id {id},
    unit_id BIGINT NOT NULL REFERENCES units (id),
    name TEXT NOT NULL,
    older_than_days BIGINT NOT NULL,
    target_percent BIGINT NOT NULL,
    target_on TEXT NOT NULL,
    started_on TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    -- A resent form (reload, double click) does not start a second one.
    UNIQUE (unit_id, name)
);
CREATE INDEX campaigns_unit ON campaigns (unit_id, id);
CREATE TABLE campaign_items (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    petition_id BIGINT NOT NULL REFERENCES petitions (id),
    state_at_start TEXT NOT NULL,
    PRIMARY KEY (campaign_id, petition_id)
)
"#,
    ),
    (
        1260,
        r#"
-- Issue 12: precomputed statistics (store::aggregates). What every
-- petition adds to the kept scopes, per metric and cohort day ...
CREATE TABLE stat_tally (
    scope TEXT NOT NULL,
    metric TEXT NOT NULL,
    day TEXT NOT NULL,
    numerator BIGINT NOT NULL,
    denominator BIGINT NOT NULL,
    pending BIGINT NOT NULL,
    PRIMARY KEY (scope, metric, day)
){without_rowid};
-- ... and per dashboard dimension and month of receipt ...
CREATE TABLE stat_count (
    scope TEXT NOT NULL,
    dim TEXT NOT NULL,
    month TEXT NOT NULL,
    k TEXT NOT NULL,
    due TEXT NOT NULL,
    n BIGINT NOT NULL,
    -- Key order: a dimension's keys in order, each key's months together,
    -- so that summing over months is one ordered range.
    PRIMARY KEY (scope, dim, k, month, due)
){without_rowid};
-- ... the facts each petition was last counted with ...
CREATE TABLE stat_facts (
    petition_id BIGINT PRIMARY KEY,
    snapshot TEXT NOT NULL
);
-- ... the petitions changed since (filled by triggers, so that no write
-- path can forget) ...
CREATE TABLE stat_dirty (
    petition_id BIGINT PRIMARY KEY
);
-- ... and what the aggregates were built for (the scope index's fingerprint).
CREATE TABLE stat_meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
)
"#,
    ),
    // The triggers that mark petitions changed: written per dialect
    // (`dialect_statements`), whole statements.
    (1261, ""),
    (
        1262,
        r#"
-- Issue 12: the deadline watch counts every open duty timer by the unit
-- holding its petition. Covering indexes for that scan: the open timers'
-- petition and kind and due date, and each petition's current unit by id
-- (at 1,000,000 petitions: 0.63 s → 0.11 s on SQLite).
CREATE INDEX deadlines_open_watch ON deadlines (petition_id, kind, due_on) WHERE met_at IS NULL;
CREATE INDEX petitions_current_unit_by_id ON petitions (id, current_unit_id)
"#,
    ),
    // Issue 13: the full-text index of petitions (store::search), written
    // per dialect (`dialect_statements`).
    (1300, ""),
    (
        1301,
        r#"
-- The heads of a checkpoint in compact form (store::heads); the signed
-- body names them by SHA-256. Older checkpoints keep them in the body.
ALTER TABLE checkpoints ADD COLUMN heads {blob}
"#,
    ),
    (
        1302,
        r#"
-- Issue 13: the admin-edited triage rule table (xinfang_text::rules, as
-- JSON); none stored means the starter table.
CREATE TABLE triage_rules (
    id BIGINT PRIMARY KEY,
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by BIGINT
)
"#,
    ),
    (
        1303,
        r#"
-- Issue 13, item 4: risk alerts raised at registration from the text
-- (xinfang_text::risk), for the receiving unit, until dismissed with a
-- reason.
CREATE TABLE risk_alerts (
    id {id},
    petition_id BIGINT NOT NULL,
    unit_id BIGINT NOT NULL,
    level TEXT NOT NULL,
    signals TEXT NOT NULL,
    raised_at TEXT NOT NULL,
    dismissed_at TEXT,
    dismissed_by BIGINT,
    dismiss_reason TEXT
);
CREATE INDEX risk_alerts_unit ON risk_alerts (unit_id, id);
CREATE INDEX risk_alerts_petition ON risk_alerts (petition_id)
"#,
    ),
    (
        1304,
        r#"
-- Issue 13, item 3: triage models learnt from confirmed routings, one row
-- per field and training run, with the held-back comparison against the
-- rules and against always answering the commonest label; the newest row
-- of a field is used when `active`.
CREATE TABLE triage_models (
    id {id},
    field TEXT NOT NULL,
    trained_at TEXT NOT NULL,
    examples BIGINT NOT NULL,
    held_out BIGINT NOT NULL,
    model_correct BIGINT NOT NULL,
    rules_correct BIGINT NOT NULL,
    baseline_correct BIGINT NOT NULL,
    active BIGINT NOT NULL,
    model TEXT NOT NULL
);
CREATE INDEX triage_models_field ON triage_models (field, id)
"#,
    ),
    // Issue 13: the viewing units in the full-text index (store::fulltext),
    // written per dialect (`dialect_statements`).
    (1305, ""),
    // Issue 13: the id bucket in PostgreSQL's full-text entries
    // (store::fulltext), per dialect.
    (1306, ""),
    (
        1307,
        r#"
-- Issue 13: a petition's identity keys read by petition (xinfang
-- identity-keys adds the keys a petition lacks, batch by batch).
CREATE INDEX petition_identities_petition ON petition_identities (petition_id, identity_key)
"#,
    ),
    (
        1400,
        r#"
-- Issue 14, item 1: the dispute screening ledger (store::disputes, rules in
-- domain::dispute). A dispute belongs to its village for good
-- (village_code, the 12-digit division, read by area prefix) and is held
-- by one unit at a time (handling_unit_id: the village, or the township or
-- county it was escalated to). The parties are sealed like petitioners
-- (JSON of encrypted fields and keyed hashes). version: optimistic
-- concurrency, as for petitions.
CREATE TABLE disputes (
    id {id},
    village_unit_id BIGINT NOT NULL,
    village_code TEXT NOT NULL,
    handling_unit_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    risk TEXT NOT NULL,
    place TEXT NOT NULL,
    summary TEXT NOT NULL,
    people BIGINT NOT NULL,
    parties TEXT NOT NULL,
    mediator_user_id BIGINT,
    target_on TEXT NOT NULL,
    state TEXT NOT NULL,
    recorded_by BIGINT NOT NULL,
    recorded_on TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    closed_at TEXT,
    outcome TEXT,
    agreement_document_id BIGINT,
    petition_number TEXT,
    version BIGINT NOT NULL
);
CREATE INDEX disputes_area ON disputes (village_code, id);
CREATE INDEX disputes_open_area ON disputes (village_code, target_on) WHERE state = 'open';
CREATE INDEX disputes_petition ON disputes (petition_number) WHERE petition_number IS NOT NULL;
-- Everything done to a dispute, in order: recorded, mediator assigned,
-- mediation sessions, escalations, the outcome (body: JSON).
CREATE TABLE dispute_records (
    id {id},
    dispute_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    at TEXT NOT NULL,
    user_id BIGINT NOT NULL,
    unit_id BIGINT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX dispute_records_dispute ON dispute_records (dispute_id, id);
-- A village's "nothing found" report for a screening round (排查无矛盾纠纷);
-- a round's recorded disputes count as its report too.
CREATE TABLE screening_reports (
    village_unit_id BIGINT NOT NULL,
    period TEXT NOT NULL,
    reported_by BIGINT NOT NULL,
    reported_at TEXT NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (village_unit_id, period)
);
-- Who read a dispute's parties unmasked, and why (the petitions' access
-- log is keyed by petition).
CREATE TABLE dispute_access_log (
    id {id},
    dispute_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    unit_id BIGINT NOT NULL,
    at TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX dispute_access_log_dispute ON dispute_access_log (dispute_id, id);
-- The grass roots' rules an admin sets (the screening period, the
-- zero-petition rule), one JSON body; none stored means the defaults.
CREATE TABLE grassroots_rules (
    id BIGINT PRIMARY KEY,
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by BIGINT
)
"#,
    ),
    (
        1401,
        r#"
-- Issue 14, item 5: the wage-arrears green channel (store::green_channel,
-- rules in domain::green_channel). One row per petition in the lane:
-- flagged at registration by the rules or by a clerk, confirmed or taken
-- out by a clerk; what was claimed and what was recovered (yuan, workers);
-- the internal deadline for first contact with the employer.
CREATE TABLE green_channel (
    petition_id BIGINT PRIMARY KEY,
    state TEXT NOT NULL,
    words TEXT NOT NULL,
    migrant BIGINT NOT NULL,
    amount_claimed BIGINT,
    workers BIGINT,
    received_on TEXT NOT NULL,
    contact_due TEXT NOT NULL,
    contacted_at TEXT,
    contact_note TEXT,
    amount_recovered BIGINT,
    workers_paid BIGINT,
    flagged_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by BIGINT
);
CREATE INDEX green_channel_received ON green_channel (received_on, petition_id)
"#,
    ),
    (
        1402,
        r#"
-- Issue 14, item 2: dispatch orders (调度令) from a county, city or township
-- down to a township or village, with the receiver's feedback
-- (store::dispatch, rules in domain::dispatch).
CREATE TABLE dispatch_orders (
    id {id},
    from_unit_id BIGINT NOT NULL,
    to_unit_id BIGINT NOT NULL,
    subject TEXT NOT NULL,
    content TEXT NOT NULL,
    due_on TEXT NOT NULL,
    dispute_id BIGINT,
    petition_number TEXT,
    state TEXT NOT NULL,
    created_by BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    feedback TEXT,
    answered_at TEXT,
    answered_by BIGINT,
    closed_at TEXT
);
CREATE INDEX dispatch_orders_to ON dispatch_orders (to_unit_id, id);
CREATE INDEX dispatch_orders_from ON dispatch_orders (from_unit_id, id);
-- The board counts a county's petitions by place, state and receiving
-- unit over the place's index range without reading the rows.
CREATE INDEX petitions_place_board ON petitions (jurisdiction, state, next_due_on, received_on, registered_unit_id)
"#,
    ),
    (
        1450,
        r#"
-- Issue 14, item 3: visits by appointment (网上预约接访) and the
-- reception hall. A receiving unit's reception slots apply to every
-- working day of the holiday calendar; each slot has a capacity.
CREATE TABLE reception_slots (
    id {id},
    unit_id BIGINT NOT NULL,
    starts TEXT NOT NULL,
    ends TEXT NOT NULL,
    capacity BIGINT NOT NULL,
    UNIQUE (unit_id, starts)
);
-- How many places of a slot on a day are taken: counted in the booking's
-- transaction by a guarded update (booked < capacity), so no two nodes
-- overbook.
CREATE TABLE reception_load (
    unit_id BIGINT NOT NULL,
    day TEXT NOT NULL,
    starts TEXT NOT NULL,
    booked BIGINT NOT NULL,
    PRIMARY KEY (unit_id, day, starts)
);
-- A booked visit; personal data encrypted and keyed-hashed like a
-- petitioner's, the booking code kept as a keyed hash only.
CREATE TABLE appointments (
    id {id},
    booking_number TEXT UNIQUE,
    code_hash TEXT NOT NULL,
    unit_id BIGINT NOT NULL,
    day TEXT NOT NULL,
    starts TEXT NOT NULL,
    ends TEXT NOT NULL,
    topic TEXT,
    summary TEXT NOT NULL,
    name TEXT NOT NULL,
    id_number TEXT NOT NULL,
    phone TEXT NOT NULL,
    id_hash TEXT NOT NULL,
    phone_hash TEXT NOT NULL,
    possible_repeat BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    cancelled_at TEXT
);
CREATE INDEX appointments_unit_day ON appointments (unit_id, day, starts);
CREATE INDEX appointments_code ON appointments (code_hash);
-- The hall's queue numbers: per unit and day, drawn in the check-in's
-- transaction.
CREATE TABLE hall_queue (
    unit_id BIGINT NOT NULL,
    day TEXT NOT NULL,
    last_number BIGINT NOT NULL,
    PRIMARY KEY (unit_id, day)
);
-- A check-in at the hall (by appointment or walk-in), until it becomes a
-- visit registration (petition_id).
CREATE TABLE hall_tickets (
    id {id},
    unit_id BIGINT NOT NULL,
    day TEXT NOT NULL,
    queue_number BIGINT NOT NULL,
    appointment_id BIGINT,
    name TEXT NOT NULL,
    id_number TEXT,
    phone TEXT,
    topic TEXT,
    summary TEXT NOT NULL,
    status TEXT NOT NULL,
    checked_in_at TEXT NOT NULL,
    checked_in_by BIGINT NOT NULL,
    called_at TEXT,
    called_by BIGINT,
    petition_id BIGINT,
    UNIQUE (unit_id, day, queue_number)
);
CREATE UNIQUE INDEX hall_tickets_appointment ON hall_tickets (appointment_id);
CREATE UNIQUE INDEX hall_tickets_petition ON hall_tickets (petition_id)
"#,
    ),
    (
        1451,
        r#"
-- Issue 14, item 4: leaders and lawyers on duty. The lawyers of a unit's
-- reception roster (律师参与接访); the phone encrypted like personal data.
CREATE TABLE duty_lawyers (
    id {id},
    unit_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    firm TEXT NOT NULL,
    licence_number TEXT NOT NULL,
    phone TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
CREATE INDEX duty_lawyers_unit ON duty_lawyers (unit_id, id);
-- Who is on duty at a unit on a day: a leader (值班接访, person = user) or
-- a lawyer (person = duty_lawyers row).
CREATE TABLE duty_days (
    id {id},
    unit_id BIGINT NOT NULL,
    day TEXT NOT NULL,
    kind TEXT NOT NULL,
    person_id BIGINT NOT NULL,
    note TEXT,
    created_by BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (unit_id, day, kind, person_id)
);
CREATE INDEX duty_days_day ON duty_days (day, unit_id);
-- The spot check (抽查) of whether a duty day was held, once per duty.
CREATE TABLE duty_checks (
    duty_id BIGINT PRIMARY KEY,
    held BIGINT NOT NULL,
    note TEXT NOT NULL,
    checked_by BIGINT NOT NULL,
    checked_at TEXT NOT NULL
);
CREATE INDEX duty_checks_held ON duty_checks (held, duty_id);
-- The visits a duty lawyer took part in, with the legal advice given.
CREATE TABLE lawyer_visits (
    lawyer_id BIGINT NOT NULL,
    petition_id BIGINT NOT NULL,
    day TEXT NOT NULL,
    advice TEXT,
    recorded_by BIGINT,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (lawyer_id, petition_id)
);
CREATE INDEX lawyer_visits_petition ON lawyer_visits (petition_id);
-- A leader's planned 下访 trip: place, purpose, and its result.
CREATE TABLE outreach_visits (
    id {id},
    unit_id BIGINT NOT NULL,
    leader_id BIGINT NOT NULL,
    day TEXT NOT NULL,
    place TEXT NOT NULL,
    purpose TEXT NOT NULL,
    result TEXT,
    result_at TEXT,
    created_by BIGINT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX outreach_visits_unit ON outreach_visits (unit_id, day)
"#,
    ),
    (
        1403,
        r#"
-- Issue 14, on review: the indexes the grass roots' reads filter on —
-- disputes held by a unit (escalated to it), a round's "nothing found"
-- reports by period, a leader's own duty days.
CREATE INDEX disputes_handling ON disputes (handling_unit_id, id);
CREATE INDEX screening_reports_period ON screening_reports (period, village_unit_id);
CREATE INDEX duty_days_person ON duty_days (person_id, kind, day)
"#,
    ),
    (
        1500,
        r#"
-- Issue 15: the official text of the Regulations as imported (one row per
-- article, paragraphs joined by newlines; an import replaces it whole).
CREATE TABLE regulation_text (
    article BIGINT PRIMARY KEY,
    chapter BIGINT NOT NULL,
    body TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    imported_by BIGINT NOT NULL,
    source TEXT NOT NULL
);
-- Every answer given: a self-test (practice), an exam or a contest paper
-- (attempt_id), marked in half points.
CREATE TABLE learning_answers (
    id {id},
    user_id BIGINT NOT NULL,
    question_id TEXT NOT NULL,
    context TEXT NOT NULL,
    attempt_id BIGINT,
    answer TEXT NOT NULL,
    halves BIGINT NOT NULL,
    answered_at TEXT NOT NULL
);
CREATE INDEX learning_answers_time ON learning_answers (answered_at, user_id);
CREATE INDEX learning_answers_user ON learning_answers (user_id, answered_at);
CREATE UNIQUE INDEX learning_answers_attempt ON learning_answers (attempt_id, question_id);
-- Spaced repetition: when each question comes back for each person.
CREATE TABLE learning_reviews (
    user_id BIGINT NOT NULL,
    question_id TEXT NOT NULL,
    box BIGINT NOT NULL,
    due TEXT NOT NULL,
    PRIMARY KEY (user_id, question_id)
);
-- Exams set by an admin: who must sit (units with their subtrees, roles),
-- the question mix, time limit, pass mark, window of days, sittings allowed.
CREATE TABLE exams (
    id {id},
    title TEXT NOT NULL,
    units TEXT NOT NULL,
    roles TEXT NOT NULL,
    mix TEXT NOT NULL,
    time_limit_minutes BIGINT NOT NULL,
    pass_mark BIGINT NOT NULL,
    opens_on TEXT NOT NULL,
    closes_on TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    created_by BIGINT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX exams_window ON exams (closes_on, opens_on);
-- One sitting: a paper drawn for an exam, or a month's contest paper.
CREATE TABLE exam_attempts (
    id {id},
    exam_id BIGINT,
    contest_month TEXT,
    user_id BIGINT NOT NULL,
    attempt_no BIGINT NOT NULL,
    questions TEXT NOT NULL,
    started_at TEXT NOT NULL,
    deadline_at TEXT NOT NULL,
    submitted_at TEXT,
    halves BIGINT,
    percent BIGINT,
    passed BIGINT,
    draft TEXT
);
CREATE UNIQUE INDEX exam_attempts_no ON exam_attempts (exam_id, user_id, attempt_no);
CREATE UNIQUE INDEX exam_attempts_contest ON exam_attempts (contest_month, user_id);
CREATE INDEX exam_attempts_user ON exam_attempts (user_id, submitted_at);
-- The day's self-test, fixed at its first showing: the same questions all
-- day, and only those are marked as practice (no key for anything else).
CREATE TABLE learning_daily (
    user_id BIGINT NOT NULL,
    day TEXT NOT NULL,
    questions TEXT NOT NULL,
    PRIMARY KEY (user_id, day)
)
"#,
    ),
    (
        1308,
        r#"
-- Issue 13: what the bureau says of its risk alerts teaches the urgent
-- model. An alert may be raised by hand (raised_by, raise_reason) and is
-- dismissed as a false alarm or as handled (verdict).
ALTER TABLE risk_alerts ADD COLUMN raised_by BIGINT;
ALTER TABLE risk_alerts ADD COLUMN raise_reason TEXT;
ALTER TABLE risk_alerts ADD COLUMN verdict TEXT;
-- One open alert by hand of a unit, kind and level on a petition: a double
-- click or a form sent again raises (and e-mails) once.
CREATE UNIQUE INDEX risk_alerts_by_hand ON risk_alerts (petition_id, unit_id, signals) WHERE raised_by IS NOT NULL AND dismissed_at IS NULL;
-- Every judgement of a petition's urgency, in the order given (urgent 1 or
-- 0, the kind of an urgent one); the newest of a petition is the one learnt.
CREATE TABLE risk_corrections (
    id {id},
    petition_id BIGINT NOT NULL,
    alert_id BIGINT NOT NULL,
    urgent BIGINT NOT NULL,
    kind TEXT,
    user_id BIGINT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX risk_corrections_petition ON risk_corrections (petition_id, id);
-- Each training of the urgent model: the corrections up to one id. Every
-- node trains the same model from the same rows when a newer one appears.
CREATE TABLE urgent_trainings (
    id {id},
    corrections_upto BIGINT NOT NULL,
    corrections BIGINT NOT NULL,
    trained_at TEXT NOT NULL,
    trained_by BIGINT
)
"#,
    ),
    (
        1309,
        r#"
-- Art. 30: the viewer rows of an accusation whose accused is not named
-- leave out the units it is hidden from (store::viewers), so a list's count
-- does not reveal it. Nothing to change in the schema: the node that
-- applies this refreshes those rows once (Store::refresh_unnamed_accusations,
-- called from xinfang::open_store).
"#,
    ),
    (
        1310,
        r#"
-- Issue 13: a synonym group is one token of the full-text index
-- (xinfang_text::synonyms::group_token). The index is marked stale here;
-- the first node to start re-indexes every petition in place, under the
-- setup lock, and clears the mark once every entry is rewritten
-- (Store::search_index_missing, web::search::rebuild_index). Until then the
-- old entries keep answering; a rebuild cut short leaves the mark. A
-- database without petitions has nothing to rebuild.
CREATE TABLE search_index_stale (
    id {id},
    reason TEXT NOT NULL
);
INSERT INTO search_index_stale (reason) SELECT 'synonym groups as index tokens (migration 1310)' WHERE EXISTS (SELECT 1 FROM petitions)
"#,
    ),
    (
        1311,
        r#"
-- Issue 13: the rule table's revision, raised by every save, so that a
-- save made from an older reading (another admin's page, an older GET) is
-- refused instead of overwriting a change it never saw (Store::save_triage_rules,
-- compare and set). starter = 1: an admin restored the starter table - the
-- row stays, so who did it and when stay known, and its body holds the
-- starter table as it was then (a node of an older version reads it as
-- its own table). A table saved before this is revision 1.
ALTER TABLE triage_rules ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
ALTER TABLE triage_rules ADD COLUMN starter BIGINT NOT NULL DEFAULT 0;
UPDATE triage_rules SET revision = 1
"#,
    ),
    (
        1312,
        r#"
-- Issue 13: every long Chinese word is indexed also as its two-character
-- pieces (xinfang_text::Segmenter::index_words), so that 沙村 finds
-- 上沙村. Marked stale as in 1310; the first node re-indexes in place.
INSERT INTO search_index_stale (reason) SELECT 'two-character pieces of long words (migration 1312)' WHERE EXISTS (SELECT 1 FROM petitions)
"#,
    ),
    (
        1340,
        r#"
-- Art. 30: the accusations a reader may not know of, taken out of every
-- figure it reads (store::screen): accusations only, by the accused
-- unit's path (NULL: not named yet).
CREATE INDEX petitions_accusations_by_accused ON petitions (accused_unit_path, id) WHERE category = 'accusation'
"#,
    ),
    (
        1341,
        r#"
-- Art. 30: a bureau holding an accusation as registered (one it was routed
-- to, which classed it so) now knows it exists before the accused is named
-- (access::hidden_until_accused_named). No schema change: the node that
-- applies this refreshes those viewer rows once, as after 1309.
"#,
    ),
    (
        1342,
        r#"
-- Issue 14, item 5: a recovery's running totals that pass the claim or go
-- down are kept only with the inspector's note of why
-- (domain::green_channel::recovery_needs_note).
ALTER TABLE green_channel ADD COLUMN recovery_note TEXT
"#,
    ),
    (
        1343,
        r#"
-- Issue 13: a person search counts once per person asked about in the
-- hour (a registration form asks again with every change of the form):
-- the keyed hashes the search is matched on (`subject`; NULL for searches
-- logged before, each of which counts on its own). A search refused over
-- the budget is logged too (`refused` = 1) and spends nothing.
ALTER TABLE identity_searches ADD COLUMN subject TEXT;
ALTER TABLE identity_searches ADD COLUMN refused BIGINT NOT NULL DEFAULT 0
"#,
    ),
    (
        1344,
        r#"
-- Issue 14: a duty day taken off the roster (planned by mistake) leaves a
-- record of what was planned, by whom, and who took it off when: a spot
-- check cannot miss a day that was quietly deleted.
CREATE TABLE duty_removals (
    duty_id BIGINT PRIMARY KEY,
    unit_id BIGINT NOT NULL,
    day TEXT NOT NULL,
    kind TEXT NOT NULL,
    person_id BIGINT NOT NULL,
    person_name TEXT NOT NULL,
    note TEXT,
    created_by BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    removed_by BIGINT NOT NULL,
    removed_at TEXT NOT NULL
);
CREATE INDEX duty_removals_unit_day ON duty_removals (unit_id, day)
"#,
    ),
    // Issue 9: the Art. 30 screen's verdict on an accusation whose accused
    // is not named, kept with the petition by a trigger, under a covering
    // index of those accusations (store::screen::screen_schema), per
    // dialect.
    (1345, ""),
    (
        1346,
        r#"
-- Issue 9: the inbox indexes carry the columns the inbox filters on. SQLite
-- does not count the column of a partial index's own condition as held by
-- the index, so counting an inbox read the table's row for every entry
-- (5 ms for a province bureau's 2,000 items at 1,000,000 petitions; 0.2 ms
-- from the index alone). With the state, the inbox's state filter is
-- answered from the index too. The names stay: a node still running the
-- previous binary names the index in INDEXED BY. On PostgreSQL the rebuild
-- holds writes to petition_viewers while it runs, as every index migration.
DROP INDEX petition_viewers_inbox_due;
DROP INDEX petition_viewers_inbox_registered;
CREATE INDEX petition_viewers_inbox_due ON petition_viewers (unit_id, due_key, petition_id, state, is_current_unit) WHERE is_current_unit = 1;
CREATE INDEX petition_viewers_inbox_registered ON petition_viewers (unit_id, registered_at, petition_id, state, is_current_unit) WHERE is_current_unit = 1
"#,
    ),
];

/// The migrations after which the viewers of accusations whose accused is
/// not named are refreshed once (`Store::refresh_unnamed_accusations`): the
/// rule of who may know of one changed with each.
pub const UNNAMED_ACCUSATION_VIEWERS: [i64; 2] = [1309, 1341];

/// Migrations whose statements differ by dialect and contain semicolons
/// (trigger bodies): given whole, not split.
fn dialect_statements(version: i64, dialect: Dialect) -> Option<Vec<String>> {
    if version == 1300 {
        return Some(crate::fulltext::schema(dialect));
    }
    if version == 1305 {
        return Some(crate::fulltext::viewers_schema(dialect));
    }
    if version == 1306 {
        return Some(crate::fulltext::buckets_schema(dialect));
    }
    if version == 1345 {
        return Some(crate::screen::screen_schema(dialect));
    }
    if version != 1261 {
        return None;
    }
    // Every table a petition's statistical facts are read from; a new
    // repeat petition also changes the one it repeats ("brought back").
    let children = ["events", "deadlines", "evaluations"];
    let mut out = Vec::new();
    match dialect {
        Dialect::Sqlite => {
            for t in children {
                for (op, row) in [("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")] {
                    out.push(format!(
                        "CREATE TRIGGER stat_dirty_{t}_{op} AFTER {op} ON {t} BEGIN \
                         INSERT OR IGNORE INTO stat_dirty (petition_id) VALUES ({row}.petition_id); END"
                    ));
                }
            }
            out.push(
                "CREATE TRIGGER stat_dirty_petitions_INSERT AFTER INSERT ON petitions BEGIN \
                 INSERT OR IGNORE INTO stat_dirty (petition_id) VALUES (NEW.id); \
                 INSERT OR IGNORE INTO stat_dirty (petition_id) SELECT id FROM petitions WHERE number = NEW.repeat_of; END"
                    .into(),
            );
            out.push(
                "CREATE TRIGGER stat_dirty_petitions_UPDATE AFTER UPDATE ON petitions BEGIN \
                 INSERT OR IGNORE INTO stat_dirty (petition_id) VALUES (NEW.id); \
                 INSERT OR IGNORE INTO stat_dirty (petition_id) SELECT id FROM petitions \
                 WHERE number = NEW.repeat_of OR number = OLD.repeat_of; END"
                    .into(),
            );
            out.push(
                "CREATE TRIGGER stat_dirty_petitions_DELETE AFTER DELETE ON petitions BEGIN \
                 INSERT OR IGNORE INTO stat_dirty (petition_id) VALUES (OLD.id); \
                 INSERT OR IGNORE INTO stat_dirty (petition_id) SELECT id FROM petitions WHERE number = OLD.repeat_of; END"
                    .into(),
            );
        }
        Dialect::Postgres => {
            out.push(
                "CREATE FUNCTION stat_dirty_child() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 IF TG_OP = 'DELETE' THEN \
                   INSERT INTO stat_dirty (petition_id) VALUES (OLD.petition_id) ON CONFLICT DO NOTHING; \
                 ELSE \
                   INSERT INTO stat_dirty (petition_id) VALUES (NEW.petition_id) ON CONFLICT DO NOTHING; \
                 END IF; \
                 RETURN NULL; END $$"
                    .into(),
            );
            out.push(
                "CREATE FUNCTION stat_dirty_petition() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 IF TG_OP <> 'INSERT' THEN \
                   INSERT INTO stat_dirty (petition_id) VALUES (OLD.id) ON CONFLICT DO NOTHING; \
                   IF OLD.repeat_of IS NOT NULL THEN \
                     INSERT INTO stat_dirty (petition_id) SELECT id FROM petitions WHERE number = OLD.repeat_of ON CONFLICT DO NOTHING; \
                   END IF; \
                 END IF; \
                 IF TG_OP <> 'DELETE' THEN \
                   INSERT INTO stat_dirty (petition_id) VALUES (NEW.id) ON CONFLICT DO NOTHING; \
                   IF NEW.repeat_of IS NOT NULL THEN \
                     INSERT INTO stat_dirty (petition_id) SELECT id FROM petitions WHERE number = NEW.repeat_of ON CONFLICT DO NOTHING; \
                   END IF; \
                 END IF; \
                 RETURN NULL; END $$"
                    .into(),
            );
            for t in children {
                out.push(format!(
                    "CREATE TRIGGER stat_dirty_{t} AFTER INSERT OR UPDATE OR DELETE ON {t} \
                     FOR EACH ROW EXECUTE FUNCTION stat_dirty_child()"
                ));
            }
            out.push(
                "CREATE TRIGGER stat_dirty_petitions AFTER INSERT OR UPDATE OR DELETE ON petitions \
                 FOR EACH ROW EXECUTE FUNCTION stat_dirty_petition()"
                    .into(),
            );
        }
    }
    Some(out)
}

fn render(sql: &str, dialect: Dialect) -> String {
    let (id, blob, without_rowid) = match dialect {
        Dialect::Sqlite => ("INTEGER PRIMARY KEY AUTOINCREMENT", "BLOB", " WITHOUT ROWID"),
        Dialect::Postgres => ("BIGSERIAL PRIMARY KEY", "BYTEA", ""),
    };
    sql.replace("{id}", id).replace("{blob}", blob).replace("{without_rowid}", without_rowid)
}

/// How many migrations this binary knows: `/readyz` wants every one applied.
/// (Versions are numbered by the branch that wrote them; the count, not the
/// highest number, says whether a database is current.)
pub const LATEST_MIGRATION: i64 = MIGRATIONS.len() as i64;

/// The key of the PostgreSQL advisory lock taken around each migration step
/// (any constant shared by every node; "xinfang" in ASCII).
const MIGRATION_LOCK: i64 = 0x78_69_6e_66_61_6e_67;

impl Store {
    /// Apply every migration not yet applied, each in its own transaction.
    /// Nodes starting together on one database migrate once: each step
    /// first takes the database-wide migration lock (PostgreSQL: a
    /// transaction-scoped advisory lock; SQLite: the write lock, taken by
    /// `BEGIN IMMEDIATE` before anything is read), then checks whether the step is
    /// already done, so the losers of the race find it applied.
    pub async fn migrate(&self) -> Result<Vec<i64>> {
        let mut w = self.begin_immediate().await?;
        self.migration_lock(&mut w).await?;
        sqlx::query("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)")
            .execute(&mut *w.tx)
            .await?;
        w.commit().await?;
        let mut applied = Vec::new();
        for (version, sql) in MIGRATIONS {
            let mut w = self.begin_immediate().await?;
            self.migration_lock(&mut w).await?;
            let done: Option<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                .bind(*version)
                .fetch_optional(&mut *w.tx)
                .await?;
            if done.is_some() {
                continue;
            }
            // Comments go first: they may contain semicolons.
            let body: String =
                render(sql, self.dialect).lines().filter(|l| !l.trim_start().starts_with("--")).collect::<Vec<_>>().join("\n");
            let statements: Vec<String> = dialect_statements(*version, self.dialect)
                .unwrap_or_else(|| body.split(';').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect());
            for stmt in statements {
                sqlx::query(AssertSqlSafe(stmt)).execute(&mut *w.tx).await?;
            }
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(*version)
                .bind(fmt_instant(chrono::Utc::now()))
                .execute(&mut *w.tx)
                .await?;
            w.commit().await?;
            applied.push(*version);
        }
        Ok(applied)
    }

    /// Hold the migration lock until `w` ends.
    async fn migration_lock(&self, w: &mut WriteTx<'_>) -> Result<()> {
        match self.dialect {
            Dialect::Postgres => {
                sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(MIGRATION_LOCK).execute(&mut *w.tx).await?;
            }
            // The transaction began IMMEDIATE: it holds the write lock.
            Dialect::Sqlite => {}
        }
        Ok(())
    }

    /// Whether every migration this binary knows has been applied.
    pub async fn migrations_current(&self) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM schema_migrations").fetch_one(&self.pool).await?;
        Ok(n >= LATEST_MIGRATION)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::db::Store;
    use sqlx::Row;

    /// Migration 1346: counting and filtering a unit's inbox by state is
    /// answered from the inbox indexes alone (SQLite's plan says COVERING),
    /// not by reading the viewer row of every item.
    #[tokio::test]
    async fn the_inbox_is_counted_from_its_index_alone() {
        let dir = std::env::temp_dir().join(format!("xinfang-inbox-plan-{}", std::process::id()));
        let url = format!("sqlite://{}/x.db", dir.display());
        Store::connect(&url).await.unwrap().migrate().await.unwrap();
        // Fresh connections: EXPLAIN plans with the schema a connection
        // last read, and a statement that only explains never notices that
        // the schema changed since.
        let store = Store::connect(&url).await.unwrap();
        for index in ["petition_viewers_inbox_due", "petition_viewers_inbox_registered"] {
            let plan: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(format!(
                "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM petition_viewers v INDEXED BY {index} \
                 WHERE v.unit_id = 7 AND v.is_current_unit = 1 AND v.state IN ('registered', 'handling')"
            )))
            .fetch_all(&store.pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<String, _>(3).unwrap())
            .collect();
            assert!(plan.iter().any(|d| d.contains(&format!("COVERING INDEX {index}"))), "{index}: {plan:?}");
        }
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
