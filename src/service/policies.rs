//! 送政策 (issue 20): the catalogue (drafting, publishing, amending with the old text kept,
//! withdrawing, searching), the administrator's terms, enterprises' traits (marked unverified
//! when the enterprise changes them), and matching — which policies an enterprise fits, and
//! which enterprises fit a policy. The rules are `domain::policy`'s; pushing is
//! `service::policy_push`'s; applications `service::policy_applications`'.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use crate::auth::Principal;
use crate::db::policies::{
    self as db, ApplicationRow, PolicyFilter, PolicyRow, ProfileRow, TermRow, TraitsRow, VersionRow,
};
use crate::db::{DbConnection, attachments, departments, enterprises, new_id, users};
use crate::domain::notification::{MessageTopic, PolicyEvent};
use crate::domain::policy::{
    Actor, Criterion, Fit, Match, PolicyAction, PolicyStatus, PolicyText, Profile, PushState,
    RevenueBand, Scale, Size, TermKind, allowed, in_force, judge, window_open,
};
use crate::domain::ticket::Role;
use crate::domain::time;
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, ErrorCode};
use crate::notify::outbox::{Outbox, PersonalMessage};
use crate::service::Page;
use crate::service::audit::{self, AuditAction, By};

/// The China day of `now`, YYYY-MM-DD: what in force and windows are judged on.
pub fn today(now: DateTime<Utc>) -> String {
    time::china_date(now).format("%Y-%m-%d").to_string()
}

fn actor(who: &Principal) -> Actor<'_> {
    Actor {
        role: who.role,
        department_id: who.department_id.as_deref(),
    }
}

/// A policy as its reader sees it.
#[derive(Debug, Clone)]
pub struct PolicyView {
    pub row: PolicyRow,
    pub text: PolicyText,
    pub in_force: bool,
    pub window_open: bool,
    pub allowed: Vec<PolicyAction>,
}

/// A policy's text from its row (written by us: a malformed one is a server error).
pub fn text_of(row: &PolicyRow) -> Result<PolicyText, AppError> {
    serde_json::from_str(&row.content)
        .map_err(|e| AppError::internal(anyhow::anyhow!("policy {} content: {e}", row.id)))
}

pub fn view(who: &Principal, row: PolicyRow, today: &str) -> Result<PolicyView, AppError> {
    let text = text_of(&row)?;
    let force = in_force(row.status, row.expires_on.as_deref(), today);
    let window = force && window_open(&text, today);
    let allowed = allowed(
        actor(who),
        row.status,
        &row.department_id,
        row.free_grant,
        force,
        window,
    );
    Ok(PolicyView {
        row,
        text,
        in_force: force,
        window_open: window,
        allowed,
    })
}

/// Loads a policy the reader may see; 404 otherwise (never 403: a draft's existence is not
/// told).
pub fn load_visible(
    conn: &mut DbConnection,
    who: &Principal,
    id: &str,
) -> Result<PolicyRow, AppError> {
    db::find(conn, id)?
        .filter(|p| actor(who).sees(p.status, &p.department_id))
        .ok_or_else(|| AppError::not_found("policy"))
}

/// Whether `who` may read the policy (its documents' downloads ask).
pub fn may_read(conn: &mut DbConnection, who: &Principal, id: &str) -> Result<bool, AppError> {
    Ok(db::find(conn, id)?.is_some_and(|p| actor(who).sees(p.status, &p.department_id)))
}

// --- terms ---------------------------------------------------------------------------------

pub fn terms(conn: &mut DbConnection, kind: Option<TermKind>) -> Result<Vec<TermRow>, AppError> {
    Ok(db::terms(conn, kind)?)
}

pub fn create_term(
    conn: &mut DbConnection,
    by: &By,
    who: &Principal,
    kind: TermKind,
    name: String,
    now: DateTime<Utc>,
) -> Result<TermRow, AppError> {
    crate::service::require_role(who, &[Role::Admin])?;
    let position = db::terms(conn, Some(kind))?
        .iter()
        .map(|t| t.position)
        .max()
        .unwrap_or(0)
        + 1;
    if db::terms(conn, Some(kind))?.iter().any(|t| t.name == name) {
        return Err(AppError::new(
            ErrorCode::Duplicate,
            format!("there is a {kind} named {name} already"),
        ));
    }
    let row = TermRow {
        id: new_id(),
        kind,
        name,
        position,
        active: true,
        created_at: time::format(now),
    };
    db::insert_term(conn, &row)?;
    audit::record(
        conn,
        by,
        AuditAction::PolicyTermCreate,
        Some(&row.id),
        None,
        now,
    )?;
    Ok(row)
}

pub fn update_term(
    conn: &mut DbConnection,
    by: &By,
    who: &Principal,
    id: &str,
    name: Option<String>,
    active: Option<bool>,
    now: DateTime<Utc>,
) -> Result<TermRow, AppError> {
    crate::service::require_role(who, &[Role::Admin])?;
    let mut row = db::find_term(conn, id)?.ok_or_else(|| AppError::not_found("term"))?;
    if let Some(name) = name {
        if db::terms(conn, Some(row.kind))?
            .iter()
            .any(|t| t.name == name && t.id != row.id)
        {
            return Err(AppError::new(
                ErrorCode::Duplicate,
                format!("there is a {} named {name} already", row.kind),
            ));
        }
        row.name = name;
    }
    if let Some(active) = active {
        row.active = active;
    }
    db::update_term(conn, &row)?;
    audit::record(conn, by, AuditAction::PolicyTermUpdate, Some(id), None, now)?;
    Ok(row)
}

// --- the catalogue ---------------------------------------------------------------------------

/// Checks what the text names: its department, an active field, known qualifications, and the
/// documents (the caller's unattached uploads, or the policy's own already).
fn check_references(
    conn: &mut DbConnection,
    text: &PolicyText,
    errors: &mut FieldErrors,
) -> Result<(), AppError> {
    if departments::find(conn, &text.department_id)?.is_none() {
        errors.add("department_id", "no such department");
    }
    let terms = db::terms(conn, None)?;
    let field = terms
        .iter()
        .find(|t| t.id == text.field_id && t.kind == TermKind::Field);
    match field {
        None => errors.add(
            "field_id",
            "no such field (GET /api/v1/policy-terms?kind=field)",
        ),
        Some(t) if !t.active => errors.add("field_id", "this field is retired"),
        Some(_) => {}
    }
    let known: HashSet<&str> = terms
        .iter()
        .filter(|t| t.kind == TermKind::Qualification)
        .map(|t| t.id.as_str())
        .collect();
    if text
        .criteria
        .qualification_ids
        .iter()
        .any(|q| !known.contains(q.as_str()))
    {
        errors.add(
            "criteria.qualification_ids",
            "names no qualification (GET /api/v1/policy-terms?kind=qualification)",
        );
    }
    Ok(())
}

fn link_documents(
    conn: &mut DbConnection,
    who: &Principal,
    policy_id: &str,
    ids: &[String],
) -> Result<(), AppError> {
    if ids.is_empty() {
        return Ok(());
    }
    let linked = attachments::link_to_policy(conn, ids, &who.user_id, policy_id)?;
    if linked != ids.len() {
        return Err(AppError::invalid_field(
            "attachment_ids",
            "names a file that is neither an unattached upload of yours nor this policy's",
        ));
    }
    Ok(())
}

fn content(text: &PolicyText) -> Result<String, AppError> {
    serde_json::to_string(text).map_err(AppError::internal)
}

/// Drafts a policy: administrators for any department, a cadre for their own.
pub fn create(
    conn: &mut DbConnection,
    by: &By,
    who: &Principal,
    text: PolicyText,
    words: String,
    now: DateTime<Utc>,
) -> Result<PolicyView, AppError> {
    if !actor(who).acts_for(&text.department_id) {
        return Err(AppError::forbidden(
            "policies are drafted by administrators, and by cadres for their own department",
        ));
    }
    let mut errors = FieldErrors::new();
    check_references(conn, &text, &mut errors)?;
    errors.finish()?;
    let now_text = time::format(now);
    let row = PolicyRow {
        id: new_id(),
        status: PolicyStatus::Draft,
        department_id: text.department_id.clone(),
        field_id: text.field_id.clone(),
        title: text.title.clone(),
        free_grant: text.free_grant,
        expires_on: text.expires_on.clone(),
        content: content(&text)?,
        words,
        version: 0,
        revision: 1,
        created_by: who.user_id.clone(),
        created_at: now_text.clone(),
        updated_at: now_text,
        published_at: None,
        withdrawn_at: None,
        withdraw_reason: None,
        push_state: PushState::Idle,
        pushed_at: None,
    };
    db::insert(conn, &row)?;
    link_documents(conn, who, &row.id, &text.attachment_ids)?;
    audit::record(
        conn,
        by,
        AuditAction::PolicyCreate,
        Some(&row.id),
        None,
        now,
    )?;
    view(who, row, &today(now))
}

fn stale(id: &str) -> AppError {
    AppError::new(
        ErrorCode::VersionMismatch,
        format!("policy {id} was changed by someone else: read it again and redo the change"),
    )
}

fn check_revision(row: &PolicyRow, expected: Option<i32>) -> Result<i32, AppError> {
    match expected {
        Some(r) if r != row.revision => Err(stale(&row.id)),
        _ => Ok(row.revision),
    }
}

fn snapshot(row: &PolicyRow, note: &str, who: &Principal, at: &str) -> VersionRow {
    VersionRow {
        policy_id: row.id.clone(),
        version: row.version,
        title: row.title.clone(),
        content: row.content.clone(),
        note: note.to_string(),
        published_by: who.user_id.clone(),
        published_at: at.to_string(),
    }
}

/// Replaces a policy's text: a draft by its department or an administrator; a published one
/// by an administrator only, as an amendment — a new version, the old kept, `note` saying why,
/// and the push due again for enterprises that fit only now.
#[allow(clippy::too_many_arguments)]
pub fn replace(
    conn: &mut DbConnection,
    by: &By,
    who: &Principal,
    id: &str,
    text: PolicyText,
    words: String,
    note: Option<String>,
    expected: Option<i32>,
    now: DateTime<Utc>,
) -> Result<PolicyView, AppError> {
    let mut row = load_visible(conn, who, id)?;
    let revision = check_revision(&row, expected)?;
    let me = actor(who);
    match row.status {
        PolicyStatus::Draft => {
            if !me.acts_for(&row.department_id) || !me.acts_for(&text.department_id) {
                return Err(AppError::forbidden(
                    "a draft is edited by its department's cadres and administrators",
                ));
            }
        }
        PolicyStatus::Published => {
            if who.role != Role::Admin {
                return Err(AppError::forbidden(
                    "a published policy is amended by administrators",
                ));
            }
            if note.as_deref().is_none_or(|n| n.trim().is_empty()) {
                return Err(AppError::invalid_field(
                    "note",
                    "say why the policy is amended (修订说明)",
                ));
            }
        }
        PolicyStatus::Withdrawn => {
            return Err(AppError::new(
                ErrorCode::WrongState,
                "a withdrawn policy is not changed",
            ));
        }
    }
    let mut errors = FieldErrors::new();
    check_references(conn, &text, &mut errors)?;
    errors.finish()?;
    let amended = row.status == PolicyStatus::Published;
    let now_text = time::format(now);
    row.department_id = text.department_id.clone();
    row.field_id = text.field_id.clone();
    row.title = text.title.clone();
    row.free_grant = text.free_grant;
    row.expires_on = text.expires_on.clone();
    row.content = content(&text)?;
    row.words = words;
    row.revision += 1;
    row.updated_at = now_text.clone();
    if amended {
        row.version += 1;
        row.published_at = Some(now_text.clone());
        row.push_state = PushState::Pending;
    }
    if !db::update_revised(conn, &row, revision)? {
        return Err(stale(id));
    }
    if !amended {
        // A draft's documents are what it names now: those dropped go back to their uploader
        // as unattached uploads (cleared by the housekeeping). A published policy's stay: its
        // earlier versions name them.
        attachments::unlink_from_policy(conn, id, &text.attachment_ids)?;
    }
    link_documents(conn, who, id, &text.attachment_ids)?;
    if amended {
        db::insert_version(
            conn,
            &snapshot(&row, note.as_deref().unwrap_or("").trim(), who, &now_text),
        )?;
    }
    audit::record(
        conn,
        by,
        if amended {
            AuditAction::PolicyAmend
        } else {
            AuditAction::PolicyUpdate
        },
        Some(id),
        amended.then(|| serde_json::json!({ "version": row.version })),
        now,
    )?;
    view(who, row, &today(now))
}

/// Publishes a draft (administrators): version 1, kept, and its push due.
pub fn publish(
    conn: &mut DbConnection,
    by: &By,
    who: &Principal,
    id: &str,
    expected: Option<i32>,
    now: DateTime<Utc>,
) -> Result<PolicyView, AppError> {
    crate::service::require_role(who, &[Role::Admin])?;
    let mut row = load_visible(conn, who, id)?;
    let revision = check_revision(&row, expected)?;
    if row.status != PolicyStatus::Draft {
        return Err(AppError::new(
            ErrorCode::WrongState,
            format!("only a draft is published; this policy is {}", row.status),
        ));
    }
    let now_text = time::format(now);
    row.status = PolicyStatus::Published;
    row.version = 1;
    row.revision += 1;
    row.published_at = Some(now_text.clone());
    row.updated_at = now_text.clone();
    row.push_state = PushState::Pending;
    if !db::update_revised(conn, &row, revision)? {
        return Err(stale(id));
    }
    db::insert_version(conn, &snapshot(&row, "", who, &now_text))?;
    audit::record(conn, by, AuditAction::PolicyPublish, Some(id), None, now)?;
    view(who, row, &today(now))
}

/// Withdraws a published policy (administrators), with the reason: it leaves the catalogue
/// and the matches; its applications stay, and may still be decided and paid.
pub fn withdraw(
    conn: &mut DbConnection,
    by: &By,
    who: &Principal,
    id: &str,
    reason: String,
    now: DateTime<Utc>,
) -> Result<PolicyView, AppError> {
    crate::service::require_role(who, &[Role::Admin])?;
    let mut row = load_visible(conn, who, id)?;
    if row.status != PolicyStatus::Published {
        return Err(AppError::new(
            ErrorCode::WrongState,
            format!(
                "only a published policy is withdrawn; this one is {}",
                row.status
            ),
        ));
    }
    let revision = row.revision;
    let now_text = time::format(now);
    row.status = PolicyStatus::Withdrawn;
    row.revision += 1;
    row.withdrawn_at = Some(now_text.clone());
    row.withdraw_reason = Some(reason);
    row.updated_at = now_text;
    row.push_state = PushState::Idle;
    if !db::update_revised(conn, &row, revision)? {
        return Err(stale(id));
    }
    audit::record(conn, by, AuditAction::PolicyWithdraw, Some(id), None, now)?;
    view(who, row, &today(now))
}

/// An enterprise's standing against one policy (for an enterprise's own reading).
#[derive(Debug, Clone)]
pub struct Standing {
    pub matched: Match,
    pub pushed_at: Option<String>,
    pub explained: bool,
    /// Its latest application for the policy.
    pub application: Option<ApplicationRow>,
}

/// A policy with its versions, documents and, for an enterprise, its standing.
#[derive(Debug, Clone)]
pub struct PolicyDetail {
    pub view: PolicyView,
    pub versions: Vec<VersionRow>,
    pub documents: Vec<attachments::AttachmentRow>,
    pub standing: Option<Standing>,
    pub questions: i64,
    /// The names of those who published its versions, by id.
    pub people: HashMap<String, String>,
}

pub fn detail(
    conn: &mut DbConnection,
    who: &Principal,
    id: &str,
    now: DateTime<Utc>,
) -> Result<PolicyDetail, AppError> {
    let row = load_visible(conn, who, id)?;
    let view = view(who, row, &today(now))?;
    let versions = db::versions(conn, id)?;
    let documents = attachments::of_policy(conn, id)?;
    let mut view = view;
    let standing = match (who.role, who.enterprise_id.as_deref()) {
        (Role::Enterprise, Some(eid)) => {
            let standing = standing_of(conn, eid, &view)?;
            refine_allowed(&mut view, &standing);
            Some(standing)
        }
        _ => None,
    };
    let questions = if who.role == Role::Enterprise {
        0
    } else {
        db::question_count(conn, id)?
    };
    let mut ids: Vec<String> = versions.iter().map(|v| v.published_by.clone()).collect();
    ids.sort();
    ids.dedup();
    let people = users::names(conn, &ids)?.into_iter().collect();
    Ok(PolicyDetail {
        view,
        versions,
        documents,
        standing,
        questions,
        people,
    })
}

/// An enterprise may apply only when it does not plainly fail the policy and has no live
/// application (one not refused) for it.
fn refine_allowed(view: &mut PolicyView, standing: &Standing) {
    let live = standing
        .application
        .as_ref()
        .is_some_and(|a| a.status != crate::domain::policy::ApplicationStatus::Refused);
    if live || standing.matched.fit == Fit::No {
        view.allowed.retain(|a| *a != PolicyAction::Apply);
    }
}

fn standing_of(
    conn: &mut DbConnection,
    enterprise_id: &str,
    view: &PolicyView,
) -> Result<Standing, AppError> {
    let profile = db::profiles(conn, Some(&[enterprise_id.to_string()]))?
        .into_iter()
        .next()
        .map(|p| profile_of(&p))
        .unwrap_or_default();
    let pushes = db::pushes_of(conn, enterprise_id)?;
    let explained = db::explained_policies(conn, enterprise_id)?;
    let application = db::applications_of(conn, enterprise_id)?
        .into_iter()
        .rfind(|a| a.policy_id == view.row.id);
    Ok(Standing {
        matched: judge(&view.text.criteria, &profile),
        pushed_at: pushes.get(&view.row.id).cloned(),
        explained: explained.contains(&view.row.id),
        application,
    })
}

/// One published version's text.
pub fn version(
    conn: &mut DbConnection,
    who: &Principal,
    id: &str,
    version: i32,
) -> Result<(VersionRow, PolicyText), AppError> {
    load_visible(conn, who, id)?;
    let row = db::find_version(conn, id, version)?
        .ok_or_else(|| AppError::not_found("policy version"))?;
    let text = serde_json::from_str(&row.content).map_err(AppError::internal)?;
    Ok((row, text))
}

/// What the catalogue's list asks for.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub filter: PolicyFilter,
    /// The query's words (`Segmenter::query_words`): a policy shows when it has them all.
    pub words: Vec<String>,
    /// Published policies only while in force (an enterprise's default).
    pub in_force_only: bool,
    pub before_id: Option<String>,
}

/// The catalogue as the reader sees it: enterprises published policies, staff also drafts
/// (their department's; administrators' and dispatchers' all) and withdrawn ones. With words,
/// the best matches first (a title's word counts twice) and one page only; without, newest
/// first, paged.
pub fn list(
    conn: &mut DbConnection,
    who: &Principal,
    mut q: ListQuery,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<Page<PolicyView>, AppError> {
    match who.role {
        Role::Enterprise => {
            q.filter.statuses = vec![PolicyStatus::Published];
        }
        Role::Cadre => q.filter.drafts_of = Some(who.department_id.clone()),
        Role::Admin | Role::Dispatcher => {}
    }
    let day = today(now);
    let rows = db::list(conn, &q.filter)?;
    let mut kept: Vec<(i64, PolicyRow)> = Vec::new();
    for row in rows {
        if q.in_force_only && !in_force(row.status, row.expires_on.as_deref(), &day) {
            continue;
        }
        if q.words.is_empty() {
            kept.push((0, row));
            continue;
        }
        // A word matches an indexed word, or appears in the text: the index is cut in search
        // mode (高新技术企业 → 高新, 技术, 企业, 高新技术企业) and misses some of a long word's
        // parts (高新技术), which a query cuts whole. The catalogue is small enough to read.
        let have: HashSet<&str> = row.words.split(' ').collect();
        let text = text_of(&row)?;
        let haystack = crate::domain::text::fold(&format!(
            "{} {} {} {}",
            row.title, text.document_number, text.summary, text.full_text
        ));
        if !q
            .words
            .iter()
            .all(|w| have.contains(w.as_str()) || haystack.contains(w.as_str()))
        {
            continue;
        }
        let title = crate::domain::text::fold(&row.title);
        let score: i64 = q
            .words
            .iter()
            .map(|w| if title.contains(w.as_str()) { 2 } else { 1 })
            .sum();
        kept.push((score, row));
    }
    let limit_n = usize::try_from(limit).unwrap_or(usize::MAX);
    if q.words.is_empty() {
        let rows: Vec<PolicyRow> = kept
            .into_iter()
            .map(|(_, r)| r)
            .filter(|r| q.before_id.as_deref().is_none_or(|b| r.id.as_str() < b))
            .take(limit_n + 1)
            .collect();
        let page = Page::from_rows(rows, limit, |r| &r.id);
        let items = page
            .items
            .into_iter()
            .map(|r| view(who, r, &day))
            .collect::<Result<_, _>>()?;
        return Ok(Page {
            items,
            next_cursor: page.next_cursor,
        });
    }
    // Stable: equal scores stay newest first.
    kept.sort_by_key(|k| std::cmp::Reverse(k.0));
    let items = kept
        .into_iter()
        .take(limit_n)
        .map(|(_, r)| view(who, r, &day))
        .collect::<Result<_, _>>()?;
    Ok(Page {
        items,
        next_cursor: None,
    })
}

// --- matching --------------------------------------------------------------------------------

/// What matching reads of one enterprise, from its row and traits.
pub fn profile_of(p: &ProfileRow) -> Profile {
    let (_, _, chain, area, traits) = p;
    let nonblank = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    Profile {
        industry_chain: nonblank(chain),
        area: nonblank(area),
        scale: traits.as_ref().and_then(|t| t.scale),
        size: traits.as_ref().and_then(|t| t.size),
        qualification_ids: traits.as_ref().and_then(TraitsRow::qualifications),
        founded_on: traits.as_ref().and_then(|t| t.founded_on.clone()),
    }
}

/// An enterprise that fits (or may fit) a policy.
#[derive(Debug, Clone)]
pub struct Fitting {
    pub enterprise_id: String,
    pub name: String,
    pub matched: Match,
}

/// Every enterprise that fits or may fit `text`, in id order: one read of every enterprise
/// and its traits, judged in memory (100,000 enterprises in well under the 2 s the issue
/// allows; docs/performance.md).
pub fn match_all(conn: &mut DbConnection, text: &PolicyText) -> Result<Vec<Fitting>, AppError> {
    let profiles = db::profiles(conn, None)?;
    Ok(profiles
        .iter()
        .filter_map(|p| {
            let matched = judge(&text.criteria, &profile_of(p));
            (matched.fit != Fit::No).then(|| Fitting {
                enterprise_id: p.0.clone(),
                name: p.1.clone(),
                matched,
            })
        })
        .collect())
}

/// An enterprise on a policy's fitting list, with what has reached it.
#[derive(Debug, Clone)]
pub struct FittingEnterprise {
    pub fitting: Fitting,
    pub pushed: bool,
    pub explained: bool,
    pub application: Option<ApplicationRow>,
    pub verified: bool,
}

#[derive(Debug, Clone, Default)]
pub struct FittingCounts {
    pub fits: i64,
    pub may_fit: i64,
    /// Fitting (or may-fit) enterprises told: pushed, or explained on a visit.
    pub told: i64,
    pub applied: i64,
}

#[derive(Debug, Clone)]
pub struct FittingList {
    pub counts: FittingCounts,
    pub items: Vec<FittingEnterprise>,
    pub next_offset: Option<usize>,
}

/// The enterprises that fit a published policy (its department's cadres, administrators and
/// dispatchers): counts over all, and a page of them — those that fit first, then those that
/// may, each by name.
pub fn fitting(
    conn: &mut DbConnection,
    who: &Principal,
    id: &str,
    only: Option<Fit>,
    offset: usize,
    limit: usize,
) -> Result<FittingList, AppError> {
    let row = load_visible(conn, who, id)?;
    if !(actor(who).acts_for(&row.department_id) || who.role == Role::Dispatcher) {
        return Err(AppError::forbidden(
            "a policy's fitting enterprises are its department's, the dispatchers' and the administrators' to see",
        ));
    }
    let text = text_of(&row)?;
    let mut all = match_all(conn, &text)?;
    let pushed = db::pushed_to(conn, id)?;
    let explained = db::explained_to(conn, id)?;
    let mut applications: HashMap<String, ApplicationRow> = HashMap::new();
    for a in db::applications_for(conn, id)? {
        applications.insert(a.enterprise_id.clone(), a);
    }
    let mut counts = FittingCounts::default();
    for f in &all {
        match f.matched.fit {
            Fit::Fits => counts.fits += 1,
            _ => counts.may_fit += 1,
        }
        if pushed.contains(&f.enterprise_id) || explained.contains(&f.enterprise_id) {
            counts.told += 1;
        }
        if applications.contains_key(&f.enterprise_id) {
            counts.applied += 1;
        }
    }
    if let Some(only) = only {
        all.retain(|f| f.matched.fit == only);
    }
    all.sort_by(|a, b| {
        (a.matched.fit != Fit::Fits, &a.name).cmp(&(b.matched.fit != Fit::Fits, &b.name))
    });
    let total = all.len();
    let page: Vec<Fitting> = all.into_iter().skip(offset).take(limit).collect();
    let ids: Vec<String> = page.iter().map(|f| f.enterprise_id.clone()).collect();
    let verified: HashMap<String, bool> = db::traits_of(conn, &ids)?
        .into_iter()
        .map(|t| (t.enterprise_id, t.verified))
        .collect();
    let items = page
        .into_iter()
        .map(|f| FittingEnterprise {
            pushed: pushed.contains(&f.enterprise_id),
            explained: explained.contains(&f.enterprise_id),
            application: applications.get(&f.enterprise_id).cloned(),
            verified: verified.get(&f.enterprise_id).copied().unwrap_or(true),
            fitting: f,
        })
        .collect();
    Ok(FittingList {
        counts,
        items,
        next_offset: (offset + limit < total).then_some(offset + limit),
    })
}

/// A policy recommended to an enterprise (为您推荐).
#[derive(Debug, Clone)]
pub struct Recommendation {
    pub view: PolicyView,
    pub standing: Standing,
}

/// The policies in force an enterprise fits or may fit, those it fits first, the newest
/// first within each: for the enterprise itself, and for whoever may read the enterprise
/// (its liaison cadres, dispatchers, administrators).
pub fn recommended(
    conn: &mut DbConnection,
    who: &Principal,
    enterprise_id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Recommendation>, AppError> {
    crate::service::directory::get_enterprise(conn, who, enterprise_id)?;
    let day = today(now);
    let profile = db::profiles(conn, Some(&[enterprise_id.to_string()]))?
        .into_iter()
        .next()
        .map(|p| profile_of(&p))
        .unwrap_or_default();
    let pushes = db::pushes_of(conn, enterprise_id)?;
    let explained = db::explained_policies(conn, enterprise_id)?;
    let mut applications: HashMap<String, ApplicationRow> = HashMap::new();
    for a in db::applications_of(conn, enterprise_id)? {
        applications.insert(a.policy_id.clone(), a);
    }
    let mut out = Vec::new();
    for row in db::published(conn)? {
        if !in_force(row.status, row.expires_on.as_deref(), &day) {
            continue;
        }
        let view = view(who, row, &day)?;
        let matched = judge(&view.text.criteria, &profile);
        if matched.fit == Fit::No {
            continue;
        }
        let id = view.row.id.clone();
        let mut view = view;
        let standing = Standing {
            matched,
            pushed_at: pushes.get(&id).cloned(),
            explained: explained.contains(&id),
            application: applications.remove(&id),
        };
        refine_allowed(&mut view, &standing);
        out.push(Recommendation { standing, view });
    }
    out.sort_by_key(|r| r.standing.matched.fit != Fit::Fits);
    Ok(out)
}

// --- traits ----------------------------------------------------------------------------------

/// An enterprise's traits as stored, or none stated yet.
pub fn traits(
    conn: &mut DbConnection,
    who: &Principal,
    enterprise_id: &str,
) -> Result<Option<TraitsRow>, AppError> {
    crate::service::directory::get_enterprise(conn, who, enterprise_id)?;
    Ok(db::find_traits(conn, enterprise_id)?)
}

/// A change of traits; each `Some` replaces the stored value (`Some(None)` clears it).
#[derive(Debug, Clone, Default)]
pub struct TraitChanges {
    pub scale: Option<Option<Scale>>,
    pub size: Option<Option<Size>>,
    pub qualification_ids: Option<Option<Vec<String>>>,
    pub employees: Option<Option<i32>>,
    pub revenue_band: Option<Option<RevenueBand>>,
    pub founded_on: Option<Option<String>>,
}

/// Whether `who` changes traits as staff (verified) — an administrator, a dispatcher, the
/// enterprise's liaison cadre or deputy — or as the enterprise (unverified: its managers).
fn staff_of(
    conn: &mut DbConnection,
    who: &Principal,
    enterprise_id: &str,
) -> Result<bool, AppError> {
    crate::service::directory::get_enterprise(conn, who, enterprise_id)?;
    match who.role {
        Role::Admin | Role::Dispatcher | Role::Cadre => Ok(true),
        Role::Enterprise => {
            let me = users::find(conn, &who.user_id)?;
            if me.is_some_and(|u| u.enterprise_manager) {
                Ok(false)
            } else {
                Err(AppError::forbidden(
                    "an enterprise's information is kept by its managers",
                ))
            }
        }
    }
}

/// Applies `changes` to the stored traits; returns whether what matching reads changed.
pub fn apply_changes(row: &mut TraitsRow, changes: TraitChanges) -> bool {
    let before = (
        row.scale,
        row.size,
        row.qualification_ids.clone(),
        row.founded_on.clone(),
    );
    if let Some(v) = changes.scale {
        row.scale = v;
    }
    if let Some(v) = changes.size {
        row.size = v;
    }
    if let Some(v) = changes.qualification_ids {
        row.qualification_ids = v.map(|mut ids| {
            ids.sort();
            ids.dedup();
            serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into())
        });
    }
    if let Some(v) = changes.employees {
        row.employees = v;
    }
    if let Some(v) = changes.revenue_band {
        row.revenue_band = v;
    }
    if let Some(v) = changes.founded_on {
        row.founded_on = v;
    }
    before
        != (
            row.scale,
            row.size,
            row.qualification_ids.clone(),
            row.founded_on.clone(),
        )
}

/// The traits of an enterprise that has none stored.
pub fn empty_traits(enterprise_id: &str, now: &str) -> TraitsRow {
    TraitsRow {
        enterprise_id: enterprise_id.to_string(),
        scale: None,
        size: None,
        qualification_ids: None,
        employees: None,
        revenue_band: None,
        founded_on: None,
        verified: true,
        updated_by: None,
        updated_at: now.to_string(),
        verified_by: None,
        verified_at: None,
        recheck: false,
    }
}

/// Checks that the qualification ids name qualifications.
pub fn check_qualifications(
    conn: &mut DbConnection,
    ids: &[String],
    errors: &mut FieldErrors,
) -> Result<(), AppError> {
    let known: HashSet<String> = db::terms(conn, Some(TermKind::Qualification))?
        .into_iter()
        .map(|t| t.id)
        .collect();
    if ids.iter().any(|q| !known.contains(q)) {
        errors.add(
            "qualification_ids",
            "names no qualification (GET /api/v1/policy-terms?kind=qualification)",
        );
    }
    Ok(())
}

/// Writes an enterprise's traits: by staff, verified; by the enterprise's manager,
/// unverified until staff confirm. The push looks for newly fitting policies when what
/// matching reads changed.
pub fn set_traits(
    conn: &mut DbConnection,
    by: &By,
    who: &Principal,
    enterprise_id: &str,
    changes: TraitChanges,
    now: DateTime<Utc>,
) -> Result<TraitsRow, AppError> {
    let staff = staff_of(conn, who, enterprise_id)?;
    if let Some(Some(ids)) = &changes.qualification_ids {
        let mut errors = FieldErrors::new();
        check_qualifications(conn, ids, &mut errors)?;
        errors.finish()?;
    }
    let now_text = time::format(now);
    let mut row = db::find_traits(conn, enterprise_id)?
        .unwrap_or_else(|| empty_traits(enterprise_id, &now_text));
    let matching_changed = apply_changes(&mut row, changes);
    row.updated_by = Some(who.user_id.clone());
    row.updated_at = now_text.clone();
    if staff {
        row.verified = true;
        row.verified_by = Some(who.user_id.clone());
        row.verified_at = Some(now_text);
    } else {
        row.verified = false;
    }
    row.recheck |= matching_changed;
    db::save_traits(conn, &row)?;
    audit::record(
        conn,
        by,
        AuditAction::EnterpriseTraitsUpdate,
        Some(enterprise_id),
        Some(serde_json::json!({ "verified": row.verified })),
        now,
    )?;
    Ok(row)
}

/// Confirms an enterprise's own changes (staff who may read the enterprise).
pub fn verify_traits(
    conn: &mut DbConnection,
    by: &By,
    who: &Principal,
    enterprise_id: &str,
    now: DateTime<Utc>,
) -> Result<TraitsRow, AppError> {
    if !staff_of(conn, who, enterprise_id)? {
        return Err(AppError::forbidden(
            "an enterprise's changes are confirmed by its liaison cadre, dispatchers or administrators",
        ));
    }
    let mut row = db::find_traits(conn, enterprise_id)?.ok_or_else(|| {
        AppError::new(
            ErrorCode::WrongState,
            "the enterprise has stated no information yet: there is nothing to confirm",
        )
    })?;
    let now_text = time::format(now);
    row.verified = true;
    row.verified_by = Some(who.user_id.clone());
    row.verified_at = Some(now_text);
    db::save_traits(conn, &row)?;
    audit::record(
        conn,
        by,
        AuditAction::EnterpriseTraitsVerify,
        Some(enterprise_id),
        None,
        now,
    )?;
    Ok(row)
}

// --- telling an enterprise --------------------------------------------------------------------

/// A message to an enterprise about a policy or an application.
pub struct Tell<'a> {
    pub event: PolicyEvent,
    pub policy: &'a PolicyRow,
    pub application_id: Option<&'a str>,
    /// The in-app title and the e-mail's subject.
    pub title: String,
    pub body: String,
    /// The SMS text (after the site's signature).
    pub sms: String,
}

/// The link to a policy's page.
pub fn policy_url(outbox: &Outbox, policy_id: &str) -> String {
    format!("{}#/policies/{policy_id}", outbox.home_url())
}

/// Tells an enterprise, in the caller's transaction: an in-app message to each of its active
/// people, and an SMS and e-mail to its managers (within their hourly limits).
pub fn tell_enterprise(
    conn: &mut DbConnection,
    outbox: &Outbox,
    enterprise_id: &str,
    enterprise_name: &str,
    m: &Tell<'_>,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let people = users::of_enterprise(conn, enterprise_id)?;
    let now_text = time::format(now);
    let inbox: Vec<crate::db::messages::MessageRow> = people
        .iter()
        .filter(|u| !u.disabled)
        .map(|u| crate::db::messages::MessageRow {
            id: new_id(),
            user_id: u.id.clone(),
            ticket_id: None,
            event: MessageTopic::Policy(m.event),
            event_seq: None,
            title: m.title.clone(),
            body: m.body.clone(),
            created_at: now_text.clone(),
            read_at: None,
            policy_id: Some(m.policy.id.clone()),
            application_id: m.application_id.map(str::to_string),
        })
        .collect();
    crate::db::messages::insert_all(conn, &inbox)?;
    let url = match m.application_id {
        Some(a) => format!("{}#/applications/{a}", outbox.home_url()),
        None => policy_url(outbox, &m.policy.id),
    };
    let values = [
        ("policy", m.policy.title.clone()),
        ("enterprise", enterprise_name.to_string()),
        ("url", url.clone()),
    ];
    let subject = format!("【{}】{}", outbox.site(), m.title);
    let sms = format!("{}：{url}", m.sms);
    let mut queued = 0;
    for manager in people
        .iter()
        .filter(|u| !u.disabled && u.enterprise_manager)
    {
        let message = PersonalMessage {
            topic: MessageTopic::Policy(m.event),
            subject: &subject,
            text: &m.body,
            button: "查看详情",
            url: &url,
            sms: &sms,
            values: &values,
            with_sms: true,
        };
        queued += outbox.queue_personal(conn, manager, &message, now)?;
    }
    Ok(queued + inbox.len())
}

/// The names of `ids`' enterprises.
pub fn enterprise_names(
    conn: &mut DbConnection,
    ids: &[String],
) -> Result<HashMap<String, String>, AppError> {
    Ok(enterprises::names_of(conn, ids)?.into_iter().collect())
}

/// The criteria `unknown` as the pages say them: 企业资质、成立日期.
pub fn unknown_text(unknown: &[Criterion]) -> String {
    unknown
        .iter()
        .map(|c| c.label())
        .collect::<Vec<_>>()
        .join("、")
}
