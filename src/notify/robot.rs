//! Group robots (群机器人): the webhooks of WeCom (企业微信) and DingTalk (钉钉) groups, a third
//! way out of the outbox beside e-mail and SMS. A department's group gets its new assignments,
//! its overdue escalations and its daily check; the leaders' group gets the weekly bulletin
//! (`notifications.robots`, docs/operations.md "Group robots").
//!
//! - WeCom: `POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…` with
//!   `{"msgtype": "markdown", "markdown": {"content": …}}` (at most 4,096 bytes).
//! - DingTalk: `POST https://oapi.dingtalk.com/robot/send?access_token=…` with
//!   `{"msgtype": "markdown", "markdown": {"title": …, "text": …}}`; a robot with 加签 gets
//!   `&timestamp=<ms>&sign=<…>` added, the sign being the Base64 of the HMAC-SHA256, keyed with
//!   the secret, of `<timestamp>\n<secret>`, URL-encoded (DingTalk's "自定义机器人安全设置").
//!
//! Both platforms take at most 20 messages a minute per robot; a robot here sends no more than
//! that ([`RATE`]): the twenty-first is put back for a later attempt, as is an answer that the
//! platform is busy or throttling. An answer that will not change (a webhook or key that does
//! not exist, a signature or keyword refused, a robot switched off) gives the message up.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::config::RobotSettings;
use crate::domain::time::Clock;
use crate::notify::sms::sender::exchange;
use crate::notify::{Delivered, SendError};

/// Messages a robot may send in a minute (both platforms' limit).
pub const RATE: usize = 20;

/// WeCom's limit on a markdown message's content, in bytes.
pub const WECOM_MAX_BYTES: usize = 4096;

/// DingTalk's limit on a markdown message's text, in bytes (its documentation says 20,000).
pub const DINGTALK_MAX_BYTES: usize = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RobotKind {
    WeCom,
    DingTalk,
}

impl RobotKind {
    pub fn parse(text: &str) -> Option<RobotKind> {
        match text.trim() {
            "wecom" => Some(RobotKind::WeCom),
            "dingtalk" => Some(RobotKind::DingTalk),
            _ => None,
        }
    }
}

/// A configured robot.
#[derive(Debug, Clone)]
pub struct Robot {
    pub name: String,
    pub kind: RobotKind,
    url: reqwest::Url,
    secret: Option<String>,
    /// The department (by name) whose group it is.
    pub department: Option<String>,
    /// The leaders' group: the bulletins.
    pub leaders: bool,
}

/// Checks `notifications.robots`: names unique and non-empty, a known kind, a usable URL,
/// each for a department or the leaders.
pub fn parse(settings: &[RobotSettings]) -> anyhow::Result<Vec<Robot>> {
    let mut out: Vec<Robot> = Vec::new();
    for (i, r) in settings.iter().enumerate() {
        let at = format!("notifications.robots[{i}]");
        let name = r.name.trim().to_string();
        anyhow::ensure!(!name.is_empty(), "{at}.name is required");
        anyhow::ensure!(
            out.iter().all(|o| o.name != name),
            "{at}.name {name:?} is used twice"
        );
        let kind = RobotKind::parse(&r.kind)
            .with_context(|| format!("{at}.kind must be \"wecom\" or \"dingtalk\""))?;
        let url =
            reqwest::Url::parse(r.url.trim()).with_context(|| format!("{at}.url is not a URL"))?;
        anyhow::ensure!(
            matches!(url.scheme(), "https" | "http"),
            "{at}.url must be an https:// or http:// URL"
        );
        let department = Some(r.department.trim().to_string()).filter(|d| !d.is_empty());
        anyhow::ensure!(
            department.is_some() || r.leaders,
            "{at} posts to no group: set department (a department's name) or leaders = true"
        );
        let secret = Some(r.secret.trim().to_string()).filter(|s| !s.is_empty());
        anyhow::ensure!(
            kind == RobotKind::DingTalk || secret.is_none(),
            "{at}.secret is for DingTalk robots (WeCom's key is in the URL)"
        );
        out.push(Robot {
            name,
            kind,
            url,
            secret,
            department,
            leaders: r.leaders,
        });
    }
    Ok(out)
}

/// DingTalk's signature of `timestamp` (milliseconds): Base64 of HMAC-SHA256 keyed with
/// `secret` over `<timestamp>\n<secret>` (not yet URL-encoded).
pub fn dingtalk_sign(secret: &str, timestamp_ms: i64) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(format!("{timestamp_ms}\n{secret}").as_bytes());
    BASE64.encode(mac.finalize().into_bytes())
}

/// The longest start of `text` of at most `max` bytes that ends on a character, with `…`
/// when cut.
fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// What WeCom's answer means. `errcode` 0 is sent; -1 (busy) and 45009 (over the rate
/// limit) may pass; anything else (93000 the webhook's key is not valid, 40008 and 44004 a
/// message it refuses, …) will not. HTTP 5xx and 429 may pass; other non-2xx will not.
pub fn read_wecom(status: u16, body: &str) -> Result<Delivered, SendError> {
    read_answer("wecom", status, body, &[-1, 45009, 45033])
}

/// What DingTalk's answer means. `errcode` 0 is sent; -1 (busy), 130101 (sent too fast) and
/// 410100 (over the limit) may pass; anything else (310000 a signature, keyword or address
/// refused; 300001 and 400101 a token that does not exist; 400102 a robot switched off; …)
/// will not.
pub fn read_dingtalk(status: u16, body: &str) -> Result<Delivered, SendError> {
    read_answer("dingtalk", status, body, &[-1, 130101, 410100])
}

fn read_answer(
    platform: &str,
    status: u16,
    body: &str,
    passing: &[i64],
) -> Result<Delivered, SendError> {
    let excerpt: String = body.chars().take(200).collect();
    if status == 429 || status == 408 || (500..600).contains(&status) {
        return Err(SendError::transient(format!(
            "{platform}: HTTP {status}: {excerpt}"
        )));
    }
    if !(200..300).contains(&status) {
        return Err(SendError::permanent(format!(
            "{platform}: HTTP {status}: {excerpt}"
        )));
    }
    let answer: Value = serde_json::from_str(body).map_err(|_| {
        SendError::transient(format!("{platform}: an answer that is not JSON: {excerpt}"))
    })?;
    let code = answer["errcode"].as_i64().unwrap_or(-1);
    let message = answer["errmsg"].as_str().unwrap_or("");
    match code {
        0 => Ok(Delivered { provider_id: None }),
        c if passing.contains(&c) => Err(SendError::transient(format!(
            "{platform}: errcode {c}: {message}"
        ))),
        c => Err(SendError::permanent(format!(
            "{platform}: errcode {c}: {message}"
        ))),
    }
}

/// The robots, and what each sent in the last minute.
pub struct Robots {
    robots: Vec<Robot>,
    client: reqwest::Client,
    clock: Arc<dyn Clock>,
    sent: Mutex<HashMap<String, VecDeque<DateTime<Utc>>>>,
}

impl Robots {
    /// The robots of the settings (none: `None`).
    pub fn from_settings(
        settings: &[RobotSettings],
        timeout: Duration,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Option<Arc<Robots>>> {
        let robots = parse(settings)?;
        if robots.is_empty() {
            return Ok(None);
        }
        Ok(Some(Arc::new(Robots {
            robots,
            client: crate::notify::sms::http_client(timeout)?,
            clock,
            sent: Mutex::new(HashMap::new()),
        })))
    }

    /// Takes one of the robot's [`RATE`] places of the minute, or says when one frees.
    fn take_place(&self, name: &str, now: DateTime<Utc>) -> Result<(), SendError> {
        let mut sent = self
            .sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let times = sent.entry(name.to_string()).or_default();
        let minute_ago = now - chrono::Duration::seconds(60);
        while times.front().is_some_and(|t| *t <= minute_ago) {
            times.pop_front();
        }
        if times.len() >= RATE {
            return Err(SendError::transient(format!(
                "robot {name}: {RATE} messages in the last minute, the platform's limit; sent later"
            )));
        }
        times.push_back(now);
        Ok(())
    }

    /// Posts `text` (markdown) with `title` to the robot called `name`.
    pub async fn send(&self, name: &str, title: &str, text: &str) -> Result<Delivered, SendError> {
        let Some(robot) = self.robots.iter().find(|r| r.name == name) else {
            return Err(SendError::permanent(format!(
                "no robot is called {name:?} any more (notifications.robots)"
            )));
        };
        let now = self.clock.now();
        self.take_place(name, now)?;
        let mut url = robot.url.clone();
        let body = match robot.kind {
            RobotKind::WeCom => json!({
                "msgtype": "markdown",
                "markdown": { "content": cut(text, WECOM_MAX_BYTES) },
            }),
            RobotKind::DingTalk => {
                if let Some(secret) = &robot.secret {
                    let timestamp = now.timestamp_millis();
                    url.query_pairs_mut()
                        .append_pair("timestamp", &timestamp.to_string())
                        .append_pair("sign", &dingtalk_sign(secret, timestamp));
                }
                json!({
                    "msgtype": "markdown",
                    "markdown": { "title": title, "text": cut(text, DINGTALK_MAX_BYTES) },
                })
            }
        };
        let request = self.client.post(url).json(&body);
        let platform = match robot.kind {
            RobotKind::WeCom => "wecom",
            RobotKind::DingTalk => "dingtalk",
        };
        let (status, answer) = exchange(platform, request).await?;
        match robot.kind {
            RobotKind::WeCom => read_wecom(status, &answer),
            RobotKind::DingTalk => read_dingtalk(status, &answer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dingtalk_signs_as_documented() {
        // Recomputed independently with Python: base64(hmac.new(b"SECabc", b"1700000000000\nSECabc",
        // hashlib.sha256).digest()).
        assert_eq!(
            dingtalk_sign("SECabc", 1_700_000_000_000),
            "jcUpW0QmtKduN03n4JqQ0PBosVjqnM8gU7fIIvsDmCM="
        );
    }

    #[test]
    fn answers_are_sent_retried_or_given_up() {
        assert!(read_wecom(200, r#"{"errcode":0,"errmsg":"ok"}"#).is_ok());
        let busy = read_wecom(200, r#"{"errcode":45009,"errmsg":"api freq out of limit"}"#);
        assert!(busy.is_err_and(|e| !e.permanent));
        let bad_key = read_wecom(200, r#"{"errcode":93000,"errmsg":"invalid webhook url"}"#);
        assert!(bad_key.is_err_and(|e| e.permanent));
        assert!(
            read_dingtalk(200, r#"{"errcode":130101,"errmsg":"send too fast"}"#)
                .is_err_and(|e| !e.permanent)
        );
        assert!(
            read_dingtalk(200, r#"{"errcode":310000,"errmsg":"sign not match"}"#)
                .is_err_and(|e| e.permanent)
        );
        assert!(read_dingtalk(502, "bad gateway").is_err_and(|e| !e.permanent));
        assert!(read_dingtalk(404, "not found").is_err_and(|e| e.permanent));
    }

    #[test]
    fn long_texts_are_cut_on_a_character() {
        let text = "长".repeat(2000);
        let out = cut(&text, WECOM_MAX_BYTES);
        assert!(out.len() <= WECOM_MAX_BYTES);
        assert!(out.ends_with('…'));
        assert_eq!(cut("短", 10), "短");
    }

    #[test]
    fn twenty_a_minute() {
        let robots = Robots {
            robots: Vec::new(),
            client: crate::notify::sms::http_client(Duration::from_secs(1)).unwrap(),
            clock: Arc::new(crate::domain::time::SystemClock),
            sent: Mutex::new(HashMap::new()),
        };
        let t0 = Utc::now();
        for _ in 0..RATE {
            robots.take_place("a", t0).unwrap();
        }
        assert!(robots.take_place("a", t0).is_err_and(|e| !e.permanent));
        assert!(robots.take_place("b", t0).is_ok(), "per robot");
        assert!(
            robots
                .take_place("a", t0 + chrono::Duration::seconds(61))
                .is_ok()
        );
    }
}
