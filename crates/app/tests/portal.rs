//! The citizen portal over HTTP: pages render, forms validate in Chinese
//! next to the field, a submission gives a receipt, tracking works, CSRF
//! is enforced. (Browser tests of the same journeys come with issue 4.)

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use reqwest::multipart::Form;

async fn page(s: &TestServer, path: &str) -> (StatusCode, String, Option<String>) {
    let r = s.client.get(format!("{}{path}", s.base)).send().await.unwrap();
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("xf_csrf="))
        .map(|c| c.split(';').next().unwrap().to_string());
    (r.status(), r.text().await.unwrap(), cookie)
}

fn token_of(cookie: &str) -> String {
    cookie.trim_start_matches("xf_csrf=").to_string()
}

fn form(token: &str, fields: &[(&str, &str)]) -> Form {
    // Each form as a page would give it: with its own one-time token.
    let mut f = Form::new().text("csrf", token.to_string()).text("form_token", xinfang_web::auth::random_secret(16));
    for (k, v) in fields {
        f = f.text(k.to_string(), v.to_string());
    }
    f
}

const GOOD: &[(&str, &str)] = PORTAL_CLAIM_FORM;

/// Submit a portal form: 303 to the receipt, which the sealed cookie set
/// on the redirect opens.
pub async fn receipt_after(s: &TestServer, cookie: &str, f: Form) -> String {
    let c = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = c.post(format!("{}/submit", s.base)).header("cookie", cookie).multipart(f).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let sealed = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("xf_receipt="))
        .map(|c| c.split(';').next().unwrap().to_string())
        .unwrap();
    let r = c.get(format!("{}/submit/receipt", s.base)).header("cookie", format!("{cookie}; {sealed}")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.unwrap()
}

#[tokio::test]
async fn portal_pages_render_in_chinese_with_the_deployment_footer() {
    let s = TestServer::start().await;
    let (status, home, _) = page(&s, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("<html lang=\"zh-CN\">"));
    assert!(home.contains("接待时间") && home.contains("网站标识码") && home.contains("主办单位"));
    let (_, submit, cookie) = page(&s, "/submit").await;
    assert!(cookie.is_some(), "a CSRF cookie is set");
    assert!(submit.contains("<label for=\"request\">"), "every input has a label");
    assert!(submit.contains("<option value=\"4403\" selected>深圳市</option>"), "region picker starts at the deployment's city");
    assert!(submit.contains("华强北街道") || submit.contains("福田区"));
    // The cascading picker's htmx fragment.
    let (status, options, _) = page(&s, "/ui/divisions?target=township&county=440305").await;
    assert_eq!(status, StatusCode::OK);
    assert!(options.contains("蛇口街道"));
    let r = s.client.get(format!("{}/static/vendor/htmx-2.0.11.min.js", s.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // 长者模式 is a cookie switch.
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/elder?on=1", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = s.client.get(format!("{}/", s.base)).header("cookie", "xf_elder=1").send().await.unwrap();
    assert!(r.text().await.unwrap().contains("<body class=\"elder\">"));
    s.finish().await;
}

#[tokio::test]
async fn online_submission_validates_next_to_the_field_then_gives_a_receipt_and_tracks() {
    let s = TestServer::start().await;
    let (_, _, cookie) = page(&s, "/submit").await;
    let cookie = cookie.unwrap();
    let token = token_of(&cookie);
    // A bad identity number: the message stands next to the field, input kept.
    let mut bad: Vec<(&str, &str)> = GOOD.iter().copied().filter(|(k, _)| *k != "id_number").collect();
    bad.push(("id_number", "440304199001011234"));
    let r = s.client.post(format!("{}/submit", s.base)).header("cookie", &cookie).multipart(form(&token, &bad)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"id_number-error\"") && html.contains("校验位"), "the ID error stands by the ID field");
    assert!(html.contains("value=\"赵一\""), "what was typed is kept");
    let r = s
        .client
        .post(format!("{}/submit", s.base))
        .header("cookie", &cookie)
        .multipart(form(&token, &GOOD.iter().copied().filter(|(k, _)| *k != "request").collect::<Vec<_>>()))
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("id=\"request-error\""));
    // Without the CSRF cookie the form is refused.
    let r = s.client.post(format!("{}/submit", s.base)).multipart(form(&token, GOOD)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A good submission, with an attachment.
    let f = form(&token, GOOD).part("attachments", reqwest::multipart::Part::bytes(b"%PDF-1.4 test".to_vec()).file_name("证明.pdf"));
    let receipt = receipt_after(&s, &cookie, f).await;
    assert!(receipt.contains("提交成功") && receipt.contains("福田区信访局"));
    let number = receipt.split("XF-").nth(1).map(|r| format!("XF-{}", &r[..22])).unwrap();
    let code = receipt.split("<td class=\"code\">").nth(2).and_then(|r| r.split('<').next()).unwrap().to_string();
    assert_eq!(code.len(), 8, "{code}");
    let d = s.detail("ft_clerk", &number).await;
    assert_eq!(d["jurisdiction"], "440304011");
    assert_eq!(d["attachments"].as_array().unwrap().len(), 1);
    // Track it through the portal: 303 to the record, opened by the
    // sealed cookie set on the redirect.
    let c = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = c
        .post(format!("{}/track", s.base))
        .header("cookie", &cookie)
        .form(&[("csrf", token.as_str()), ("number", number.as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let sealed = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("xf_track="))
        .map(|c| c.split(';').next().unwrap().to_string())
        .unwrap();
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(!location.contains(&code), "the code stays out of the URL");
    let r = c.get(format!("{}{location}", s.base)).header("cookie", format!("{cookie}; {sealed}")).send().await.unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("办理进度") && html.contains("网上提交"), "{html}");
    let r = s
        .client
        .post(format!("{}/track", s.base))
        .header("cookie", &cookie)
        .form(&[("csrf", token.as_str()), ("number", number.as_str()), ("code", "AAAAAAAA")])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("查询码不正确"));
    s.finish().await;
}

#[tokio::test]
async fn elder_switch_without_javascript_goes_back_to_a_local_page_only() {
    let s = TestServer::start().await;
    let c = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for (back, to) in [
        ("%2Ftrack", "/track"),
        ("%2F%2Fevil.example%2Fx", "/"),
        ("https%3A%2F%2Fevil.example", "/"),
        ("%2Fsubmit%0D%0ASet-Cookie%3A%20x%3D1", "/"),
    ] {
        let r = c.get(format!("{}/elder?on=1&back={back}", s.base)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{back}");
        assert_eq!(r.headers()["location"], to, "{back}");
    }
    s.finish().await;
}
