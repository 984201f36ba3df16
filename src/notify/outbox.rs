//! Queueing: a ticket event's notice, queued in the caller's transaction (so a rolled-back
//! action queues nothing); who hears of it and the messages rendered for them, written as
//! outbox rows and in-app messages (站内消息) by the expander after the commit
//! ([`crate::notify::expander`]); and the sign-in codes and account SMS, written at once.
//! Nothing here sends anything or waits for a server; the worker does that.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use diesel::QueryResult;
use tokio::sync::{Notify, watch};

use crate::config::{NotificationSettings, SmsTemplateSettings};
use crate::db::categories::CategoryRow;
use crate::db::departments::DepartmentRow;
use crate::db::enterprises::EnterpriseRow;
use crate::db::messages::{self, MessageRow};
use crate::db::notice_queue::{self, NewNotice, QueuedNotice};
use crate::db::notifications::{self, NotificationRow};
use crate::db::ticket_events::{self, EventRow};
use crate::db::users::UserRow;
use crate::db::{DbConnection, categories, departments, enterprises, new_id, tickets, users};
use crate::domain::notification::{
    AccountEvent, Audience, MessageTopic, NotifyChannel, NotifyEvent, NotifyStatus, mask_recipient,
    shorten,
};
use crate::domain::phone;
use crate::domain::ticket::state::Ticket;
use crate::domain::ticket::timeline::EventData;
use crate::domain::ticket::{Role, TicketStatus};
use crate::domain::time;
use crate::notify::metrics::{Metrics, Outcome};
use crate::notify::templates::{MessageValues, Templates};

/// A message due now, with nothing rendered yet and nobody named: the callers fill in the rest.
fn pending(
    channel: NotifyChannel,
    recipient: &str,
    event: MessageTopic,
    now: DateTime<Utc>,
) -> NotificationRow {
    let now_text = time::format(now);
    NotificationRow {
        id: new_id(),
        channel,
        recipient: recipient.to_string(),
        recipient_name: None,
        user_id: None,
        ticket_id: None,
        event,
        event_seq: None,
        subject: None,
        body: String::new(),
        html_body: None,
        template_code: None,
        template_params: None,
        status: NotifyStatus::Pending,
        attempts: 0,
        next_attempt_at: now_text.clone(),
        lease_token: None,
        last_error: None,
        provider_message_id: None,
        created_at: now_text.clone(),
        updated_at: now_text,
        sent_at: None,
    }
}

/// How long [`Outbox::settle`] waits for the expander.
pub const SETTLE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Where the expander of a process ([`crate::notify::expander`]) and the actions waiting for
/// it ([`Outbox::settle`]) meet: a waiter asks for a round that starts after its commit and
/// waits until one has ended.
#[derive(Debug)]
pub(crate) struct Expansion {
    /// An expander runs in this process.
    pub(crate) attached: AtomicBool,
    /// Rounds asked for, counted.
    pub(crate) requested: AtomicU64,
    /// The count of asked-for rounds the last ended round covered.
    pub(crate) done: watch::Sender<u64>,
    pub(crate) wake: Notify,
}

impl Default for Expansion {
    fn default() -> Expansion {
        Expansion {
            attached: AtomicBool::new(false),
            requested: AtomicU64::new(0),
            done: watch::Sender::new(0),
            wake: Notify::new(),
        }
    }
}

/// What stands in for a sign-in code once its message has been sent (or given up): the outbox
/// keeps the message, but nobody reading it (administrators included) can sign in with it.
pub const WITHHELD_CODE: &str = "******";

/// The body and template parameters of an SMS-code message with the code withheld, or `None`
/// when they hold no code.
pub fn withhold_code(body: &str, params: Option<&str>) -> Option<(String, String)> {
    let mut params: Vec<(String, String)> = serde_json::from_str(params?).ok()?;
    let (_, code) = params.iter_mut().find(|(name, _)| name == "code")?;
    if code.is_empty() || code == WITHHELD_CODE {
        return None;
    }
    let body = body.replace(code.as_str(), WITHHELD_CODE);
    *code = WITHHELD_CODE.to_string();
    Some((body, serde_json::to_string(&params).ok()?))
}

/// Queues messages; cheap to clone. Built once at start-up, which loads (and checks) the
/// templates.
#[derive(Clone)]
pub struct Outbox {
    inner: Arc<Inner>,
}

struct Inner {
    templates: Templates,
    /// Links in messages start with this (no trailing slash).
    link_base: String,
    site: String,
    email_on: bool,
    sms_on: bool,
    sms_templates: BTreeMap<String, SmsTemplateSettings>,
    /// Events turned off (`notifications.events.<event>.enabled = false`).
    disabled: BTreeSet<NotifyEvent>,
    email_per_hour: u32,
    sms_per_hour: u32,
    metrics: Arc<Metrics>,
    /// Wakes the worker of this process when something was queued.
    wake: Notify,
    /// Something was queued since the last wake (perhaps by a transaction that then rolled
    /// back: then the worker looks once for nothing).
    queued_since_wake: AtomicBool,
    /// How the expander of this process and those waiting for it meet.
    expansion: Expansion,
    storm_log: StormLog,
    /// The group robots (`notifications.robots`): who gets what.
    robots: Vec<crate::notify::robot::Robot>,
}

/// A recipient over one channel.
type Address = (NotifyChannel, String);

/// When a rate-limited recipient was last warned about, and how many refusals since.
#[derive(Default)]
struct StormLog(Mutex<HashMap<Address, (DateTime<Utc>, u64)>>);

impl StormLog {
    /// Counts a refusal; returns how many there were since the last warning when it is time
    /// for another (the first refusal, then at most one a minute).
    fn note(&self, channel: NotifyChannel, address: &str, now: DateTime<Utc>) -> Option<u64> {
        let mut seen = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Forget recipients quiet for an hour, so the map stays small.
        if seen.len() > 1000 {
            seen.retain(|_, (at, _)| now - *at < chrono::Duration::hours(1));
        }
        let entry = seen
            .entry((channel, address.to_string()))
            .or_insert((now - chrono::Duration::minutes(2), 0));
        entry.1 += 1;
        if now - entry.0 >= chrono::Duration::minutes(1) {
            let refused = entry.1;
            *entry = (now, 0);
            Some(refused)
        } else {
            None
        }
    }
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("link_base", &self.inner.link_base)
            .finish_non_exhaustive()
    }
}

/// The messages of one queued notice, rendered ([`Outbox::render`]) and waiting to be
/// written ([`Outbox::store`]).
#[derive(Debug)]
pub struct RenderedNotice {
    notice_id: i64,
    /// The ticket's number, for the log.
    number: String,
    /// When the entry was made: the messages' time, and where their hour of limits ends.
    at: DateTime<Utc>,
    messages: Vec<NotificationRow>,
    inbox: Vec<MessageRow>,
}

/// Someone a message may go to: a user, or the contact written on a ticket.
#[derive(Debug, Clone)]
struct Recipient {
    user_id: Option<String>,
    name: String,
    /// An 11-digit mobile number, if SMS may go to it.
    phone: Option<String>,
    /// An address, if e-mail may go to it.
    email: Option<String>,
    /// An active user, who gets an in-app message (`user_id` of a ticket's contact only says
    /// who filed).
    in_app: bool,
}

impl Recipient {
    /// An active user, with the channels they have not turned off.
    fn user(u: UserRow) -> Option<Recipient> {
        if u.disabled {
            return None;
        }
        Some(Recipient {
            phone: u
                .phone
                .filter(|_| u.notify_sms)
                .and_then(|p| phone::normalize_mobile(&p).ok()),
            email: u.email.filter(|_| u.notify_email),
            user_id: Some(u.id),
            name: u.name,
            in_app: true,
        })
    }
}

/// The ticket events a department's group robot posts: a request assigned to the department,
/// and its escalations when overdue.
pub const ROBOT_EVENTS: [NotifyEvent; 3] = [
    NotifyEvent::TicketAssigned,
    NotifyEvent::TicketOverdue,
    NotifyEvent::TicketEscalated,
];

/// A group robot's post of a ticket event: its title and markdown text.
fn robot_post(kind: NotifyEvent, values: &MessageValues) -> (String, String) {
    let v = |name: &str| values.get(name).map_or("", String::as_str);
    let heading = match kind {
        NotifyEvent::TicketAssigned => "新交办诉求".to_string(),
        _ => format!("诉求已超期 {} 个工作日（督办）", v("days")),
    };
    let text = format!(
        "### {heading}\n**{}** {}\n\n> 企业：{}\n>\n> 类别：{}\n>\n> 办理时限：{}\n\n[查看诉求]({})",
        v("number"),
        markdown_text(v("title")),
        markdown_text(v("enterprise")),
        v("category"),
        v("due"),
        v("url"),
    );
    (format!("{heading} {}", v("number")), text)
}

/// Text put into a robot's markdown as text: the characters markdown reads as markup are
/// escaped, line breaks become spaces.
pub fn markdown_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '#' | '<' | '>' | '!' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The values a gateway template of the daily check may take: the counts in one line
/// (已超期1件，今日到期2件) and the link to the service.
pub const DAILY_CHECK_VALUES: [&str; 2] = ["summary", "url"];

/// The values a gateway template of a published bulletin may take: its issue (〔2026〕第48期)
/// and the link to it.
pub const BULLETIN_VALUES: [&str; 2] = ["issue", "url"];

/// The values a gateway template of a policy's message may take (`policy_pushed`,
/// `application_approved`, …): the policy's title, the enterprise's name, and the link.
pub const POLICY_VALUES: [&str; 3] = ["policy", "enterprise", "url"];

/// A message to one person that belongs to no ticket (the daily check, a bulletin published):
/// an e-mail of `subject` and `text` with a button `button` to `url`, and an SMS of one line
/// `sms`, with the gateway template's `values`.
pub struct PersonalMessage<'a> {
    pub topic: MessageTopic,
    pub subject: &'a str,
    pub text: &'a str,
    pub button: &'a str,
    pub url: &'a str,
    pub sms: &'a str,
    pub values: &'a [(&'a str, String)],
    pub with_sms: bool,
}

impl Outbox {
    /// Loads the templates from `settings.templates_dir` (over the built-in ones) and checks
    /// them, and the gateway template parameters, against the message values.
    pub fn new(
        settings: &NotificationSettings,
        link_base: &str,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<Outbox> {
        let templates = Templates::load(&settings.templates_dir)?;
        let mut disabled = BTreeSet::new();
        for (event, switch) in &settings.events {
            let Some(known) = NotifyEvent::parse(event) else {
                anyhow::bail!(
                    "notifications.events.{event}: there is no such event (events: {})",
                    NotifyEvent::expected()
                );
            };
            if !switch.enabled {
                disabled.insert(known);
            }
        }
        for (event, template) in &settings.sms.templates {
            let personal = [
                (MessageTopic::DailyCheck, &DAILY_CHECK_VALUES[..]),
                (MessageTopic::Bulletin, &BULLETIN_VALUES[..]),
            ]
            .into_iter()
            .chain(
                crate::domain::notification::PolicyEvent::ALL
                    .iter()
                    .map(|e| (MessageTopic::Policy(*e), &POLICY_VALUES[..])),
            )
            .collect::<Vec<_>>();
            if let Some((_, values)) = personal.iter().find(|(t, _)| t.as_str() == event) {
                for param in &template.params {
                    anyhow::ensure!(
                        values.contains(&param.as_str()),
                        "notifications.sms.templates.{event}.params names {param:?}; its values are {}",
                        values.join(", ")
                    );
                }
                continue;
            }
            anyhow::ensure!(
                NotifyEvent::parse(event).is_some(),
                "notifications.sms.templates.{event}: there is no such event (events: {}, daily_check, bulletin, {})",
                NotifyEvent::expected(),
                crate::domain::notification::PolicyEvent::expected()
            );
            for param in &template.params {
                anyhow::ensure!(
                    crate::notify::templates::VALUES
                        .iter()
                        .any(|(name, _)| name == param),
                    "notifications.sms.templates.{event}.params names {param:?}, which is not a message value (see docs/operations.md#message-templates)"
                );
            }
        }
        let base = if settings.link_base_url.trim().is_empty() {
            link_base
        } else {
            settings.link_base_url.trim()
        };
        let site = if settings.sms.sign_name.trim().is_empty() {
            "企业哨".to_string()
        } else {
            settings.sms.sign_name.trim().to_string()
        };
        Ok(Outbox {
            inner: Arc::new(Inner {
                templates,
                link_base: base.trim_end_matches('/').to_string(),
                site,
                email_on: settings.email.transport != "off",
                sms_on: settings.sms.provider != "off",
                sms_templates: settings.sms.templates.clone(),
                disabled,
                email_per_hour: settings.email_per_recipient_per_hour,
                sms_per_hour: settings.sms_per_recipient_per_hour,
                metrics,
                wake: Notify::new(),
                queued_since_wake: AtomicBool::new(false),
                expansion: Expansion::default(),
                storm_log: StormLog::default(),
                robots: crate::notify::robot::parse(&settings.robots)?,
            }),
        })
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.inner.metrics
    }

    /// Tells this process's worker to look for due messages now, rather than at its next
    /// poll, if anything was queued since the last call: callers call it after each commit
    /// that may have queued messages (the expander, after each batch).
    pub fn wake(&self) {
        if self.inner.queued_since_wake.swap(false, Ordering::AcqRel) {
            self.inner.wake.notify_one();
        }
    }

    /// Wakes this process's worker whatever was queued (an administrator queued a message
    /// again).
    pub fn wake_now(&self) {
        self.inner.wake.notify_one();
    }

    /// Resolves when [`wake`](Self::wake) is called (or was called since the last time).
    pub async fn woken(&self) {
        self.inner.wake.notified().await;
    }

    /// Asks this process's expander for a round, without waiting for it: callers call it
    /// after each commit that may have queued notices. The action's answer does not wait for
    /// its messages: on SQLite that would put a second commit (and its `fsync`) on every
    /// action's path, halving what one connection files.
    pub fn expand_soon(&self) {
        self.inner.expansion.wake.notify_one();
    }

    /// Waits until the notices committed before this call are expanded into messages (or
    /// [`SETTLE_WAIT`] has passed: they stay queued, and the expander takes them later): for
    /// the scheduler, whose sweep reports once its messages exist, and for tests. Returns at
    /// once where no expander runs in this process (a command, not a server).
    pub async fn settle(&self) {
        let expansion = &self.inner.expansion;
        if !expansion.attached.load(Ordering::Acquire) {
            return;
        }
        let wanted = expansion.requested.fetch_add(1, Ordering::AcqRel) + 1;
        let mut done = expansion.done.subscribe();
        expansion.wake.notify_one();
        let _ = tokio::time::timeout(SETTLE_WAIT, done.wait_for(|d| *d >= wanted)).await;
    }

    /// What the expander of this process uses to meet those waiting for it.
    pub(crate) fn expansion(&self) -> &Expansion {
        &self.inner.expansion
    }

    /// The link to a ticket, and to its rating page.
    pub fn ticket_url(&self, ticket_id: &str) -> String {
        format!("{}/tickets/{ticket_id}", self.inner.link_base)
    }

    /// Queues the notice of a timeline entry, `ticket` as it is after the entry: one row of
    /// `notice_queue`, in the caller's transaction (so a rolled-back action queues nothing).
    /// The expander ([`crate::notify::expander`]) turns it into messages after the commit —
    /// the recipients found, the e-mails, SMS and in-app messages rendered and checked
    /// against the hourly limits — so that the writing transaction does none of that work.
    /// Nothing is queued when every event the entry raises is turned off.
    pub fn queue_event(
        &self,
        conn: &mut DbConnection,
        ticket: &Ticket,
        event: &EventRow,
    ) -> QueryResult<()> {
        let kinds = NotifyEvent::of_action(
            event.action,
            event.to_status,
            ticket.escalation_level,
            event.public,
        );
        if kinds.iter().all(|k| self.inner.disabled.contains(k)) {
            return Ok(());
        }
        notice_queue::insert(
            conn,
            &NewNotice {
                ticket_id: &ticket.id,
                event_seq: event.seq,
                department_id: ticket.department_id.as_deref(),
                assignee_id: ticket.assignee_id.as_deref(),
                escalation_level: ticket.escalation_level,
                queued_at: &event.created_at,
            },
        )?;
        Ok(())
    }

    /// The messages of a queued notice, rendered, read on `conn` (no writes): each event the
    /// entry raises goes to its own audience ([`NotifyEvent::of_action`]); a (channel,
    /// address) and a user hear of one entry once, by its first event that reaches them;
    /// every active user among the recipients also gets an in-app message, whatever the
    /// transports. A message that cannot be rendered is kept as failed with the reason (so it
    /// is seen, and can be retried). The hourly limits are [`store`](Self::store)'s.
    pub fn render(
        &self,
        conn: &mut DbConnection,
        notice: &QueuedNotice,
        lookups: &mut Lookups,
    ) -> QueryResult<RenderedNotice> {
        let at = time::parse(&notice.queued_at).unwrap_or_else(Utc::now);
        let mut rendered = RenderedNotice {
            notice_id: notice.id,
            number: String::new(),
            at,
            messages: Vec::new(),
            inbox: Vec::new(),
        };
        let (Some(mut ticket), Some(event)) = (
            tickets::find(conn, &notice.ticket_id)?,
            ticket_events::find(conn, &notice.ticket_id, notice.event_seq)?,
        ) else {
            // Not there: nothing to say (the row goes with the batch).
            return Ok(rendered);
        };
        // Who handled the ticket right after the entry, though it may have moved on since.
        ticket.department_id.clone_from(&notice.department_id);
        ticket.assignee_id.clone_from(&notice.assignee_id);
        ticket.escalation_level = notice.escalation_level;
        // A merged request's entries tell of its primary's steps: its department and deadline.
        if ticket.status == TicketStatus::Merged
            && let Some(primary_id) = ticket.merged_into_id.clone()
            && let Some(primary) = tickets::find(conn, &primary_id)?
        {
            ticket.department_id = primary.department_id;
            ticket.due_at = primary.due_at;
        }
        rendered.number.clone_from(&ticket.number);
        let kinds = NotifyEvent::of_action(
            event.action,
            event.to_status,
            ticket.escalation_level,
            event.public,
        );
        // A request filed on a visit (走访) tells the enterprise it is registered, as well.
        let extra: &[NotifyEvent] = if event.action == crate::domain::ticket::Action::File {
            NotifyEvent::of_filing(ticket.channel)
        } else {
            &[]
        };
        let enterprise = lookups.enterprise(conn, &ticket.enterprise_id)?;
        let mut heard: Vec<(NotifyEvent, Vec<Recipient>)> = Vec::with_capacity(kinds.len());
        for &kind in kinds.iter().chain(extra) {
            if !self.inner.disabled.contains(&kind) {
                heard.push((
                    kind,
                    recipients(conn, lookups, kind.audience(), &ticket, enterprise.as_ref())?,
                ));
            }
        }
        // Each (channel, address) and each reader once, though a person may be reached as
        // several recipients, or by several events of the entry (by the first).
        let mut seen_addresses = BTreeSet::new();
        let mut seen_readers = BTreeSet::new();
        let mut messages = Vec::new();
        let mut readers = Vec::new();
        for (kind, recipients) in &heard {
            for r in recipients {
                for (channel, address, on) in [
                    (NotifyChannel::Email, r.email.as_ref(), self.inner.email_on),
                    (NotifyChannel::Sms, r.phone.as_ref(), self.inner.sms_on),
                ] {
                    if let Some(address) = address.filter(|_| on)
                        && seen_addresses.insert((channel, address.as_str()))
                    {
                        messages.push((*kind, r, channel, address.as_str()));
                    }
                }
                if r.in_app
                    && let Some(user_id) = &r.user_id
                    && seen_readers.insert(user_id.as_str())
                {
                    readers.push((*kind, r, user_id.as_str()));
                }
            }
        }
        // A department's group robots hear of its new assignments and overdue escalations.
        let mut posts: Vec<(NotifyEvent, &crate::notify::robot::Robot)> = Vec::new();
        if !self.inner.robots.is_empty()
            && let Some(dept) = &ticket.department_id
            && let Some(kind) = kinds
                .iter()
                .copied()
                .find(|k| ROBOT_EVENTS.contains(k) && !self.inner.disabled.contains(k))
            && let Some(name) = lookups.department(conn, dept)?.map(|d| d.name)
        {
            posts.extend(
                self.inner
                    .robots
                    .iter()
                    .filter(|r| r.department.as_deref() == Some(name.as_str()))
                    .map(|r| (kind, r)),
            );
        }
        if messages.is_empty() && readers.is_empty() && posts.is_empty() {
            tracing::debug!(ticket = %ticket.number, "nobody to notify");
            return Ok(rendered);
        }
        let values = self.values(conn, lookups, &ticket, &event, enterprise.as_ref())?;
        for (kind, robot) in posts {
            let (title, text) = robot_post(kind, &values);
            rendered.messages.push(NotificationRow {
                recipient_name: Some(robot.name.clone()),
                ticket_id: Some(ticket.id.clone()),
                event_seq: Some(event.seq),
                subject: Some(title),
                body: text,
                ..pending(
                    NotifyChannel::Robot,
                    &robot.name,
                    MessageTopic::Ticket(kind),
                    at,
                )
            });
        }
        for (kind, r, channel, address) in messages {
            let mut values = values.clone();
            values.insert("recipient", r.name.clone());
            rendered
                .messages
                .push(self.message(kind, channel, r, address, &values, &ticket, &event, at));
        }
        for (kind, r, user_id) in readers {
            let mut values = values.clone();
            values.insert("recipient", r.name.clone());
            match self.inner.templates.render_in_app(kind, &values) {
                Ok((title, body)) => rendered.inbox.push(MessageRow {
                    id: new_id(),
                    user_id: user_id.to_string(),
                    ticket_id: Some(ticket.id.clone()),
                    event: MessageTopic::Ticket(kind),
                    event_seq: Some(event.seq),
                    title,
                    body,
                    created_at: time::format(at),
                    read_at: None,
                    policy_id: None,
                    application_id: None,
                }),
                // The templates rendered at start-up; a failure now is worth a loud log.
                Err(e) => {
                    tracing::error!(event = %kind, error = %e, "an in-app message could not be rendered");
                }
            }
        }
        Ok(rendered)
    }

    /// Writes rendered notices, in the caller's transaction: each notice's row is deleted
    /// and its messages written — unless the row was gone (someone expanded it already) —
    /// and a message that would go over its recipient's hourly limit is written as failed
    /// with the reason instead of queued. Returns how many messages will be sent.
    pub fn store(
        &self,
        conn: &mut DbConnection,
        rendered: Vec<RenderedNotice>,
    ) -> QueryResult<usize> {
        let mut kept = Vec::with_capacity(rendered.len());
        for notice in rendered {
            if notice_queue::delete(conn, notice.notice_id)? {
                kept.push(notice);
            }
        }
        let addresses: Vec<(NotifyChannel, &str)> = kept
            .iter()
            .flat_map(|n| &n.messages)
            // A group robot has no hourly limit (`over_limit`): nothing to count.
            .filter(|m| m.status == NotifyStatus::Pending && m.channel != NotifyChannel::Robot)
            .map(|m| (m.channel, m.recipient.as_str()))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        // What each address was sent in the hour before the batch's first notice; the
        // batch's own messages are counted as they are queued.
        let mut sent_lately = match kept.iter().map(|n| n.at).min() {
            Some(first) if !addresses.is_empty() => notifications::recent_counts(
                conn,
                &addresses,
                &time::format(first - chrono::Duration::hours(1)),
            )?,
            _ => HashMap::new(),
        };
        let mut queued = 0;
        let mut rows = Vec::new();
        let mut inbox = Vec::new();
        for notice in kept {
            for mut row in notice.messages {
                if row.status == NotifyStatus::Pending {
                    let count = sent_lately
                        .entry((row.channel, row.recipient.clone()))
                        .or_default();
                    if self.over_limit(&mut row, *count, &notice.number, notice.at) {
                        self.inner.metrics.count(row.channel, Outcome::RateLimited);
                    } else {
                        *count += 1;
                        queued += 1;
                        self.inner.metrics.count(row.channel, Outcome::Queued);
                    }
                }
                rows.push(row);
            }
            inbox.extend(notice.inbox);
        }
        notifications::insert_all(conn, &rows)?;
        messages::insert_all(conn, &inbox)?;
        if queued > 0 {
            self.inner.queued_since_wake.store(true, Ordering::Release);
        }
        Ok(queued)
    }

    /// Queues an SMS with a one-time code (event `sms_code`, no ticket), ahead of everything
    /// else due. Returns false when SMS is turned off (nothing is queued).
    pub fn queue_sms_code(
        &self,
        conn: &mut DbConnection,
        phone: &str,
        code: &str,
        minutes: i64,
        now: DateTime<Utc>,
    ) -> QueryResult<bool> {
        if !self.inner.sms_on {
            return Ok(false);
        }
        let template = self.inner.sms_templates.get(MessageTopic::SmsCode.as_str());
        let row = NotificationRow {
            body: format!(
                "【{}】验证码{code}，{minutes}分钟内有效。如非本人操作，请忽略本短信。",
                self.inner.site
            ),
            template_code: template
                .map(|t| t.code.trim().to_string())
                .filter(|c| !c.is_empty()),
            template_params: serde_json::to_string(&[("code", code)]).ok(),
            ..pending(NotifyChannel::Sms, phone, MessageTopic::SmsCode, now)
        };
        notifications::insert_all(conn, std::slice::from_ref(&row))?;
        self.inner
            .metrics
            .count(NotifyChannel::Sms, Outcome::Queued);
        self.inner.queued_since_wake.store(true, Ordering::Release);
        Ok(true)
    }

    /// Queues an SMS about an account (not a ticket): `body` is the text after the site's
    /// signature; `params` the gateway template's values in its order (its code is
    /// `notifications.sms_templates.<event>`). Nothing is queued when SMS is off (`false`).
    pub fn queue_account_sms(
        &self,
        conn: &mut DbConnection,
        phone: &str,
        event: AccountEvent,
        body: &str,
        params: &[(&str, &str)],
        now: DateTime<Utc>,
    ) -> QueryResult<bool> {
        if !self.inner.sms_on {
            return Ok(false);
        }
        let topic = MessageTopic::Account(event);
        let template = self.inner.sms_templates.get(topic.as_str());
        let row = NotificationRow {
            body: format!("【{}】{body}", self.inner.site),
            template_code: template
                .map(|t| t.code.trim().to_string())
                .filter(|c| !c.is_empty()),
            template_params: serde_json::to_string(params).ok(),
            ..pending(NotifyChannel::Sms, phone, topic, now)
        };
        notifications::insert_all(conn, std::slice::from_ref(&row))?;
        self.inner
            .metrics
            .count(NotifyChannel::Sms, Outcome::Queued);
        self.inner.queued_since_wake.store(true, Ordering::Release);
        Ok(true)
    }

    /// The site's name, as messages sign with it.
    pub fn site(&self) -> &str {
        &self.inner.site
    }

    /// The link to the service's pages (each role lands on its own).
    pub fn home_url(&self) -> String {
        format!("{}/", self.inner.link_base)
    }

    /// The group robots configured (`notifications.robots`).
    pub fn robots(&self) -> &[crate::notify::robot::Robot] {
        &self.inner.robots
    }

    /// Queues a post of `title` and markdown `text` to the group robot `robot` (a
    /// [`Self::robots`] name), in the caller's transaction: the daily check of its department,
    /// a bulletin to the leaders' group.
    pub fn queue_robot_post(
        &self,
        conn: &mut DbConnection,
        robot: &str,
        topic: MessageTopic,
        title: &str,
        text: &str,
        now: DateTime<Utc>,
    ) -> QueryResult<()> {
        let row = NotificationRow {
            recipient_name: Some(robot.to_string()),
            subject: Some(title.to_string()),
            body: text.to_string(),
            ..pending(NotifyChannel::Robot, robot, topic, now)
        };
        notifications::insert_all(conn, std::slice::from_ref(&row))?;
        self.inner
            .metrics
            .count(NotifyChannel::Robot, Outcome::Queued);
        self.inner.queued_since_wake.store(true, Ordering::Release);
        Ok(())
    }

    /// Queues a message to one person that belongs to no ticket ([`PersonalMessage`]): the
    /// e-mail (framed as every e-mail is) where they have an address and want e-mail, and the
    /// SMS (after the site's signature; the gateway template
    /// `notifications.sms.templates.<topic>` with its params, in its order) where they have a
    /// phone, want SMS, and `with_sms`; each within its recipient's hourly limit (over it, written as
    /// failed with the reason). Returns how many messages were queued.
    pub fn queue_personal(
        &self,
        conn: &mut DbConnection,
        user: &crate::db::users::UserRow,
        m: &PersonalMessage<'_>,
        now: DateTime<Utc>,
    ) -> QueryResult<usize> {
        let PersonalMessage {
            topic,
            subject,
            text,
            button,
            url,
            sms,
            values,
            with_sms,
        } = *m;
        let mut rows = Vec::new();
        let email = user.email.as_deref().filter(|e| !e.trim().is_empty());
        if let (true, true, Some(address)) = (self.inner.email_on, user.notify_email, email) {
            let html = self
                .inner
                .templates
                .frame_html(subject, button, text, &self.inner.site, url)
                .map_err(|e| {
                    tracing::error!(error = %e, "the e-mail frame failed to render");
                    diesel::result::Error::RollbackTransaction
                })?;
            rows.push(NotificationRow {
                recipient_name: Some(user.name.clone()),
                user_id: Some(user.id.clone()),
                subject: Some(subject.to_string()),
                body: text.to_string(),
                html_body: Some(html),
                ..pending(NotifyChannel::Email, address, topic, now)
            });
        }
        let phone = user.phone.as_deref().filter(|p| !p.trim().is_empty());
        if let (true, true, true, Some(phone)) =
            (with_sms, self.inner.sms_on, user.notify_sms, phone)
        {
            let template = self.inner.sms_templates.get(topic.as_str());
            let params: Vec<(&str, &str)> = template
                .map(|t| {
                    t.params
                        .iter()
                        .map(|p| {
                            let value = values.iter().find(|(name, _)| *name == p.as_str());
                            (p.as_str(), value.map_or("", |(_, v)| v.as_str()))
                        })
                        .collect()
                })
                .unwrap_or_default();
            rows.push(NotificationRow {
                recipient_name: Some(user.name.clone()),
                user_id: Some(user.id.clone()),
                body: format!("【{}】{sms}", self.inner.site),
                template_code: template
                    .map(|t| t.code.trim().to_string())
                    .filter(|c| !c.is_empty()),
                template_params: serde_json::to_string(&params).ok(),
                ..pending(NotifyChannel::Sms, phone, topic, now)
            });
        }
        // The per-recipient hourly limits hold here as for a ticket's messages: a message
        // over its recipient's limit is written as failed, with the reason, not sent.
        let addresses: Vec<(NotifyChannel, &str)> = rows
            .iter()
            .map(|r| (r.channel, r.recipient.as_str()))
            .collect();
        let sent_lately = if addresses.is_empty() {
            HashMap::new()
        } else {
            notifications::recent_counts(
                conn,
                &addresses,
                &time::format(now - chrono::Duration::hours(1)),
            )?
        };
        let mut queued = 0;
        for row in &mut rows {
            let count = sent_lately
                .get(&(row.channel, row.recipient.clone()))
                .copied()
                .unwrap_or(0);
            if self.over_limit(row, count, topic.as_str(), now) {
                self.inner.metrics.count(row.channel, Outcome::RateLimited);
            } else {
                queued += 1;
                self.inner.metrics.count(row.channel, Outcome::Queued);
            }
        }
        notifications::insert_all(conn, &rows)?;
        if queued > 0 {
            self.inner.queued_since_wake.store(true, Ordering::Release);
        }
        Ok(queued)
    }

    /// The row of one message: rendered, or failed with the reason it could not be.
    #[allow(clippy::too_many_arguments)]
    fn message(
        &self,
        kind: NotifyEvent,
        channel: NotifyChannel,
        recipient: &Recipient,
        address: &str,
        values: &MessageValues,
        ticket: &Ticket,
        event: &EventRow,
        at: DateTime<Utc>,
    ) -> NotificationRow {
        let mut row = NotificationRow {
            recipient_name: Some(recipient.name.clone()),
            user_id: recipient.user_id.clone(),
            ticket_id: Some(ticket.id.clone()),
            event_seq: Some(event.seq),
            ..pending(channel, address, MessageTopic::Ticket(kind), at)
        };
        let rendered = match channel {
            NotifyChannel::Email => self
                .inner
                .templates
                .render_email(kind, values)
                .map(|email| {
                    row.subject = Some(email.subject);
                    row.body = email.text;
                    row.html_body = Some(email.html);
                }),
            NotifyChannel::Robot => Ok(()),
            NotifyChannel::Sms => self.inner.templates.render_sms(kind, values).map(|text| {
                row.body = text;
                if let Some(t) = self.inner.sms_templates.get(kind.as_str()) {
                    row.template_code = Some(t.code.trim().to_string()).filter(|c| !c.is_empty());
                    let params: Vec<(&str, &str)> = t
                        .params
                        .iter()
                        .map(|p| {
                            (
                                p.as_str(),
                                values.get(p.as_str()).map_or("", String::as_str),
                            )
                        })
                        .collect();
                    row.template_params = serde_json::to_string(&params).ok();
                }
            }),
        };
        if let Err(e) = rendered {
            // The templates rendered at start-up; a failure now is worth a loud log.
            tracing::error!(event = %kind, error = %e, "a message could not be rendered");
            row.status = NotifyStatus::Failed;
            row.last_error = Some(format!("the template did not render: {e:#}"));
        }
        row
    }

    /// Marks `row` failed, with the reason, when its recipient was sent `sent_lately`
    /// messages of its channel in the last hour and that is the limit already; true if so.
    fn over_limit(
        &self,
        row: &mut NotificationRow,
        sent_lately: i64,
        number: &str,
        at: DateTime<Utc>,
    ) -> bool {
        let channel = row.channel;
        let limit = match channel {
            NotifyChannel::Email => self.inner.email_per_hour,
            NotifyChannel::Sms => self.inner.sms_per_hour,
            // A group is no one person: its robot has a rate of its own (notify::robot).
            NotifyChannel::Robot => return false,
        };
        if sent_lately < i64::from(limit) {
            return false;
        }
        // A storm must not become a storm of log lines: one warning per recipient a minute,
        // saying how many were refused since the last one.
        if let Some(refused) = self.inner.storm_log.note(channel, &row.recipient, at) {
            tracing::warn!(
                to = %mask_recipient(channel, &row.recipient),
                %channel,
                refused,
                limit,
                ticket = %number,
                "too many messages to one recipient in the last hour: refused (not sent)"
            );
        }
        row.status = NotifyStatus::Failed;
        row.last_error = Some(format!(
            "rate limited: {sent_lately} {channel} messages to this recipient in the last hour (limit {limit})"
        ));
        true
    }

    /// The values of the event's messages, but the recipient's name.
    fn values(
        &self,
        conn: &mut DbConnection,
        lookups: &mut Lookups,
        ticket: &Ticket,
        event: &EventRow,
        enterprise: Option<&EnterpriseRow>,
    ) -> QueryResult<MessageValues> {
        let enterprise = enterprise.map(|e| e.name.clone()).unwrap_or_default();
        let category = lookups
            .category(conn, &ticket.category_id)?
            .map(|c| c.name)
            .unwrap_or_default();
        // The event's details, which we wrote (a malformed one only loses its values).
        let data = event
            .data
            .as_deref()
            .and_then(|d| EventData::parse(event.action, d));
        // A returned ticket has no department any more: the event says which it was.
        let department_id = ticket.department_id.clone().or_else(|| {
            data.as_ref()
                .and_then(|d| d.department_id().map(str::to_string))
        });
        let department = match department_id {
            Some(id) => lookups.department(conn, &id)?.map(|d| d.name),
            None => None,
        }
        .unwrap_or_default();
        let due = ticket.due_at.as_deref().and_then(time::parse);
        let china = |at: DateTime<Utc>, format: &str| {
            at.with_timezone(&time::china_offset())
                .format(format)
                .to_string()
        };
        let note = event.note.clone().unwrap_or_default();
        // Working days: overdue (escalations) or asked for (extensions).
        let days = data
            .as_ref()
            .and_then(EventData::days)
            .map(|n| n.to_string())
            .unwrap_or_default();
        let url = self.ticket_url(&ticket.id);
        let kind = ticket.kind.label();
        let values: MessageValues = [
            ("site", self.inner.site.clone()),
            ("recipient", String::new()),
            ("number", ticket.number.clone()),
            ("title", ticket.title.clone()),
            ("title_short", shorten(&ticket.title, 12)),
            ("kind", kind.to_string()),
            ("enterprise", enterprise),
            ("category", category),
            ("department", department),
            (
                "due",
                due.map(|d| china(d, "%Y-%m-%d %H:%M")).unwrap_or_default(),
            ),
            (
                "due_day",
                due.map(|d| china(d, "%-m月%-d日")).unwrap_or_default(),
            ),
            ("note_short", shorten(&note, 20)),
            ("note", note),
            ("days", days),
            ("rate_url", format!("{url}/rate")),
            ("url", url),
            ("ticket_id", ticket.id.clone()),
        ]
        .into_iter()
        .collect();
        debug_assert_eq!(values.len(), crate::notify::templates::VALUES.len());
        Ok(values)
    }
}

/// The people an event concerns, each once.
fn recipients(
    conn: &mut DbConnection,
    lookups: &mut Lookups,
    audience: Audience,
    ticket: &Ticket,
    enterprise: Option<&EnterpriseRow>,
) -> QueryResult<Vec<Recipient>> {
    let mut users_found: Vec<UserRow> = Vec::new();
    let mut contact = None;
    match audience {
        Audience::LiaisonCadre => {
            if let Some(id) = enterprise.and_then(|e| e.liaison_cadre_id.clone()) {
                users_found.extend(lookups.user(conn, &id)?);
            }
        }
        Audience::Handlers | Audience::HandlersAndHead => {
            match &ticket.assignee_id {
                Some(id) => users_found.extend(lookups.user(conn, id)?),
                None => {
                    if let Some(dept) = &ticket.department_id {
                        users_found.extend(lookups.cadres_of(conn, dept)?);
                    }
                }
            }
            // The head hears of an assignment without a named cadre, and of every urge.
            if (audience == Audience::HandlersAndHead || ticket.assignee_id.is_none())
                && let Some(dept) = &ticket.department_id
                && let Some(head) = lookups.department(conn, dept)?.and_then(|d| d.head_user_id)
            {
                users_found.extend(lookups.user(conn, &head)?);
            }
        }
        Audience::Dispatchers => {
            users_found.extend(lookups.with_role(conn, Role::Dispatcher)?);
        }
        Audience::Admins => {
            users_found.extend(lookups.with_role(conn, Role::Admin)?);
        }
        Audience::DepartmentHead => {
            if let Some(dept) = &ticket.department_id
                && let Some(head) = lookups.department(conn, dept)?.and_then(|d| d.head_user_id)
            {
                users_found.extend(lookups.user(conn, &head)?);
            }
        }
        Audience::EnterpriseContact => {
            let submitter = lookups
                .user(conn, &ticket.submitter_id)?
                .filter(|u| u.role == Role::Enterprise);
            let contact_phone = ticket
                .contact_phone
                .as_deref()
                .and_then(|p| phone::normalize_mobile(p).ok());
            // The contact is often the submitter: their own choice about SMS then holds.
            let declined = submitter.as_ref().is_some_and(|u| {
                !u.notify_sms
                    && u.phone
                        .as_deref()
                        .and_then(|p| phone::normalize_mobile(p).ok())
                        == contact_phone
            });
            let name = ticket
                .contact_name
                .clone()
                .or_else(|| submitter.as_ref().map(|u| u.name.clone()))
                .unwrap_or_default();
            contact = Some(Recipient {
                user_id: submitter.as_ref().map(|u| u.id.clone()),
                name,
                phone: contact_phone.filter(|_| !declined),
                email: None,
                in_app: false,
            });
            if let Some(u) = submitter {
                users_found.push(u);
            }
        }
    }
    let mut seen = BTreeSet::new();
    let mut out: Vec<Recipient> = contact.into_iter().collect();
    for u in users_found {
        if seen.insert(u.id.clone()) {
            out.extend(Recipient::user(u));
        }
    }
    Ok(out)
}

/// What the notices of one batch read of the directory, each read once: a storm of filings
/// by one enterprise names the same enterprise, liaison cadre, category and department in
/// every notice. Lives for one batch, so it is never staler than the batch's own reads.
#[derive(Debug, Default)]
pub struct Lookups {
    enterprises: HashMap<String, Option<EnterpriseRow>>,
    users: HashMap<String, Option<UserRow>>,
    departments: HashMap<String, Option<DepartmentRow>>,
    categories: HashMap<String, Option<CategoryRow>>,
    cadres_of: HashMap<String, Vec<UserRow>>,
    with_role: HashMap<String, Vec<UserRow>>,
}

/// `map[key]`, read by `read` the first time.
fn cached<T: Clone>(
    map: &mut HashMap<String, T>,
    key: &str,
    read: impl FnOnce() -> QueryResult<T>,
) -> QueryResult<T> {
    if let Some(found) = map.get(key) {
        return Ok(found.clone());
    }
    let found = read()?;
    map.insert(key.to_string(), found.clone());
    Ok(found)
}

impl Lookups {
    fn enterprise(
        &mut self,
        conn: &mut DbConnection,
        id: &str,
    ) -> QueryResult<Option<EnterpriseRow>> {
        cached(&mut self.enterprises, id, || enterprises::find(conn, id))
    }

    fn user(&mut self, conn: &mut DbConnection, id: &str) -> QueryResult<Option<UserRow>> {
        cached(&mut self.users, id, || users::find(conn, id))
    }

    fn department(
        &mut self,
        conn: &mut DbConnection,
        id: &str,
    ) -> QueryResult<Option<DepartmentRow>> {
        cached(&mut self.departments, id, || departments::find(conn, id))
    }

    fn category(&mut self, conn: &mut DbConnection, id: &str) -> QueryResult<Option<CategoryRow>> {
        cached(&mut self.categories, id, || categories::find(conn, id))
    }

    fn cadres_of(
        &mut self,
        conn: &mut DbConnection,
        department_id: &str,
    ) -> QueryResult<Vec<UserRow>> {
        cached(&mut self.cadres_of, department_id, || {
            users::active_cadres_of(conn, department_id)
        })
    }

    fn with_role(&mut self, conn: &mut DbConnection, role: Role) -> QueryResult<Vec<UserRow>> {
        cached(&mut self.with_role, role.as_str(), || {
            users::active_with_role(conn, role)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sent_code_is_withheld_from_the_body_and_the_parameters() {
        let params = serde_json::to_string(&[("code", "480213")]).unwrap();
        let (body, params) =
            withhold_code("【企业哨】验证码480213，5分钟内有效。", Some(&params)).unwrap();
        assert_eq!(body, "【企业哨】验证码******，5分钟内有效。");
        assert_eq!(params, r#"[["code","******"]]"#);
        // Once withheld, or with nothing to withhold, nothing changes.
        assert_eq!(withhold_code(&body, Some(&params)), None);
        assert_eq!(withhold_code("没有验证码", None), None);
        assert_eq!(withhold_code("x", Some("not json")), None);
    }

    #[test]
    fn a_storm_is_logged_once_a_minute_per_recipient() {
        let log = StormLog::default();
        let t0 = chrono::Utc::now();
        let at = |secs| t0 + chrono::Duration::seconds(secs);
        assert_eq!(log.note(NotifyChannel::Sms, "13800000001", at(0)), Some(1));
        assert_eq!(log.note(NotifyChannel::Sms, "13800000001", at(1)), None);
        assert_eq!(log.note(NotifyChannel::Sms, "13800000001", at(30)), None);
        // Another recipient, or another channel, is its own.
        assert_eq!(log.note(NotifyChannel::Sms, "13800000002", at(30)), Some(1));
        assert_eq!(
            log.note(NotifyChannel::Email, "13800000001", at(30)),
            Some(1)
        );
        // A minute on: one line, with the refusals since the last.
        assert_eq!(log.note(NotifyChannel::Sms, "13800000001", at(61)), Some(3));
        assert_eq!(log.note(NotifyChannel::Sms, "13800000001", at(62)), None);
    }
}
