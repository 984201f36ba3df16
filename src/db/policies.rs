//! 送政策 (issue 20): policies and their versions, the administrator's terms, enterprises'
//! traits, pushes, visits' explained policies, questions, and applications with their
//! timeline. `service::policies` holds the rules; this module reads and writes.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::{
    enterprise_traits, enterprises, policies, policy_application_events, policy_applications,
    policy_pushes, policy_questions, policy_terms, policy_versions, visit_policies, visits,
};
use crate::domain::policy::{
    ApplicationAction, ApplicationChannel, ApplicationStatus, Fit, PolicyStatus, PushState,
    RevenueBand, Scale, Size, TermKind,
};

// --- terms -------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = policy_terms)]
pub struct TermRow {
    pub id: String,
    pub kind: TermKind,
    pub name: String,
    pub position: i32,
    pub active: bool,
    pub created_at: String,
}

pub fn terms(conn: &mut DbConnection, kind: Option<TermKind>) -> QueryResult<Vec<TermRow>> {
    let mut q = policy_terms::table
        .select(TermRow::as_select())
        .into_boxed();
    if let Some(k) = kind {
        q = q.filter(policy_terms::kind.eq(k));
    }
    q.order((
        policy_terms::kind.asc(),
        policy_terms::position.asc(),
        policy_terms::name.asc(),
    ))
    .load(conn)
}

pub fn find_term(conn: &mut DbConnection, id: &str) -> QueryResult<Option<TermRow>> {
    policy_terms::table
        .find(id)
        .select(TermRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn insert_term(conn: &mut DbConnection, row: &TermRow) -> QueryResult<()> {
    diesel::insert_into(policy_terms::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn update_term(conn: &mut DbConnection, row: &TermRow) -> QueryResult<()> {
    diesel::update(policy_terms::table.find(&row.id))
        .set(row)
        .execute(conn)
        .map(drop)
}

// --- policies ----------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = policies, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct PolicyRow {
    pub id: String,
    pub status: PolicyStatus,
    pub department_id: String,
    pub field_id: String,
    pub title: String,
    pub free_grant: bool,
    pub expires_on: Option<String>,
    /// `domain::policy::PolicyText` as JSON.
    pub content: String,
    pub words: String,
    pub version: i32,
    pub revision: i32,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub published_at: Option<String>,
    pub withdrawn_at: Option<String>,
    pub withdraw_reason: Option<String>,
    pub push_state: PushState,
    pub pushed_at: Option<String>,
}

pub fn insert(conn: &mut DbConnection, row: &PolicyRow) -> QueryResult<()> {
    diesel::insert_into(policies::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<PolicyRow>> {
    policies::table
        .find(id)
        .select(PolicyRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn find_many(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<PolicyRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    policies::table
        .filter(policies::id.eq_any(ids))
        .select(PolicyRow::as_select())
        .load(conn)
}

/// Writes `row` if the stored one is still at `expected` revision; false when someone else
/// changed it first.
pub fn update_revised(
    conn: &mut DbConnection,
    row: &PolicyRow,
    expected: i32,
) -> QueryResult<bool> {
    let n = diesel::update(
        policies::table
            .filter(policies::id.eq(&row.id))
            .filter(policies::revision.eq(expected)),
    )
    .set(row)
    .execute(conn)?;
    Ok(n == 1)
}

/// What a list of policies is narrowed to (the search's words are matched by the caller).
#[derive(Debug, Clone, Default)]
pub struct PolicyFilter {
    /// Any of these (none: any).
    pub statuses: Vec<PolicyStatus>,
    pub field_id: Option<String>,
    pub department_id: Option<String>,
    pub free_grant: Option<bool>,
    /// Drafts only of this department (a cadre's reading); other statuses of any.
    pub drafts_of: Option<Option<String>>,
}

/// Every policy the filter passes, newest first. A district's catalogue is hundreds of
/// policies, not millions: the caller ranks and pages them.
pub fn list(conn: &mut DbConnection, filter: &PolicyFilter) -> QueryResult<Vec<PolicyRow>> {
    let mut q = policies::table.select(PolicyRow::as_select()).into_boxed();
    if !filter.statuses.is_empty() {
        q = q.filter(policies::status.eq_any(filter.statuses.clone()));
    }
    if let Some(f) = &filter.field_id {
        q = q.filter(policies::field_id.eq(f.clone()));
    }
    if let Some(d) = &filter.department_id {
        q = q.filter(policies::department_id.eq(d.clone()));
    }
    if let Some(g) = filter.free_grant {
        q = q.filter(policies::free_grant.eq(g));
    }
    match &filter.drafts_of {
        None => {}
        Some(Some(d)) => {
            q = q.filter(
                policies::status
                    .ne(PolicyStatus::Draft)
                    .or(policies::department_id.eq(d.clone())),
            );
        }
        Some(None) => q = q.filter(policies::status.ne(PolicyStatus::Draft)),
    }
    q.order(policies::id.desc()).load(conn)
}

/// Published policies whose push is due.
pub fn pending_pushes(conn: &mut DbConnection) -> QueryResult<Vec<PolicyRow>> {
    policies::table
        .filter(policies::status.eq(PolicyStatus::Published))
        .filter(policies::push_state.eq(PushState::Pending))
        .select(PolicyRow::as_select())
        .order(policies::id.asc())
        .load(conn)
}

/// Marks the push of `id` at `revision` done (a later amendment's push stays due).
pub fn finish_push(
    conn: &mut DbConnection,
    id: &str,
    revision: i32,
    now: &str,
) -> QueryResult<bool> {
    diesel::update(
        policies::table
            .filter(policies::id.eq(id))
            .filter(policies::revision.eq(revision))
            .filter(policies::push_state.eq(PushState::Pending)),
    )
    .set((
        policies::push_state.eq(PushState::Done),
        policies::pushed_at.eq(now),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Published policies (in force or not: the caller checks the day).
pub fn published(conn: &mut DbConnection) -> QueryResult<Vec<PolicyRow>> {
    policies::table
        .filter(policies::status.eq(PolicyStatus::Published))
        .select(PolicyRow::as_select())
        .order(policies::id.desc())
        .load(conn)
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = policy_versions)]
pub struct VersionRow {
    pub policy_id: String,
    pub version: i32,
    pub title: String,
    pub content: String,
    pub note: String,
    pub published_by: String,
    pub published_at: String,
}

pub fn insert_version(conn: &mut DbConnection, row: &VersionRow) -> QueryResult<()> {
    diesel::insert_into(policy_versions::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn versions(conn: &mut DbConnection, policy_id: &str) -> QueryResult<Vec<VersionRow>> {
    policy_versions::table
        .filter(policy_versions::policy_id.eq(policy_id))
        .select(VersionRow::as_select())
        .order(policy_versions::version.desc())
        .load(conn)
}

pub fn find_version(
    conn: &mut DbConnection,
    policy_id: &str,
    version: i32,
) -> QueryResult<Option<VersionRow>> {
    policy_versions::table
        .find((policy_id, version))
        .select(VersionRow::as_select())
        .get_result(conn)
        .optional()
}

// --- enterprise traits -------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = enterprise_traits, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct TraitsRow {
    pub enterprise_id: String,
    pub scale: Option<Scale>,
    pub size: Option<Size>,
    /// A JSON array of term ids; none: not stated.
    pub qualification_ids: Option<String>,
    pub employees: Option<i32>,
    pub revenue_band: Option<RevenueBand>,
    pub founded_on: Option<String>,
    pub verified: bool,
    pub updated_by: Option<String>,
    pub updated_at: String,
    pub verified_by: Option<String>,
    pub verified_at: Option<String>,
    pub recheck: bool,
}

impl TraitsRow {
    /// The qualifications stated, as term ids; none when not stated. A stored value that is
    /// not a JSON list of ids (we wrote it: a bug) is logged and read as not stated.
    pub fn qualifications(&self) -> Option<Vec<String>> {
        let stored = self.qualification_ids.as_deref()?;
        match serde_json::from_str(stored) {
            Ok(ids) => Some(ids),
            Err(e) => {
                tracing::error!(enterprise = %self.enterprise_id, error = %e, "an enterprise's qualifications are not a JSON list: read as not stated");
                None
            }
        }
    }
}

pub fn find_traits(conn: &mut DbConnection, enterprise_id: &str) -> QueryResult<Option<TraitsRow>> {
    enterprise_traits::table
        .find(enterprise_id)
        .select(TraitsRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn traits_of(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<TraitsRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    enterprise_traits::table
        .filter(enterprise_traits::enterprise_id.eq_any(ids))
        .select(TraitsRow::as_select())
        .load(conn)
}

/// Writes an enterprise's traits, whether it had a row or not.
pub fn save_traits(conn: &mut DbConnection, row: &TraitsRow) -> QueryResult<()> {
    let updated = diesel::update(enterprise_traits::table.find(&row.enterprise_id))
        .set(row)
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(enterprise_traits::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

/// Marks an enterprise's matching due again (its industry chain or area changed).
pub fn mark_recheck(conn: &mut DbConnection, enterprise_id: &str, now: &str) -> QueryResult<()> {
    let updated = diesel::update(enterprise_traits::table.find(enterprise_id))
        .set(enterprise_traits::recheck.eq(true))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(enterprise_traits::table)
            .values((
                enterprise_traits::enterprise_id.eq(enterprise_id),
                enterprise_traits::verified.eq(true),
                enterprise_traits::updated_at.eq(now),
                enterprise_traits::recheck.eq(true),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Up to `limit` enterprises whose matching is due again.
pub fn due_rechecks(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<String>> {
    enterprise_traits::table
        .filter(enterprise_traits::recheck.eq(true))
        .select(enterprise_traits::enterprise_id)
        .order(enterprise_traits::enterprise_id.asc())
        .limit(limit)
        .load(conn)
}

pub fn clear_recheck(conn: &mut DbConnection, enterprise_id: &str) -> QueryResult<()> {
    diesel::update(enterprise_traits::table.find(enterprise_id))
        .set(enterprise_traits::recheck.eq(false))
        .execute(conn)
        .map(drop)
}

/// An enterprise as matching reads it: (id, name, industry chain, area) and its traits.
pub type ProfileRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<TraitsRow>,
);

/// Every enterprise (or those `ids`) with its traits, in id order: what matching a policy
/// reads. One pass over `enterprises` with a join on `enterprise_traits`' key.
pub fn profiles(conn: &mut DbConnection, ids: Option<&[String]>) -> QueryResult<Vec<ProfileRow>> {
    let mut q = enterprises::table
        .left_join(enterprise_traits::table)
        .select((
            enterprises::id,
            enterprises::name,
            enterprises::industry_chain,
            enterprises::area,
            Option::<TraitsRow>::as_select(),
        ))
        .into_boxed();
    if let Some(ids) = ids {
        q = q.filter(enterprises::id.eq_any(ids.to_vec()));
    }
    q.order(enterprises::id.asc()).load(conn)
}

// --- pushes and visits -------------------------------------------------------------------

/// The enterprises with an active account (someone to tell), by id: one pass over the users.
pub fn enterprises_with_people(conn: &mut DbConnection) -> QueryResult<HashSet<String>> {
    use super::schema::users;
    Ok(users::table
        .filter(users::enterprise_id.is_not_null())
        .filter(users::disabled.eq(false))
        .select(users::enterprise_id.assume_not_null())
        .distinct()
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

/// Records that `enterprise_id` was told of `policy_id`; false when it had been already (by
/// this instance or another: the key decides).
pub fn record_push(
    conn: &mut DbConnection,
    policy_id: &str,
    enterprise_id: &str,
    fit: Fit,
    now: &str,
) -> QueryResult<bool> {
    let row = (
        policy_pushes::policy_id.eq(policy_id),
        policy_pushes::enterprise_id.eq(enterprise_id),
        policy_pushes::fit.eq(fit),
        policy_pushes::pushed_at.eq(now),
    );
    let n = on_each!(&mut *conn, c => diesel::insert_into(policy_pushes::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(n == 1)
}

/// The enterprises told of `policy_id` by a push.
pub fn pushed_to(conn: &mut DbConnection, policy_id: &str) -> QueryResult<HashSet<String>> {
    Ok(policy_pushes::table
        .filter(policy_pushes::policy_id.eq(policy_id))
        .select(policy_pushes::enterprise_id)
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

/// The policies `enterprise_id` was pushed, with when.
pub fn pushes_of(
    conn: &mut DbConnection,
    enterprise_id: &str,
) -> QueryResult<HashMap<String, String>> {
    Ok(policy_pushes::table
        .filter(policy_pushes::enterprise_id.eq(enterprise_id))
        .select((policy_pushes::policy_id, policy_pushes::pushed_at))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

/// Every (policy, enterprise) pushed: the figures' "told".
pub fn all_pushes(conn: &mut DbConnection) -> QueryResult<Vec<(String, String)>> {
    policy_pushes::table
        .select((policy_pushes::policy_id, policy_pushes::enterprise_id))
        .load(conn)
}

pub fn link_visit(conn: &mut DbConnection, visit_id: &str, policy_id: &str) -> QueryResult<()> {
    diesel::insert_into(visit_policies::table)
        .values((
            visit_policies::visit_id.eq(visit_id),
            visit_policies::policy_id.eq(policy_id),
        ))
        .execute(conn)
        .map(drop)
}

/// The policies explained on each of `visit_ids`, as (visit, policy).
pub fn of_visits(
    conn: &mut DbConnection,
    visit_ids: &[String],
) -> QueryResult<Vec<(String, String)>> {
    if visit_ids.is_empty() {
        return Ok(Vec::new());
    }
    visit_policies::table
        .filter(visit_policies::visit_id.eq_any(visit_ids))
        .select((visit_policies::visit_id, visit_policies::policy_id))
        .load(conn)
}

/// Every (policy, enterprise) explained on a visit: the figures' "told".
pub fn all_explained(conn: &mut DbConnection) -> QueryResult<Vec<(String, String)>> {
    visit_policies::table
        .inner_join(visits::table)
        .select((visit_policies::policy_id, visits::enterprise_id))
        .distinct()
        .load(conn)
}

/// The enterprises `policy_id` was explained to on a visit.
pub fn explained_to(conn: &mut DbConnection, policy_id: &str) -> QueryResult<HashSet<String>> {
    Ok(visit_policies::table
        .inner_join(visits::table)
        .filter(visit_policies::policy_id.eq(policy_id))
        .select(visits::enterprise_id)
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

/// The policies explained to `enterprise_id` on a visit.
pub fn explained_policies(
    conn: &mut DbConnection,
    enterprise_id: &str,
) -> QueryResult<HashSet<String>> {
    Ok(visit_policies::table
        .inner_join(visits::table)
        .filter(visits::enterprise_id.eq(enterprise_id))
        .select(visit_policies::policy_id)
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

// --- questions ---------------------------------------------------------------------------

pub fn link_question(conn: &mut DbConnection, ticket_id: &str, policy_id: &str) -> QueryResult<()> {
    diesel::insert_into(policy_questions::table)
        .values((
            policy_questions::ticket_id.eq(ticket_id),
            policy_questions::policy_id.eq(policy_id),
        ))
        .execute(conn)
        .map(drop)
}

/// The policy a ticket asks about, if it is a question about one.
pub fn policy_of_ticket(conn: &mut DbConnection, ticket_id: &str) -> QueryResult<Option<String>> {
    policy_questions::table
        .find(ticket_id)
        .select(policy_questions::policy_id)
        .get_result(conn)
        .optional()
}

pub fn question_count(conn: &mut DbConnection, policy_id: &str) -> QueryResult<i64> {
    policy_questions::table
        .filter(policy_questions::policy_id.eq(policy_id))
        .count()
        .get_result(conn)
}

// --- applications ------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = policy_applications, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct ApplicationRow {
    pub id: String,
    pub policy_id: String,
    pub policy_version: i32,
    pub enterprise_id: String,
    pub status: ApplicationStatus,
    pub channel: ApplicationChannel,
    pub statement: String,
    pub requested_fen: Option<i64>,
    pub approved_fen: Option<i64>,
    pub paid_fen: Option<i64>,
    pub refusal_reason: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub decided_at: Option<String>,
    pub paid_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = policy_application_events)]
pub struct ApplicationEventRow {
    pub application_id: String,
    pub seq: i32,
    pub action: ApplicationAction,
    pub actor_id: Option<String>,
    pub note: Option<String>,
    pub amount_fen: Option<i64>,
    pub at: String,
}

/// Inserts an application; false when the enterprise has a live one for the policy already
/// (the partial unique key refused it).
pub fn insert_application(conn: &mut DbConnection, row: &ApplicationRow) -> QueryResult<bool> {
    let n = on_each!(&mut *conn, c => diesel::insert_into(policy_applications::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(n == 1)
}

pub fn find_application(conn: &mut DbConnection, id: &str) -> QueryResult<Option<ApplicationRow>> {
    policy_applications::table
        .find(id)
        .select(ApplicationRow::as_select())
        .get_result(conn)
        .optional()
}

/// Writes `row` if the stored one is still `expected`; false when another decision came first.
pub fn update_application(
    conn: &mut DbConnection,
    row: &ApplicationRow,
    expected: ApplicationStatus,
) -> QueryResult<bool> {
    let n = diesel::update(
        policy_applications::table
            .filter(policy_applications::id.eq(&row.id))
            .filter(policy_applications::status.eq(expected)),
    )
    .set(row)
    .execute(conn)?;
    Ok(n == 1)
}

/// The live (not refused) application of an enterprise for a policy.
pub fn live_application(
    conn: &mut DbConnection,
    policy_id: &str,
    enterprise_id: &str,
) -> QueryResult<Option<ApplicationRow>> {
    policy_applications::table
        .filter(policy_applications::policy_id.eq(policy_id))
        .filter(policy_applications::enterprise_id.eq(enterprise_id))
        .filter(policy_applications::status.ne(ApplicationStatus::Refused))
        .select(ApplicationRow::as_select())
        .get_result(conn)
        .optional()
}

/// What a list of applications is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct ApplicationFilter {
    pub policy_id: Option<String>,
    pub enterprise_id: Option<String>,
    pub statuses: Vec<ApplicationStatus>,
    /// Only applications for these policies (a cadre's: their department's).
    pub policy_ids: Option<Vec<String>>,
    pub before_id: Option<String>,
}

pub fn list_applications(
    conn: &mut DbConnection,
    f: &ApplicationFilter,
    limit: i64,
) -> QueryResult<Vec<ApplicationRow>> {
    let mut q = policy_applications::table
        .select(ApplicationRow::as_select())
        .into_boxed();
    if let Some(p) = &f.policy_id {
        q = q.filter(policy_applications::policy_id.eq(p.clone()));
    }
    if let Some(e) = &f.enterprise_id {
        q = q.filter(policy_applications::enterprise_id.eq(e.clone()));
    }
    if !f.statuses.is_empty() {
        q = q.filter(policy_applications::status.eq_any(f.statuses.clone()));
    }
    if let Some(ids) = &f.policy_ids {
        q = q.filter(policy_applications::policy_id.eq_any(ids.clone()));
    }
    if let Some(b) = &f.before_id {
        q = q.filter(policy_applications::id.lt(b.clone()));
    }
    q.order(policy_applications::id.desc())
        .limit(limit)
        .load(conn)
}

/// Every application (the figures read them whole: a district has thousands a year).
pub fn all_applications(conn: &mut DbConnection) -> QueryResult<Vec<ApplicationRow>> {
    policy_applications::table
        .select(ApplicationRow::as_select())
        .order(policy_applications::id.asc())
        .load(conn)
}

/// The applications of `enterprise_id`, by policy (the newest of each).
pub fn applications_of(
    conn: &mut DbConnection,
    enterprise_id: &str,
) -> QueryResult<Vec<ApplicationRow>> {
    policy_applications::table
        .filter(policy_applications::enterprise_id.eq(enterprise_id))
        .select(ApplicationRow::as_select())
        .order(policy_applications::id.asc())
        .load(conn)
}

/// The applications for `policy_id` (the fitting list's state of each enterprise).
pub fn applications_for(
    conn: &mut DbConnection,
    policy_id: &str,
) -> QueryResult<Vec<ApplicationRow>> {
    policy_applications::table
        .filter(policy_applications::policy_id.eq(policy_id))
        .select(ApplicationRow::as_select())
        .order(policy_applications::id.asc())
        .load(conn)
}

pub fn insert_event(conn: &mut DbConnection, row: &ApplicationEventRow) -> QueryResult<()> {
    diesel::insert_into(policy_application_events::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn events_of(
    conn: &mut DbConnection,
    application_id: &str,
) -> QueryResult<Vec<ApplicationEventRow>> {
    policy_application_events::table
        .filter(policy_application_events::application_id.eq(application_id))
        .select(ApplicationEventRow::as_select())
        .order(policy_application_events::seq.asc())
        .load(conn)
}
