//! The authorization matrix (issue 7): every operation of the route table, called by every
//! kind of caller, on a record inside and outside the caller's scope, against the status the
//! rules of docs/api.md give ("Who sees what", the endpoint list, the workflow's table).
//!
//! The operations are those of the served OpenAPI document plus the few routes it leaves out
//! (the pages, the documentation viewer). The test fails, naming them, when an operation of the
//! document or a route of `api::configure` has no entry here, or an entry names an operation
//! that does not exist. The rule it checks: no token is 401, the wrong role is 403, a record
//! outside your scope is 404 (never 403, so ids reveal nothing); a permitted call may still be
//! refused by the workflow (409, 412, 422), which the table writes as `OK`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, User, World, credit_code, id_of, multipart_file};
use crate::sms_gateways::Phones;

/// The field 工业, which the migration adds.
const MATRIX_FIELD: &str = "0193f000-0000-7000-8000-000000000101";

/// What the table expects of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Let through: a success, or a refusal of the workflow, not of the caller.
    Allowed,
    /// Exactly this status.
    Is(u16),
}

const OK: Expect = Expect::Allowed;
const E401: Expect = Expect::Is(401);
const E403: Expect = Expect::Is(403);
const E404: Expect = Expect::Is(404);
const R302: Expect = Expect::Is(302);
const R308: Expect = Expect::Is(308);

/// What a permitted call may be answered: done, or refused for the state of things (an
/// illegal transition, a stale version, a failed check of the body's references).
const ALLOWED: [u16; 7] = [200, 201, 202, 204, 409, 412, 422];

impl Expect {
    fn admits(self, status: u16) -> bool {
        match self {
            Expect::Allowed => ALLOWED.contains(&status),
            Expect::Is(s) => s == status,
        }
    }
}

impl std::fmt::Display for Expect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expect::Allowed => write!(f, "allowed ({ALLOWED:?})"),
            Expect::Is(s) => write!(f, "{s}"),
        }
    }
}

/// The columns of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Anonymous,
    Enterprise,
    Cadre,
    Dispatcher,
    Admin,
}

const CALLERS: [Caller; 5] = [
    Caller::Anonymous,
    Caller::Enterprise,
    Caller::Cadre,
    Caller::Dispatcher,
    Caller::Admin,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Scope {
    Inside,
    Outside,
}

impl Scope {
    fn label(self) -> &'static str {
        match self {
            Scope::Inside => "inside",
            Scope::Outside => "outside",
        }
    }
}

/// How far a ticket has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Stage {
    Submitted,
    /// Merged into another request of its enterprise, assigned (before `Assigned`: it never
    /// goes through the later stages itself).
    Merged,
    Assigned,
    InProgress,
    Resolved,
}

/// The record an operation is about, inside and outside the caller's scope. The enterprise
/// caller is ent.a; the cadre is cadre.a (department A), except where noted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resource {
    /// Inside: enterprise A's ticket, from `Assigned` on handled by department A with cadre.a
    /// as assignee; outside: enterprise B's, handled by department B (cadre.b). A ticket not
    /// yet assigned is in no cadre's scope but its enterprise's liaison cadre's, so there the
    /// cadre is the liaison.
    Ticket(Stage),
    /// A pending extension request of a ticket `InProgress`, asked by its assignee.
    Extension,
    /// A photo filed with a ticket `Assigned`.
    Attachment,
    /// Enterprise A or B; the cadre is the liaison (of A).
    Enterprise,
    /// Department A (the cadre's) or B.
    Department,
    /// The caller's own account, or enterprise B's user's.
    Account,
    /// An SMS to ent.a, or to ent.b.
    Notification,
    /// An in-app message to the caller (anonymous: to ent.a), or to ent.b.
    Message,
    /// `POST /tickets` for enterprise A (the enterprise caller's own) or B.
    Filing,
    /// A pending request to join enterprise A (whose account ent.a manages) or B.
    JoinRequest,
    /// A systemic issue led by department A (the cadre's) or B, with one ticket of its
    /// department's linked.
    Systemic,
    /// A weekly bulletin: inside, a published one (everyone on the staff reads it); outside,
    /// a draft (an administrator's alone; to anyone else it is not there).
    Bulletin,
    /// A published 免申即享 policy of department A (the cadre's) or B; fresh for each call
    /// let through that writes.
    Policy,
    /// ent.a's application for department A's policy, or ent.b's for department B's.
    Application,
}

/// An operation's row: one expectation per caller, or one per caller and scope.
enum Cells {
    Flat([Expect; 5]),
    Scoped(Resource, [[Expect; 2]; 5]),
}

struct Entry {
    /// `METHOD path` as the OpenAPI document writes it.
    op: &'static str,
    /// False for the routes the OpenAPI document leaves out.
    in_document: bool,
    cells: Cells,
}

const fn any(op: &'static str, cells: [Expect; 5]) -> Entry {
    Entry {
        op,
        in_document: true,
        cells: Cells::Flat(cells),
    }
}

const fn on(op: &'static str, resource: Resource, cells: [[Expect; 2]; 5]) -> Entry {
    Entry {
        op,
        in_document: true,
        cells: Cells::Scoped(resource, cells),
    }
}

/// A route the OpenAPI document does not describe.
const fn page(op: &'static str, cells: [Expect; 5]) -> Entry {
    Entry {
        op,
        in_document: false,
        cells: Cells::Flat(cells),
    }
}

use Resource::{
    Account, Application, Attachment, Bulletin, Department, Enterprise, Extension, Filing,
    JoinRequest, Message, Notification, Policy, Systemic, Ticket,
};
use Stage::{Assigned, InProgress, Merged, Resolved, Submitted};

/// The table. Flat rows are one status per caller; scoped rows `[inside, outside]` per caller.
#[rustfmt::skip]
const MATRIX: &[Entry] = &[
    // operation                                                record               anonymous     enterprise    cadre         dispatcher    admin
    page("GET /",                                                                   [OK,           OK,           OK,           OK,           OK]),
    page("GET /assets/{name}",                                                      [OK,           OK,           OK,           OK,           OK]),
    page("GET /tickets/{id}",                                                       [R302,         R302,         R302,         R302,         R302]),
    page("GET /tickets/{id}/rate",                                                  [R302,         R302,         R302,         R302,         R302]),
    page("GET /api/docs",                                                           [R308,         R308,         R308,         R308,         R308]),
    page("GET /api/docs/{_}",                                                       [OK,           OK,           OK,           OK,           OK]),
    page("GET /api/openapi.json",                                                   [OK,           OK,           OK,           OK,           OK]),
    any("GET /healthz",                                                             [OK,           OK,           OK,           OK,           OK]),
    any("GET /readyz",                                                              [OK,           OK,           OK,           OK,           OK]),
    any("GET /metrics",                                                             [OK,           OK,           OK,           OK,           OK]),
    // Sign-in needs no token: a code, a password or a refresh token is the credential.
    any("POST /api/v1/auth/login",                                                  [OK,           OK,           OK,           OK,           OK]),
    any("POST /api/v1/auth/sms-code",                                               [OK,           OK,           OK,           OK,           OK]),
    any("POST /api/v1/auth/sms-login",                                              [OK,           OK,           OK,           OK,           OK]),
    any("POST /api/v1/auth/password-reset",                                         [OK,           OK,           OK,           OK,           OK]),
    any("POST /api/v1/auth/register",                                               [OK,           OK,           OK,           OK,           OK]),
    any("POST /api/v1/auth/refresh",                                                [OK,           OK,           OK,           OK,           OK]),
    any("POST /api/v1/auth/logout",                                                 [OK,           OK,           OK,           OK,           OK]),
    any("GET /api/v1/me",                                                           [E401,         OK,           OK,           OK,           OK]),
    any("GET /api/v1/me/daily-check",                                               [E401,         OK,           OK,           OK,           OK]),
    any("PATCH /api/v1/me",                                                         [E401,         OK,           OK,           OK,           OK]),
    any("POST /api/v1/me/password",                                                 [E401,         OK,           OK,           OK,           OK]),
    any("POST /api/v1/me/phone-code",                                               [E401,         OK,           OK,           OK,           OK]),
    any("POST /api/v1/me/phone",                                                    [E401,         OK,           OK,           OK,           OK]),
    any("POST /api/v1/me/consent",                                                  [E401,         OK,           OK,           OK,           OK]),
    any("GET /api/v1/legal",                                                        [OK,           OK,           OK,           OK,           OK]),
    any("GET /api/v1/legal/versions",                                               [OK,           OK,           OK,           OK,           OK]),
    any("POST /api/v1/legal",                                                       [E401,         E403,         E403,         E403,         OK]),
    // An enterprise's users are its manager's (ent.a) to manage; the caller's own account is
    // inside (refused by the rules: a manager does not disable themselves), ent.b's outside.
    any("GET /api/v1/enterprise/members",                                           [E401,         OK,           E403,         E403,         E403]),
    any("POST /api/v1/enterprise/members",                                          [E401,         OK,           E403,         E403,         E403]),
    on("POST /api/v1/enterprise/members/{id}/disable",          Account,            [[E401, E401], [OK, E404],   [E403, E403], [E403, E403], [E403, E403]]),
    on("POST /api/v1/enterprise/members/{id}/enable",           Account,            [[E401, E401], [OK, E404],   [E403, E403], [E403, E403], [E403, E403]]),
    on("POST /api/v1/enterprise/members/{id}/manager",          Account,            [[E401, E401], [OK, E404],   [E403, E403], [E403, E403], [E403, E403]]),
    any("GET /api/v1/join-requests",                                                [E401,         OK,           E403,         OK,           OK]),
    on("POST /api/v1/join-requests/{id}/approve",               JoinRequest,        [[E401, E401], [OK, E404],   [E404, E404], [OK, OK],     [OK, OK]]),
    on("POST /api/v1/join-requests/{id}/reject",                JoinRequest,        [[E401, E401], [OK, E404],   [E404, E404], [OK, OK],     [OK, OK]]),
    any("POST /api/v1/attachments",                                                 [E401,         OK,           OK,           OK,           OK]),
    on("GET /api/v1/attachments/{id}",                          Attachment,         [[E401, E401], [OK, E404],   [OK, E404],   [OK, OK],     [OK, OK]]),
    // A link is made for anyone signed in; opening it checks its user then (tests/api/files.rs).
    any("POST /api/v1/downloads",                                                   [E401,         OK,           OK,           OK,           OK]),
    // The token is the credential, not the header: a token that is not a link's is 401 to all.
    any("GET /api/v1/downloads/{token}",                                            [E401,         E401,         E401,         E401,         E401]),
    any("GET /api/v1/departments",                                                  [E401,         OK,           OK,           OK,           OK]),
    any("POST /api/v1/departments",                                                 [E401,         E403,         E403,         E403,         OK]),
    on("GET /api/v1/departments/{id}",                          Department,         [[E401, E401], [OK, OK],     [OK, OK],     [OK, OK],     [OK, OK]]),
    on("PATCH /api/v1/departments/{id}",                        Department,         [[E401, E401], [E403, E403], [E403, E403], [E403, E403], [OK, OK]]),
    any("GET /api/v1/enterprises",                                                  [E401,         E403,         E403,         OK,           OK]),
    any("POST /api/v1/enterprises",                                                 [E401,         E403,         E403,         E403,         OK]),
    any("GET /api/v1/enterprises/import-template.xlsx",                             [E401,         E403,         E403,         E403,         OK]),
    any("POST /api/v1/enterprises/import",                                          [E401,         E403,         E403,         E403,         OK]),
    on("GET /api/v1/enterprises/{id}",                          Enterprise,         [[E401, E401], [OK, E404],   [OK, E404],   [OK, OK],     [OK, OK]]),
    on("PATCH /api/v1/enterprises/{id}",                        Enterprise,         [[E401, E401], [E403, E403], [E403, E403], [E403, E403], [OK, OK]]),
    any("GET /api/v1/categories",                                                   [E401,         OK,           OK,           OK,           OK]),
    any("POST /api/v1/categories",                                                  [E401,         E403,         E403,         E403,         OK]),
    any("GET /api/v1/categories/{id}",                                              [E401,         OK,           OK,           OK,           OK]),
    any("PATCH /api/v1/categories/{id}",                                            [E401,         E403,         E403,         E403,         OK]),
    any("GET /api/v1/users",                                                        [E401,         E403,         E403,         OK,           OK]),
    any("POST /api/v1/users",                                                       [E401,         E403,         E403,         E403,         OK]),
    on("GET /api/v1/users/{id}",                                Account,            [[E401, E401], [E403, E403], [E403, E403], [OK, OK],     [OK, OK]]),
    on("PATCH /api/v1/users/{id}",                              Account,            [[E401, E401], [E403, E403], [E403, E403], [E403, E403], [OK, OK]]),
    any("GET /api/v1/tickets",                                                      [E401,         OK,           OK,           OK,           OK]),
    any("GET /api/v1/tickets/counts",                                               [E401,         OK,           OK,           OK,           OK]),
    // The filing page's hint, for an enterprise's users only (its own tickets: tests/api/search.rs).
    any("GET /api/v1/tickets/similar",                                              [E401,         OK,           E403,         E403,         E403]),
    on("GET /api/v1/tickets/{id}/similar",                      Ticket(InProgress), [[E401, E401], [E403, E403], [E403, E403], [OK, OK],     [OK, OK]]),
    on("GET /api/v1/tickets/{id}/routing",                      Ticket(InProgress), [[E401, E401], [E403, E403], [E403, E403], [OK, OK],     [OK, OK]]),
    // Filing for another enterprise is 403, as documented: the enterprise names it itself.
    on("POST /api/v1/tickets",                                  Filing,             [[E401, E401], [OK, E403],   [E403, E403], [OK, OK],     [OK, OK]]),
    on("GET /api/v1/tickets/{id}",                              Ticket(InProgress), [[E401, E401], [OK, E404],   [OK, E404],   [OK, OK],     [OK, OK]]),
    on("POST /api/v1/tickets/{id}/comments",                    Ticket(InProgress), [[E401, E401], [OK, E404],   [OK, E404],   [OK, OK],     [OK, OK]]),
    on("POST /api/v1/tickets/{id}/accept",                      Ticket(Submitted),  [[E401, E401], [E403, E404], [E403, E404], [OK, OK],     [OK, OK]]),
    on("POST /api/v1/tickets/{id}/reject",                      Ticket(Submitted),  [[E401, E401], [E403, E404], [E403, E404], [OK, OK],     [OK, OK]]),
    on("POST /api/v1/tickets/{id}/assign",                      Ticket(Assigned),   [[E401, E401], [E403, E404], [E403, E404], [OK, OK],     [OK, OK]]),
    on("POST /api/v1/tickets/{id}/sign",                        Ticket(Assigned),   [[E401, E401], [E403, E404], [OK, E404],   [E403, E403], [E403, E403]]),
    on("POST /api/v1/tickets/{id}/return",                      Ticket(Assigned),   [[E401, E401], [E403, E404], [OK, E404],   [E403, E403], [E403, E403]]),
    on("POST /api/v1/tickets/{id}/progress",                    Ticket(InProgress), [[E401, E401], [E403, E404], [OK, E404],   [E403, E403], [E403, E403]]),
    on("POST /api/v1/tickets/{id}/urge",                        Ticket(InProgress), [[E401, E401], [E403, E404], [E403, E404], [OK, OK],     [OK, OK]]),
    on("POST /api/v1/tickets/{id}/resolve",                     Ticket(InProgress), [[E401, E401], [E403, E404], [OK, E404],   [E403, E403], [E403, E403]]),
    // Administrators do not record revisits; dispatchers do, by phone.
    on("POST /api/v1/tickets/{id}/revisit",                     Ticket(Resolved),   [[E401, E401], [OK, E404],   [E403, E404], [OK, OK],     [E403, E403]]),
    on("POST /api/v1/tickets/{id}/close",                       Ticket(Resolved),   [[E401, E401], [E403, E404], [E403, E404], [OK, OK],     [OK, OK]]),
    on("POST /api/v1/tickets/{id}/withdraw",                    Ticket(Submitted),  [[E401, E401], [OK, E404],   [E403, E404], [E403, E403], [E403, E403]]),
    on("POST /api/v1/tickets/{id}/merge",                       Ticket(Submitted),  [[E401, E401], [E403, E404], [E403, E404], [OK, OK],     [OK, OK]]),
    on("POST /api/v1/tickets/{id}/unmerge",                     Ticket(Merged),     [[E401, E401], [E403, E404], [E403, E404], [OK, OK],     [OK, OK]]),
    on("GET /api/v1/tickets/{id}/extensions",                   Ticket(InProgress), [[E401, E401], [OK, E404],   [OK, E404],   [OK, OK],     [OK, OK]]),
    on("POST /api/v1/tickets/{id}/extensions",                  Ticket(InProgress), [[E401, E401], [E403, E404], [OK, E404],   [E403, E403], [E403, E403]]),
    on("POST /api/v1/tickets/{id}/extensions/{eid}/approve",    Extension,          [[E401, E401], [E403, E404], [E403, E404], [OK, OK],     [OK, OK]]),
    on("POST /api/v1/tickets/{id}/extensions/{eid}/deny",       Extension,          [[E401, E401], [E403, E404], [E403, E404], [OK, OK],     [OK, OK]]),
    // Systemic issues: staff only; a cadre sees their department's, and records measures and
    // the status of them; opening and linking are the dispatchers'.
    any("GET /api/v1/systemic-issues",                                              [E401,         E403,         OK,           OK,           OK]),
    any("POST /api/v1/systemic-issues",                                             [E401,         E403,         E403,         OK,           OK]),
    on("GET /api/v1/systemic-issues/{id}",                      Systemic,           [[E401, E401], [E403, E403], [OK, E404],   [OK, OK],     [OK, OK]]),
    on("PATCH /api/v1/systemic-issues/{id}",                    Systemic,           [[E401, E401], [E403, E403], [OK, E404],   [OK, OK],     [OK, OK]]),
    on("POST /api/v1/systemic-issues/{id}/tickets",             Systemic,           [[E401, E401], [E403, E403], [E403, E403], [OK, OK],     [OK, OK]]),
    on("DELETE /api/v1/systemic-issues/{id}/tickets/{ticket_id}", Systemic,         [[E401, E401], [E403, E403], [E403, E403], [OK, OK],     [OK, OK]]),
    on("GET /api/v1/systemic-issues/{id}/suggested",            Systemic,           [[E401, E401], [E403, E403], [E403, E403], [OK, OK],     [OK, OK]]),
    on("GET /api/v1/tickets/{id}/systemic-issues",              Ticket(InProgress), [[E401, E401], [E403, E403], [OK, E404],   [OK, OK],     [OK, OK]]),
    any("GET /api/v1/audit",                                                        [E401,         E403,         E403,         E403,         OK]),
    any("GET /api/v1/stats/summary",                                                [E401,         E403,         OK,           OK,           OK]),
    any("GET /api/v1/stats/breakdown",                                              [E401,         E403,         OK,           OK,           OK]),
    any("GET /api/v1/stats/trend",                                                  [E401,         E403,         OK,           OK,           OK]),
    any("GET /api/v1/stats/ranking",                                                [E401,         E403,         OK,           OK,           OK]),
    any("GET /api/v1/stats/charts/{name}",                                          [E401,         E403,         OK,           OK,           OK]),
    any("GET /api/v1/stats/hot-topics",                                             [E401,         E403,         OK,           OK,           OK]),
    any("GET /api/v1/assessments",                                                  [E401,         E403,         E403,         OK,           OK]),
    any("POST /api/v1/assessments/{month}/publish",                                 [E401,         E403,         E403,         E403,         OK]),
    any("GET /api/v1/assessments/{month}",                                          [E401,         E403,         E403,         OK,           OK]),
    // Visits (走访): the liaison cadre records their own to the enterprises they are paired with
    // (another's is refused as a filing for another enterprise is); the staff read them.
    on("POST /api/v1/visits",                                   Enterprise,         [[E401, E401], [E403, E403], [OK, E403],   [OK, OK],     [OK, OK]]),
    any("GET /api/v1/visits",                                                       [E401,         E403,         OK,           OK,           OK]),
    any("GET /api/v1/me/enterprises",                                               [E401,         E403,         OK,           E403,         E403]),
    // The liaison program: its figures to the district's staff and department heads (cadre.a
    // heads nothing); campaigns opened by administrators, read by the staff; the enterprise
    // profile to its liaison cadres and the district's staff; pairings imported by
    // administrators; enterprises' information (送政策) imported by administrators and
    // dispatchers.
    any("GET /api/v1/stats/liaison",                                                [E401,         E403,         E403,         OK,           OK]),
    any("GET /api/v1/campaigns",                                                    [E401,         E403,         OK,           OK,           OK]),
    any("POST /api/v1/campaigns",                                                   [E401,         E403,         E403,         E403,         OK]),
    any("GET /api/v1/campaigns/{id}",                                               [E401,         E403,         OK,           OK,           OK]),
    on("GET /api/v1/enterprises/{id}/profile",                  Enterprise,         [[E401, E401], [E403, E403], [OK, E404],   [OK, OK],     [OK, OK]]),
    // 送政策: the catalogue to everyone signed in; drafts by administrators and departments'
    // cadres, published, amended and withdrawn by administrators; a policy's fitting list,
    // grants, offline applications and reviews to its department (and administrators);
    // questions and applications from enterprises; an enterprise's information and policies to
    // whoever may read the enterprise.
    any("GET /api/v1/policy-terms",                                                 [E401,         OK,           OK,           OK,           OK]),
    any("POST /api/v1/policy-terms",                                                [E401,         E403,         E403,         E403,         OK]),
    any("PATCH /api/v1/policy-terms/{id}",                                          [E401,         E403,         E403,         E403,         OK]),
    any("GET /api/v1/policies",                                                     [E401,         OK,           OK,           OK,           OK]),
    any("POST /api/v1/policies",                                                    [E401,         E403,         OK,           E403,         OK]),
    any("GET /api/v1/policies/payouts.xlsx",                                        [E401,         E403,         OK,           OK,           OK]),
    any("GET /api/v1/stats/policies",                                               [E401,         E403,         OK,           OK,           OK]),
    any("GET /api/v1/me/policies",                                                  [E401,         OK,           E403,         E403,         E403]),
    any("GET /api/v1/policy-applications",                                          [E401,         OK,           OK,           OK,           OK]),
    on("GET /api/v1/policies/{id}",                             Policy,             [[E401, E401], [OK, OK],     [OK, OK],     [OK, OK],     [OK, OK]]),
    on("PUT /api/v1/policies/{id}",                             Policy,             [[E401, E401], [E403, E403], [E403, E403], [E403, E403], [OK, OK]]),
    on("POST /api/v1/policies/{id}/publish",                    Policy,             [[E401, E401], [E403, E403], [E403, E403], [E403, E403], [OK, OK]]),
    on("POST /api/v1/policies/{id}/withdraw",                   Policy,             [[E401, E401], [E403, E403], [E403, E403], [E403, E403], [OK, OK]]),
    on("GET /api/v1/policies/{id}/versions/{version}",          Policy,             [[E401, E401], [OK, OK],     [OK, OK],     [OK, OK],     [OK, OK]]),
    on("GET /api/v1/policies/{id}/enterprises",                 Policy,             [[E401, E401], [E403, E403], [OK, E403],   [OK, OK],     [OK, OK]]),
    on("POST /api/v1/policies/{id}/grant",                      Policy,             [[E401, E401], [E403, E403], [OK, E403],   [E403, E403], [OK, OK]]),
    on("POST /api/v1/policies/{id}/questions",                  Policy,             [[E401, E401], [OK, OK],     [E403, E403], [E403, E403], [E403, E403]]),
    on("POST /api/v1/policies/{id}/applications",               Policy,             [[E401, E401], [OK, OK],     [OK, E403],   [E403, E403], [OK, OK]]),
    on("GET /api/v1/policy-applications/{id}",                  Application,        [[E401, E401], [OK, E404],   [OK, E404],   [OK, OK],     [OK, OK]]),
    on("POST /api/v1/policy-applications/{id}/approve",         Application,        [[E401, E401], [E403, E404], [OK, E404],   [E403, E403], [OK, OK]]),
    on("POST /api/v1/policy-applications/{id}/refuse",          Application,        [[E401, E401], [E403, E404], [OK, E404],   [E403, E403], [OK, OK]]),
    on("POST /api/v1/policy-applications/{id}/pay",             Application,        [[E401, E401], [E403, E404], [OK, E404],   [E403, E403], [OK, OK]]),
    on("GET /api/v1/enterprises/{id}/policies",                 Enterprise,         [[E401, E401], [OK, E404],   [OK, E404],   [OK, OK],     [OK, OK]]),
    on("GET /api/v1/enterprises/{id}/traits",                   Enterprise,         [[E401, E401], [OK, E404],   [OK, E404],   [OK, OK],     [OK, OK]]),
    on("PATCH /api/v1/enterprises/{id}/traits",                 Enterprise,         [[E401, E401], [OK, E404],   [OK, E404],   [OK, OK],     [OK, OK]]),
    on("POST /api/v1/enterprises/{id}/traits/verify",           Enterprise,         [[E401, E401], [E403, E404], [OK, E404],   [OK, OK],     [OK, OK]]),
    any("GET /api/v1/enterprises/pairings-template.xlsx",                           [E401,         E403,         E403,         E403,         OK]),
    any("POST /api/v1/enterprises/pairings/import",                                 [E401,         E403,         E403,         E403,         OK]),
    any("GET /api/v1/enterprises/traits-template.xlsx",                             [E401,         E403,         E403,         OK,           OK]),
    any("POST /api/v1/enterprises/traits/import",                                   [E401,         E403,         E403,         OK,           OK]),
    // The weekly bulletins: the staff read the published ones; drafts and changes are the
    // administrators'.
    any("GET /api/v1/bulletins",                                                    [E401,         E403,         OK,           OK,           OK]),
    any("POST /api/v1/bulletins",                                                   [E401,         E403,         E403,         E403,         OK]),
    on("GET /api/v1/bulletins/{id}",                            Bulletin,           [[E401, E401], [E403, E403], [OK, E404],   [OK, E404],   [OK, OK]]),
    on("PATCH /api/v1/bulletins/{id}",                          Bulletin,           [[E401, E401], [E403, E403], [E403, E403], [E403, E403], [OK, OK]]),
    on("POST /api/v1/bulletins/{id}/publish",                   Bulletin,           [[E401, E401], [E403, E403], [E403, E403], [E403, E403], [OK, OK]]),
    on("GET /api/v1/bulletins/{id}/bulletin.docx",              Bulletin,           [[E401, E401], [E403, E403], [OK, E404],   [OK, E404],   [OK, OK]]),
    on("GET /api/v1/bulletins/{id}/tables.xlsx",                Bulletin,           [[E401, E401], [E403, E403], [OK, E404],   [OK, E404],   [OK, OK]]),
    any("GET /api/v1/stats/assessment.xlsx",                                        [E401,         E403,         OK,           OK,           OK]),
    any("GET /api/v1/ledger.csv",                                                   [E401,         E403,         OK,           OK,           OK]),
    any("GET /api/v1/ledger.xlsx",                                                  [E401,         E403,         OK,           OK,           OK]),
    any("GET /api/v1/calendar/working-days",                                        [E401,         OK,           OK,           OK,           OK]),
    any("GET /api/v1/calendar/add",                                                 [E401,         OK,           OK,           OK,           OK]),
    any("GET /api/v1/calendar/years",                                               [E401,         OK,           OK,           OK,           OK]),
    any("PUT /api/v1/calendar/years/{year}",                                        [E401,         E403,         E403,         E403,         OK]),
    any("GET /api/v1/notifications",                                                [E401,         E403,         E403,         E403,         OK]),
    any("GET /api/v1/notifications/counts",                                         [E401,         E403,         E403,         E403,         OK]),
    on("GET /api/v1/notifications/{id}",                        Notification,       [[E401, E401], [E403, E403], [E403, E403], [E403, E403], [OK, OK]]),
    on("POST /api/v1/notifications/{id}/retry",                 Notification,       [[E401, E401], [E403, E403], [E403, E403], [E403, E403], [OK, OK]]),
    any("GET /api/v1/messages",                                                     [E401,         OK,           OK,           OK,           OK]),
    any("GET /api/v1/messages/unread-count",                                        [E401,         OK,           OK,           OK,           OK]),
    any("POST /api/v1/messages/read-all",                                           [E401,         OK,           OK,           OK,           OK]),
    on("POST /api/v1/messages/{id}/read",                       Message,            [[E401, E401], [OK, E404],   [OK, E404],   [OK, E404],   [OK, E404]]),
];

/// The routes `api::configure` registers, as `METHOD path`, read from its source (actix
/// cannot list the routes of a running app): each `resource("…")` with its `.route(get()…)`s,
/// under `/api/v1` after the scope opens, and the documentation viewer's two.
fn route_table() -> BTreeSet<String> {
    let source = include_str!("../../src/api/mod.rs");
    let configure = source
        .split("pub fn configure(")
        .nth(1)
        .expect("api::configure in src/api/mod.rs");
    let (outside, inside) = configure
        .split_once("web::scope(\"/api/v1\")")
        .expect("the /api/v1 scope in api::configure");
    // `{name:.+}` is `{name}` in the document.
    let normalise = |path: &str| {
        let mut out = String::new();
        let (mut in_braces, mut in_pattern) = (false, false);
        for c in path.chars() {
            match c {
                '{' => in_braces = true,
                '}' => (in_braces, in_pattern) = (false, false),
                ':' if in_braces => in_pattern = true,
                _ => {}
            }
            if !in_pattern {
                out.push(c);
            }
        }
        out
    };
    let mut routes = BTreeSet::new();
    for (prefix, text) in [("", outside), ("/api/v1", inside)] {
        for piece in text.split("resource(\"").skip(1) {
            let (path, rest) = piece.split_once('"').expect("a quoted path");
            for method in ["get", "post", "patch", "put", "delete"] {
                if rest.contains(&format!("{method}().to(")) {
                    routes.insert(format!(
                        "{} {}",
                        method.to_uppercase(),
                        normalise(&format!("{prefix}{path}"))
                    ));
                }
            }
        }
    }
    for marker in ["SwaggerUi::new(\"", ".url(\""] {
        let path = outside
            .split(marker)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("{marker}…\") in api::configure"));
        routes.insert(format!("GET {}", normalise(path)));
    }
    routes
}

/// The operations of the served OpenAPI document, as `METHOD path`.
fn document_operations(doc: &Value) -> BTreeSet<String> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "post", "patch", "put", "delete", "head", "options"] {
            if item.get(method).is_some() {
                ops.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    ops
}

/// What is wrong with the matrix's coverage: operations without an entry, entries without an
/// operation, entries twice.
fn coverage_problems(documented: &BTreeSet<String>, routed: &BTreeSet<String>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut entries = BTreeMap::new();
    for e in MATRIX {
        if entries.insert(e.op, e).is_some() {
            problems.push(format!("{}: two entries in the matrix", e.op));
        }
    }
    for op in documented {
        if !entries.contains_key(op.as_str()) {
            problems.push(format!(
                "{op}: in the OpenAPI document but not in the matrix"
            ));
        }
    }
    for op in routed {
        if !entries.contains_key(op.as_str()) {
            problems.push(format!(
                "{op}: routed by api::configure but not in the matrix"
            ));
        }
    }
    for e in MATRIX {
        if !routed.contains(e.op) {
            problems.push(format!(
                "{}: in the matrix but not routed by api::configure",
                e.op
            ));
        }
        match (e.in_document, documented.contains(e.op)) {
            (true, false) => problems.push(format!(
                "{}: in the matrix but not in the OpenAPI document",
                e.op
            )),
            (false, true) => problems.push(format!(
                "{}: marked as not in the OpenAPI document, but it is",
                e.op
            )),
            _ => {}
        }
    }
    problems
}

enum Body {
    None,
    Json(Value),
    /// A multipart form with this file as the part `file`.
    File(&'static str, Vec<u8>),
}

/// One call of the matrix, prepared.
struct Call {
    op: &'static str,
    /// The caller's role and name, for the report.
    who: &'static str,
    scope: Option<Scope>,
    expect: Expect,
    path: String,
    token: Option<String>,
    body: Body,
}

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

/// An enterprise ledger of one row, for the import.
fn ledger_workbook(name: &str, code: &str) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (row, col, text) in [
        (0, 0, "企业名称"),
        (0, 1, "统一社会信用代码"),
        (1, 0, name),
        (1, 1, code),
    ] {
        sheet.write_string(row, col, text).expect("cell");
    }
    book.save_to_buffer().expect("workbook")
}

/// The records the calls are made on. Calls that are refused change nothing, so they share
/// one record per kind and scope; a permitted ticket action gets a ticket of its own in the
/// state it needs, so that it is answered 200 and leaves the others' records as they were.
struct Fixtures<'a> {
    app: &'a TestApp,
    /// Where the sign-in codes arrive.
    phones: &'a Phones,
    w: World,
    tickets: HashMap<(Stage, Scope), String>,
    extensions: HashMap<Scope, (String, String)>,
    attachments: HashMap<Scope, String>,
    notifications: HashMap<Scope, String>,
    /// Phone numbers with an account and a sign-in code each.
    sms_logins: Vec<(String, String)>,
    /// Phone numbers without an account and a registration code each.
    registrations: Vec<(String, String)>,
    /// Codes sent for `reset` to enterprise users' phones, one per call.
    resets: Vec<(String, String)>,
    refresh_tokens: Vec<String>,
    /// For unique names, numbers and codes.
    serial: u32,
    /// Tickets filed for the calls, for the report.
    tickets_filed: usize,
    /// Systemic issues: (issue, its linked ticket), by scope.
    systemic: HashMap<Scope, (String, String)>,
    policies: HashMap<Scope, String>,
    applications: HashMap<Scope, String>,
    published_bulletin: Option<String>,
}

impl<'a> Fixtures<'a> {
    async fn new(app: &'a TestApp, phones: &'a Phones) -> Fixtures<'a> {
        let w = app.world().await;
        let mut f = Fixtures {
            app,
            phones,
            w,
            tickets: HashMap::new(),
            extensions: HashMap::new(),
            attachments: HashMap::new(),
            notifications: HashMap::new(),
            sms_logins: Vec::new(),
            registrations: Vec::new(),
            resets: Vec::new(),
            refresh_tokens: Vec::new(),
            serial: 0,
            tickets_filed: 0,
            systemic: HashMap::new(),
            policies: HashMap::new(),
            applications: HashMap::new(),
            published_bulletin: None,
        };
        for (scope, user, phone) in [
            (Scope::Inside, f.w.ent_a.clone(), "13800000001"),
            (Scope::Outside, f.w.ent_b.clone(), "13800000002"),
        ] {
            app.set_contact(&user, Some(phone), None);
            let (message, _) = f.code(phone, "login").await;
            f.notifications.insert(scope, message);
        }
        let enterprise = f.w.enterprise_a.clone();
        for i in 0..CALLERS.len() {
            let user = app.make_user(
                &format!("sms.{i}"),
                qiyeshao::domain::ticket::Role::Enterprise,
                None,
                Some(&enterprise),
            );
            let phone = format!("1381111000{i}");
            app.set_contact(&user, Some(&phone), None);
            let (_, code) = f.code(&phone, "login").await;
            f.sms_logins.push((phone, code));
            let phone = format!("1392222000{i}");
            let (_, code) = f.code(&phone, "register").await;
            f.registrations.push((phone, code));
            let forgetful = app.make_user(
                &format!("reset.{i}"),
                qiyeshao::domain::ticket::Role::Enterprise,
                None,
                Some(&enterprise),
            );
            let phone = format!("1383333000{i}");
            app.set_contact(&forgetful, Some(&phone), None);
            // Sent as if asked from another address: one address may ask for only so many
            // codes an hour, and the matrix asks for some itself.
            let (outbox, to) = (app.ctx.outbox.clone(), phone.clone());
            let origin = qiyeshao::service::accounts::Origin {
                settings: app.settings.auth.clone(),
                ip: format!("10.77.0.{i}"),
            };
            let now = qiyeshao::domain::time::Clock::now(&app.clock);
            app.db
                .write(move |c| {
                    qiyeshao::service::enterprise_accounts::send_code(
                        c,
                        &outbox,
                        &to,
                        qiyeshao::domain::account::CodePurpose::Reset,
                        &origin,
                        now,
                    )
                })
                .expect("a reset code");
            let code = f.phones.next_code(&phone).await;
            f.resets.push((phone, code));
        }
        let dispatcher = f.w.dispatcher.id.clone();
        for _ in 0..2 * CALLERS.len() {
            f.refresh_tokens.push(f.session(&dispatcher));
        }
        f
    }

    /// Asks for an SMS code; returns the message queued and the code the phone received.
    async fn code(&self, phone: &str, purpose: &str) -> (String, String) {
        self.app
            .post(
                "/api/v1/auth/sms-code",
                None,
                json!({"phone": phone, "purpose": purpose}),
            )
            .await
            .expect(202);
        let list = self
            .app
            .get(
                &format!("/api/v1/notifications?event=sms_code&recipient={phone}"),
                Some(&self.w.admin.token),
            )
            .await
            .expect(200);
        let code = self.phones.next_code(phone).await;
        (id_of(&list["items"][0]), code)
    }

    /// A refresh token of a new sign-in of the user.
    fn session(&self, user_id: &str) -> String {
        let (id, keys) = (user_id.to_string(), self.app.tokens.clone());
        let ttl = chrono::Duration::seconds(self.app.settings.auth.refresh_token_ttl_secs);
        let now = qiyeshao::domain::time::Clock::now(&self.app.clock);
        self.app
            .db
            .write(move |c| {
                let user = qiyeshao::db::users::find(c, &id)?
                    .ok_or_else(|| qiyeshao::error::AppError::not_found("user"))?;
                qiyeshao::service::accounts::new_session(c, user, &keys, ttl, now)
            })
            .expect("session")
            .refresh_token
    }

    fn next(&mut self) -> u32 {
        self.serial += 1;
        self.serial
    }

    /// A's record inside the scope, B's outside it.
    fn pick(scope: Scope, a: &str, b: &str) -> String {
        match scope {
            Scope::Inside => a.to_string(),
            Scope::Outside => b.to_string(),
        }
    }

    /// The filer, lead department and assignee of a ticket in this scope.
    fn parties(&self, scope: Scope) -> (User, String, User) {
        let w = &self.w;
        match scope {
            Scope::Inside => (w.ent_a.clone(), w.dept_a.clone(), w.cadre_a.clone()),
            Scope::Outside => (w.ent_b.clone(), w.dept_b.clone(), w.cadre_b.clone()),
        }
    }

    /// A new ticket brought to `stage`, with these attachments filed with it.
    async fn new_ticket(&mut self, stage: Stage, scope: Scope, attachments: &[String]) -> String {
        self.tickets_filed += 1;
        let app = self.app;
        let (filer, department, handler) = self.parties(scope);
        let n = self.next();
        let filed = app
            .post(
                "/api/v1/tickets",
                Some(&filer.token),
                json!({"kind": "problem", "category_id": self.w.category,
                       "title": format!("矩阵诉求{n}"), "description": "厂区道路破损",
                       "attachment_ids": attachments}),
            )
            .await
            .expect(201);
        let id = id_of(&filed);
        if stage == Stage::Merged {
            let primary = id_of(
                &app.post(
                    "/api/v1/tickets",
                    Some(&filer.token),
                    json!({"kind": "problem", "category_id": self.w.category,
                           "title": format!("矩阵主件{n}"), "description": "厂区道路破损"}),
                )
                .await
                .expect(201),
            );
            app.act(&self.w.dispatcher, &primary, "accept", json!({}))
                .await
                .expect(200);
            app.act(
                &self.w.dispatcher,
                &id,
                "merge",
                json!({"primary": primary, "reason": "同一问题"}),
            )
            .await
            .expect(200);
        }
        if stage >= Stage::Assigned {
            app.act(
                &self.w.dispatcher,
                &id,
                "assign",
                json!({"department_id": department, "assignee_id": handler.id}),
            )
            .await
            .expect(200);
        }
        if stage >= Stage::InProgress {
            app.act(&handler, &id, "sign", json!({})).await.expect(200);
        }
        if stage >= Stage::Resolved {
            app.act(&handler, &id, "resolve", json!({"resolution": "已修复"}))
                .await
                .expect(200);
        }
        id
    }

    async fn ticket(&mut self, stage: Stage, scope: Scope, fresh: bool) -> String {
        if fresh {
            return self.new_ticket(stage, scope, &[]).await;
        }
        if let Some(id) = self.tickets.get(&(stage, scope)) {
            return id.clone();
        }
        let id = self.new_ticket(stage, scope, &[]).await;
        self.tickets.insert((stage, scope), id.clone());
        id
    }

    /// A ticket in progress with a pending extension request: (ticket, request).
    async fn extension(&mut self, scope: Scope, fresh: bool) -> (String, String) {
        if !fresh && let Some(ids) = self.extensions.get(&scope) {
            return ids.clone();
        }
        let ticket = self.new_ticket(Stage::InProgress, scope, &[]).await;
        let (_, _, handler) = self.parties(scope);
        let asked = self
            .app
            .post(
                &format!("/api/v1/tickets/{ticket}/extensions"),
                Some(&handler.token),
                json!({"working_days": 2, "reason": "需要协调供电公司"}),
            )
            .await
            .expect(201);
        let ids = (ticket, id_of(&asked));
        if !fresh {
            self.extensions.insert(scope, ids.clone());
        }
        ids
    }

    async fn attachment(&mut self, scope: Scope) -> String {
        if let Some(id) = self.attachments.get(&scope) {
            return id.clone();
        }
        let (filer, _, _) = self.parties(scope);
        let uploaded = self
            .app
            .post_file("/api/v1/attachments", &filer.token, "现场照片.png", PNG)
            .await
            .expect(201);
        let id = id_of(&uploaded);
        self.new_ticket(Stage::Assigned, scope, std::slice::from_ref(&id))
            .await;
        self.attachments.insert(scope, id.clone());
        id
    }

    /// A new in-app message to `owner` (written as the outbox writes them), about some ticket.
    async fn message(&mut self, owner: &str) -> String {
        let ticket_id = self.ticket(Stage::Submitted, Scope::Inside, false).await;
        let row = qiyeshao::db::messages::MessageRow {
            id: qiyeshao::db::new_id(),
            user_id: owner.to_string(),
            ticket_id: Some(ticket_id),
            event: qiyeshao::domain::notification::MessageTopic::Ticket(
                qiyeshao::domain::notification::NotifyEvent::TicketAccepted,
            ),
            event_seq: Some(i32::try_from(self.next()).expect("small") + 100),
            title: "您的诉求已受理".into(),
            body: "您的诉求已受理".into(),
            created_at: "2026-12-08T00:00:00Z".into(),
            read_at: None,
            policy_id: None,
            application_id: None,
        };
        let id = row.id.clone();
        self.app
            .db
            .write(move |c| -> Result<(), qiyeshao::error::AppError> {
                Ok(qiyeshao::db::messages::insert_all(c, &[row])?)
            })
            .expect("message");
        id
    }

    /// A new pending request to join `enterprise`.
    async fn join_request(&mut self, enterprise: &str) -> String {
        let row = qiyeshao::db::join_requests::JoinRequestRow {
            id: qiyeshao::db::new_id(),
            enterprise_id: enterprise.to_string(),
            phone: format!("1374444{:04}", self.next()),
            name: "申请人".into(),
            password_hash: String::new(),
            consented_version: 1,
            status: qiyeshao::domain::account::JoinStatus::Pending,
            reason: None,
            decided_by: None,
            decided_at: None,
            user_id: None,
            created_at: "2026-12-08T00:00:00Z".into(),
            ip: "127.0.0.1".into(),
        };
        let id = row.id.clone();
        self.app
            .db
            .write(move |c| -> Result<(), qiyeshao::error::AppError> {
                Ok(qiyeshao::db::join_requests::insert(c, &row)?)
            })
            .expect("join request");
        id
    }

    /// A systemic issue led by the scope's department, with one of its tickets linked:
    /// (issue, ticket).
    /// Inside: the published bulletin (kept: it never changes); outside: a new draft, of a
    /// week of its own, each time (a call may publish it).
    async fn bulletin(&mut self, scope: Scope) -> String {
        if scope == Scope::Inside
            && let Some(id) = &self.published_bulletin
        {
            return id.clone();
        }
        let n = i64::from(self.next());
        let from = chrono::NaiveDate::from_ymd_opt(2000, 1, 3).expect("a Monday")
            + chrono::Duration::days(7 * n);
        let draft = id_of(
            &self
                .app
                .post(
                    "/api/v1/bulletins",
                    Some(&self.w.admin.token),
                    json!({"from": from.format("%Y-%m-%d").to_string()}),
                )
                .await
                .expect(201),
        );
        if scope == Scope::Outside {
            return draft;
        }
        self.app
            .post(
                &format!("/api/v1/bulletins/{draft}/publish"),
                Some(&self.w.admin.token),
                json!({"version": 1}),
            )
            .await
            .expect(200);
        self.published_bulletin = Some(draft.clone());
        draft
    }

    /// A published 免申即享 policy of the scope's department, open to every enterprise: the
    /// same one for each call, or a new one (`fresh`) for a call that changes it.
    async fn policy(&mut self, scope: Scope, fresh: bool) -> String {
        if !fresh && let Some(id) = self.policies.get(&scope) {
            return id.clone();
        }
        let (_, department, _) = self.parties(scope);
        let n = self.next();
        let draft = self
            .app
            .post(
                "/api/v1/policies",
                Some(&self.w.admin.token),
                json!({"title": format!("矩阵政策{n}"), "department_id": department,
                    "field_id": MATRIX_FIELD, "summary": "矩阵", "free_grant": true,
                    "benefit": {"kind": "other", "description": "矩阵"}}),
            )
            .await
            .expect(201);
        let id = id_of(&draft);
        self.app
            .post(
                &format!("/api/v1/policies/{id}/publish"),
                Some(&self.w.admin.token),
                json!({}),
            )
            .await
            .expect(200);
        if !fresh {
            self.policies.insert(scope, id.clone());
        }
        id
    }

    /// The scope's enterprise's application for an (applied-for) policy of its department,
    /// recorded by an administrator: new each time a call is let through to change it.
    async fn application(&mut self, scope: Scope, fresh: bool) -> String {
        if !fresh && let Some(id) = self.applications.get(&scope) {
            return id.clone();
        }
        let (_, department, _) = self.parties(scope);
        let enterprise = Self::pick(scope, &self.w.enterprise_a, &self.w.enterprise_b);
        let n = self.next();
        let draft = self
            .app
            .post(
                "/api/v1/policies",
                Some(&self.w.admin.token),
                json!({"title": format!("矩阵申报政策{n}"), "department_id": department,
                    "field_id": MATRIX_FIELD, "summary": "矩阵",
                    "benefit": {"kind": "other", "description": "矩阵"}}),
            )
            .await
            .expect(201);
        let policy = id_of(&draft);
        self.app
            .post(
                &format!("/api/v1/policies/{policy}/publish"),
                Some(&self.w.admin.token),
                json!({}),
            )
            .await
            .expect(200);
        let application = id_of(
            &self
                .app
                .post(
                    &format!("/api/v1/policies/{policy}/applications"),
                    Some(&self.w.admin.token),
                    json!({"statement": "矩阵申报", "enterprise_id": enterprise}),
                )
                .await
                .expect(201),
        );
        if !fresh {
            self.applications.insert(scope, application.clone());
        }
        application
    }

    async fn systemic_issue(&mut self, scope: Scope) -> (String, String) {
        if let Some(ids) = self.systemic.get(&scope) {
            return ids.clone();
        }
        let (_, department, _) = self.parties(scope);
        let ticket = self.ticket(Stage::Assigned, scope, false).await;
        let issue = id_of(
            &self
                .app
                .post(
                    "/api/v1/systemic-issues",
                    Some(&self.w.dispatcher.token),
                    json!({"title": "路灯维护责任不清", "analysis": "多家企业反映路灯不亮",
                           "lead_department_id": department}),
                )
                .await
                .expect(201),
        );
        self.app
            .post(
                &format!("/api/v1/systemic-issues/{issue}/tickets"),
                Some(&self.w.dispatcher.token),
                json!({"ticket_id": ticket}),
            )
            .await
            .expect(200);
        let ids = (issue, ticket);
        self.systemic.insert(scope, ids.clone());
        ids
    }

    /// Today in China, YYYY-MM-DD, by the app's clock.
    fn today(&self) -> String {
        qiyeshao::domain::time::china_date(qiyeshao::domain::time::Clock::now(&self.app.clock))
            .format("%Y-%m-%d")
            .to_string()
    }

    /// Who calls as `caller` on `resource`: their name in the report, and their account.
    fn caller(&self, caller: Caller, resource: Option<Resource>) -> (&'static str, Option<&User>) {
        let w = &self.w;
        match caller {
            Caller::Anonymous => ("anonymous", None),
            Caller::Enterprise => ("enterprise ent.a", Some(&w.ent_a)),
            Caller::Cadre => match resource {
                Some(Resource::Enterprise | Resource::Ticket(Stage::Submitted | Stage::Merged)) => {
                    ("cadre liaison", Some(&w.liaison))
                }
                _ => ("cadre cadre.a", Some(&w.cadre_a)),
            },
            Caller::Dispatcher => ("dispatcher", Some(&w.dispatcher)),
            Caller::Admin => ("admin", Some(&w.admin)),
        }
    }

    /// Prepares the call of `entry` by `caller` in `scope`: the record, the path, the body.
    async fn call(
        &mut self,
        entry: &'static Entry,
        caller: Caller,
        scope: Option<Scope>,
        expect: Expect,
    ) -> Call {
        let resource = match entry.cells {
            Cells::Scoped(r, _) => Some(r),
            Cells::Flat(_) => None,
        };
        let (who, user) = self.caller(caller, resource);
        let user = user.cloned();
        let (method, template) = entry.op.split_once(' ').expect("METHOD path");
        let fresh = expect == Expect::Allowed && method == "POST";
        let scope_or_inside = scope.unwrap_or(Scope::Inside);
        let w = self.w.clone();
        let (mut id, mut eid) = (String::new(), String::new());
        match resource {
            Some(Resource::Ticket(stage)) => id = self.ticket(stage, scope_or_inside, fresh).await,
            Some(Resource::Extension) => (id, eid) = self.extension(scope_or_inside, fresh).await,
            Some(Resource::Attachment) => id = self.attachment(scope_or_inside).await,
            Some(Resource::Enterprise) => {
                id = Self::pick(scope_or_inside, &w.enterprise_a, &w.enterprise_b)
            }
            Some(Resource::Department) => id = Self::pick(scope_or_inside, &w.dept_a, &w.dept_b),
            Some(Resource::Account) => {
                id = match (scope_or_inside, &user) {
                    (Scope::Inside, Some(u)) => u.id.clone(),
                    (Scope::Inside, None) => self.w.ent_a.id.clone(),
                    (Scope::Outside, _) => self.w.ent_b.id.clone(),
                }
            }
            Some(Resource::Notification) => id = self.notifications[&scope_or_inside].clone(),
            Some(Resource::Message) => {
                let owner = match (scope_or_inside, &user) {
                    (Scope::Inside, Some(u)) => u.id.clone(),
                    (Scope::Inside, None) => self.w.ent_a.id.clone(),
                    (Scope::Outside, _) => self.w.ent_b.id.clone(),
                };
                id = self.message(&owner).await;
            }
            Some(Resource::JoinRequest) => {
                let enterprise = Self::pick(scope_or_inside, &w.enterprise_a, &w.enterprise_b);
                id = self.join_request(&enterprise).await;
            }
            Some(Resource::Systemic) => (id, eid) = self.systemic_issue(scope_or_inside).await,
            Some(Resource::Bulletin) => id = self.bulletin(scope_or_inside).await,
            Some(Resource::Policy) => id = self.policy(scope_or_inside, fresh).await,
            Some(Resource::Application) => id = self.application(scope_or_inside, fresh).await,
            Some(Resource::Filing) | None => {}
        }
        if template.contains("{id}") && id.is_empty() {
            // Flat rows with an id: a category, or any ticket for the links in messages.
            id = if template.contains("categories") {
                self.w.category.clone()
            } else if template.contains("policy-terms") {
                MATRIX_FIELD.to_string()
            } else if template.contains("campaigns") {
                let today = self.today();
                id_of(
                    &self
                        .app
                        .post(
                            "/api/v1/campaigns",
                            Some(&self.w.admin.token),
                            json!({"title": "矩阵专项行动", "starts_on": today, "ends_on": today}),
                        )
                        .await
                        .expect(201),
                )
            } else {
                self.ticket(Stage::Submitted, Scope::Inside, false).await
            };
        }
        let mut path = template
            .replace("{id}", &id)
            .replace("{eid}", &eid)
            .replace("{ticket_id}", &eid)
            .replace("{year}", "2099")
            .replace("{version}", "1")
            .replace("{month}", "2026-11")
            .replace(
                "{name}",
                if template.contains("charts") {
                    "trend.svg"
                } else {
                    "js/main.js"
                },
            )
            .replace("{_}", "");
        let n = self.next();
        let (_, department, assignee) = self.parties(scope_or_inside);
        let assignee = assignee.id;
        let enterprise = Self::pick(scope_or_inside, &w.enterprise_a, &w.enterprise_b);
        let body = match entry.op {
            "POST /api/v1/auth/login" => {
                Body::Json(json!({"username": "dispatcher", "password": PASSWORD}))
            }
            "POST /api/v1/auth/sms-code" => {
                Body::Json(json!({"phone": format!("1373333{n:04}"), "purpose": "register"}))
            }
            "POST /api/v1/auth/password-reset" => {
                let (phone, code) = self.resets.pop().expect("a reset code");
                Body::Json(json!({"phone": phone, "code": code, "new_password": "Reset-pass-2026"}))
            }
            "POST /api/v1/auth/sms-login" => {
                let (phone, code) = self.sms_logins.pop().expect("a sign-in code");
                Body::Json(json!({"phone": phone, "code": code}))
            }
            "POST /api/v1/auth/register" => {
                let (phone, code) = self.registrations.pop().expect("a registration code");
                Body::Json(json!({"credit_code": credit_code(10_000 + n),
                    "enterprise_name": format!("注册企业{n}"), "contact_name": "周经理",
                    "phone": phone, "code": code, "password": PASSWORD, "consent_version": 1}))
            }
            "POST /api/v1/auth/refresh" | "POST /api/v1/auth/logout" => {
                let token = self.refresh_tokens.pop().expect("a refresh token");
                Body::Json(json!({"refresh_token": token}))
            }
            "PATCH /api/v1/me" => Body::Json(json!({"notify_sms": true})),
            // ent.b's number (409): a code sent would count against the address's hourly limit,
            // which the codes prepared above have nearly reached.
            "POST /api/v1/me/phone-code" => Body::Json(json!({"phone": "13800000002"})),
            // Not a number (422): a wrong code would be 401, which the matrix reads as no token.
            "POST /api/v1/me/phone" => Body::Json(json!({"phone": "123", "code": "000000"})),
            "POST /api/v1/me/consent" => Body::Json(json!({"version": 1})),
            "POST /api/v1/legal" => Body::Json(json!({"terms": format!("用户协议 {n}"),
                "privacy": format!("隐私政策 {n}"), "note": "矩阵"})),
            "POST /api/v1/enterprise/members" => {
                Body::Json(json!({"phone": format!("1376666{n:04}"),
                "name": "同事"}))
            }
            "POST /api/v1/join-requests/{id}/reject" => Body::Json(json!({"reason": "矩阵"})),
            // The same password: 422 (it must differ), the caller's account unchanged for the
            // calls after this one; being let through is what the matrix checks.
            "POST /api/v1/me/password" => Body::Json(json!({"current_password": PASSWORD,
                "new_password": PASSWORD})),
            "POST /api/v1/attachments" => Body::File("现场照片.png", PNG.to_vec()),
            "POST /api/v1/downloads" => Body::Json(json!({"path": "/api/v1/ledger.xlsx"})),
            "POST /api/v1/departments" => Body::Json(json!({"name": format!("矩阵部门{n}")})),
            "PATCH /api/v1/departments/{id}" => Body::Json(json!({"head_user_id": null})),
            "POST /api/v1/enterprises" => Body::Json(
                json!({"name": format!("矩阵企业{n}"), "credit_code": credit_code(20_000 + n)}),
            ),
            "POST /api/v1/enterprises/import" => {
                path.push_str("?dry_run=true");
                let workbook = ledger_workbook(&format!("导入企业{n}"), &credit_code(30_000 + n));
                Body::File("企业台账.xlsx", workbook)
            }
            "PATCH /api/v1/enterprises/{id}" => Body::Json(json!({"area": "望城经开区"})),
            "POST /api/v1/categories" => {
                Body::Json(json!({"name": format!("矩阵类别{n}"), "deadline_days": 3}))
            }
            "PATCH /api/v1/categories/{id}" => Body::Json(json!({"deadline_days": 5})),
            "POST /api/v1/users" => Body::Json(json!({"username": format!("matrix.{n}"),
                "password": PASSWORD, "name": "矩阵用户", "role": "dispatcher"})),
            "PATCH /api/v1/users/{id}" => Body::Json(json!({"notify_email": true})),
            "POST /api/v1/tickets" => Body::Json(json!({"kind": "problem",
                "category_id": self.w.category, "title": format!("矩阵诉求{n}"),
                "description": "厂区道路破损", "enterprise_id": enterprise})),
            "POST /api/v1/tickets/{id}/comments" => Body::Json(json!({"body": "请补充现场照片"})),
            "POST /api/v1/tickets/{id}/accept" => Body::Json(json!({"note": "已受理"})),
            "POST /api/v1/tickets/{id}/reject" => Body::Json(json!({"reason": "不属于受理范围"})),
            "POST /api/v1/tickets/{id}/assign" => {
                Body::Json(json!({"department_id": department, "assignee_id": assignee}))
            }
            "POST /api/v1/tickets/{id}/sign" => Body::Json(json!({})),
            "POST /api/v1/tickets/{id}/return" => Body::Json(json!({"reason": "不属本单位职责"})),
            "POST /api/v1/tickets/{id}/progress" => Body::Json(json!({"note": "已现场查看"})),
            "POST /api/v1/tickets/{id}/urge" => Body::Json(json!({"note": "请尽快办理"})),
            "POST /api/v1/tickets/{id}/resolve" => Body::Json(json!({"resolution": "已修复"})),
            "POST /api/v1/tickets/{id}/revisit" => Body::Json(json!({"rating": "satisfied"})),
            "POST /api/v1/tickets/{id}/close" => Body::Json(json!({"reason": "企业无法联系"})),
            "POST /api/v1/tickets/{id}/withdraw" => Body::Json(json!({"reason": "已自行解决"})),
            "POST /api/v1/tickets/{id}/merge" => {
                let primary = self.ticket(Stage::Assigned, Scope::Inside, false).await;
                Body::Json(json!({"primary": primary, "reason": "同一问题"}))
            }
            "POST /api/v1/tickets/{id}/unmerge" => Body::Json(json!({"reason": "不是同一问题"})),
            "POST /api/v1/tickets/{id}/extensions" => {
                Body::Json(json!({"working_days": 2, "reason": "需要协调供电公司"}))
            }
            "POST /api/v1/tickets/{id}/extensions/{eid}/approve" => {
                Body::Json(json!({"note": "同意延期"}))
            }
            "POST /api/v1/tickets/{id}/extensions/{eid}/deny" => {
                Body::Json(json!({"reason": "期限足够"}))
            }
            "POST /api/v1/systemic-issues" => Body::Json(json!({"title": format!("矩阵症结{n}"),
                "analysis": "多家企业反映", "lead_department_id": department})),
            "PATCH /api/v1/systemic-issues/{id}" => {
                Body::Json(json!({"measures": format!("矩阵措施{n}")}))
            }
            "POST /api/v1/systemic-issues/{id}/tickets" => Body::Json(json!({"ticket_id": eid})),
            "DELETE /api/v1/systemic-issues/{id}/tickets/{ticket_id}" => Body::None,
            "PUT /api/v1/calendar/years/{year}" => Body::Json(json!({"year": 2099,
                "holidays": [{"name": "元旦", "from": "2099-01-01", "to": "2099-01-01"}]})),
            "POST /api/v1/notifications/{id}/retry" => Body::Json(json!({})),
            "POST /api/v1/assessments/{month}/publish" => {
                Body::Json(json!({"note": "矩阵重新发布"}))
            }
            "POST /api/v1/visits" => Body::Json(json!({"enterprise_id": enterprise,
                "visited_on": self.today(), "method": "on_site",
                "people": "张经理", "findings": format!("矩阵走访{n}")})),
            "POST /api/v1/campaigns" => Body::Json(json!({"title": format!("矩阵专项行动{n}"),
                "starts_on": self.today(), "ends_on": self.today()})),
            "POST /api/v1/policy-terms" => {
                Body::Json(json!({"kind": "qualification", "name": format!("矩阵资质{n}")}))
            }
            "PATCH /api/v1/policy-terms/{id}" => Body::Json(json!({"active": true})),
            "POST /api/v1/policies" => Body::Json(json!({"title": format!("矩阵草稿{n}"),
                "department_id": department, "field_id": MATRIX_FIELD, "summary": "矩阵",
                "benefit": {"kind": "other", "description": "矩阵"}})),
            "PUT /api/v1/policies/{id}" => Body::Json(json!({"title": format!("矩阵修订{n}"),
                "department_id": department, "field_id": MATRIX_FIELD, "summary": "矩阵",
                "free_grant": true, "note": "矩阵修订",
                "benefit": {"kind": "other", "description": "矩阵"}})),
            "POST /api/v1/policies/{id}/publish" => Body::Json(json!({})),
            "POST /api/v1/policies/{id}/withdraw" => Body::Json(json!({"reason": "矩阵撤回"})),
            "POST /api/v1/policies/{id}/grant" => {
                Body::Json(json!({"enterprise_ids": [enterprise], "amount_fen": 100}))
            }
            "POST /api/v1/policies/{id}/questions" => {
                Body::Json(json!({"description": format!("矩阵咨询{n}")}))
            }
            "POST /api/v1/policies/{id}/applications" => match caller {
                // An enterprise applies for itself; staff record one for an enterprise.
                Caller::Enterprise | Caller::Anonymous => {
                    Body::Json(json!({"statement": format!("矩阵申报{n}")}))
                }
                _ => Body::Json(json!({"statement": format!("矩阵申报{n}"),
                    "enterprise_id": enterprise})),
            },
            "POST /api/v1/policy-applications/{id}/approve" => {
                Body::Json(json!({"amount_fen": 100}))
            }
            "POST /api/v1/policy-applications/{id}/refuse" => Body::Json(json!({"reason": "矩阵"})),
            "POST /api/v1/policy-applications/{id}/pay" => Body::Json(json!({})),
            "PATCH /api/v1/enterprises/{id}/traits" => Body::Json(json!({"employees": 50})),
            "POST /api/v1/enterprises/{id}/traits/verify" => Body::None,
            "POST /api/v1/enterprises/traits/import" => {
                path.push_str("?dry_run=true");
                let mut book = rust_xlsxwriter::Workbook::new();
                let sheet = book.add_worksheet();
                for (row, col, text) in [
                    (0, 0, "统一社会信用代码"),
                    (0, 1, "企业规模"),
                    (1, 0, credit_code(1).as_str()),
                    (1, 1, "小型"),
                ] {
                    sheet.write_string(row, col, text).expect("cell");
                }
                Body::File("企业信息.xlsx", book.save_to_buffer().expect("workbook"))
            }
            "POST /api/v1/enterprises/pairings/import" => {
                path.push_str("?dry_run=true");
                let mut book = rust_xlsxwriter::Workbook::new();
                let sheet = book.add_worksheet();
                for (row, col, text) in [
                    (0, 0, "统一社会信用代码"),
                    (0, 1, "联络干部"),
                    (1, 0, credit_code(1).as_str()),
                    (1, 1, "liaison"),
                ] {
                    sheet.write_string(row, col, text).expect("cell");
                }
                Body::File("联点安排.xlsx", book.save_to_buffer().expect("workbook"))
            }
            "POST /api/v1/bulletins" => {
                let from = chrono::NaiveDate::from_ymd_opt(1990, 1, 1).expect("a Monday")
                    + chrono::Duration::days(7 * i64::from(n));
                Body::Json(json!({"from": from.format("%Y-%m-%d").to_string()}))
            }
            "PATCH /api/v1/bulletins/{id}" => {
                Body::Json(json!({"version": 1, "foreword": format!("矩阵前言{n}")}))
            }
            "POST /api/v1/bulletins/{id}/publish" => Body::Json(json!({"version": 1})),
            "POST /api/v1/messages/read-all" | "POST /api/v1/messages/{id}/read" => Body::None,
            "POST /api/v1/enterprise/members/{id}/disable"
            | "POST /api/v1/enterprise/members/{id}/enable"
            | "POST /api/v1/enterprise/members/{id}/manager"
            | "POST /api/v1/join-requests/{id}/approve" => Body::None,
            "GET /api/v1/stats/breakdown" => {
                path.push_str("?by=department");
                Body::None
            }
            "GET /api/v1/calendar/working-days" => {
                path.push_str("?from=2026-01-01&to=2026-01-31");
                Body::None
            }
            "GET /api/v1/tickets/similar" => {
                path.push_str("?title=%E8%B7%AF%E7%81%AF");
                Body::None
            }
            "GET /api/v1/calendar/add" => {
                path.push_str("?start=2026-01-05&days=3");
                Body::None
            }
            _ if method == "GET" => Body::None,
            other => panic!("{other}: the matrix has no request body for it"),
        };
        Call {
            op: entry.op,
            who,
            scope,
            expect,
            path,
            token: user.map(|u| u.token),
            body,
        }
    }
}

/// Sends a call; returns the status and the body's text.
async fn send(client: &reqwest::Client, address: &str, call: &Call) -> (u16, String) {
    let (method, _) = call.op.split_once(' ').expect("METHOD path");
    let url = format!("{address}{}", call.path);
    let mut req = match method {
        "GET" => client.get(url),
        "POST" => client.post(url),
        "PATCH" => client.patch(url),
        "PUT" => client.put(url),
        "DELETE" => client.delete(url),
        other => panic!("{other}: a method the matrix does not send"),
    };
    if let Some(token) = &call.token {
        req = req.bearer_auth(token);
    }
    req = match &call.body {
        Body::None => req,
        Body::Json(v) => req.json(v),
        Body::File(name, bytes) => {
            let (content_type, body) = multipart_file("file", name, bytes);
            req.header("content-type", content_type).body(body)
        }
    };
    let res = req.send().await.expect("request sent");
    let status = res.status().as_u16();
    (status, res.text().await.unwrap_or_default())
}

async fn every_operation_refuses_and_admits_as_documented(app: TestApp, phones: Phones) {
    let started = Instant::now();
    let doc = app.get("/api/openapi.json", None).await.expect(200);
    let documented = document_operations(&doc);
    let routed = route_table();
    let mut problems = coverage_problems(&documented, &routed);

    let mut fixtures = Fixtures::new(&app, &phones).await;
    let mut calls = Vec::new();
    for entry in MATRIX {
        for (i, caller) in CALLERS.into_iter().enumerate() {
            match &entry.cells {
                Cells::Flat(cells) => {
                    calls.push(fixtures.call(entry, caller, None, cells[i]).await);
                }
                Cells::Scoped(_, cells) => {
                    for (j, scope) in [Scope::Inside, Scope::Outside].into_iter().enumerate() {
                        calls.push(fixtures.call(entry, caller, Some(scope), cells[i][j]).await);
                    }
                }
            }
        }
    }
    let prepared = started.elapsed();

    // Redirects are answers of their own here. (The harness's client installs the TLS
    // provider reqwest needs.)
    let _ = crate::helpers::http_client();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut done = 0;
    let mut refused_by_workflow = Vec::new();
    for call in &calls {
        let (status, text) = send(&client, &app.address, call).await;
        let scope = call
            .scope
            .map_or(String::new(), |s| format!(" ({})", s.label()));
        let caller = format!("{} as {}{scope}", call.op, call.who);
        if !call.expect.admits(status) {
            let text: String = text.chars().take(200).collect();
            problems.push(format!(
                "{caller}: expected {}, got {status} ({text})",
                call.expect
            ));
        } else if call.expect == Expect::Allowed {
            if status < 300 {
                done += 1;
            } else {
                refused_by_workflow.push(format!("{caller}: {status}"));
            }
        }
    }
    let scoped = MATRIX
        .iter()
        .filter(|e| matches!(e.cells, Cells::Scoped(..)))
        .count();
    println!(
        "authorization matrix on {:?}: {} operations ({} of the OpenAPI document, {} not in it) \
         × {} callers, {scoped} of them inside and outside the caller's scope: {} calls \
         ({done} permitted and done, {} permitted and refused by the workflow: {}), {} tickets \
         filed for them; {:.1} s preparing, {:.1} s in all",
        app.backend,
        MATRIX.len(),
        MATRIX.iter().filter(|e| e.in_document).count(),
        MATRIX.iter().filter(|e| !e.in_document).count(),
        CALLERS.len(),
        calls.len(),
        refused_by_workflow.len(),
        refused_by_workflow.join(", "),
        fixtures.tickets_filed,
        prepared.as_secs_f64(),
        started.elapsed().as_secs_f64(),
    );
    assert!(
        problems.is_empty(),
        "{} problems with the authorization matrix:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

crate::with_phones!(every_operation_refuses_and_admits_as_documented);
