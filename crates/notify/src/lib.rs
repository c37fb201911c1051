//! The channels notices leave through (issue 11): SMS through an HTTP
//! gateway and e-mail over SMTP. Each send carries the message's stable
//! idempotency key, so that a resend after a crash (the worker died after
//! the gateway took the message and before the queue recorded it) is
//! recognisable by the receiver: delivery is at least once, the effect
//! exactly once for receivers that honour the key.
//!
//! The gateway is provider-neutral: the request body is a template with
//! `{{phone}}`, `{{text}}`, `{{key}}`, `{{sign}}` and `{{timestamp}}`, sent as JSON or
//! as a form, and signed with HMAC-SHA256 under a key from the
//! configuration (`X-Xinfang-Timestamp`, `X-Xinfang-Signature` over
//! `timestamp + "\n" + body`), with the key in `Idempotency-Key`.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::time::Duration;

/// How to reach the gateway and the mail server. Every field has a
/// default; a channel without its URL is off (no message is queued for it).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct NotifyConfig {
    /// The SMS gateway's URL (http or https); empty: no SMS.
    pub sms_gateway_url: String,
    /// The HMAC key requests are signed with.
    pub sms_gateway_key: String,
    /// The request body, with `{{phone}}`, `{{text}}`, `{{key}}`, `{{sign}}`
    /// and `{{timestamp}}` filled in (escaped for the content type).
    pub sms_request_template: String,
    /// `json` or `form`.
    pub sms_content_type: String,
    /// The sender's signature the gateway prints (短信签名).
    pub sms_sign: String,
    /// Seconds before a gateway call counts as failed (and is retried).
    pub sms_timeout_seconds: u64,
    /// `smtp://host:port` (plain), `smtp://host?tls=required` (STARTTLS)
    /// or `smtps://host` (TLS), with `user:password@` if the server wants
    /// it; empty: no e-mail.
    pub smtp_url: String,
    /// The From address, e.g. `某某信访局 <noreply@example.gov.cn>`.
    pub smtp_from: String,
    pub smtp_timeout_seconds: u64,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            sms_gateway_url: String::new(),
            sms_gateway_key: String::new(),
            sms_request_template:
                r#"{"mobile":"{{phone}}","content":"{{text}}","sign":"{{sign}}","request_id":"{{key}}","timestamp":"{{timestamp}}"}"#.into(),
            sms_content_type: "json".into(),
            sms_sign: "信访".into(),
            sms_timeout_seconds: 10,
            smtp_url: String::new(),
            smtp_from: "xinfang <noreply@localhost>".into(),
            smtp_timeout_seconds: 20,
        }
    }
}

/// Why a send failed: worth trying again later, or not.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SendError {
    /// The receiver was unreachable, slow or busy (5xx, 408, 429).
    #[error("{0}")]
    Retry(String),
    /// The receiver refused the message itself (bad number, bad address).
    #[error("{0}")]
    Permanent(String),
}

/// Characters in one SMS segment of Chinese text (UCS-2): 70 alone, 67 per
/// part of a long message.
pub const SMS_SEGMENT_CHARS: usize = 70;
const SMS_PART_CHARS: usize = 67;

/// How many segments `text` takes.
pub fn sms_segments(text: &str) -> usize {
    let n = text.chars().count();
    if n <= SMS_SEGMENT_CHARS { 1 } else { n.div_ceil(SMS_PART_CHARS) }
}

/// The SMS channel.
#[derive(Clone)]
pub struct SmsGateway {
    url: String,
    key: Vec<u8>,
    template: String,
    form: bool,
    sign: String,
    client: reqwest::Client,
}

impl SmsGateway {
    /// The gateway of `cfg`, or None when SMS is off.
    pub fn from_config(cfg: &NotifyConfig) -> Result<Option<SmsGateway>, String> {
        let url = cfg.sms_gateway_url.trim();
        if url.is_empty() {
            return Ok(None);
        }
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!("sms_gateway_url must be http:// or https://: {url}"));
        }
        let form = match cfg.sms_content_type.as_str() {
            "json" => false,
            "form" => true,
            other => return Err(format!("sms_content_type must be json or form, not {other}")),
        };
        if cfg.sms_gateway_key.is_empty() {
            return Err("sms_gateway_key is empty: gateway requests must be signed".into());
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(cfg.sms_timeout_seconds.max(1)))
            .build()
            .map_err(|e| format!("SMS client: {e}"))?;
        Ok(Some(SmsGateway {
            url: url.to_string(),
            key: cfg.sms_gateway_key.as_bytes().to_vec(),
            template: cfg.sms_request_template.clone(),
            form,
            sign: cfg.sms_sign.clone(),
            client,
        }))
    }

    /// The request body for one message.
    pub fn body(&self, phone: &str, text: &str, key: &str, timestamp: i64) -> String {
        let esc = |v: &str| -> String {
            if self.form {
                percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC).to_string()
            } else {
                // A JSON string's inside: serialised, quotes taken off.
                let s = serde_json::to_string(v).unwrap_or_default();
                s[1..s.len().saturating_sub(1).max(1)].to_string()
            }
        };
        self.template
            .replace("{{phone}}", &esc(phone))
            .replace("{{text}}", &esc(text))
            .replace("{{key}}", &esc(key))
            .replace("{{sign}}", &esc(&self.sign))
            .replace("{{timestamp}}", &timestamp.to_string())
    }

    /// Send `text` to `phone`; Ok holds the gateway's answer (for the record).
    pub async fn send(&self, phone: &str, text: &str, key: &str) -> Result<String, SendError> {
        let ts = chrono::Utc::now().timestamp();
        let body = self.body(phone, text, key, ts);
        let signature = sign(&self.key, ts, &body);
        let content_type = if self.form { "application/x-www-form-urlencoded" } else { "application/json; charset=utf-8" };
        let resp = self
            .client
            .post(&self.url)
            .header("Content-Type", content_type)
            .header("Idempotency-Key", key)
            .header("X-Xinfang-Timestamp", ts.to_string())
            .header("X-Xinfang-Signature", signature)
            .body(body)
            .send()
            .await
            .map_err(|e| SendError::Retry(format!("短信网关不可达：{e}")))?;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        let answer: String = text.chars().take(200).collect();
        if status.is_success() {
            Ok(format!("{} {answer}", status.as_u16()))
        } else if status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429 {
            Err(SendError::Retry(format!("短信网关返回 {}：{answer}", status.as_u16())))
        } else {
            Err(SendError::Permanent(format!("短信网关拒绝 {}：{answer}", status.as_u16())))
        }
    }
}

/// The signature of a gateway request: hex HMAC-SHA256 of
/// `timestamp + "\n" + body`.
pub fn sign(key: &[u8], timestamp: i64, body: &str) -> String {
    hmac_hex(key, format!("{timestamp}\n{body}").as_bytes())
}

fn hmac_hex(key: &[u8], msg: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else { return String::new() };
    mac.update(msg);
    hex::encode(mac.finalize().into_bytes())
}

/// The e-mail channel.
#[derive(Clone)]
pub struct Mailer {
    transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl Mailer {
    /// The mailer of `cfg`, or None when e-mail is off.
    pub fn from_config(cfg: &NotifyConfig) -> Result<Option<Mailer>, String> {
        let url = cfg.smtp_url.trim();
        if url.is_empty() {
            return Ok(None);
        }
        let transport = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url)
            .map_err(|e| format!("smtp_url: {e}"))?
            .timeout(Some(Duration::from_secs(cfg.smtp_timeout_seconds.max(1))))
            .build();
        let from = cfg.smtp_from.parse().map_err(|e| format!("smtp_from: {e}"))?;
        Ok(Some(Mailer { transport, from }))
    }

    /// Send a plain-text message. Its Message-ID is derived from `key`, so
    /// a resend carries the same one.
    pub async fn send(&self, to: &str, subject: &str, body: &str, key: &str) -> Result<String, SendError> {
        use lettre::AsyncTransport;
        let to: lettre::message::Mailbox = to.parse().map_err(|e| SendError::Permanent(format!("收件地址无效：{e}")))?;
        let message_id = message_id(key);
        let msg = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(message_id.clone()))
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(body.to_string())
            .map_err(|e| SendError::Permanent(format!("邮件无法生成：{e}")))?;
        match self.transport.send(msg).await {
            Ok(r) => Ok(format!("{} {message_id}", r.code())),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(format!("邮件服务器拒绝：{e}"))),
            Err(e) => Err(SendError::Retry(format!("邮件服务器暂不可用：{e}"))),
        }
    }
}

/// Whether `e` is a plain address (`user@host`, no display name) an SMTP
/// server will take.
pub fn valid_email(e: &str) -> bool {
    e.len() <= 254 && !e.contains(['<', '>', ' ']) && e.parse::<lettre::Address>().is_ok()
}

/// The Message-ID of the message with idempotency key `key`: the same key
/// gives the same id, which is how a receiver recognises a resend.
pub fn message_id(key: &str) -> String {
    let safe: String = key.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '.' }).collect();
    format!("<{safe}@xinfang.notice>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_count_chinese_characters() {
        assert_eq!(sms_segments(&"信".repeat(70)), 1);
        assert_eq!(sms_segments(&"信".repeat(71)), 2);
        assert_eq!(sms_segments(&"信".repeat(134)), 2);
        assert_eq!(sms_segments(&"信".repeat(135)), 3);
    }

    #[test]
    fn body_escapes_values_for_json_and_form() {
        let cfg = NotifyConfig { sms_gateway_url: "http://127.0.0.1:9/sms".into(), sms_gateway_key: "k".into(), ..Default::default() };
        let gw = SmsGateway::from_config(&cfg).expect("config").expect("on");
        let body = gw.body("13800000000", "引号\"和\\反斜杠", "notice:1", 7);
        let v: serde_json::Value = serde_json::from_str(&body).expect("valid JSON");
        assert_eq!(v["content"], "引号\"和\\反斜杠");
        assert_eq!(v["request_id"], "notice:1");
        let form = SmsGateway::from_config(&NotifyConfig {
            sms_content_type: "form".into(),
            sms_request_template: "to={{phone}}&msg={{text}}".into(),
            ..cfg
        })
        .expect("config")
        .expect("on");
        assert_eq!(form.body("1", "a&b", "k", 0), "to=1&msg=a%26b");
    }

    #[test]
    fn unsigned_or_odd_gateways_are_refused() {
        let no_key = NotifyConfig { sms_gateway_url: "http://x/".into(), ..Default::default() };
        assert!(SmsGateway::from_config(&no_key).is_err());
        let ftp = NotifyConfig { sms_gateway_url: "ftp://x/".into(), sms_gateway_key: "k".into(), ..Default::default() };
        assert!(SmsGateway::from_config(&ftp).is_err());
        assert!(SmsGateway::from_config(&NotifyConfig::default()).expect("off").is_none());
    }

    #[test]
    fn signature_is_hmac_sha256_of_timestamp_and_body() {
        // RFC 4231 test case 2.
        assert_eq!(hmac_hex(b"Jefe", b"what do ya want for nothing?"), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        let s = sign(b"Jefe", 0, "x");
        assert_eq!(s, hmac_hex(b"Jefe", b"0\nx"));
        assert_ne!(s, sign(b"Jefe", 1, "x"));
        assert_eq!(message_id("notice:12:sms"), "<notice.12.sms@xinfang.notice>");
    }
}
