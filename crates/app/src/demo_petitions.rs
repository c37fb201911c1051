//! Sample petitions for the demo, in the states a bureau sees every day.
//! They enter through the same intake and the same procedure as real ones,
//! so they are valid by construction.

use crate::AnyError;
use serde_json::{Value, json};
use xinfang_domain::local_date;
use xinfang_domain::procedure::Command;
use xinfang_store::{ActorRef, PetitionFilter};
use xinfang_web::AppState;
use xinfang_web::acting::{Act, perform};
use xinfang_web::auth::Staff;
use xinfang_web::dto::PetitionInput;
use xinfang_web::intake::{Submitter, intake};

async fn staff(state: &AppState, username: &str) -> Result<Staff, AnyError> {
    let user = state.store.user_by_username(username).await?.ok_or_else(|| format!("demo user {username} missing"))?;
    let unit = state.tree().get(user.unit_id).cloned().ok_or("demo unit missing")?;
    Ok(Staff { user, unit, token_hash: String::new() })
}

async fn act(state: &AppState, username: &str, number: &str, action: &str, body: Value) -> Result<(), AnyError> {
    let s = staff(state, username).await?;
    let rec = state.store.petition_by_number(number).await?.ok_or("demo petition missing")?;
    let cmd = Command::from_json(action, body)?;
    let now = chrono::Utc::now();
    let act = Act {
        actor: s.actor(),
        actor_ref: ActorRef { kind: "staff", user_id: Some(s.user.id), unit_id: Some(s.unit.id) },
        on: local_date(now),
        occurred_at: now,
        extra: serde_json::Map::new(),
    };
    perform(state, rec, cmd, act).await.map_err(|e| format!("demo {action}: {}", e.message))?;
    Ok(())
}

async fn submit(state: &AppState, who: Option<&str>, v: Value) -> Result<String, AnyError> {
    let input: PetitionInput = serde_json::from_value(v)?;
    let who = match who {
        Some(u) => Submitter::Staff(Box::new(staff(state, u).await?)),
        None => Submitter::Citizen,
    };
    let out = intake(state, who, input).await.map_err(|e| format!("demo intake: {}", e.message))?;
    Ok(out.number)
}

fn person(name: &str, phone: &str, address: &str) -> Value {
    json!({"name": name, "phone": phone, "address": address})
}

/// Create the sample petitions once (when the database has none).
pub async fn load(state: &AppState) -> Result<(), AnyError> {
    let (_, total) = state.store.list_petitions(&PetitionFilter { limit: 1, ..Default::default() }, None).await?;
    if total > 0 {
        return Ok(());
    }
    // 1. Online claim waiting for the district bureau to route it.
    submit(
        state,
        None,
        json!({
            "jurisdiction": "440304011", "title": "装修公司拖欠农民工工资", "category": "claim", "topic": "0202",
            "request": "请求督促某装饰工程公司支付拖欠的工资2.8万元",
            "facts_and_reasons": "本人于2026年3月至8月在华强北某商场装修项目做木工，项目完工后公司以资金紧张为由拖欠工资至今。",
            "petitioners": [person("刘建国", "13612345678", "深圳市福田区华强北街道")]
        }),
    )
    .await?;
    // 2. Forwarded to the district HR bureau, waiting for acceptance.
    let n = submit(
        state,
        None,
        json!({
            "jurisdiction": "440304", "title": "社保缴费基数与实际工资不符", "category": "claim", "topic": "0203",
            "request": "请求核查单位按实际工资补缴社会保险",
            "facts_and_reasons": "单位长期按最低基数为我缴纳社保，与实际工资差距较大，影响今后养老金待遇。",
            "petitioners": [person("陈美玲", "13798765432", "深圳市福田区莲花街道")]
        }),
    )
    .await?;
    act(state, "ft_clerk", &n, "forward", json!({"unit": "440304-RST"})).await?;
    // 3. A letter on property management, accepted and being handled.
    let n = submit(
        state,
        Some("ft_clerk"),
        json!({
            "channel": "letter", "jurisdiction": "440304006", "title": "小区物业擅自占用公共车位收费", "category": "claim", "topic": "0102",
            "request": "请求责令物业停止占用小区公共区域收费并公开收支",
            "facts_and_reasons": "香蜜湖某小区物业自2026年5月起将消防通道旁公共区域划为车位出租，未经业主大会表决。",
            "petitioners": [person("黄志强", "13500001111", "深圳市福田区香蜜湖街道")]
        }),
    )
    .await?;
    act(state, "ft_clerk", &n, "forward", json!({"unit": "440304-ZJT"})).await?;
    act(state, "ft_zjt_officer", &n, "accept", json!({"route": 6, "note": "已电话联系信访人"})).await?;
    act(state, "ft_zjt_officer", &n, "investigate", json!({"note": "现场查看，确有12个车位划设在公共区域"})).await?;
    // 4. A collective visit with three representatives, just registered.
    submit(state, Some("ft_clerk"), json!({
        "channel": "visit", "jurisdiction": "440304", "collective": true, "headcount": 23, "title": "旧改项目回迁安置延期", "category": "claim", "topic": "0103",
        "request": "请求明确回迁安置时间并按协议支付临时安置费",
        "facts_and_reasons": "某城市更新项目原定2025年底回迁，至今未完工，开发商自2026年7月起停付临时安置费。",
        "petitioners": [
            {"name": "李卫东", "phone": "13911112222", "address": "深圳市福田区沙头街道", "representative": true},
            {"name": "张秀英", "phone": "13922223333", "address": "深圳市福田区沙头街道", "representative": true},
            {"name": "王海涛", "phone": "13933334444", "address": "深圳市福田区沙头街道", "representative": true}
        ]
    })).await?;
    // 5. A suggestion, answered and closed.
    let n = submit(
        state,
        None,
        json!({
            "jurisdiction": "440304", "title": "建议增设地铁站无障碍电梯", "category": "suggestion", "topic": "1102",
            "request": "建议在华强北地铁站C出口增设无障碍电梯",
            "facts_and_reasons": "该出口台阶较多，老年人和残疾人出行不便。",
            "petitioners": [person("赵晓燕", "13644445555", "深圳市福田区园岭街道")]
        }),
    )
    .await?;
    act(state, "ft_clerk", &n, "forward", json!({"unit": "440304-JTT"})).await?;
    act(state, "ft_jtt_officer", &n, "accept", json!({})).await?;
    act(
        state,
        "ft_jtt_officer",
        &n,
        "reply",
        json!({"text": "已将建议转地铁运营单位研究，C出口无障碍电梯纳入2027年改造计划。", "adoption": "adopted"}),
    )
    .await?;
    act(state, "ft_jtt_officer", &n, "deliver", json!({"method": "online", "delivered_on": local_date(chrono::Utc::now())})).await?;
    // 6. A claim decided and delivered: the 复查 window is open.
    let n = submit(
        state,
        Some("ft_clerk"),
        json!({
            "channel": "phone", "jurisdiction": "440304", "title": "要求认定工伤", "category": "claim", "topic": "0203",
            "request": "请求认定下班途中交通事故为工伤",
            "facts_and_reasons": "本人下班途中发生非本人主要责任的交通事故，单位拒绝申报工伤。",
            "petitioners": [person("周立新", "13566667777", "深圳市福田区福保街道")]
        }),
    )
    .await?;
    act(state, "ft_clerk", &n, "forward", json!({"unit": "440304-RST"})).await?;
    act(state, "ft_rst_officer", &n, "accept", json!({"route": 6})).await?;
    act(
        state,
        "ft_rst_officer",
        &n,
        "conclude",
        json!({
            "outcome": "upheld", "request": "认定工伤", "facts_and_reasons": "经调查，事故发生在合理下班路线上，交警认定信访人负次要责任。",
            "decision": "支持信访人的请求，责成用人单位于15日内申报工伤", "legal_basis": "《工伤保险条例》第十四条第（六）项"
        }),
    )
    .await?;
    act(state, "ft_rst_officer", &n, "deliver", json!({"method": "online", "delivered_on": local_date(chrono::Utc::now())})).await?;
    // 7. An accusation referred to the discipline body.
    let n = submit(
        state,
        None,
        json!({
            "jurisdiction": "440304", "title": "反映某街道工作人员违规收取费用", "category": "accusation", "topic": "0601",
            "request": "请求调查处理", "facts_and_reasons": "办理临时摊位许可时被要求另交“服务费”500元，未开具票据。",
            "accused": {"name": "某街道城管执法队工作人员", "unit": "福田区某街道办事处"},
            "petitioners": [person("吴小兰", "13677778888", "深圳市福田区南园街道")], "confidential": true
        }),
    )
    .await?;
    act(state, "ft_clerk", &n, "refer_discipline", json!({"unit": "440304-JW"})).await?;
    Ok(())
}
