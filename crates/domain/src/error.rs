//! Errors that name the rule they enforce, so that a refusal can always say
//! *why* in the petitioner's and the clerk's language.

use serde::Serialize;

/// The provision of the Regulations (or of our own policy) behind a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Rule {
    /// Art. 19 para 3: same item brought to a superior while in process.
    Art19Para3,
    /// Art. 20: at most five representatives; visits go level by level.
    Art20,
    /// Art. 21: everything is entered into the system as it happens (late entries).
    Art21,
    /// Art. 22: routing by the petition bureau.
    Art22,
    /// Art. 23: notice or objection by the receiving unit.
    Art23,
    /// Art. 24: disputes over which unit accepts.
    Art24,
    /// Art. 25: report of major or urgent matters.
    Art25,
    /// Art. 30: accusation material never reaches the accused.
    Art30,
    /// Art. 29–31: the three category paths.
    Art31,
    /// Art. 32: contents of the decision letter.
    Art32,
    /// Art. 33: mediation needs both parties' consent.
    Art33,
    /// Art. 34: 60 days, one extension of at most 30 days.
    Art34,
    /// Art. 35: 复查 within 30 days, by the superior.
    Art35,
    /// Art. 36: 复核; after it the same facts and reasons are not accepted.
    Art36,
    /// Art. 40: supervision by the petition bureau.
    Art40,
    /// 《纪检监察机关处理检举控告工作规则》: the discipline body's own timers.
    DisciplineRules,
    /// 《信访事项简易办理办法（试行）》: the simplified procedure.
    Simplified,
    /// Who may do what: roles and the unit tree.
    Access,
    /// The procedure's order of steps (state machine).
    Procedure,
    /// Input validation.
    Input,
}

impl Rule {
    /// The citation shown to users, in Chinese.
    pub fn citation(self) -> &'static str {
        match self {
            Rule::Art19Para3 => "《信访工作条例》第十九条第三款",
            Rule::Art20 => "《信访工作条例》第二十条",
            Rule::Art21 => "《信访工作条例》第二十一条",
            Rule::Art22 => "《信访工作条例》第二十二条",
            Rule::Art23 => "《信访工作条例》第二十三条",
            Rule::Art24 => "《信访工作条例》第二十四条",
            Rule::Art25 => "《信访工作条例》第二十五条",
            Rule::Art30 => "《信访工作条例》第三十条",
            Rule::Art31 => "《信访工作条例》第二十九条至第三十一条",
            Rule::Art32 => "《信访工作条例》第三十二条",
            Rule::Art33 => "《信访工作条例》第三十三条",
            Rule::Art34 => "《信访工作条例》第三十四条",
            Rule::Art35 => "《信访工作条例》第三十五条",
            Rule::Art36 => "《信访工作条例》第三十六条",
            Rule::Art40 => "《信访工作条例》第四十条",
            Rule::DisciplineRules => "《纪检监察机关处理检举控告工作规则》",
            Rule::Simplified => "《信访事项简易办理办法（试行）》",
            Rule::Access => "权限规则",
            Rule::Procedure => "办理程序",
            Rule::Input => "输入校验",
        }
    }

    /// Stable machine code used in API errors.
    pub fn code(self) -> &'static str {
        match self {
            Rule::Art19Para3 => "art19_3",
            Rule::Art20 => "art20",
            Rule::Art21 => "art21",
            Rule::Art22 => "art22",
            Rule::Art23 => "art23",
            Rule::Art24 => "art24",
            Rule::Art25 => "art25",
            Rule::Art30 => "art30",
            Rule::Art31 => "art31",
            Rule::Art32 => "art32",
            Rule::Art33 => "art33",
            Rule::Art34 => "art34",
            Rule::Art35 => "art35",
            Rule::Art36 => "art36",
            Rule::Art40 => "art40",
            Rule::DisciplineRules => "discipline_rules",
            Rule::Simplified => "simplified",
            Rule::Access => "access",
            Rule::Procedure => "procedure",
            Rule::Input => "input",
        }
    }
}

/// What kind of failure, which decides the HTTP status at the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input is malformed or incomplete (400/422).
    Invalid,
    /// The actor may not do this (403).
    Forbidden,
    /// The procedure does not allow this now (409).
    Conflict,
    /// Something does not exist, or must look as if it does not (404).
    NotFound,
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct DomainError {
    pub kind: ErrorKind,
    pub rule: Rule,
    /// Short machine code, e.g. `extension_already_granted`.
    pub code: &'static str,
    /// Readable Chinese message that names the rule.
    pub message: String,
    /// The input field at fault, when there is one (e.g. `request`,
    /// `petitioners.id_number`), so that forms can show it beside the field.
    pub field: Option<&'static str>,
}

impl DomainError {
    fn new(kind: ErrorKind, rule: Rule, code: &'static str, detail: impl AsRef<str>) -> Self {
        let detail = detail.as_ref();
        let message = match rule {
            Rule::Input | Rule::Procedure | Rule::Access => detail.to_string(),
            _ => format!("{detail}（依据{}）", rule.citation()),
        };
        DomainError { kind, rule, code, message, field: None }
    }
    /// The same error, attributed to an input field.
    pub fn at(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }
    pub fn invalid(rule: Rule, code: &'static str, detail: impl AsRef<str>) -> Self {
        Self::new(ErrorKind::Invalid, rule, code, detail)
    }
    pub fn forbidden(rule: Rule, code: &'static str, detail: impl AsRef<str>) -> Self {
        Self::new(ErrorKind::Forbidden, rule, code, detail)
    }
    pub fn conflict(rule: Rule, code: &'static str, detail: impl AsRef<str>) -> Self {
        Self::new(ErrorKind::Conflict, rule, code, detail)
    }
    pub fn not_found(code: &'static str, detail: impl AsRef<str>) -> Self {
        Self::new(ErrorKind::NotFound, Rule::Access, code, detail)
    }
    /// The same refusal attributed to `rule` when it only named the generic
    /// input or procedure rules: a refusal inside an action names the
    /// action's article (the message gains the citation).
    pub fn under(mut self, rule: Rule) -> Self {
        if matches!(self.rule, Rule::Input | Rule::Procedure) && !matches!(rule, Rule::Input | Rule::Procedure | Rule::Access) {
            self.rule = rule;
            self.message = format!("{}（依据{}）", self.message, rule.citation());
        }
        self
    }
}
