//! Message templates (issue 11): the texts of the notices that leave by SMS
//! and e-mail, each with its placeholders, a built-in Chinese default and
//! the rules an admin's edit must keep (known placeholders only; an SMS in
//! one segment of 70 characters with realistic values filled in).

use crate::error::{DomainError, Rule};

/// Which channel a template is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageChannel {
    Sms,
    Email,
}

impl MessageChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageChannel::Sms => "sms",
            MessageChannel::Email => "email",
        }
    }
}

/// A template: name, what it is for, channel, default subject and body,
/// and its placeholders (name, meaning, a realistic sample value).
#[derive(Debug, Clone, Copy)]
pub struct TemplateSpec {
    pub name: &'static str,
    pub label: &'static str,
    pub channel: MessageChannel,
    pub subject: &'static str,
    pub body: &'static str,
    pub placeholders: &'static [(&'static str, &'static str, &'static str)],
}

/// Characters in one SMS segment of Chinese text.
pub const SMS_SEGMENT_CHARS: usize = 70;

const NUMBER: (&str, &str, &str) = ("number", "信访事项编号", "XF4403042026112900001234");
const ACTION: (&str, &str, &str) = ("action", "办理环节", "不予受理");
const UNIT: (&str, &str, &str) = ("unit", "单位名称", "深圳市福田区人力资源局");

pub const TEMPLATES: &[TemplateSpec] = &[
    TemplateSpec {
        name: "petition_notice",
        label: "信访人办理进展短信",
        channel: MessageChannel::Sms,
        subject: "",
        body: "您的信访事项{number}已{action}，请凭查询码查询详情和告知书。",
        placeholders: &[NUMBER, ACTION],
    },
    TemplateSpec {
        name: "staff_arrival",
        label: "新到信访事项提醒（工作人员）",
        channel: MessageChannel::Email,
        subject: "【信访】{action}：{number}",
        body: "{unit}：\n\n信访事项 {number} 已{action}至本单位，{duty}期限为 {due_on}。\n请登录信访信息系统办理。\n\n（本邮件由系统发出，请勿回复。）",
        placeholders: &[
            NUMBER,
            ("action", "办理环节", "转送"),
            UNIT,
            ("duty", "应办事项", "书面告知信访人"),
            ("due_on", "期限", "2026年12月15日"),
        ],
    },
    TemplateSpec {
        name: "supervision_notice",
        label: "督办提醒（被督办单位）",
        channel: MessageChannel::Email,
        subject: "【信访】督办：{number}",
        body: "{unit}：\n\n{supervisor}已对信访事项 {number} 进行督办，督办函已发至本单位。\n请于 {reply_due_on} 前书面报告办理情况。\n请登录信访信息系统查看督办函并回复。\n\n（本邮件由系统发出，请勿回复。）",
        placeholders: &[NUMBER, UNIT, ("supervisor", "督办单位", "深圳市福田区信访局"), ("reply_due_on", "回复期限", "2026年12月7日")],
    },
    TemplateSpec {
        name: "staff_digest",
        label: "期限提醒汇总（工作人员）",
        channel: MessageChannel::Email,
        subject: "【信访】{date} 期限提醒：{count} 件",
        body: "{name}：\n\n{unit}有以下信访事项期限临近或已超期：\n\n{items}\n\n请及时办理。\n\n（本邮件由系统发出，请勿回复。）",
        placeholders: &[
            ("name", "收件人姓名", "李明"),
            UNIT,
            ("date", "日期", "2026年12月1日"),
            ("count", "件数", "3"),
            ("items", "事项清单（每行一件）", "XF4403042026112900001234 书面告知 2026年12月2日到期（还有1天）"),
        ],
    },
    TemplateSpec {
        name: "appointment_reminder",
        label: "预约接访提醒（信访人，前一日）",
        channel: MessageChannel::Sms,
        subject: "",
        body: "您已预约{unit}接访：{date} {time}，请凭预约码按时到达；如不能前往请提前取消。",
        placeholders: &[UNIT, ("date", "接访日期", "2026年12月7日"), ("time", "时段开始时间", "09:00")],
    },
];

pub fn template(name: &str) -> Option<&'static TemplateSpec> {
    TEMPLATES.iter().find(|t| t.name == name)
}

/// Fill `{name}` placeholders from `vars`; unknown ones stay as written.
pub fn render(text: &str, vars: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                match vars.iter().find(|(k, _)| *k == name) {
                    Some((_, v)) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The placeholders written in `text`.
fn placeholders_in(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else { break };
        found.push(&after[..end]);
        rest = &after[end + 1..];
    }
    found
}

/// Check an admin's edit of `spec`: known placeholders only, a subject for
/// e-mail, and an SMS that fits one segment with the sample values.
pub fn validate(spec: &TemplateSpec, subject: &str, body: &str) -> Result<(), DomainError> {
    let known: Vec<&str> = spec.placeholders.iter().map(|p| p.0).collect();
    for (field, text) in [("subject", subject), ("body", body)] {
        if let Some(bad) = placeholders_in(text).into_iter().find(|p| !known.contains(p)) {
            let names = known.iter().map(|k| format!("{{{k}}}")).collect::<Vec<_>>().join("、");
            return Err(DomainError::invalid(Rule::Input, "unknown_placeholder", format!("占位符{{{bad}}}不可用，可用的有：{names}"))
                .at(if field == "subject" { "subject" } else { "body" }));
        }
    }
    if body.trim().is_empty() {
        return Err(DomainError::invalid(Rule::Input, "required", "正文不能为空").at("body"));
    }
    if body.chars().count() > 4000 || subject.chars().count() > 200 {
        return Err(DomainError::invalid(Rule::Input, "too_long", "标题不超过200字，正文不超过4000字").at("body"));
    }
    match spec.channel {
        MessageChannel::Email if subject.trim().is_empty() => {
            Err(DomainError::invalid(Rule::Input, "required", "邮件标题不能为空").at("subject"))
        }
        MessageChannel::Sms => {
            let sample: Vec<(&str, String)> = spec.placeholders.iter().map(|p| (p.0, p.2.to_string())).collect();
            let n = render(body, &sample).chars().count();
            if n > SMS_SEGMENT_CHARS {
                Err(DomainError::invalid(
                    Rule::Input,
                    "sms_too_long",
                    format!("短信填入示例内容后为{n}字，超过一条短信的{SMS_SEGMENT_CHARS}字"),
                )
                .at("body"))
            } else {
                Ok(())
            }
        }
        MessageChannel::Email => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_sms_fits_one_segment() {
        for t in TEMPLATES {
            validate(t, t.subject, t.body).unwrap_or_else(|e| panic!("{}: {e}", t.name));
        }
    }

    #[test]
    fn render_fills_known_and_keeps_unknown_and_stray_braces() {
        let out = render("编号{number}，{x}，{", &[("number", "XF1".into())]);
        assert_eq!(out, "编号XF1，{x}，{");
    }

    #[test]
    fn edits_with_unknown_placeholders_or_long_sms_are_refused() {
        let sms = template("petition_notice").expect("template");
        let e = validate(sms, "", "您的事项{numbr}").expect_err("typo");
        assert_eq!(e.field, Some("body"));
        assert!(e.message.contains("{numbr}"));
        let long = format!("{}{{number}}", "很".repeat(60));
        assert_eq!(validate(sms, "", &long).expect_err("too long").code, "sms_too_long");
        let mail = template("staff_digest").expect("template");
        assert_eq!(validate(mail, " ", "正文").expect_err("subject").field, Some("subject"));
    }
}
