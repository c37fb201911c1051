//! Intake: every way a petition enters the system (citizen online, staff
//! registration, Open311 / 12345 hand-over) goes through `intake`, so the
//! rules of Art. 19, 20, 36 and the number format are applied once.

use crate::attachments;
use crate::auth::Staff;
use crate::dto::PetitionInput;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use rand::RngCore;
use serde_json::json;
use xinfang_crypto::Keyring;
use xinfang_domain::local_date;
use xinfang_domain::number::{QUERY_CODE_LEN, number_prefix, query_code_from};
use xinfang_domain::petition::{Accused, Category, Channel, Petitioner, PetitionerKind, Registration};
use xinfang_domain::procedure::{Case, Ctx, intake_conflict, register};
use xinfang_domain::role::Role;
use xinfang_domain::similarity::{matter_text, same_matter};
use xinfang_domain::unit::{Unit, UnitId};
use xinfang_store::{ActorRef, ApiKey, EventDraft, NewPetition, StoredPetitioner};

pub enum Submitter {
    Citizen,
    Staff(Box<Staff>),
    ApiKey(ApiKey),
}

pub struct Intake {
    pub number: String,
    pub query_code: String,
    pub case: Case,
    pub receiving_unit: Unit,
    pub repeat_of: Option<String>,
    /// Set when the submission was registered as refused (Art. 19 para 3, Art. 36).
    pub refused: Option<Refusal>,
}

/// Why a registered submission was refused at intake.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Refusal {
    /// Ground code, e.g. `already_in_process`.
    pub ground: String,
    pub ground_label: String,
    /// The article, e.g. `art19_3` or `art36`.
    pub rule: String,
    pub message: String,
    /// The earlier petition on the same facts and reasons — only for staff
    /// who may see it in full.
    pub earlier: Option<String>,
    /// The written 不予受理 / 不再受理 notice.
    pub notice: String,
}

/// The instant recorded for an act that took effect on `day`: now if it is
/// today, else noon Beijing time of that day (for acts done on paper and
/// entered later; `recorded_at` keeps the real time).
pub fn effective_instant(day: NaiveDate, now: DateTime<Utc>) -> DateTime<Utc> {
    if day == local_date(now) {
        return now;
    }
    let noon_utc = day.and_time(NaiveTime::from_hms_opt(4, 0, 0).unwrap_or_default());
    Utc.from_utc_datetime(&noon_utc)
}

/// Query codes are stored only as keyed hashes.
pub fn query_code_hash(keys: &Keyring, code: &str) -> String {
    keys.keyed_hash("query_code", &code.to_ascii_uppercase())
}

/// A phone number as matched: digits only, without the country code
/// (+86 / 0086), so "+86 138 0013 8000" and "13800138000" are one number.
pub fn phone_digits(phone: &str) -> String {
    let d: String = phone.chars().filter(char::is_ascii_digit).collect();
    if d.len() == 15 && d.starts_with("0086") {
        d[4..].to_string()
    } else if d.len() == 13 && d.starts_with("86") {
        d[2..].to_string()
    } else {
        d
    }
}

/// A name as matched: without any white space ("辛 八" is "辛八").
pub(crate) fn name_key(name: &str) -> String {
    name.chars().filter(|c| !c.is_whitespace()).collect()
}

/// An address as a key: letters and digits only, full-width folded and
/// lower-cased (振华路12号 3栋 and 振华路１２号3栋 are one address). Only
/// an address that points at a home does: at least six letters and digits,
/// a numeral, and a house, building, room or group word (号, 栋, 室, 组…);
/// 深圳市福田区 or 某某村 alone is no key.
fn address_key(address: &str) -> Option<String> {
    let key: String = address.chars().map(xinfang_text::segment::normalize_char).filter(|c| c.is_alphanumeric()).collect();
    let numeral = key.chars().any(|c| c.is_ascii_digit() || "一二三四五六七八九十百".contains(c));
    let home = ["号", "栋", "幢", "室", "单元", "组", "楼"].iter().any(|m| key.contains(m));
    (key.chars().count() >= MIN_ADDRESS_CHARS && numeral && home).then_some(key)
}

/// Fewest letters and digits in an address that identifies a person
/// together with a name.
const MIN_ADDRESS_CHARS: usize = 6;

/// The keys that prove a person: the identity number and name with phone.
/// A match on either is the same person, so leaving the ID number out on a
/// second channel does not evade Art. 19 para 3 or 36; intake refuses and
/// marks repeats on these alone.
fn proof_bases(p: &[Petitioner]) -> Vec<String> {
    // Every petitioner is keyed: the same person listed second is still the same person.
    let mut bases = Vec::new();
    for person in p {
        if let Some(id) = &person.id_number {
            bases.push(format!("id:{}", id.to_ascii_uppercase()));
        }
        if let Some(phone) = &person.phone {
            bases.push(format!("np:{}|{}", name_key(&person.name), phone_digits(phone)));
        }
    }
    bases.sort();
    bases.dedup();
    bases
}

/// Name with address (issue 13: "keyed identity number, phone, name +
/// address"): a hint, not proof. Two people of one common name can share
/// an estate, and anyone who knows a neighbour's name and address could
/// plant a match; so it lists a petition as the same petitioner in `GET
/// …/similar` for the clerk to judge, but never refuses or marks a repeat.
fn hint_bases(p: &[Petitioner]) -> Vec<String> {
    let mut bases: Vec<String> = p
        .iter()
        .filter_map(|person| person.address.as_deref().and_then(address_key).map(|a| format!("na:{}|{a}", name_key(&person.name))))
        .collect();
    bases.sort();
    bases.dedup();
    bases
}

/// The keys intake matches a petitioner on ([`proof_bases`]), keyed
/// hashes, never the plaintext.
pub fn proof_keys(keys: &Keyring, p: &[Petitioner]) -> Vec<String> {
    proof_bases(p).iter().map(|b| keys.keyed_hash("identity", b)).collect()
}

/// Every key a petition is stored with: the proof keys first, then the
/// name-and-address hints ([`hint_bases`]). A hint's hash can only equal
/// another hint's, so matching on [`proof_keys`] never reaches a hint.
pub fn identity_keys(keys: &Keyring, p: &[Petitioner]) -> Vec<String> {
    proof_bases(p).iter().chain(&hint_bases(p)).map(|b| keys.keyed_hash("identity", b)).collect()
}

/// Petitions whose petitioners gave no usable field, and petitions whose
/// fields did not all decrypt, in [`rebuild_identity_keys`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Rekeyed {
    pub petitions: usize,
    pub keys_added: usize,
    pub undecryptable: usize,
}

/// Add to every petition the identity keys its stored petitioners
/// (decrypted with `keys`) now give, in batches: for records kept before a
/// kind of key existed (name + address came later). Keys are only added,
/// never removed, so a key file that does not open some fields (a retired
/// key missing) loses nothing; such petitions are counted, and a run in
/// which no field at all decrypts is refused as the wrong key file.
pub async fn rebuild_identity_keys(store: &xinfang_store::Store, keys: &Keyring) -> Result<Rekeyed, xinfang_store::StoreError> {
    const BATCH: i64 = 500;
    let (mut after, mut out, mut opened) = (0, Rekeyed::default(), 0usize);
    loop {
        let ids = store.petition_ids_after(after, BATCH).await?;
        let Some(&last) = ids.last() else { break };
        after = last;
        let stored = store.petitioners_of(&ids).await?;
        let mut rows: Vec<(i64, Vec<String>)> = Vec::with_capacity(ids.len());
        for id in &ids {
            let mut failed = false;
            let people: Vec<Petitioner> = stored
                .get(id)
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|p| {
                    let (person, ok, fields) = open_petitioner(keys, p);
                    failed |= !ok;
                    opened += fields;
                    person
                })
                .collect();
            out.undecryptable += usize::from(failed);
            rows.push((*id, identity_keys(keys, &people)));
        }
        if opened == 0 && out.undecryptable > 0 {
            return Err(xinfang_store::StoreError::Corrupt(
                "the key file opens none of the petitioners' fields (the wrong key file?): nothing was changed".into(),
            ));
        }
        out.keys_added += store.add_identity_keys(&rows).await?;
        out.petitions += rows.len();
    }
    Ok(out)
}

/// A stored petitioner with its personal data decrypted (a field that does
/// not decrypt is left out), whether every field decrypted, and how many
/// fields did.
fn open_petitioner(keys: &Keyring, p: &StoredPetitioner) -> (Petitioner, bool, usize) {
    let (mut ok, mut opened) = (true, 0);
    let mut open = |f: &Option<String>| {
        let v = f.as_deref().map(|c| keys.decrypt(c).ok());
        ok &= !matches!(v, Some(None));
        opened += usize::from(matches!(v, Some(Some(_))));
        v.flatten()
    };
    let person = Petitioner {
        kind: p.kind,
        name: p.name.clone(),
        id_number: open(&p.id_number),
        phone: open(&p.phone),
        address: open(&p.address),
        representative: p.representative,
    };
    (person, ok, opened)
}

/// Encrypt a petitioner's personal data for storage, with search hashes.
pub fn seal_petitioner(keys: &Keyring, p: &Petitioner) -> StoredPetitioner {
    StoredPetitioner {
        kind: p.kind,
        name: p.name.clone(),
        id_number: p.id_number.as_deref().map(|v| keys.encrypt(&v.to_ascii_uppercase())),
        phone: p.phone.as_deref().map(|v| keys.encrypt(v)),
        address: p.address.as_deref().map(|v| keys.encrypt(v)),
        id_hash: p.id_number.as_deref().map(|v| keys.keyed_hash("id", &v.to_ascii_uppercase())),
        phone_hash: p.phone.as_deref().map(|v| keys.keyed_hash("phone", &phone_digits(v))),
        representative: p.representative,
    }
}

fn opt_trim(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

fn invalid(code: &str, msg: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, msg)
}

pub async fn intake(state: &AppState, who: Submitter, input: PetitionInput) -> ApiResult<Intake> {
    let now = Utc::now();
    let today = local_date(now);
    state.refresh_units().await?;
    let tree = state.tree();

    // Channel: citizens file online or through a leader's mailbox; staff
    // register what reached them on paper, in person or by phone.
    let channel = match &who {
        Submitter::Citizen => match input.channel.as_deref().unwrap_or("online") {
            "online" => Channel::Online,
            "mailbox" => Channel::Mailbox,
            _ => return Err(invalid("channel_not_allowed", "公众只能通过网上信访（online）或领导信箱（mailbox）提交")),
        },
        Submitter::Staff(s) => {
            s.require_role(&[Role::Clerk, Role::HandlingOfficer, Role::UnitHead])?;
            let c = input.channel.as_deref().ok_or_else(|| invalid("field_required", "请选择信访渠道（channel）"))?;
            match Channel::parse(c) {
                Some(Channel::Online) => {
                    return Err(invalid("channel_not_allowed", "网上信访由信访人自行提交，工作人员登记请选择来信、来访、来电等渠道"));
                }
                Some(ch) => ch,
                None => return Err(invalid("invalid_channel", format!("信访渠道“{c}”不存在"))),
            }
        }
        Submitter::ApiKey(k) => Channel::parse(&k.channel).unwrap_or(Channel::Online),
    };

    let received_on = match (&who, &input.received_on) {
        (Submitter::Staff(_), Some(s)) => {
            let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| invalid("invalid_date", "收到日期（received_on）格式应为YYYY-MM-DD"))?;
            // Older dates are allowed for records migrated from paper or an
            // older system, back to the start of the holiday calendar.
            if d > today || d < NaiveDate::from_ymd_opt(2004, 1, 1).unwrap_or(d) {
                return Err(invalid("invalid_date", "收到日期不能晚于今天，也不能早于2004年1月1日"));
            }
            d
        }
        (_, Some(_)) => return Err(invalid("field_not_allowed", "收到日期由系统记录，不能自行填写")),
        (_, None) => today,
    };

    // A bad class is said together with every other invalid field (the
    // registration is validated as a whole below, as a claim meanwhile).
    let mut unread = Vec::new();
    let category = Category::parse(&input.category).unwrap_or_else(|| {
        unread.push(
            xinfang_domain::DomainError::invalid(
                xinfang_domain::Rule::Input,
                "invalid_category",
                "分类（category）须为 suggestion、accusation 或 claim",
            )
            .at("category"),
        );
        Category::Claim
    });
    let mut petitioners = Vec::with_capacity(input.petitioners.len());
    for p in &input.petitioners {
        let kind = match p.kind.as_deref() {
            None | Some("person") => PetitionerKind::Person,
            Some("organisation") => PetitionerKind::Organisation,
            Some(other) => return Err(invalid("invalid_petitioner_kind", format!("信访人类型“{other}”不正确"))),
        };
        petitioners.push(Petitioner {
            kind,
            name: p.name.trim().to_string(),
            id_number: opt_trim(&p.id_number),
            phone: opt_trim(&p.phone),
            address: opt_trim(&p.address),
            representative: p.representative,
        });
    }
    let accused = input.accused.as_ref().map(|a| {
        let unit_code = opt_trim(&a.unit_code).or_else(|| {
            // An accused unit of the system named by its code or full name is
            // named by code too, so that its chain never receives the
            // accusation (Art. 30): the portal has one field for a person or
            // a unit. Only for accusations: the viewer rows keep any named
            // accused's chain out, which a claim must not lose.
            (category == Category::Accusation)
                .then(|| [&a.unit, &a.name].into_iter().flatten().find_map(|t| named_unit(&tree, t)))
                .flatten()
                .map(|u| u.code.clone())
        });
        Accused { name: opt_trim(&a.name), unit: opt_trim(&a.unit), position: opt_trim(&a.position), unit_code }
    });
    if let Some(code) = accused.as_ref().and_then(|a| a.unit_code.as_deref())
        && tree.by_code(code).is_none()
    {
        return Err(invalid("unknown_unit", format!("被检举单位代码“{code}”不存在")));
    }
    let headcount = input.headcount.unwrap_or(if input.collective { 0 } else { petitioners.len().max(1) as u32 });
    let reg = Registration {
        channel,
        petitioners,
        collective: input.collective,
        headcount,
        jurisdiction: input.jurisdiction.trim().to_string(),
        title: input.title.trim().to_string(),
        content: input.content.trim().to_string(),
        request: input.request.trim().to_string(),
        facts_and_reasons: input.facts_and_reasons.trim().to_string(),
        category,
        litigation_related: input.litigation_related,
        topic: opt_trim(&input.topic),
        accused,
        anonymous: input.anonymous,
        confidential: input.confidential,
        received_on,
    };
    unread.extend(reg.validate_all());
    if let Some(e) = ApiError::from_all(unread) {
        return Err(e);
    }

    if !state.store.jurisdiction_known(&reg.jurisdiction).await? {
        return Err(invalid("unknown_jurisdiction", format!("行政区划代码“{}”不存在", reg.jurisdiction)));
    }
    if let Some(t) = &reg.topic
        && state.store.topic(t).await?.is_none()
    {
        return Err(invalid("unknown_topic", format!("内容分类“{t}”不存在")));
    }

    // The receiving unit.
    let receiving = match (&who, opt_trim(&input.target_unit)) {
        (Submitter::Citizen, Some(code)) => {
            if channel != Channel::Mailbox {
                return Err(invalid("field_not_allowed", "只有领导信箱可以指定受信单位（target_unit）"));
            }
            let unit = tree.by_code(&code).cloned().ok_or_else(|| invalid("unknown_unit", format!("单位代码“{code}”不存在")))?;
            // Only units that publish a leader's mailbox can be written to through it.
            if !unit.publishes_mailbox() {
                return Err(invalid("no_mailbox", format!("{}未开设领导信箱", unit.name)));
            }
            unit
        }
        (Submitter::Citizen, None) => tree
            .bureau_for(&reg.jurisdiction)
            .cloned()
            .ok_or_else(|| invalid("no_bureau_for_jurisdiction", "该属地尚未开通网上信访，请选择上一级行政区划"))?,
        (Submitter::Staff(s), None) => s.unit.clone(),
        (Submitter::Staff(_), Some(_)) => return Err(invalid("field_not_allowed", "工作人员登记的事项由本单位收到，不能指定受信单位")),
        (Submitter::ApiKey(k), _) => tree.get(k.unit_id).cloned().ok_or_else(ApiError::internal)?,
    };

    // An accusation naming the unit that would receive it (or a unit of its
    // chain) goes to the discipline body of the area, or one level up:
    // nobody holds an accusation against itself (Art. 30).
    let receiving = match (reg.category, reg.accused.as_ref().and_then(|a| a.unit_code.as_deref()).and_then(|c| tree.by_code(c))) {
        (Category::Accusation, Some(accused)) => xinfang_domain::access::accusation_receiver(&tree, &receiving, accused.id).clone(),
        _ => receiving,
    };
    // The wage-arrears green channel (issue 14, item 5): a claim about
    // migrant workers' unpaid wages is flagged (routed below, once the
    // refusal rules have been judged at the ordinary receiver).
    let green = xinfang_domain::green_channel::recognise(
        reg.category == Category::Claim,
        reg.topic.as_deref(),
        &[reg.title.as_str(), &reg.content, &reg.request, &reg.facts_and_reasons].join("\n"),
    );
    let mut attachments = match state.store.objects() {
        Ok(objects) => {
            attachments::decode(objects, &input.attachments, state.settings.max_attachments, state.settings.max_attachment_bytes).await?
        }
        Err(_) if input.attachments.is_empty() => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    // Files of a multipart form, already streamed into the object store.
    attachments.extend(input.staged.iter().cloned());
    if attachments.len() > state.settings.max_attachments {
        return Err(ApiError::bad_request("too_many_attachments", format!("附件不能超过{}个", state.settings.max_attachments)));
    }

    // Same petitioner, same facts and reasons: refuse (Art. 36, Art. 19
    // para 3) or mark as a repeat petition.
    let keys = &state.keyring;
    let identity = identity_keys(keys, &reg.petitioners);
    let override_reason = match (&who, opt_trim(&input.new_facts_reason)) {
        (Submitter::Staff(_), r) => r,
        (_, Some(_)) => return Err(invalid("field_not_allowed", "new_facts_reason 只能由工作人员填写")),
        (_, None) => None,
    };
    let text = matter_text(&reg.request, &reg.facts_and_reasons);
    // Only proof matches a person here: a name-and-address hint never
    // refuses or marks a repeat (see `hint_bases`).
    let same_people = state.store.same_petitioner(&proof_keys(keys, &reg.petitioners)).await?;
    // The same submission sent again — the Back button and 提交 once more,
    // a reloaded form with a fresh form token, a client retrying without an
    // idempotency key — is the petition already filed, not a second one:
    // it would get a number, a deadline of its own and count as a repeat.
    // It may have landed at the receiving unit or, a migrant worker's wage
    // claim filed online, at the labour inspection (decided further down).
    let lands_at: Vec<UnitId> = std::iter::once(receiving.id)
        .chain(green.as_ref().and_then(|_| xinfang_domain::green_channel::labour_inspection(&tree, &reg.jurisdiction)).map(|u| u.id))
        .collect();
    let resent: Vec<&xinfang_store::MatterCandidate> =
        same_people.iter().rev().filter(|e| sent_again(e, &reg, &who, &lands_at, now)).collect();
    let first = if resent.is_empty() {
        None
    } else {
        // …by exactly the same people: names, identity numbers and phones.
        let mark = |p: &StoredPetitioner| (p.name.clone(), p.id_hash.clone(), p.phone_hash.clone());
        let mine: Vec<_> = reg.petitioners.iter().map(|p| mark(&seal_petitioner(keys, p))).collect();
        let stored = state.store.petitioners_of(&resent.iter().map(|e| e.id).collect::<Vec<_>>()).await?;
        resent.into_iter().find(|e| stored.get(&e.id).is_some_and(|theirs| theirs.iter().map(mark).eq(mine.iter().cloned())))
    };
    if let Some(first) = first {
        let minutes = (now - first.registered_at).num_minutes().max(0);
        let when = if minutes == 0 { "刚才".to_string() } else { format!("{minutes}分钟前") };
        // Told to a citizen: no other petition's number (anyone who knows
        // a phone number could otherwise ask).
        let message = format!("您{when}已提交过内容完全相同的信访事项，请勿重复提交；请用首次提交后获得的编号和查询码查询办理进度");
        return Err(ApiError::new(StatusCode::CONFLICT, "already_submitted", message));
    }
    // When a group's earlier petitions reached us (risk: repeats rising).
    let group_dates: Vec<chrono::NaiveDate> =
        if reg.collective || reg.petitioners.len() > 1 { same_people.iter().map(|e| e.case.received_on).collect() } else { Vec::new() };
    let matches: Vec<xinfang_store::MatterCandidate> =
        same_people.into_iter().filter(|e| same_matter(&text, &matter_text(&e.request, &e.facts_and_reasons))).collect();
    let repeat_of = matches.last().map(|m| m.number.clone());
    // The earlier number is told only to staff who may see that petition in
    // full; a citizen (or an API key) learns nothing about other petitions.
    let disclosed_repeat = match matches.last() {
        Some(m) if may_see_in_full(state, &who, m, &tree).await? => Some(m.number.clone()),
        _ => None,
    };
    // The first earlier matter that refuses this one, judged today: a
    // back-dated `received_on` must not manufacture (or dodge) a refusal.
    let conflict = matches.iter().find(|m| intake_conflict(&m.case, &m.number, receiving.id, &tree, today, false, m.next_due_on).is_some());
    let mut refusal: Option<(xinfang_domain::petition::DeclineGround, xinfang_domain::DomainError, Option<String>)> = None;
    // The 复核 that closed the earlier matter, for a 不再受理告知书.
    let mut closed_by: Option<(String, chrono::NaiveDate)> = None;
    if let Some(earlier) = conflict {
        let disclose = may_see_in_full(state, &who, earlier, &tree).await?;
        // Genuinely new facts make a new item, but only the unit head may
        // say so at the door (four eyes): anyone else's registration is
        // recorded as refused and the head may reopen it (`reaccept`) on the
        // stated new fact.
        let head_override = override_reason.as_deref().is_some_and(|r| r.chars().count() >= 4)
            && matches!(&who, Submitter::Staff(s) if s.user.role == Role::UnitHead);
        if let (false, Some((ground, err))) =
            (head_override, intake_conflict(&earlier.case, &earlier.number, receiving.id, &tree, today, disclose, earlier.next_due_on))
        {
            let record = EventDraft {
                action: "repeat_refused".into(),
                actor: actor_ref(&who),
                occurred_at: now,
                from_state: Some(earlier.case.state),
                to_state: earlier.case.state,
                payload: json!({"rule": err.rule.code(), "receiving_unit": receiving.code, "channel": channel.as_str(), "title": reg.title}),
                reason: Some(err.message.clone()),
            };
            state.store.append_event(earlier.id, &record).await?;
            closed_by = earlier.case.final_review_unit.and_then(|u| tree.get(u)).map(|u| u.name.clone()).zip(
                earlier
                    .case
                    .document
                    .as_ref()
                    .filter(|d| d.kind == xinfang_domain::procedure::DocumentKind::FinalReviewOpinion)
                    .map(|d| d.issued_on),
            );
            refusal = Some((ground, err, disclose.then(|| earlier.number.clone())));
        }
    }

    // Not refused, one filed online goes straight to the labour inspection
    // of the place's county (Art. 19: to the organ competent to handle it),
    // not through the bureau's 15 days. Art. 19 para 3 and Art. 36 were
    // judged above at the bureau, so the lane is no way around them.
    let receiving = match (&who, channel, &green, &refusal) {
        (Submitter::Citizen, Channel::Online, Some(_), None) => {
            xinfang_domain::green_channel::labour_inspection(&tree, &reg.jurisdiction).cloned().unwrap_or(receiving)
        }
        _ => receiving,
    };
    let green = green.filter(|_| refusal.is_none());
    let ctx = Ctx {
        on: received_on,
        now,
        calendar: &state.calendar(),
        tree: &tree,
        policy: state.settings.policy,
        window_policy: state.settings.window_policy,
    };
    let mut case = register(&reg, &receiving, &ctx);
    case.repeat = repeat_of.is_some();
    // Nothing a petitioner submits disappears without a record: a refused
    // submission is registered too, with its number and a written notice
    // stating the ground (不予受理 / 不再受理).
    let refused = refusal.as_ref().map(|(ground, err, earlier)| {
        use xinfang_domain::petition::{DeclineGround, State};
        case.state = if *ground == DeclineGround::ConcludedAfterFinalReview { State::NotReaccepted } else { State::Declined };
        case.decline_ground = Some(*ground);
        for d in case.deadlines.iter_mut() {
            d.met_at = Some(now);
        }
        let head = if case.state == State::NotReaccepted { "不再受理" } else { "不予受理" };
        let _ = &head;
        Refusal {
            ground: ground.as_str().into(),
            ground_label: ground.label().into(),
            rule: err.rule.code().into(),
            message: err.message.clone(),
            earlier: earlier.clone(),
            notice: format!(
                "{}于{}收到您的信访事项。经查，{}。特此书面告知：{head}。",
                receiving.name,
                xinfang_domain::letters::cn_date(received_on),
                err.message
            ),
        }
    });
    let mut random = [0u8; QUERY_CODE_LEN];
    rand::rng().fill_bytes(&mut random);
    let query_code = query_code_from(&random);
    let action = if matches!(who, Submitter::Staff(_)) { "register" } else { "submit" };
    let event = EventDraft {
        action: action.into(),
        actor: actor_ref(&who),
        occurred_at: effective_instant(received_on, now),
        from_state: None,
        to_state: case.state,
        payload: json!({
            "channel": channel.as_str(),
            "receiving_unit": receiving.code,
            "received_on": received_on,
            "repeat_of": disclosed_repeat,
            "new_facts_reason": override_reason,
            "refused": refused.as_ref().map(|r| json!({"ground": r.ground, "rule": r.rule, "earlier": r.earlier})),
            "attachments": attachments.len(),
        }),
        reason: None,
    };
    let notice = match &refused {
        Some(r) => r.notice.clone(),
        None => format!(
            "{}已于{}收到您的信访事项，将自收到之日起15日内依法处理并书面告知。",
            receiving.name,
            xinfang_domain::letters::cn_date(received_on)
        ),
    };
    // A refusal is a written notice (不予受理 / 不再受理告知书), issued with it.
    let mut rows = xinfang_store::ActRows::default();
    if let Some((ground, err, _)) = &refusal {
        let facts = xinfang_domain::letters::PetitionFacts {
            number: String::new(),
            petitioner_names: if reg.anonymous { Vec::new() } else { reg.petitioners.iter().map(|p| p.name.clone()).collect() },
            anonymous: reg.anonymous,
            received_on: Some(received_on),
            title: reg.title.clone(),
            content: reg.content.clone(),
            request: reg.request.clone(),
            facts_and_reasons: reg.facts_and_reasons.clone(),
            channel: channel.label().into(),
            category: reg.category.label().into(),
        };
        let calendar = state.calendar();
        let lc = xinfang_domain::letters::LetterCtx { tree: &tree, calendar: &calendar, actor_unit: receiving.id, on: received_on };
        rows.letters.extend(xinfang_domain::letters::refusal_letter(*ground, &err.message, receiving.id, &facts, &lc, closed_by.clone()));
    }
    // Risk signals in the text (issue 13, item 4): an alert for the
    // receiving unit and, when urgent, for the area's petition bureau
    // (`domain::alerting`), with an e-mail at once to their duty officers.
    // The scan is CPU work (tens of milliseconds on the longest texts):
    // off the async threads, as password hashing is.
    let scanned = crate::triage::scanned_text(&reg.title, &reg.content, &reg.request, &reg.facts_and_reasons);
    let mut risk = crate::triage::risk_of(scanned, state.urgent.model()).await?;
    if let Some(signal) = (!group_dates.is_empty()).then(|| crate::triage::group_signal(&group_dates, received_on)).flatten() {
        risk.signals.push(signal);
        if risk.level == "none" {
            risk.level = "elevated".into();
        }
    }
    let mut risk_alerts = Vec::new();
    if !risk.signals.is_empty() {
        let urgent = risk.level == "urgent";
        let recipients = crate::notices::alert_recipients(state, receiving.id, urgent, &case, reg.confidential);
        let signals = serde_json::to_string(&risk.signals).unwrap_or_default();
        risk_alerts = recipients
            .iter()
            .map(|r| xinfang_store::NewRiskAlert { unit_id: r.unit, level: risk.level.clone(), signals: signals.clone() })
            .collect();
        if urgent {
            rows.jobs.extend(crate::notices::risk_alert_mail(state, &recipients, receiving.id, &reg.title, &risk, None, now).await?);
        }
    }
    let green_channel = green.map(|g| xinfang_store::NewGreenChannel {
        state: "flagged".into(),
        words: serde_json::to_string(&g.words).unwrap_or_default(),
        migrant: g.migrant,
        amount_claimed: g.amount,
        workers: g.workers,
        received_on: received_on.to_string(),
        contact_due: xinfang_domain::green_channel::after_working_days(
            &state.calendar(),
            received_on,
            state.settings.green_channel_contact_days,
        )
        .to_string(),
    });
    let source_key_id = match &who {
        Submitter::ApiKey(k) => Some(k.id),
        _ => None,
    };
    let (_, number) = state
        .store
        .insert_petition(NewPetition {
            reg: reg.clone(),
            petitioners: reg.petitioners.iter().map(|p| seal_petitioner(keys, p)).collect(),
            number_prefix: number_prefix(&receiving.jurisdiction, received_on),
            number_key: keys.keyed_hash("number", &number_prefix(&receiving.jurisdiction, received_on)).into_bytes(),
            query_code_hash: query_code_hash(keys, &query_code),
            identity_keys: identity,
            repeat_of: repeat_of.clone(),
            source_key_id,
            case: case.clone(),
            event,
            notice: Some(notice),
            attachments,
            involved: vec![(receiving.id, receiving.path.clone())],
            accused_unit_path: case.accused_unit.and_then(|u| tree.get(u)).map(|u| u.path.clone()),
            registered_at: now,
            rows,
            search_tokens: crate::search::registration_tokens(&crate::search::segmenter(&tree), keys, &reg),
            risk_alerts,
            green_channel,
        })
        .await?;
    crate::observe::intake_done(channel.as_str());
    // Issue 14: a visit registered while a lawyer is on duty at the unit
    // records the lawyer on it (the registration stands either way).
    if let (Channel::Visit, Submitter::Staff(s)) = (channel, &who)
        && let Err(e) = crate::api::duty::on_visit_registered(state, s, &number, receiving.id, received_on).await
    {
        tracing::error!(error = %e.message, number = %number, "recording the duty lawyer on a visit failed");
    }
    Ok(Intake { number, query_code, case, receiving_unit: receiving, repeat_of: disclosed_repeat, refused })
}

/// Whether the submitter may be told of an earlier petition: staff who can
/// reach it and see it in full; never a citizen or an API client.
async fn may_see_in_full(
    state: &AppState,
    who: &Submitter,
    earlier: &xinfang_store::MatterCandidate,
    tree: &xinfang_domain::unit::UnitTree,
) -> ApiResult<bool> {
    let Submitter::Staff(s) = who else { return Ok(false) };
    if !state.store.petition_visible(earlier.id, &s.visibility(tree)).await? {
        return Ok(false);
    }
    Ok(xinfang_domain::access::view(&earlier.case, earlier.confidential, s.unit.id, s.user.role, tree)
        == xinfang_domain::access::View::Full)
}

/// How many minutes after a submission the same words from the same
/// people are taken for that submission sent again.
pub const SENT_AGAIN_MINUTES: i64 = 30;

/// Whether `earlier` (filed by the same people) is this citizen's
/// submission sent again: the same channel, place and receiving unit (one
/// of `lands_at`), the
/// same title, content, request, and facts and reasons word for word,
/// within [`SENT_AGAIN_MINUTES`], while nobody has acted on the first yet.
/// Re-worded, it is a matter for repeat detection.
fn sent_again(
    earlier: &xinfang_store::MatterCandidate,
    reg: &Registration,
    who: &Submitter,
    lands_at: &[UnitId],
    now: DateTime<Utc>,
) -> bool {
    // Once anyone has acted on the first (forwarded, refused, concluded…),
    // the same words again are a new submission, for the rules on repeats.
    // A citizen's own form only: a clerk registering the same call twice
    // is shown the first as a repeat candidate at registration, and may
    // have reasons (two calls noted alike) this rule cannot see.
    matches!(who, Submitter::Citizen)
        && earlier.case.state == xinfang_domain::petition::State::Registered
        && now - earlier.registered_at <= chrono::Duration::minutes(SENT_AGAIN_MINUTES)
        && lands_at.contains(&earlier.case.registered_unit)
        && earlier.case.jurisdiction == reg.jurisdiction
        && earlier.channel == reg.channel.as_str()
        && earlier.title == reg.title
        && earlier.content == reg.content
        && earlier.request == reg.request
        && earlier.facts_and_reasons == reg.facts_and_reasons
}

pub fn actor_ref(who: &Submitter) -> ActorRef {
    match who {
        Submitter::Citizen => ActorRef { kind: "petitioner", user_id: None, unit_id: None },
        Submitter::Staff(s) => ActorRef { kind: "staff", user_id: Some(s.user.id), unit_id: Some(s.unit.id) },
        Submitter::ApiKey(k) => ActorRef { kind: "api_key", user_id: None, unit_id: Some(k.unit_id) },
    }
}

/// The unit of the tree that words typed for an accused name: its code or
/// its full name, exactly. A longer text that merely contains a unit's name
/// (冒充福田区人民法院工作人员的人) is not taken as naming it: a wrong
/// designation would lift the guard that keeps an accusation with the
/// discipline bodies until its accused is named (`accused_not_designated`),
/// so such words are left for the clerk or the discipline body to designate.
pub fn named_unit<'t>(tree: &'t xinfang_domain::unit::UnitTree, typed: &str) -> Option<&'t xinfang_domain::unit::Unit> {
    let typed = typed.trim();
    // Nothing longer than a unit's name can be one (and a long text is not
    // compared with every name).
    if typed.is_empty() || typed.chars().count() > 64 {
        return None;
    }
    tree.by_code(typed).or_else(|| {
        let mut named = tree.all().filter(|u| u.name == typed);
        // Two units of one name (城关镇 in two counties) name neither.
        match (named.next(), named.next()) {
            (Some(u), None) => Some(u),
            _ => None,
        }
    })
}
