//! Realistic sample data for every letter kind (shared by the tests and
//! the `samples` example). Names, numbers and units are invented.

use serde_json::{Value, json};

pub const PETITIONER: &str = "林秀英";
pub const PETITION_NUMBER: &str = "XF-350102-20261103-000123";
pub const RECEIVED_ON: &str = "2026年11月3日";
pub const ISSUED_ON: &str = "2026年11月30日";

fn common(title: &str, doc_number: &str, article: &str) -> Value {
    json!({
        "title": title,
        "doc_number": doc_number,
        "addressee": PETITIONER,
        "issuer": "福州市鼓楼区人民政府信访局",
        "issued_on": ISSUED_ON,
        "petition_number": PETITION_NUMBER,
        "petitioner_name": PETITIONER,
        "received_on": RECEIVED_ON,
        "subject": "反映鼓东街道某小区加装电梯施工噪声扰民问题",
        "article": article,
        "cc": "福州市鼓楼区住房和城乡建设局，鼓东街道办事处",
    })
}

fn merge(mut base: Value, extra: Value) -> Value {
    if let (Value::Object(b), Value::Object(e)) = (&mut base, extra) {
        b.extend(e);
    }
    base
}

/// The legal basis / article each sample cites, for the tests to look for.
pub fn article(kind: &str) -> &'static str {
    match kind {
        "acceptance_notice" | "decline_notice" => "《信访工作条例》第二十三条",
        "no_longer_accepted_notice" | "final_review_opinion" => "《信访工作条例》第三十六条",
        "forward_form" | "assign_form" => "《信访工作条例》第二十二条",
        "extension_notice" => "《信访工作条例》第三十四条",
        "decision_letter" => "《信访工作条例》第三十二条",
        "review_opinion" => "《信访工作条例》第三十五条",
        "mediation_agreement" | "settlement_agreement" => "《信访工作条例》第三十三条",
        "warning_letter" => "《信访工作条例》第三十九条、第四十条",
        "annual_report" => "《信访工作条例》第四十一条",
        _ => "《信访工作条例》第四十条",
    }
}

/// Dates (besides received_on) that the sample's letter must show.
pub fn dates(kind: &str) -> Vec<&'static str> {
    match kind {
        "acceptance_notice" => vec!["2026年11月5日", "2026年12月30日"],
        "no_longer_accepted_notice" => vec!["2026年6月18日"],
        "assign_form" => vec!["2027年1月4日"],
        "extension_notice" => vec!["2027年1月2日", "2027年2月1日"],
        "mediation_agreement" | "settlement_agreement" => vec!["2026年11月28日"],
        "supervision_letter" | "assignment_letter" | "reminder_letter" => vec!["2026年12月10日", "2026年12月31日"],
        "warning_letter" => vec!["2026年12月7日", "2026年12月28日"],
        _ => vec![ISSUED_ON],
    }
}

pub fn sample(kind: &str) -> Value {
    let a = article(kind);
    match kind {
        "warning_letter" => json!({
            "title": "信访工作督办函",
            "doc_number": "榕信督〔2026〕31号",
            "issuer": "福州市人民政府信访局",
            "issued_on": ISSUED_ON,
            "addressee": "中共福州市长乐区委、福州市长乐区人民政府",
            "article": a,
            "scope_name": "福州市",
            "area_name": "长乐区",
            "month": "2026年10月",
            "rank": "13",
            "ranked": "13",
            "score": "71.42",
            "warning": "红色预警",
            "metrics": [["及时受理率", "180", "196", "91.8%", "20"], ["按期办结率", "151", "190", "79.5%", "25"], ["满意率", "88", "120", "73.3%", "20"]],
            "suggestions": "重点改进：满意率73.3%、按期办结率79.5%。请你地区主要负责同志专题研究，限期整改到位。",
            "reply_due_on": "2026年12月7日",
            "rectify_by": "2026年12月28日",
            "cc": "福州市长乐区信访局",
        }),
        "annual_report" => json!({
            "title": "福州市2026年度信访工作报告",
            "issuer": "福州市人民政府信访局",
            "issued_on": ISSUED_ON,
            "article": a,
            "year": "2026",
            "summary": "全年共登记信访事项12,345件，同比下降3.2%。",
            "volume": [["登记信访事项", "12345"], ["网上信访", "6100"]],
            "metrics": [["及时受理率", "11800", "12000", "98.3%"]],
            "topics": [["劳动和社会保障", "2100", "17.0%"]],
            "areas": [["鼓楼区", "1800", "14.6%"]],
            "units": [["福州市人力资源和社会保障局", "900", "12"]],
            "instruments": [["转送", "8000"], ["交办", "600"], ["督办", "150"]],
            "suggestions": [["提出意见建议", "12"], ["已采纳", "9"]],
        }),
        "acceptance_notice" => merge(
            common("受理告知书", "鼓信受〔2026〕318号", a),
            json!({
                "handling_unit": "福州市鼓楼区住房和城乡建设局",
                "accepted_on": "2026年11月5日",
                "due_on": "2026年12月30日",
                "simplified": false,
                "contact": "区信访局来信科，0591-87000000",
            }),
        ),
        "decline_notice" => merge(
            common("不予受理告知书", "鼓信不受〔2026〕41号", a),
            json!({
                "ground": "已经或者依法应当通过诉讼解决",
                "reason": "你反映的与施工单位之间的损害赔偿纠纷，已由福州市鼓楼区人民法院立案受理，案号为（2026）闽0102民初1234号，目前正在审理中。",
                "proper_channel": "向福州市鼓楼区人民法院陈述意见、提交证据，依照民事诉讼程序主张权利",
            }),
        ),
        "no_longer_accepted_notice" => merge(
            common("不再受理告知书", "鼓信不再〔2026〕7号", a),
            json!({
                "ground": "同一事实和理由经复核后再次提出",
                "reason": "你本次反映的加装电梯施工噪声问题，与2026年6月18日复核的事项在事实、理由和请求上均相同，未提出新的事实和理由。",
                "proper_channel": "对行政机关的具体行政行为不服的，可以依法申请行政复议或者提起行政诉讼",
                "final_review_unit": "福州市人民政府信访局",
                "final_review_on": "2026年6月18日",
            }),
        ),
        "forward_form" => merge(
            common("信访事项转送单", "福信转〔2026〕12号", a),
            json!({
                "addressee": "福州市鼓楼区住房和城乡建设局",
                "to_unit": "福州市鼓楼区住房和城乡建设局",
                "from_unit": "福州市人民政府信访局",
                "channel": "网上信访",
                "category": "申诉求决类",
                "content": "信访人反映：鼓东街道某小区加装电梯工程自2026年9月开工以来，施工单位经常在夜间22时以后作业，噪声严重影响周边居民休息。\n信访人曾多次向施工单位和社区反映，情况未见好转，请求有关部门依法查处并规范施工时间。",
                "request": "请依法核查施工单位夜间施工情况，督促其规范作业，并将处理意见告知信访人。",
                "note": "信访人系老年人，请注意沟通方式。",
            }),
        ),
        "assign_form" => merge(
            common("信访事项交办单", "福信交〔2026〕27号", a),
            json!({
                "addressee": "福州市鼓楼区人民政府",
                "to_unit": "福州市鼓楼区人民政府",
                "from_unit": "福州市人民政府信访局",
                "channel": "来信",
                "category": "申诉求决类",
                "content": "信访人反映加装电梯工程夜间施工噪声扰民，多次向社区和施工单位反映未果，请求依法查处。",
                "request": "请组织有关部门调查核实，依法依规处理，做好信访人的解释疏导工作。",
                "note": "",
                "due_on": "2027年1月4日",
            }),
        ),
        "extension_notice" => merge(
            common("延期办理告知书", "鼓建延〔2026〕5号", a),
            json!({
                "days": 30,
                "reason": "该事项涉及施工许可、噪声监测等多个环节，需要委托第三方机构进行夜间噪声监测，监测结果需待2027年1月中旬出具。",
                "original_due_on": "2027年1月2日",
                "new_due_on": "2027年2月1日",
            }),
        ),
        "decision_letter" => merge(
            common("信访处理意见书", "鼓建信处〔2026〕56号", a),
            json!({
                "issuer": "福州市鼓楼区住房和城乡建设局",
                "request": "请求依法查处加装电梯工程夜间施工行为，并规范施工时间。",
                "facts_and_reasons": "经调查核实，该加装电梯工程的施工许可手续齐全。2026年10月12日至11月2日期间，施工单位在未取得夜间施工许可的情况下，有6个晚上在22时以后进行切割作业，信访人反映的情况属实。\n我局已于2026年11月10日约谈施工单位，责令其停止夜间作业，并对其作出警告处理。",
                "decision": "一是责令施工单位严格在每日8时至12时、14时至20时施工；二是由鼓东街道办事处牵头，在施工期间每周巡查不少于两次；三是你如发现违规施工，可以拨打12345热线反映。",
                "legal_basis": "《中华人民共和国噪声污染防治法》第四十三条；《信访工作条例》第三十二条。",
                "outcome": "予以支持",
                "review_unit": "福州市鼓楼区人民政府",
                "review_days": 30,
            }),
        ),
        "review_opinion" => merge(
            common("信访事项复查意见书", "鼓政信复查〔2026〕9号", a),
            json!({
                "issuer": "福州市鼓楼区人民政府",
                "outcome": "维持",
                "opinion": "原处理意见认定事实清楚，适用依据正确，处理程序合法，本机关予以维持。",
                "facts_and_reasons": "经复查，福州市鼓楼区住房和城乡建设局已对施工单位夜间施工行为作出处理，施工时间已经规范，近一个月内未发现新的夜间施工。",
                "legal_basis": "《信访工作条例》第三十五条。",
                "original_unit": "福州市鼓楼区住房和城乡建设局",
                "final_review_unit": "福州市人民政府",
                "final_review_days": 30,
            }),
        ),
        "final_review_opinion" => merge(
            common("信访事项复核意见书", "榕政信复核〔2026〕3号", a),
            json!({
                "issuer": "福州市人民政府",
                "outcome": "维持",
                "opinion": "复查意见认定事实清楚，程序合法，本机关予以维持。",
                "facts_and_reasons": "经复核，原处理机关和复查机关已就施工噪声问题依法作出处理，施工单位已整改到位。",
                "legal_basis": "《信访工作条例》第三十六条。",
                "original_unit": "福州市鼓楼区人民政府",
            }),
        ),
        "mediation_agreement" => merge(
            common("调解协议书", "鼓调〔2026〕15号", a),
            json!({
                "parties": ["林秀英", "福州某建设工程有限公司（委托代理人：陈明）"],
                "summary": "一、福州某建设工程有限公司自本协议签订之日起，每日20时至次日8时、12时至14时不进行有噪声的施工作业。\n二、福州某建设工程有限公司一次性补偿林秀英人民币二千元，于2026年12月5日前支付。\n三、林秀英收到补偿款后，不再就本事项提出其他请求。",
                "mediator": "鼓东街道人民调解委员会",
                "signed_on": "2026年11月28日",
            }),
        ),
        "settlement_agreement" => merge(
            common("和解协议书", "鼓和〔2026〕4号", a),
            json!({
                "parties": ["林秀英", "福州某建设工程有限公司"],
                "summary": "一、福州某建设工程有限公司在剩余工期内不在夜间施工。\n二、双方同意就本事项不再向有关机关提出请求。",
                "mediator": "鼓东街道办事处",
                "signed_on": "2026年11月28日",
            }),
        ),
        "supervision_letter" | "assignment_letter" | "reminder_letter" => {
            let (title, no) = match kind {
                "supervision_letter" => ("信访事项督办函", "榕信督〔2026〕8号"),
                "assignment_letter" => ("信访事项交办函", "榕信交函〔2026〕19号"),
                _ => ("信访事项提醒函", "榕信提〔2026〕22号"),
            };
            merge(
                common(title, no, a),
                json!({
                    "issuer": "福州市人民政府信访局",
                    "addressee": "福州市鼓楼区住房和城乡建设局",
                    "to_unit": "福州市鼓楼区住房和城乡建设局",
                    "reason": "该事项已超过受理后60日，尚未出具处理意见，信访人多次来电询问办理进度。",
                    "suggestions": "（一）查明施工单位夜间施工的具体情况。\n（二）依法作出处理并书面答复信访人。",
                    "reply_due_on": "2026年12月10日",
                    "due_on": "2026年12月31日",
                }),
            )
        }
        _ => json!({}),
    }
}
