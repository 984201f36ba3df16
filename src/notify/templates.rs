//! Message templates: one file per event under `config/templates/` (built into the binary,
//! overridable file by file from `notifications.templates_dir`), rendered with minijinja.
//!
//! Every template is compiled and rendered with sample values at start-up, with undefined
//! values an error, so a mistake in an edited template stops the start instead of failing a
//! message later.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use minijinja::{Environment, UndefinedBehavior, Value};

use crate::domain::notification::NotifyEvent;

/// The frame of HTML e-mails.
const LAYOUT: &str = "_email.html";

/// The templates compiled into the binary: the files of `config/templates/`.
const BUILT_IN: &[(&str, &str)] = &[
    (LAYOUT, include_str!("../../config/templates/_email.html")),
    (
        "ticket_filed.txt",
        include_str!("../../config/templates/ticket_filed.txt"),
    ),
    (
        "ticket_assigned.txt",
        include_str!("../../config/templates/ticket_assigned.txt"),
    ),
    (
        "ticket_accepted.txt",
        include_str!("../../config/templates/ticket_accepted.txt"),
    ),
    (
        "ticket_filed_on_visit.txt",
        include_str!("../../config/templates/ticket_filed_on_visit.txt"),
    ),
    (
        "ticket_assigned_enterprise.txt",
        include_str!("../../config/templates/ticket_assigned_enterprise.txt"),
    ),
    (
        "ticket_progress.txt",
        include_str!("../../config/templates/ticket_progress.txt"),
    ),
    (
        "ticket_reopened_enterprise.txt",
        include_str!("../../config/templates/ticket_reopened_enterprise.txt"),
    ),
    (
        "ticket_closed_unrated.txt",
        include_str!("../../config/templates/ticket_closed_unrated.txt"),
    ),
    (
        "ticket_extended.txt",
        include_str!("../../config/templates/ticket_extended.txt"),
    ),
    (
        "ticket_returned.txt",
        include_str!("../../config/templates/ticket_returned.txt"),
    ),
    (
        "ticket_urged.txt",
        include_str!("../../config/templates/ticket_urged.txt"),
    ),
    (
        "ticket_resolved.txt",
        include_str!("../../config/templates/ticket_resolved.txt"),
    ),
    (
        "ticket_reopened.txt",
        include_str!("../../config/templates/ticket_reopened.txt"),
    ),
    (
        "ticket_rejected.txt",
        include_str!("../../config/templates/ticket_rejected.txt"),
    ),
    (
        "deadline_reminder.txt",
        include_str!("../../config/templates/deadline_reminder.txt"),
    ),
    (
        "sign_reminder.txt",
        include_str!("../../config/templates/sign_reminder.txt"),
    ),
    (
        "ticket_overdue.txt",
        include_str!("../../config/templates/ticket_overdue.txt"),
    ),
    (
        "ticket_escalated.txt",
        include_str!("../../config/templates/ticket_escalated.txt"),
    ),
    (
        "ticket_escalated_admins.txt",
        include_str!("../../config/templates/ticket_escalated_admins.txt"),
    ),
    (
        "extension_requested.txt",
        include_str!("../../config/templates/extension_requested.txt"),
    ),
    (
        "extension_decided.txt",
        include_str!("../../config/templates/extension_decided.txt"),
    ),
    (
        "ticket_merged.txt",
        include_str!("../../config/templates/ticket_merged.txt"),
    ),
    (
        "ticket_unmerged.txt",
        include_str!("../../config/templates/ticket_unmerged.txt"),
    ),
];

/// The values templates (and SMS gateway parameters) may use. Every message gets all of
/// them, empty where they do not apply, so a template may test any of them with `{% if %}`.
pub const VALUES: &[(&str, &str)] = &[
    ("site", "the platform's name (notifications.sms.sign_name)"),
    ("recipient", "the recipient's name"),
    ("number", "the ticket number, QYS20261122000123"),
    ("title", "the ticket's title"),
    ("title_short", "the title cut to 12 characters"),
    ("kind", "问题, 建议 or 咨询"),
    ("enterprise", "the filing enterprise's name"),
    ("category", "the category's name"),
    ("department", "the lead department's name"),
    ("due", "the deadline, China time: 2026-12-08 23:59"),
    ("due_day", "the deadline's day: 12月8日"),
    (
        "note",
        "what the actor wrote: the reason, urge, resolution or rating comment",
    ),
    ("note_short", "the note cut to 20 characters"),
    (
        "days",
        "working days: how long overdue (escalations), or asked for (extensions)",
    ),
    ("url", "the link to the ticket"),
    ("rate_url", "the link to rate the ticket"),
    ("ticket_id", "the ticket's id"),
];

/// The values of one message, by name (see [`VALUES`]).
pub type MessageValues = BTreeMap<&'static str, String>;

/// An e-mail rendered: its subject, text, and the HTML made from the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// An empty template every event template extends (see [`Templates::load`]), so rendering
/// one block renders only that block.
const BLOCKS_BASE: &str = "_blocks";

/// The compiled templates.
pub struct Templates {
    env: Environment<'static>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates").finish_non_exhaustive()
    }
}

fn template_name(event: NotifyEvent) -> String {
    format!("{}.txt", event.as_str())
}

impl Templates {
    /// Compiles the built-in templates, each replaced by the file of the same name in `dir`
    /// if there is one, and renders every event with sample values.
    pub fn load(dir: &Path) -> anyhow::Result<Templates> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        // Autoescape by extension: HTML-escaped in .html, verbatim in .txt.
        env.set_auto_escape_callback(minijinja::default_auto_escape_callback);
        env.set_formatter(html_formatter);
        env.set_keep_trailing_newline(false);
        env.add_template(BLOCKS_BASE, "")
            .context("the base of the templates")?;
        let mut overridden = Vec::new();
        for (name, built_in) in BUILT_IN {
            let path = dir.join(name);
            let source = if path.is_file() {
                overridden.push(*name);
                std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read the template {}", path.display()))?
            } else {
                (*built_in).to_string()
            };
            // An event template is a set of blocks. Extending an empty template makes its own
            // top level render nothing, so that asking for one block costs that block only;
            // written on the first line, so line numbers in errors stay the file's own.
            let source = if name.ends_with(".txt") && !source.trim_start().starts_with("{% extends")
            {
                format!("{{% extends \"{BLOCKS_BASE}\" %}}{source}")
            } else {
                source
            };
            env.add_template_owned(*name, source)
                .with_context(|| format!("the template {name} does not compile"))?;
        }
        if !overridden.is_empty() {
            tracing::info!(dir = %dir.display(), templates = ?overridden, "message templates read from the templates directory");
        }
        warn_unknown_files(dir);
        let templates = Templates { env };
        templates.check()?;
        Ok(templates)
    }

    /// Renders every event with sample values, so that a template that uses an unknown
    /// value, lacks a block or renders empty is found now.
    fn check(&self) -> anyhow::Result<()> {
        let sample = sample_values();
        for &event in NotifyEvent::ALL {
            let name = template_name(event);
            let fail =
                |e: minijinja::Error| anyhow::anyhow!("the template {name} does not render: {e:#}");
            let email = self.render_email(event, &sample).map_err(fail)?;
            let sms = self.render_sms(event, &sample).map_err(fail)?;
            for (block, text) in [
                ("subject", &email.subject),
                ("email", &email.text),
                ("sms", &sms),
            ] {
                anyhow::ensure!(
                    !text.trim().is_empty(),
                    "the template {name} renders an empty {block} block"
                );
            }
            // With the optional values empty too.
            let mut sparse = sample.clone();
            for key in ["note", "note_short", "due", "due_day", "department"] {
                sparse.insert(key, String::new());
            }
            let fail = |e: minijinja::Error| {
                anyhow::anyhow!(
                    "the template {name} does not render without a note or deadline: {e:#}"
                )
            };
            self.render_email(event, &sparse).map_err(fail)?;
            self.render_sms(event, &sparse).map_err(fail)?;
        }
        Ok(())
    }

    /// Renders blocks of the event's template with `values`, in order.
    fn blocks<const N: usize>(
        &self,
        event: NotifyEvent,
        values: &MessageValues,
        names: [&str; N],
    ) -> Result<[String; N], minijinja::Error> {
        let template = self.env.get_template(&template_name(event))?;
        let mut captured = template.render_captured(values)?;
        let mut out: [String; N] = std::array::from_fn(|_| String::new());
        for (slot, name) in out.iter_mut().zip(names) {
            *slot = captured.with_state_mut(|state| {
                state.render_block(name).map_err(|e| {
                    minijinja::Error::new(
                        minijinja::ErrorKind::InvalidOperation,
                        format!("block {name:?}: {e:#}"),
                    )
                })
            })?;
        }
        Ok(out)
    }

    /// The event's e-mail: subject, text, and the HTML version of the text in `_email.html`.
    pub fn render_email(
        &self,
        event: NotifyEvent,
        values: &MessageValues,
    ) -> Result<RenderedEmail, minijinja::Error> {
        let [subject, action, text] = self.blocks(event, values, ["subject", "action", "email"])?;
        let (subject, action, text) = (one_line(&subject), one_line(&action), tidy_text(&text));
        let paragraphs: Vec<Vec<&str>> = text.split("\n\n").map(|p| p.lines().collect()).collect();
        let mut layout_values: BTreeMap<&str, Value> = values
            .iter()
            .map(|(k, v)| (*k, Value::from(v.as_str())))
            .collect();
        layout_values.insert("subject", Value::from(subject.as_str()));
        layout_values.insert("action", Value::from(action.as_str()));
        layout_values.insert("paragraphs", Value::from_serialize(&paragraphs));
        let html = self.env.get_template(LAYOUT)?.render(&layout_values)?;
        Ok(RenderedEmail {
            subject,
            text,
            html,
        })
    }

    /// A message about no ticket (the daily check) in the frame of every e-mail: `text`'s
    /// paragraphs (split at blank lines) above a button `action` to `url`.
    pub fn frame_html(
        &self,
        subject: &str,
        action: &str,
        text: &str,
        site: &str,
        url: &str,
    ) -> Result<String, minijinja::Error> {
        let paragraphs: Vec<Vec<&str>> = text.split("\n\n").map(|p| p.lines().collect()).collect();
        let values: BTreeMap<&str, Value> = BTreeMap::from([
            ("subject", Value::from(subject)),
            ("action", Value::from(action)),
            ("paragraphs", Value::from_serialize(&paragraphs)),
            ("site", Value::from(site)),
            ("url", Value::from(url)),
        ]);
        self.env.get_template(LAYOUT)?.render(&values)
    }

    /// The event's in-app message (站内消息): the e-mail's subject without the leading
    /// `【site】` (the message centre is the site), and the SMS text without its links (the
    /// message opens its ticket).
    pub fn render_in_app(
        &self,
        event: NotifyEvent,
        values: &MessageValues,
    ) -> Result<(String, String), minijinja::Error> {
        let [subject, sms] = self.blocks(event, values, ["subject", "sms"])?;
        let subject = one_line(&subject);
        let site = values.get("site").map_or("", String::as_str);
        let title = subject
            .strip_prefix(&format!("【{site}】"))
            .map_or(subject.as_str(), str::trim_start)
            .to_string();
        // The message opens its ticket: the links the SMS carries are left out.
        let mut text = one_line(&sms);
        for key in ["rate_url", "url"] {
            if let Some(link) = values.get(key).filter(|l| !l.is_empty()) {
                text = text.replace(link.as_str(), "");
            }
        }
        let text = text
            .trim_end_matches([' ', '：', ':'])
            .trim_end_matches("详情")
            .trim_end_matches([' ', '：', ':', '，', ','])
            .to_string();
        Ok((title, text))
    }

    /// The event's SMS text (for the `log` and `http` providers).
    pub fn render_sms(
        &self,
        event: NotifyEvent,
        values: &MessageValues,
    ) -> Result<String, minijinja::Error> {
        let [sms] = self.blocks(event, values, ["sms"])?;
        Ok(one_line(&sms))
    }
}

/// minijinja's formatter, but escaping HTML without turning `/` into `&#x2f;`: links stay
/// readable in the source of a message, which some mail clients show.
fn html_formatter(
    out: &mut minijinja::Output<'_>,
    state: &minijinja::State<'_, '_>,
    value: &Value,
) -> Result<(), minijinja::Error> {
    use std::fmt::Write;
    match value.as_str() {
        Some(text) if state.auto_escape() == minijinja::AutoEscape::Html && !value.is_safe() => {
            for c in text.chars() {
                let written = match c {
                    '&' => out.write_str("&amp;"),
                    '<' => out.write_str("&lt;"),
                    '>' => out.write_str("&gt;"),
                    '"' => out.write_str("&quot;"),
                    '\'' => out.write_str("&#x27;"),
                    c => out.write_char(c),
                };
                written.map_err(|e| {
                    minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string())
                })?;
            }
            Ok(())
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

/// Files in the templates directory that no event uses: most likely a misspelt name, which
/// would otherwise be ignored without a word.
fn warn_unknown_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !BUILT_IN.iter().any(|(known, _)| *known == name) {
            tracing::warn!(dir = %dir.display(), file = %name, "a file in the templates directory is not a template of any message; it is ignored");
        }
    }
}

/// Whitespace, line breaks included, collapsed to single spaces.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Lines trimmed at the end, runs of blank lines collapsed to one, no blank lines at either end.
fn tidy_text(text: &str) -> String {
    let mut out = String::new();
    let mut blank = 0;
    for line in text.lines().map(str::trim_end) {
        if line.trim().is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(line);
    }
    out
}

/// Values of the right shape for every name in [`VALUES`].
pub fn sample_values() -> MessageValues {
    let sample = |key: &str| -> &str {
        match key {
            "site" => "企业哨",
            "recipient" => "张三",
            "number" => "QYS20261122000123",
            "title" => "新厂房用电报装进度慢",
            "title_short" => "新厂房用电报装进度慢",
            "kind" => "问题",
            "enterprise" => "湖南某某科技有限公司",
            "category" => "用电报装",
            "department" => "区发改局",
            "due" => "2026-12-08 23:59",
            "due_day" => "12月8日",
            "note" => "请尽快协调供电公司",
            "note_short" => "请尽快协调供电公司",
            "days" => "3",
            "url" => "https://qys.example.gov.cn/tickets/0190",
            "rate_url" => "https://qys.example.gov.cn/tickets/0190/rate",
            "ticket_id" => "0190",
            _ => "…",
        }
    };
    VALUES
        .iter()
        .map(|(k, _)| (*k, sample(k).to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built_in() -> Templates {
        Templates::load(Path::new("/nonexistent")).expect("built-in templates")
    }

    #[test]
    fn built_in_templates_render_every_event() {
        let t = built_in();
        let values = sample_values();
        for &event in NotifyEvent::ALL {
            let r = t.render_email(event, &values).expect("renders");
            assert!(
                r.subject.contains("QYS20261122000123"),
                "{event}: {}",
                r.subject
            );
            assert!(!r.subject.contains('\n'));
            assert!(r.text.starts_with("张三，您好："), "{event}: {}", r.text);
            assert!(r.html.contains("<!DOCTYPE html>"));
            let sms = t.render_sms(event, &values).expect("renders");
            assert!(sms.contains("QYS20261122000123"), "{event}: {sms}");
        }
    }

    #[test]
    fn in_app_messages_leave_out_the_site_and_the_links() {
        let t = built_in();
        let values = sample_values();
        for &event in NotifyEvent::ALL {
            let (title, text) = t.render_in_app(event, &values).expect("renders");
            assert!(title.contains("QYS20261122000123"), "{event}: {title}");
            assert!(!title.starts_with('【'), "{event}: {title}");
            assert!(!text.contains("http"), "{event}: {text}");
            assert!(
                !text.ends_with('：') && !text.ends_with("详情"),
                "{event}: {text}"
            );
        }
        let (title, text) = t
            .render_in_app(NotifyEvent::TicketAccepted, &values)
            .expect("renders");
        assert_eq!(title, "您的诉求已受理，工单号 QYS20261122000123");
        assert!(
            text.starts_with("您的诉求已受理，工单号QYS20261122000123"),
            "{text}"
        );
    }

    #[test]
    fn the_assignment_message_names_the_deadline_and_link() {
        let r = built_in()
            .render_email(NotifyEvent::TicketAssigned, &sample_values())
            .expect("renders");
        assert_eq!(
            r.subject,
            "【企业哨】新交办诉求 QYS20261122000123：新厂房用电报装进度慢（12月8日前办结）"
        );
        assert!(r.text.contains("办理时限：2026-12-08 23:59 前"));
        assert!(
            r.text
                .contains("签收办理：https://qys.example.gov.cn/tickets/0190")
        );
        assert!(
            r.html
                .contains(r#"href="https://qys.example.gov.cn/tickets/0190""#)
        );
        assert!(r.html.contains("签收办理</a>"));
        // Paragraphs of the text become <p>, lines <br>.
        assert!(
            r.html
                .contains("诉求编号：QYS20261122000123<br>标题：新厂房用电报装进度慢")
        );
    }

    #[test]
    fn html_escapes_what_people_typed_and_text_keeps_it() {
        let mut values = sample_values();
        values.insert("title", "<img src=x onerror=alert(1)> & co".into());
        let r = built_in()
            .render_email(NotifyEvent::TicketAssigned, &values)
            .expect("renders");
        assert!(r.text.contains("<img src=x onerror=alert(1)> & co"));
        assert!(!r.html.contains("<img src=x"));
        assert!(
            r.html
                .contains("&lt;img src=x onerror=alert(1)&gt; &amp; co")
        );
    }

    #[test]
    fn text_is_tidied() {
        assert_eq!(tidy_text("\n\n a\n\n\n\nb  \nc\n\n"), " a\n\nb\nc");
        assert_eq!(one_line(" a \n b\t c "), "a b c");
    }

    #[test]
    fn a_file_in_the_directory_replaces_the_built_in_template() {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(
            dir.path().join("ticket_urged.txt"),
            "{% block subject %}催办 {{ number }}{% endblock %}{% block action %}看{% endblock %}\
             {% block email %}{{ recipient }}：请办理。{% endblock %}{% block sms %}催办{{ number }}{% endblock %}",
        )
        .expect("write");
        let t = Templates::load(dir.path()).expect("loads");
        let r = t
            .render_email(NotifyEvent::TicketUrged, &sample_values())
            .expect("renders");
        assert_eq!(r.subject, "催办 QYS20261122000123");
        assert_eq!(
            t.render_sms(NotifyEvent::TicketUrged, &sample_values())
                .expect("renders"),
            "催办QYS20261122000123"
        );
        // The others are still the built-in ones.
        let r = t
            .render_email(NotifyEvent::TicketResolved, &sample_values())
            .expect("renders");
        assert!(r.subject.contains("已办结"));
    }

    #[test]
    fn bad_templates_fail_at_load_with_the_file_named() {
        let cases = [
            // Does not compile.
            (
                "{% block subject %}{{ number {% endblock %}",
                "does not compile",
            ),
            // An unknown value.
            (
                "{% block subject %}{{ numbre }}{% endblock %}{% block action %}a{% endblock %}\
                 {% block email %}a{% endblock %}{% block sms %}a{% endblock %}",
                "does not render",
            ),
            // A block missing.
            (
                "{% block subject %}{{ number }}{% endblock %}{% block action %}a{% endblock %}\
                 {% block email %}a{% endblock %}",
                "does not render",
            ),
            // An empty subject.
            (
                "{% block subject %} {% endblock %}{% block action %}a{% endblock %}\
                 {% block email %}a{% endblock %}{% block sms %}a{% endblock %}",
                "empty subject",
            ),
        ];
        for (source, expected) in cases {
            let dir = tempfile::tempdir().expect("dir");
            std::fs::write(dir.path().join("ticket_filed.txt"), source).expect("write");
            let err = Templates::load(dir.path()).expect_err(source);
            let message = format!("{err:#}");
            assert!(
                message.contains("ticket_filed.txt") && message.contains(expected),
                "{source}: {message}"
            );
        }
    }

    #[test]
    fn every_value_has_a_sample() {
        let sample = sample_values();
        assert_eq!(sample.len(), VALUES.len());
        assert!(sample.values().all(|v| v != "…"));
    }
}
