//! The petition (信访事项) as registered: channels, categories, petitioners
//! and the validation every intake path shares.

use crate::error::{DomainError, Rule};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

macro_rules! str_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = $s:literal / $label:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $var),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$var),+];
            pub fn as_str(self) -> &'static str { match self { $($name::$var => $s),+ } }
            /// The Chinese term shown in the UI.
            pub fn label(self) -> &'static str { match self { $($name::$var => $label),+ } }
            pub fn parse(s: &str) -> Option<Self> { match s { $($s => Some($name::$var),)+ _ => None } }
        }
    };
}

str_enum!(
    /// 渠道 (Art. 17).
    Channel {
        Online = "online" / "网上信访",
        Letter = "letter" / "来信",
        Visit = "visit" / "来访",
        Phone = "phone" / "来电",
        Fax = "fax" / "传真",
        Email = "email" / "电子邮件",
        Hotline = "hotline" / "12345热线转办",
        Mailbox = "mailbox" / "领导信箱",
    }
);

str_enum!(
    /// 分类 by purpose (Art. 29–31).
    Category {
        Suggestion = "suggestion" / "建议意见类",
        Accusation = "accusation" / "检举控告类",
        Claim = "claim" / "申诉求决类",
    }
);

str_enum!(
    /// Where a petition stands in the procedure (regulation.md §2.2).
    State {
        /// Registered at a bureau (awaiting routing) or directly at a unit.
        Registered = "registered" / "已登记",
        /// Art. 24: the units involved negotiate who accepts.
        Negotiating = "negotiating" / "协商受理中",
        /// Art. 24: the common superior or the joint conference decides.
        AwaitingCompetenceDecision = "awaiting_competence_decision" / "待确定受理机关",
        /// Forwarded, assigned or referred; the receiving unit must answer.
        Forwarded = "forwarded" / "已转交办",
        /// The receiving unit objected (Art. 23); the router decides.
        Objected = "objected" / "异议审核中",
        /// Accepted and being handled.
        Handling = "handling" / "办理中",
        /// Decision letter or reply issued, not yet delivered.
        Concluded = "concluded" / "已出具意见",
        /// Decision letter delivered; the 复查 window is open.
        Replied = "replied" / "已答复",
        UnderReview = "under_review" / "复查中",
        ReviewDecided = "review_decided" / "已出具复查意见",
        /// Review opinion delivered; the 复核 window is open.
        Reviewed = "reviewed" / "已复查",
        UnderFinalReview = "under_final_review" / "复核中",
        FinalReviewDecided = "final_review_decided" / "已出具复核意见",
        /// Concluded for good (after delivery, a lapsed window, or 复核).
        Closed = "closed" / "已办结",
        /// 不予受理.
        Declined = "declined" / "不予受理",
        /// Routes (1)–(4) of Art. 31: sent into the statutory procedure.
        Redirected = "redirected" / "已导入法定程序",
        /// 不再受理: the same facts and reasons after 复核 (Art. 36).
        NotReaccepted = "not_reaccepted" / "不再受理",
    }
);

impl State {
    /// No further procedural step except evaluation.
    pub fn is_terminal(self) -> bool {
        matches!(self, State::Closed | State::Declined | State::Redirected | State::NotReaccepted)
    }
}

str_enum!(
    /// The closed list of grounds for 不予受理 / 不再受理 (regulation.md §2.5
    /// item 6). "Not our matter" is not among them: a unit that received an
    /// item by forward or assignment objects instead (Art. 23).
    DeclineGround {
        /// Belongs to a court or procuratorate, or to another statutory
        /// procedure (litigation, arbitration, reconsideration…): Art. 22, 28, 31.
        StatutoryProcedure = "statutory_procedure" / "属于法院、检察院职权或应当通过其他法定途径解决",
        /// A visit that skipped both the same level and the level above (Art. 20).
        SkippedLevels = "skipped_levels" / "越过本级和上一级机关走访",
        /// The same item is already accepted or in process (Art. 19 para 3).
        AlreadyInProcess = "already_in_process" / "同一事项已经受理或者正在办理",
        /// The 复查/复核 window lapsed without good reason (Art. 35, 36).
        ReviewWindowLapsed = "review_window_lapsed" / "无正当理由超过规定期限未请求复查（复核）",
        /// Already concluded after 复核 (Art. 36): 不再受理.
        ConcludedAfterFinalReview = "concluded_after_final_review" / "已经复核终结，以同一事实和理由再次提出",
    }
);

str_enum!(
    /// A clerk's finding on whether a petition repeats an earlier one
    /// (初件 / 重件, regulation.md, "初信初访 and 重复信访"): the metrics count repeats by the
    /// link to the first petition that a 重件 carries.
    RepeatVerdict {
        /// 初件: a new matter, confirmed by staff.
        First = "first" / "初件",
        /// 重件: the same petitioner's same matter again, linked to its first petition.
        Repeat = "repeat" / "重件",
    }
);

str_enum!(
    /// Outcome of a decision letter (Art. 32).
    Outcome {
        Upheld = "upheld" / "予以支持",
        Explained = "explained" / "作出解释说明",
        Rejected = "rejected" / "不予支持",
    }
);

str_enum!(
    /// Which of the three supervision letters a 督办 issues (三函: Yongzhou's
    /// 督办函 / 交办函 / 提醒函, regulation.md §5; Art. 40).
    SupervisionLetter {
        Supervision = "supervision" / "督办函",
        Assignment = "assignment" / "交办函",
        Reminder = "reminder" / "提醒函",
    }
);

str_enum!(
    /// Outcome of a 复查 or 复核 opinion (regulation.md §4).
    ReviewOutcome {
        Uphold = "uphold" / "维持",
        RevokeOrChange = "revoke_or_change" / "撤销或变更",
        OrderRedo = "order_redo" / "责令重新办理",
    }
);

str_enum!(
    /// 评价.
    Rating {
        Satisfied = "satisfied" / "满意",
        BasicallySatisfied = "basically_satisfied" / "基本满意",
        Dissatisfied = "dissatisfied" / "不满意",
    }
);

str_enum!(
    /// How a suggestion was taken up (Art. 29).
    Adoption {
        Adopted = "adopted" / "采纳",
        PartlyAdopted = "partly_adopted" / "部分采纳",
        NotAdopted = "not_adopted" / "未采纳",
    }
);

str_enum!(
    /// How a discipline body disposes of an accusation (《纪检监察机关处理检举控告工作规则》).
    Disposition {
        TalkInquiry = "talk_inquiry" / "谈话函询",
        PreliminaryVerification = "preliminary_verification" / "初步核实",
        HeldPending = "held_pending" / "暂存待查",
        ClosedOut = "closed_out" / "予以了结",
        CaseInvestigation = "case_investigation" / "立案审查调查",
    }
);

str_enum!(
    /// 送达方式.
    DeliveryMethod {
        InPerson = "in_person" / "直接送达",
        Post = "post" / "邮寄送达",
        Online = "online" / "网上送达",
        Other = "other" / "其他方式",
    }
);

str_enum!(
    PetitionerKind {
        Person = "person" / "个人",
        Organisation = "organisation" / "法人或其他组织",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Petitioner {
    pub kind: PetitionerKind,
    pub name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    /// Chosen representative of a collective visit (Art. 20).
    pub representative: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Accused {
    pub name: Option<String>,
    pub unit: Option<String>,
    pub position: Option<String>,
    /// The accused unit's code when it is a unit of this system: its chain
    /// never sees the accusation (Art. 30).
    #[serde(default)]
    pub unit_code: Option<String>,
}

/// A petition as received, before it has a number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    pub channel: Channel,
    pub petitioners: Vec<Petitioner>,
    pub collective: bool,
    pub headcount: u32,
    pub jurisdiction: String,
    pub title: String,
    pub content: String,
    pub request: String,
    pub facts_and_reasons: String,
    pub category: Category,
    pub litigation_related: bool,
    pub topic: Option<String>,
    pub accused: Option<Accused>,
    pub anonymous: bool,
    pub confidential: bool,
    /// The day the letter, call or visit reached the unit (defaults to today).
    pub received_on: NaiveDate,
}

/// Field limits, in characters.
pub mod limits {
    pub const TITLE: usize = 100;
    pub const CONTENT: usize = 20_000;
    pub const REQUEST: usize = 4_000;
    pub const FACTS: usize = 20_000;
    pub const NAME: usize = 100;
    pub const ADDRESS: usize = 300;
    pub const PETITIONERS: usize = 200;
    pub const HEADCOUNT: u32 = 100_000;
    pub const REPRESENTATIVES: usize = 5;
    pub const NOTE: usize = 4_000;
    /// A topic code (内容分类): the seeded ones have two or four digits.
    pub const TOPIC_CODE: usize = 32;
    /// People from which a shared matter counts as collective (集体访): the
    /// smallest of the visit-size bands of the statistics (5–10 …).
    pub const COLLECTIVE_FROM: usize = 5;
}

fn too_long(field: &'static str, label: &str, max: usize, value: &str) -> Result<(), DomainError> {
    if value.chars().count() > max {
        return Err(DomainError::invalid(Rule::Input, "field_too_long", format!("{label}（{field}）不能超过{max}个字")).at(field));
    }
    Ok(())
}

/// Characters that take no room on a page: zero-width spaces and joiners,
/// the word joiner and invisible operators, the byte-order mark, the soft
/// hyphen, and the Hangul and braille fillers that look like a blank.
/// Inside text they are harmless (a joiner in an emoji); a text made of
/// nothing else is empty.
fn blank_filler(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{034F}' | '\u{115F}' | '\u{1160}' | '\u{180E}' | '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{2800}' | '\u{3164}' | '\u{FEFF}' | '\u{FFA0}'
    )
}

/// Whether `value` shows nothing: only white space and blank fillers.
pub fn is_blank(value: &str) -> bool {
    value.chars().all(|c| c.is_whitespace() || blank_filler(c))
}

fn required(field: &'static str, label: &str, max: usize, value: &str) -> Result<(), DomainError> {
    if is_blank(value) {
        return Err(DomainError::invalid(Rule::Input, "field_required", format!("请填写{label}（{field}）")).at(field));
    }
    too_long(field, label, max, value)
}

/// Characters that change how text is shown without being seen: bidi
/// embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and
/// the direction marks U+200E/U+200F. In a name or title they can make one
/// petitioner or title look like another (or reverse a number); NUL breaks
/// PostgreSQL text. Names and titles are one line, so every control
/// character is refused there; in long texts only NUL.
fn hidden_control(c: char, one_line: bool) -> bool {
    c == '\0' || (one_line && (c.is_control() || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')))
}

fn visible_only(field: &'static str, label: &str, value: &str, one_line: bool) -> Result<(), DomainError> {
    if value.chars().any(|c| hidden_control(c, one_line)) {
        return Err(DomainError::invalid(
            Rule::Input,
            "invisible_characters",
            format!("{label}（{field}）含有不可见的控制字符，请删除后重新填写"),
        )
        .at(field));
    }
    Ok(())
}

/// Check a free-text field shared by procedural actions.
pub fn check_text(field: &'static str, label: &str, value: &str, is_required: bool) -> Result<(), DomainError> {
    if is_required { required(field, label, limits::NOTE, value) } else { too_long(field, label, limits::NOTE, value) }
}

/// GB 11643-1999 citizen identity number: 17 digits and a check character,
/// the birth date inside a real day no later than today (China time).
pub fn valid_id_number(id: &str) -> bool {
    valid_id_number_on(id, crate::local_date(chrono::Utc::now()))
}

/// [`valid_id_number`] as of `today`: a birth date after it (a number typed
/// with the wrong year) or before 1900 is refused like a wrong check digit.
pub fn valid_id_number_on(id: &str, today: NaiveDate) -> bool {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let chars: Vec<char> = id.chars().collect();
    if chars.len() != 18 {
        return false;
    }
    let mut sum = 0;
    for (c, w) in chars.iter().take(17).zip(WEIGHTS) {
        match c.to_digit(10) {
            Some(v) => sum += v * w,
            None => return false,
        }
    }
    let expected = CHECK.get((sum % 11) as usize).copied();
    let last = chars.get(17).map(|c| c.to_ascii_uppercase());
    // The birth date inside must be a real date a living person has.
    let birth: String = chars.get(6..14).map(|s| s.iter().collect()).unwrap_or_default();
    let born = NaiveDate::parse_from_str(&birth, "%Y%m%d").ok();
    expected == last && born.is_some_and(|b| b.year() >= 1900 && b <= today)
}

/// Phone: digits with optional +, - and spaces, 5 to 20 digits.
pub fn valid_phone(phone: &str) -> bool {
    let phone = phone.trim();
    if !phone.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')')) {
        return false;
    }
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    match phone.strip_prefix('+') {
        // A number abroad, in international form (E.164: at most 15 digits).
        Some(_) if !digits.starts_with("86") => (8..=15).contains(&digits.len()) && !digits.starts_with('0'),
        Some(_) => china_phone(&digits[2..], phone),
        None => china_phone(digits.strip_prefix("86").filter(|d| d.len() == 11 && d.starts_with('1')).unwrap_or(&digits), phone),
    }
}

/// A number in China, by its digits: a mobile (11 digits, 13x–19x), a
/// landline with its area code (0 and two or three digits, then seven or
/// eight; an extension may follow after a dash), a local landline number
/// (seven or eight digits, never beginning with 0 or 1), or a company's
/// 400 / 800 line. Fewer digits (1381234, 0755-8888) reach nobody.
fn china_phone(d: &str, written: &str) -> bool {
    let first = |from: char, to: char| d.chars().nth(1).is_some_and(|c| (from..=to).contains(&c));
    let mobile = d.len() == 11 && d.starts_with('1') && first('3', '9');
    // The area code's own length decides where the number starts: 010 and
    // 02x are three digits, the others four.
    let area = if d.starts_with("01") || d.starts_with("02") { 3 } else { 4 };
    let local = |n: &str| (7..=8).contains(&n.len()) && n.chars().next().is_some_and(|c| ('2'..='9').contains(&c));
    let with_area = d.starts_with('0') && d.len() > area && {
        let rest = &d[area..];
        // An extension is told apart only by a dash after the number.
        let groups: Vec<&str> = written.split(['-', ' ']).filter(|g| !g.is_empty()).collect();
        local(rest) || (groups.len() >= 3 && local(&groups[1..groups.len() - 1].concat()) && groups.last().is_some_and(|e| e.len() <= 6))
    };
    let hotline = d.len() == 10 && (d.starts_with("400") || d.starts_with("800"));
    mobile || with_area || local(d) || hotline
}

/// 行政区划 code as used here: 2, 4, 6, 9 or 12 digits.
pub fn valid_division_code(code: &str) -> bool {
    matches!(code.len(), 2 | 4 | 6 | 9 | 12) && code.chars().all(|c| c.is_ascii_digit())
}

impl Registration {
    /// Every rule a registration must meet before it gets a number.
    /// Every rule a registration must meet before it gets a number; the
    /// first failure.
    pub fn validate(&self) -> Result<(), DomainError> {
        match self.validate_all().into_iter().next() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Every failure at once, each attributed to its field where it has
    /// one, so that a form can show them all beside their fields.
    pub fn validate_all(&self) -> Vec<DomainError> {
        let mut errs = Vec::new();
        let mut check = |r: Result<(), DomainError>| {
            if let Err(e) = r {
                errs.push(e);
            }
        };
        let fail = |rule, code, msg: &str, field| Err(DomainError::invalid(rule, code, msg).at(field));
        check(required("title", "标题", limits::TITLE, &self.title));
        check(visible_only("title", "标题", &self.title, true));
        for (field, label, text) in [
            ("content", "信访内容", &self.content),
            ("request", "诉求", &self.request),
            ("facts_and_reasons", "事实和理由", &self.facts_and_reasons),
        ] {
            check(visible_only(field, label, text, false));
        }
        check(too_long("content", "信访内容", limits::CONTENT, &self.content));
        // Art. 19: request, facts and reasons are what the petition is.
        check(required("request", "诉求", limits::REQUEST, &self.request));
        check(required("facts_and_reasons", "事实和理由", limits::FACTS, &self.facts_and_reasons));
        if !valid_division_code(&self.jurisdiction) {
            check(fail(Rule::Input, "invalid_jurisdiction", "问题属地（jurisdiction）须为有效的行政区划代码", "jurisdiction"));
        }
        if self.petitioners.len() > limits::PETITIONERS {
            check(fail(Rule::Input, "too_many_petitioners", "信访人数量过多", "petitioners"));
        }
        if self.petitioners.is_empty() && !self.anonymous {
            // Art. 19: name (名称) and address are required unless anonymous.
            check(fail(Rule::Input, "petitioner_required", "请至少填写一名信访人，或选择匿名", "petitioners.name"));
        }
        for p in &self.petitioners {
            check(required("petitioners.name", "信访人姓名（名称）", limits::NAME, &p.name));
            check(visible_only("petitioners.name", "信访人姓名（名称）", &p.name, true));
            if p.id_number.as_deref().is_some_and(|id| !valid_id_number(id)) {
                check(fail(Rule::Input, "invalid_id_number", "公民身份号码格式、出生日期或校验位不正确", "petitioners.id_number"));
            }
            if p.phone.as_deref().is_some_and(|phone| !valid_phone(phone)) {
                check(fail(Rule::Input, "invalid_phone", "联系电话格式不正确", "petitioners.phone"));
            }
            if let Some(addr) = &p.address {
                check(too_long("petitioners.address", "住址", limits::ADDRESS, addr));
                check(visible_only("petitioners.address", "住址", addr, false));
            }
        }
        let reps = self.petitioners.iter().filter(|p| p.representative).count();
        if reps > limits::REPRESENTATIVES {
            let msg = format!("集体访推选的代表不得超过5人，当前为{reps}人");
            check(fail(Rule::Art20, "too_many_representatives", &msg, "representatives"));
        }
        if reps > 0 && !self.collective {
            check(fail(Rule::Input, "representatives_need_collective", "只有集体信访才推选代表，请勾选集体信访", "collective"));
        }
        if self.collective {
            if self.headcount < 2 || self.headcount > limits::HEADCOUNT {
                check(fail(Rule::Input, "invalid_headcount", "集体信访的人数须在2至100000之间", "headcount"));
            }
            if self.channel == Channel::Visit && reps == 0 {
                check(fail(Rule::Art20, "representatives_required", "多人走访应当推选代表（不超过5人）", "representatives"));
            }
        }
        if self.category == Category::Accusation {
            let named = self.accused.as_ref().is_some_and(|a| {
                a.name.as_deref().is_some_and(|s| !s.trim().is_empty()) || a.unit.as_deref().is_some_and(|s| !s.trim().is_empty())
            });
            if !named {
                check(fail(Rule::Art31, "accused_required", "检举控告类事项须写明被检举人或被检举单位", "accused"));
            }
        }
        if let Some(a) = &self.accused {
            for v in [&a.name, &a.unit, &a.position].into_iter().flatten() {
                check(too_long("accused", "被检举人信息", limits::NAME, v));
                check(visible_only("accused", "被检举人信息", v, true));
            }
        }
        errs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> Registration {
        Registration {
            channel: Channel::Online,
            petitioners: vec![Petitioner {
                kind: PetitionerKind::Person,
                name: "张三".into(),
                id_number: Some("11010519491231002X".into()),
                phone: Some("13800138000".into()),
                address: Some("深圳市福田区".into()),
                representative: false,
            }],
            collective: false,
            headcount: 1,
            jurisdiction: "440304".into(),
            title: "拖欠工资".into(),
            content: String::new(),
            request: "要求支付工资".into(),
            facts_and_reasons: "公司拖欠三个月工资".into(),
            category: Category::Claim,
            litigation_related: false,
            topic: None,
            accused: None,
            anonymous: false,
            confidential: false,
            received_on: NaiveDate::from_ymd_opt(2026, 11, 2).expect("date"),
        }
    }

    #[test]
    fn gb11643_checksum() {
        assert!(valid_id_number("11010519491231002X"));
        assert!(valid_id_number("11010519491231002x"));
        assert!(!valid_id_number("110105194912310021"));
        assert!(!valid_id_number("11010519491331002X"));
        // A right check digit on a birth date still to come: a mistyped year.
        let today = NaiveDate::from_ymd_opt(2026, 12, 5).expect("a date");
        assert!(!valid_id_number_on("440304203001011232", today));
        assert!(valid_id_number_on("440304203001011232", NaiveDate::from_ymd_opt(2030, 1, 1).expect("a date")));
    }

    #[test]
    fn nul_and_bidi_controls_refused_in_names_and_titles() {
        for bad in ["张\u{202E}三", "张三\u{2066}", "\u{200F}张三", "张\0三", "张\u{7}三"] {
            let mut r = sample();
            r.petitioners[0].name = bad.into();
            r.title = bad.into();
            let errs = r.validate_all();
            let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
            assert_eq!(fields, [Some("title"), Some("petitioners.name")], "{bad:?}");
            assert!(errs.iter().all(|e| e.code == "invisible_characters" && e.message.contains("不可见的控制字符")));
        }
        let mut r = sample();
        r.facts_and_reasons = "第一段\n第二段\u{200F}".into();
        assert!(r.validate().is_ok(), "line breaks and marks stay allowed in long texts");
        r.facts_and_reasons = "事实\0".into();
        assert_eq!(r.validate().map_err(|e| e.field), Err(Some("facts_and_reasons")), "NUL nowhere");
    }

    #[test]
    fn art19_request_and_facts_are_required() {
        let mut r = sample();
        r.request = " ".into();
        assert_eq!(r.validate().map_err(|e| e.code), Err("field_required"));
    }

    /// A text of zero-width characters or blank fillers shows nothing: an
    /// invisible title, request or name is no title, request or name.
    #[test]
    fn art19_a_text_that_shows_nothing_is_missing() {
        for blank in ["\u{200B}\u{200B}", "\u{FEFF}", "\u{2060} \u{200D}", "\u{3164}", "\u{00AD}\u{3000}"] {
            let mut r = sample();
            r.title = blank.into();
            r.request = blank.into();
            r.facts_and_reasons = blank.into();
            r.petitioners[0].name = blank.into();
            let errs = r.validate_all();
            let fields: Vec<_> = errs.iter().map(|e| (e.field, e.code)).collect();
            for f in ["title", "request", "facts_and_reasons", "petitioners.name"] {
                assert!(fields.contains(&(Some(f), "field_required")), "{blank:?}: {fields:?}");
            }
        }
        let mut r = sample();
        r.facts_and_reasons = "家里老人👨\u{200D}👩摔伤，请求帮助".into();
        assert!(r.validate().is_ok(), "a joiner inside real text stays");
    }

    #[test]
    fn a_phone_number_must_be_one_that_reaches_someone() {
        for ok in [
            "13800138000",
            "138-0013-8000",
            "+86 138 0013 8000",
            "8613800138000",
            "0755-88888888",
            "(0755)83000000",
            "010-62345678",
            "0755-88888888-123",
            "83000000",
            "4008123123",
            "+852 2123 4567",
        ] {
            assert!(valid_phone(ok), "{ok}");
        }
        for bad in ["1381234", "0755-8888", "12345", "12800138000", "138001380001", "010-12345678", "+0 1234 5678", "电话13800138000", ""]
        {
            assert!(!valid_phone(bad), "{bad}");
        }
    }

    #[test]
    fn art20_at_most_five_representatives() {
        let mut r = sample();
        r.channel = Channel::Visit;
        r.collective = true;
        r.headcount = 30;
        r.petitioners = (0..6).map(|i| Petitioner { name: format!("代表{i}"), representative: true, ..r.petitioners[0].clone() }).collect();
        let err = r.validate().expect_err("six representatives");
        assert_eq!(err.rule, Rule::Art20);
        assert!(err.message.contains("第二十条"));
        r.petitioners.pop();
        assert!(r.validate().is_ok());
    }

    #[test]
    fn validate_all_reports_every_field_at_once() {
        let mut r = sample();
        r.request = String::new();
        r.petitioners[0].id_number = Some("110105194912310021".into());
        let fields: Vec<_> = r.validate_all().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, [Some("request"), Some("petitioners.id_number")]);
        assert_eq!(r.validate().map_err(|e| e.code), Err("field_required"), "validate gives the first");
    }

    #[test]
    fn accusation_names_the_accused() {
        let mut r = sample();
        r.category = Category::Accusation;
        assert!(r.validate().is_err());
        r.accused = Some(Accused { name: Some("李四".into()), ..Default::default() });
        assert!(r.validate().is_ok());
    }
}
