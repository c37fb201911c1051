//! The staff workbench over HTTP: form login with a session cookie, the
//! inbox with deadline colours, registration (Art. 20 in the form), and
//! acting through the forms the procedure allows.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn clerk_registers_a_collective_visit_and_forwards_it_through_the_forms() {
    let s = TestServer::start().await;
    let (c, csrf) = browser(&s, "ft_clerk").await;
    let page = c.get(format!("{}/staff/register", s.base)).send().await.unwrap().text().await.unwrap();
    let token = page.split("name=\"form_token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let reps6 = "代表一 13900000001\n代表二 13900000002\n代表三 13900000003\n代表四 13900000004\n代表五 13900000005\n代表六 13900000006";
    let form = |reps: &str| {
        let fields: Vec<(&str, String)> = vec![
            ("csrf", csrf.clone()),
            ("form_token", token.clone()),
            ("channel", "visit".into()),
            ("received_on", today().to_string()),
            ("category", "claim".into()),
            ("jurisdiction", "440304".into()),
            ("collective", "1".into()),
            ("headcount", "30".into()),
            ("representatives", reps.to_string()),
            ("title", "回迁安置延期".into()),
            ("request", "明确回迁时间".into()),
            ("facts_and_reasons", "项目延期两年".into()),
        ];
        fields.into_iter().fold(reqwest::multipart::Form::new(), |f, (k, v)| f.text(k, v))
    };
    let r = c.post(format!("{}/staff/register", s.base)).multipart(form(reps6)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"representatives-error\"") && html.contains("不得超过5人"),
        "the 6th representative is refused next to the field"
    );
    assert!(html.contains("id=\"representatives\" name=\"representatives\" autofocus"), "the first error has the focus");
    let reps5: String = reps6.lines().take(5).collect::<Vec<_>>().join("\n");
    let r = c.post(format!("{}/staff/register", s.base)).multipart(form(&reps5)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let url = r.url().to_string();
    let html = r.text().await.unwrap();
    assert!(html.contains("已办理：登记") && html.contains("<summary>转送"), "lands on the petition page with routing forms");
    assert!(!html.contains("<summary>受理"), "a bureau does not accept");
    let number = url.split("/staff/p/").nth(1).unwrap().split('?').next().unwrap().to_string();
    let r = c
        .post(format!("{}/staff/p/{number}/act/forward", s.base))
        .form(&[("csrf", csrf.as_str()), ("unit", "440304-RST"), ("note", ""), ("confirmed", "1")])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("已办理：转送"));
    assert_eq!(s.detail("ft_rst_officer", &number).await["state"], "forwarded");
    // The handling officer sees it in the inbox with its colour, and gets the acceptance forms.
    let (o, ocsrf) = browser(&s, "ft_rst_officer").await;
    let inbox = o.get(format!("{}/staff", s.base)).send().await.unwrap().text().await.unwrap();
    // 15 days (Art. 23), rolled past a weekend or holiday: the count shown is the petition's own due date.
    let t3 = deadline(&s.detail("ft_rst_officer", &number).await["deadlines"], "T3").clone();
    let due = chrono::NaiveDate::parse_from_str(t3["due_on"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    let left = (due - today()).num_days();
    assert!((15..=25).contains(&left), "{t3}");
    assert!(inbox.contains(&number) && inbox.contains(&format!("class=\"due green\">剩{left}天")), "{inbox}");
    let page = o.get(format!("{}/staff/p/{number}", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("<summary>受理") && page.contains("<summary>提出异议"));
    let r = o
        .post(format!("{}/staff/p/{number}/act/accept", s.base))
        .form(&[("csrf", ocsrf.as_str()), ("route", "6"), ("note", "")])
        .send()
        .await
        .unwrap();
    let page = r.text().await.unwrap();
    assert!(page.contains("已办理：受理") && page.contains("<summary>延期"), "now the handling forms");
    // A refused act shows its reason on the page.
    let r = o
        .post(format!("{}/staff/p/{number}/act/extend", s.base))
        .form(&[("csrf", ocsrf.as_str()), ("days", "45"), ("reason", "复杂"), ("approved_by", "ft_rst_head")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("延长期限不得超过30日"));
    s.finish().await;
}

#[tokio::test]
async fn admin_pages_warnings_and_saved_views() {
    let s = TestServer::start().await;
    // Only the administrator reaches the admin pages.
    let (c, _) = browser(&s, "ft_clerk").await;
    let r = c.get(format!("{}/staff/admin", s.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (a, acsrf) = browser(&s, "admin").await;
    let html = a.get(format!("{}/staff/admin?year=2026", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("用户与角色") && html.contains("ft_clerk") && html.contains("2026-10-10") && html.contains("调休上班"));
    let r = a
        .post(format!("{}/staff/admin/users", s.base))
        .form(&[
            ("csrf", acsrf.as_str()),
            ("username", "ft_new"),
            ("display_name", "新同事"),
            ("password", "weak"),
            ("role", "clerk"),
            ("unit", "440304-XFJ"),
        ])
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"nu-password-error\">密码长度"), "the password policy speaks beside the field");
    assert!(html.contains("value=\"ft_new\"") && html.contains("value=\"新同事\""), "the form is kept as typed");
    let r = a
        .post(format!("{}/staff/admin/users", s.base))
        .form(&[
            ("csrf", acsrf.as_str()),
            ("username", "ft_new"),
            ("display_name", "新同事"),
            ("password", "Good#Password1"),
            ("role", "clerk"),
            ("unit", "440304-XFJ"),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("已保存：用户"));
    let html = a
        .post(format!("{}/staff/admin/keys", s.base))
        .form(&[("csrf", acsrf.as_str()), ("label", "12345"), ("unit", "440304-XFJ"), ("channel", "hotline")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("新密钥（只显示一次）：<code>xfk_"));
    // The clerk is warned about a petitioner with open petitions.
    let (status, _) = s.post("/api/v1/petitions", None, online_claim("重复者", "440304199001011233")).await;
    assert_eq!(status, StatusCode::CREATED);
    let warn =
        c.get(format!("{}/staff/petitioner-check?id_number=440304199001011233&phone=", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(warn.contains("该信访人已有1件未办结"), "{warn}");
    let none =
        c.get(format!("{}/staff/petitioner-check?id_number=11010519491231002X&phone=", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(none.is_empty());
    // Saved views.
    let html = c.get(format!("{}/staff/all", s.base)).send().await.unwrap().text().await.unwrap();
    let csrf = html.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    c.post(format!("{}/staff/views", s.base))
        .form(&[("csrf", csrf.as_str()), ("name", "逾期来信"), ("query", "channel=letter&overdue=true")])
        .send()
        .await
        .unwrap();
    let html = c.get(format!("{}/staff", s.base)).send().await.unwrap().text().await.unwrap();
    let at = html.find("逾期来信").map(|i| i.saturating_sub(80)).unwrap_or(0);
    assert!(html.contains("href=\"/staff?channel=letter&#38;overdue=true\">逾期来信</a>"), "{}", &html[at..(at + 200).min(html.len())]);
    s.finish().await;
}

#[tokio::test]
async fn staff_pages_need_a_session() {
    let s = TestServer::start().await;
    let c = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for path in ["/staff", "/staff/register", "/staff/p/XF-440304-20261122-000001"] {
        let r = c.get(format!("{}{path}", s.base)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(r.headers()["location"], "/staff/login");
    }
    s.finish().await;
}

#[test]
fn inbox_colours_follow_the_deadline_watch_classes() {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let c = |d: &str| xinfang_ui_colour(Some(d), today);
    assert_eq!(c("2026-12-01").0, "green");
    assert_eq!(c("2026-11-25").0, "yellow");
    assert_eq!(c("2026-11-23").0, "red");
    assert_eq!(c("2026-11-22").0, "red");
    assert_eq!(c("2026-11-20"), ("overdue", "逾期2天".to_string()));
}

fn xinfang_ui_colour(d: Option<&str>, today: chrono::NaiveDate) -> (&'static str, String) {
    xinfang_ui::colour(d, today, xinfang_domain::supervision::DEFAULT_DUE_SOON_DAYS)
}

/// Art. 30 from the workbench: the clerk registers an accusation letter,
/// anonymous, naming the accused and a unit of the system by its full
/// name; the accused unit's chain never sees it. A title too long is said
/// beside the title, with the rest kept.
#[tokio::test]
async fn art30_the_clerk_registers_an_anonymous_accusation_naming_a_unit_through_the_form() {
    let s = TestServer::start().await;
    let (c, _) = browser(&s, "ft_clerk").await;
    let send = async |title: &str| {
        let page = c.get(format!("{}/staff/register", s.base)).send().await.unwrap().text().await.unwrap();
        assert!(
            page.contains("name=\"accused_name\"") && page.contains("name=\"anonymous\"") && page.contains("name=\"litigation_related\"")
        );
        let grab = |name: &str| page.split(&format!("name=\"{name}\" value=\"")).nth(1).unwrap().split('"').next().unwrap().to_string();
        let form = reqwest::multipart::Form::new()
            .text("csrf", grab("csrf"))
            .text("form_token", grab("form_token"))
            .text("channel", "letter")
            .text("received_on", today().to_string())
            .text("category", "accusation")
            .text("jurisdiction", "440304")
            .text("anonymous", "1")
            .text("accused_name", "某科长")
            .text("accused_unit", "福田区住房和建设局")
            .text("accused_position", "科长")
            .text("title", title.to_string())
            .text("request", "请求查处")
            .text("facts_and_reasons", "办理房屋登记时索要好处费");
        c.post(format!("{}/staff/register", s.base)).multipart(form).send().await.unwrap()
    };
    let r = send(&"长".repeat(101)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"title-error\"") && html.contains("不能超过100个字"), "{html}");
    assert!(html.contains("value=\"某科长\"") && html.contains("value=\"福田区住房和建设局\""), "what was typed is kept");
    let r = send("反映住建局某科长索要好处费").await;
    let url = r.url().to_string();
    assert!(url.contains("/staff/p/"), "{url}: {}", r.text().await.unwrap());
    let number = url.split("/staff/p/").nth(1).unwrap().split('?').next().unwrap().to_string();
    let d = s.detail("ft_clerk", &number).await;
    assert_eq!(d["category"], "accusation", "{d}");
    assert_eq!(d["anonymous"], true, "{d}");
    // Named by its full name, the unit is the accused unit: its chain never sees it.
    let (status, _) = s.get_as("ft_zjt_officer", &format!("/api/v1/petitions/{number}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    s.finish().await;
}

#[tokio::test]
async fn the_workbench_address_with_a_trailing_slash_leads_to_the_workbench() {
    let s = TestServer::start().await;
    let r = s.client.get(format!("{}/staff/", s.base)).send().await.unwrap();
    assert_ne!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.status().is_redirection() || r.url().path() != "/staff/", "{} {}", r.status(), r.url());
    s.finish().await;
}
