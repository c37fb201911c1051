//! Which written documents an act issues, and what each is filled with
//! (issue 11). Pure: the act, the case before and after, and the facts of
//! the petition in; letter drafts out. The store fixes each draft's fields
//! in the act's transaction, numbers it (文号) and a worker renders the PDF
//! from exactly those fields, so a letter always says what the record said
//! when it was issued.

use crate::calendar::HolidayCalendar;
use crate::deadline::TimerKind;
use crate::error::Rule;
use crate::petition::{DeclineGround, ReviewOutcome, SupervisionLetter};
use crate::procedure::{AgreementKind, Case, Command};
use crate::unit::{UnitId, UnitTree};
use chrono::NaiveDate;
use serde_json::{Value, json};

macro_rules! letter_kinds {
    ($($var:ident = $code:literal / $title:literal / $abbr:literal / $to_petitioner:literal / $article:expr),+ $(,)?) => {
        /// A kind of letter: its code (the template's name), title, the
        /// character of its 文号, whether it is addressed to the petitioner
        /// (shown on the tracking page), and the provision it rests on.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum LetterKind { $($var),+ }
        impl LetterKind {
            pub const ALL: &'static [LetterKind] = &[$(LetterKind::$var),+];
            pub fn as_str(self) -> &'static str { match self { $(LetterKind::$var => $code),+ } }
            pub fn title(self) -> &'static str { match self { $(LetterKind::$var => $title),+ } }
            /// The character of the issuing unit's 文号 for this kind.
            pub fn abbr(self) -> &'static str { match self { $(LetterKind::$var => $abbr),+ } }
            pub fn to_petitioner(self) -> bool { match self { $(LetterKind::$var => $to_petitioner),+ } }
            pub fn rule(self) -> Rule { match self { $(LetterKind::$var => $article),+ } }
            pub fn parse(s: &str) -> Option<LetterKind> { match s { $($code => Some(LetterKind::$var),)+ _ => None } }
        }
    };
}

letter_kinds! {
    AcceptanceNotice = "acceptance_notice" / "受理告知书" / "受" / true / Rule::Art23,
    DeclineNotice = "decline_notice" / "不予受理告知书" / "不受" / true / Rule::Art23,
    NoLongerAcceptedNotice = "no_longer_accepted_notice" / "不再受理告知书" / "不再" / true / Rule::Art36,
    ForwardForm = "forward_form" / "信访事项转送单" / "转" / false / Rule::Art22,
    AssignForm = "assign_form" / "信访事项交办单" / "交" / false / Rule::Art22,
    ExtensionNotice = "extension_notice" / "延期办理告知书" / "延" / true / Rule::Art34,
    DecisionLetter = "decision_letter" / "信访事项处理意见书" / "处" / true / Rule::Art32,
    ReviewOpinion = "review_opinion" / "信访事项复查意见书" / "复查" / true / Rule::Art35,
    FinalReviewOpinion = "final_review_opinion" / "信访事项复核意见书" / "复核" / true / Rule::Art36,
    MediationAgreement = "mediation_agreement" / "调解协议书" / "调" / true / Rule::Art33,
    SettlementAgreement = "settlement_agreement" / "和解协议书" / "和" / true / Rule::Art33,
    SupervisionLetter = "supervision_letter" / "督办函" / "督" / false / Rule::Art40,
    AssignmentLetter = "assignment_letter" / "交办函" / "交办" / false / Rule::Art40,
    ReminderLetter = "reminder_letter" / "提醒函" / "提醒" / false / Rule::Art40,
}

/// What a letter says about the petition itself, read from the record.
#[derive(Debug, Clone, Default)]
pub struct PetitionFacts {
    /// Empty for a petition being registered (the store fills it in).
    pub number: String,
    /// The petitioners' names (empty for an anonymous petition).
    pub petitioner_names: Vec<String>,
    pub anonymous: bool,
    pub received_on: Option<NaiveDate>,
    pub title: String,
    pub content: String,
    pub request: String,
    pub facts_and_reasons: String,
    pub channel: String,
    pub category: String,
}

/// A letter to issue: its kind, the unit issuing it, and its fields.
#[derive(Debug, Clone, PartialEq)]
pub struct LetterDraft {
    pub kind: LetterKind,
    pub issuer: UnitId,
    pub issued_on: NaiveDate,
    /// The template's fields (`docs/letters.md`), without `doc_number`,
    /// which the store assigns.
    pub data: Value,
}

/// A date as official documents write it: 2026年11月30日.
pub fn cn_date(d: NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// A day with its weekday, as a notice to a person says it:
/// 2026年12月7日（星期一）.
pub fn cn_day_with_weekday(d: NaiveDate) -> String {
    use chrono::Datelike;
    const DAYS: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];
    format!("{}（星期{}）", cn_date(d), DAYS[d.weekday().num_days_from_monday() as usize])
}

/// The provision behind a decline ground (the letter cites it).
pub fn ground_rule(ground: DeclineGround) -> Rule {
    match ground {
        DeclineGround::StatutoryProcedure => Rule::Art31,
        DeclineGround::SkippedLevels => Rule::Art20,
        DeclineGround::AlreadyInProcess => Rule::Art19Para3,
        DeclineGround::ReviewWindowLapsed => Rule::Art35,
        DeclineGround::ConcludedAfterFinalReview => Rule::Art36,
    }
}

/// The provision a decline notice cites for its ground: the article itself
/// where the rule's own citation spans several (Art. 31 is cited as
/// 第二十九条至第三十一条 for classification).
pub fn decline_citation(ground: DeclineGround) -> String {
    match ground {
        // Which of Art. 31's routes (litigation, arbitration, a Party
        // member's appeal, reconsideration…) is said in the reason.
        DeclineGround::StatutoryProcedure => "《信访工作条例》第三十一条".to_string(),
        other => ground_rule(other).citation().to_string(),
    }
}

/// Working days a supervised unit has to answer a supervision letter in
/// writing (a common local practice; the Regulations set no number).
pub const SUPERVISION_REPLY_WORKING_DAYS: u32 = 5;

/// Everything an act needs to fill its letters.
pub struct LetterCtx<'a> {
    pub tree: &'a UnitTree,
    pub calendar: &'a HolidayCalendar,
    /// The unit of the staff member acting.
    pub actor_unit: UnitId,
    pub on: NaiveDate,
}

/// The letters `cmd` issues, taking `before` to `after`.
pub fn letters_for(cmd: &Command, before: &Case, after: &Case, facts: &PetitionFacts, lc: &LetterCtx) -> Vec<LetterDraft> {
    let name = |id: Option<UnitId>| id.and_then(|u| lc.tree.get(u)).map(|u| u.name.clone()).unwrap_or_default();
    let code_name = |code: &str| lc.tree.by_code(code).map(|u| u.name.clone()).unwrap_or_else(|| code.to_string());
    let due = |case: &Case, kinds: &[TimerKind]| {
        kinds.iter().filter_map(|k| case.timer(*k)).filter(|d| d.met_at.is_none()).map(|d| cn_date(d.due_on)).next().unwrap_or_default()
    };
    let reviewer_of = |id: UnitId| lc.tree.review_options(id).first().map(|u| u.name.clone()).unwrap_or_else(|| "上一级行政机关".into());
    let mut out = Vec::new();
    let mut issue = |kind: LetterKind, issuer: UnitId, addressee: String, fields: Value| {
        if kind.to_petitioner() && facts.anonymous {
            // Art. 23: no written notice where there is no one to address.
            return;
        }
        let mut data = common(kind, facts, lc.on, &name(Some(issuer)), &addressee);
        if let (Value::Object(d), Value::Object(f)) = (&mut data, fields) {
            d.extend(f);
        }
        // The action table names the letters an act issues (one fact).
        debug_assert!(
            crate::procedure::actions::spec(cmd.name()).is_some_and(|a| a.letters.contains(&kind)),
            "{} issues {kind:?}",
            cmd.name()
        );
        out.push(LetterDraft { kind, issuer, issued_on: lc.on, data });
    };
    let petitioner = petitioner_addressee(facts);
    let cur = before.current_unit;
    match cmd {
        Command::Accept { simplified, note, .. } => {
            let handling = after.handling_unit.unwrap_or(cur);
            let due_on = due(after, &[TimerKind::S1, TimerKind::T6, TimerKind::D3]);
            // The letter states the time limit; an item taken into another
            // statutory procedure (Art. 31 routes 1–5) has none of ours, and
            // its notice is the act's written notice on the tracking page.
            if due_on.is_empty() {
                return out;
            }
            issue(
                LetterKind::AcceptanceNotice,
                cur,
                petitioner,
                json!({
                    "handling_unit": name(Some(handling)),
                    "accepted_on": cn_date(lc.on),
                    "due_on": due_on,
                    "simplified": *simplified,
                    "told": note.trim(),
                    "contact": "",
                }),
            );
        }
        Command::Decline { ground, reason, proper_channel } => {
            let kind = if *ground == DeclineGround::ConcludedAfterFinalReview {
                LetterKind::NoLongerAcceptedNotice
            } else {
                LetterKind::DeclineNotice
            };
            let mut fields = json!({
                "ground": ground.label(),
                "reason": reason,
                "proper_channel": proper_channel,
                "article": decline_citation(*ground),
            });
            if kind == LetterKind::NoLongerAcceptedNotice {
                let unit = name(before.final_review_unit);
                fields["final_review_unit"] = json!(if unit.is_empty() { "原复核机关".to_string() } else { unit });
                fields["final_review_on"] = json!(FINAL_REVIEW_ON_UNKNOWN);
            }
            issue(kind, cur, petitioner, fields);
        }
        Command::Forward { unit, note } | Command::Assign { unit, instructions: note, .. } => {
            let assign = matches!(cmd, Command::Assign { .. });
            let to = code_name(unit);
            let mut fields = json!({
                "to_unit": to,
                "from_unit": name(Some(lc.actor_unit)),
                "channel": facts.channel,
                "category": facts.category,
                "content": petition_text(facts),
                "request": facts.request,
                "note": note,
            });
            if let Command::Assign { due_on, .. } = cmd {
                fields["due_on"] = json!(cn_date(*due_on));
            }
            let kind = if assign { LetterKind::AssignForm } else { LetterKind::ForwardForm };
            issue(kind, lc.actor_unit, to, fields);
        }
        Command::Extend { days, reason } => {
            issue(
                LetterKind::ExtensionNotice,
                cur,
                petitioner,
                json!({
                    "days": days,
                    "reason": reason,
                    "original_due_on": due(before, &[TimerKind::T6]),
                    "new_due_on": due(after, &[TimerKind::T6]),
                }),
            );
        }
        Command::Conclude { outcome, request, facts_and_reasons, decision, legal_basis } => {
            let handling = before.handling_unit.unwrap_or(cur);
            issue(
                LetterKind::DecisionLetter,
                cur,
                petitioner,
                json!({
                    "request": request,
                    "facts_and_reasons": facts_and_reasons,
                    "decision": decision,
                    "legal_basis": legal_basis,
                    "outcome": outcome.label(),
                    "review_unit": reviewer_of(handling),
                    "review_days": 30,
                }),
            );
        }
        Command::DecideReview { outcome, opinion, facts_and_reasons, legal_basis }
        | Command::DecideFinalReview { outcome, opinion, facts_and_reasons, legal_basis } => {
            let final_review = matches!(cmd, Command::DecideFinalReview { .. });
            let kind = if final_review { LetterKind::FinalReviewOpinion } else { LetterKind::ReviewOpinion };
            let mut fields = json!({
                "outcome": outcome.label(),
                "opinion": opinion,
                "facts_and_reasons": facts_and_reasons,
                "legal_basis": legal_basis,
                "original_unit": name(before.handling_unit),
            });
            if !final_review {
                fields["final_review_unit"] = json!(reviewer_of(cur));
                fields["final_review_days"] = json!(30);
            }
            // Nothing is decided yet that 复核 could hear: the original unit
            // answers again, and that answer opens 复查 anew (the letter
            // says so instead of the 复核 right).
            fields["redo"] = json!(*outcome == ReviewOutcome::OrderRedo);
            issue(kind, cur, petitioner, fields);
        }
        Command::Mediate { agreement, summary, .. } => {
            let kind = match agreement {
                AgreementKind::Mediation => LetterKind::MediationAgreement,
                AgreementKind::Settlement => LetterKind::SettlementAgreement,
            };
            let mut parties: Vec<String> = facts.petitioner_names.clone();
            parties.push(name(before.handling_unit.or(Some(cur))));
            issue(
                kind,
                cur,
                petitioner,
                json!({
                    "parties": parties,
                    "summary": summary,
                    "mediator": name(Some(cur)),
                    "signed_on": cn_date(lc.on),
                }),
            );
        }
        Command::Supervise { reason, suggestions, letter } => {
            let kind = match letter.unwrap_or(SupervisionLetter::Supervision) {
                SupervisionLetter::Supervision => LetterKind::SupervisionLetter,
                SupervisionLetter::Assignment => LetterKind::AssignmentLetter,
                SupervisionLetter::Reminder => LetterKind::ReminderLetter,
            };
            let to = name(Some(cur));
            let reply_due = crate::supervision::reply_due(lc.on, lc.calendar);
            issue(
                kind,
                lc.actor_unit,
                to.clone(),
                json!({
                    "to_unit": to,
                    "reason": reason,
                    "suggestions": if suggestions.trim().is_empty() { DEFAULT_SUGGESTIONS } else { suggestions.as_str() },
                    "reply_due_on": cn_date(reply_due),
                    "due_on": before.next_duty_due().map(cn_date).unwrap_or_else(|| "法定期限".into()),
                }),
            );
        }
        _ => {}
    }
    out
}

/// The 不予受理 / 不再受理 letter of a submission refused at intake.
/// `final_review`: the unit and day of the 复核 that closed the earlier
/// petition, when the refusal is 不再受理 and the earlier one is known.
pub fn refusal_letter(
    ground: DeclineGround,
    reason: &str,
    receiving: UnitId,
    facts: &PetitionFacts,
    lc: &LetterCtx,
    final_review: Option<(String, NaiveDate)>,
) -> Option<LetterDraft> {
    if facts.anonymous {
        return None;
    }
    let kind =
        if ground == DeclineGround::ConcludedAfterFinalReview { LetterKind::NoLongerAcceptedNotice } else { LetterKind::DeclineNotice };
    let issuer_name = lc.tree.get(receiving).map(|u| u.name.clone()).unwrap_or_default();
    let mut data = common(kind, facts, lc.on, &issuer_name, &petitioner_addressee(facts));
    if let Value::Object(d) = &mut data {
        d.insert("ground".into(), json!(ground.label()));
        d.insert("reason".into(), json!(reason));
        d.insert("proper_channel".into(), json!(proper_channel(ground)));
        d.insert("article".into(), json!(ground_rule(ground).citation()));
        let (unit, on) = match final_review {
            Some((unit, on)) => (unit, cn_date(on)),
            None => ("原复核机关".into(), FINAL_REVIEW_ON_UNKNOWN.into()),
        };
        d.insert("final_review_unit".into(), json!(unit));
        d.insert("final_review_on".into(), json!(on));
    }
    Some(LetterDraft { kind, issuer: receiving, issued_on: lc.on, data })
}

/// Where a refused petitioner is sent, by ground.
pub fn proper_channel(ground: DeclineGround) -> &'static str {
    match ground {
        DeclineGround::StatutoryProcedure => "依照法律、行政法规规定的程序向有关机关提出",
        DeclineGround::SkippedLevels => "向依法有权处理的本级或者上一级机关提出",
        DeclineGround::AlreadyInProcess => "等待正在办理的机关作出处理意见，并可通过查询码查询办理进展",
        DeclineGround::ReviewWindowLapsed => "如有正当理由，可以向复查（复核）机关说明并申请",
        DeclineGround::ConcludedAfterFinalReview => "如有新的事实和理由，可以另行提出",
    }
}

/// Said of a 复核 whose date the refusing unit does not have at hand.
const FINAL_REVIEW_ON_UNKNOWN: &str = "此前";

/// The supervision letter's request when the supervisor wrote none.
const DEFAULT_SUGGESTIONS: &str = "请依法依规、按期办理，并将办理情况书面报告。";

/// What the petition says, for a form: its content, or its facts and
/// reasons, or its title.
fn petition_text(facts: &PetitionFacts) -> String {
    [&facts.content, &facts.facts_and_reasons, &facts.title]
        .into_iter()
        .find(|t| !t.trim().is_empty())
        .cloned()
        .unwrap_or_else(|| "—".into())
}

fn petitioner_addressee(facts: &PetitionFacts) -> String {
    match facts.petitioner_names.as_slice() {
        [] => "信访人".into(),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first}等{}人", rest.len() + 1),
    }
}

fn common(kind: LetterKind, facts: &PetitionFacts, on: NaiveDate, issuer: &str, addressee: &str) -> Value {
    json!({
        "title": kind.title(),
        "addressee": addressee,
        "issuer": issuer,
        "issued_on": cn_date(on),
        "petition_number": facts.number,
        "petitioner_name": if facts.petitioner_names.is_empty() { "匿名信访人".to_string() } else { facts.petitioner_names.join("、") },
        "received_on": facts.received_on.map(cn_date).unwrap_or_else(|| "—".into()),
        "subject": if facts.title.trim().is_empty() { "信访事项".to_string() } else { facts.title.clone() },
        "article": kind.rule().citation(),
        "cc": "",
        // 你 to one petitioner, 你们 to several (a letter to 张三等3人).
        "petitioners": facts.petitioner_names.len(),
    })
}

#[cfg(test)]
mod tests;
