//! The statistics kept as tickets change: for the tickets filed in a day or a month (China),
//! what they count for now (`domain::kpi::Counts`, all but `overdue_open`, which depends on
//! the hour), per lead department and per *view* — none, one or two of the dimensions the API
//! filters or breaks down by ([`Dim`]) — so that a statistics request with one filter and one
//! breakdown reads a few hundred or thousand cells, never the tickets one by one.
//!
//! Writing is two steps. A write to a ticket [`note`]s, in its transaction, what the ticket
//! counted for before it (a row of `stats_journal`; nothing when the change moves no count);
//! the folder ([`fold`], run in the background and by `stats-rebuild`) takes a batch of noted
//! tickets, adds the difference between what each counts for now and what it counted for at
//! its first noted change to the cube, and deletes their rows — one read-modify-write per
//! touched cell per batch, not per filing. Readers add the rows not yet folded ([`pending`]) in
//! the same snapshot as the cube, so the figures are exact whatever the folder's lag.
//! [`rebuild`] recounts everything from the tickets; the tests prove the two agree after random
//! sequences of actions.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use chrono::Datelike as _;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer, Nullable, Text};

use super::connection::{Backend, DbConnection, raw_sql};
use super::schema::{enterprises, stats_cube, stats_journal, stats_state, tickets};
use super::tickets::TicketFactRow;
use crate::domain::kpi::{Counts, TicketFacts};
use crate::domain::ticket::{Channel, TicketKind, TicketStatus};
use crate::domain::time;

/// The advisory lock (`db::locks`) one folder at a time holds on PostgreSQL.
const FOLD_LOCK: i32 = 0x5174_0002;

/// What a ticket contributes, at `now` (the only use of `now` is `overdue_now`; the cube
/// passes `None` and leaves it out).
pub fn facts_of(row: &TicketFactRow, now: Option<&str>) -> TicketFacts {
    let status = row.status;
    let before = |a: &Option<String>, b: &Option<String>| match (a, b) {
        (Some(a), Some(b)) => Some(a <= b),
        _ => None,
    };
    let resolved = matches!(status, TicketStatus::Resolved | TicketStatus::Closed);
    TicketFacts {
        status,
        kind: row.kind,
        channel: row.channel,
        rating: row.rating,
        reopen_count: row.reopen_count,
        resolved_on_time: if resolved {
            before(&row.resolved_at, &row.due_at)
        } else {
            None
        },
        handling_days: row
            .handling_days
            .filter(|_| resolved)
            .and_then(|d| u32::try_from(d).ok()),
        adopted: row.adopted,
        signed_on_time: before(&row.signed_at, &row.sign_due_at),
        overdue_now: now.is_some_and(|now| {
            status.is_handling() && row.due_at.as_deref().is_some_and(|d| d < now)
        }),
        no_response: row.no_response,
    }
}

/// The day of filing (China), `YYYY-MM-DD`.
pub fn day_of(created_at: &str) -> Option<String> {
    let at = time::parse(created_at)?;
    Some(time::china_date(at).format("%Y-%m-%d").to_string())
}

/// A ticket's facts with its enterprise's attributes the statistics slice by.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Facts {
    #[serde(flatten)]
    pub row: TicketFactRow,
    pub area: Option<String>,
    pub industry_chain: Option<String>,
}

/// The dimensions a view may slice by, besides the lead department (every cell has one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dim {
    Status,
    Kind,
    Category,
    Assignee,
    Channel,
    Area,
    Chain,
}

impl Dim {
    pub const ALL: [Dim; 7] = [
        Dim::Status,
        Dim::Kind,
        Dim::Category,
        Dim::Assignee,
        Dim::Channel,
        Dim::Area,
        Dim::Chain,
    ];

    /// Whether the statistics filter on it (the others are only broken down by).
    pub fn filters(self) -> bool {
        matches!(
            self,
            Dim::Status | Dim::Kind | Dim::Category | Dim::Assignee
        )
    }

    fn name(self) -> &'static str {
        match self {
            Dim::Status => "status",
            Dim::Kind => "kind",
            Dim::Category => "category",
            Dim::Assignee => "assignee",
            Dim::Channel => "channel",
            Dim::Area => "area",
            Dim::Chain => "industry_chain",
        }
    }

    /// The ticket's value ('' for none).
    pub fn value(self, f: &Facts) -> &str {
        fn text(o: &Option<String>) -> &str {
            o.as_deref().unwrap_or("")
        }
        match self {
            Dim::Status => f.row.status.as_str(),
            Dim::Kind => f.row.kind.as_str(),
            Dim::Category => &f.row.category_id,
            Dim::Assignee => text(&f.row.assignee_id),
            Dim::Channel => f.row.channel.as_str(),
            Dim::Area => text(&f.area),
            Dim::Chain => text(&f.industry_chain),
        }
    }
}

/// None, one or two dimensions, in [`Dim::ALL`]'s order (`a` before `b`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct View {
    pub a: Option<Dim>,
    pub b: Option<Dim>,
}

impl View {
    /// The view of these dimensions; `None` for more than two.
    pub fn of(dims: &[Dim]) -> Option<View> {
        let mut dims = dims.to_vec();
        dims.sort();
        dims.dedup();
        match dims[..] {
            [] => Some(View { a: None, b: None }),
            [a] => Some(View {
                a: Some(a),
                b: None,
            }),
            [a, b] => Some(View {
                a: Some(a),
                b: Some(b),
            }),
            _ => None,
        }
    }

    /// Every view kept: none, each dimension, and each pair of which one can be a filter
    /// (status, kind, category, assignee — the API breaks down by, but does not filter on,
    /// channel, area and industry chain: their pairs would be the largest views and serve
    /// no request).
    pub fn all() -> Vec<View> {
        let mut views = vec![View { a: None, b: None }];
        for (i, a) in Dim::ALL.iter().enumerate() {
            views.push(View {
                a: Some(*a),
                b: None,
            });
            for b in &Dim::ALL[i + 1..] {
                if a.filters() || b.filters() {
                    views.push(View {
                        a: Some(*a),
                        b: Some(*b),
                    });
                }
            }
        }
        views
    }

    /// Whether the cube keeps this view ([`View::all`]).
    pub fn kept(&self) -> bool {
        views().iter().any(|(v, _)| v == self)
    }

    /// Its name in `stats_cube.dims`: '', `status`, `status,category`.
    pub fn name(&self) -> String {
        match (self.a, self.b) {
            (None, _) => String::new(),
            (Some(a), None) => a.name().to_string(),
            (Some(a), Some(b)) => format!("{},{}", a.name(), b.name()),
        }
    }

    /// The column (`a` or `b`) holding `dim`'s value.
    pub fn column_of(&self, dim: Dim) -> Option<Column> {
        if self.a == Some(dim) {
            Some(Column::A)
        } else if self.b == Some(dim) {
            Some(Column::B)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    A,
    B,
}

/// The two grains cells are kept at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grain {
    Day,
    Month,
}

impl Grain {
    fn code(self) -> &'static str {
        match self {
            Grain::Day => "d",
            Grain::Month => "m",
        }
    }
}

/// The counters of `Counts` one cell keeps (all but `overdue_open`, which depends on the hour:
/// of it, the tickets the scheduler marked overdue, [`overdue_marked`]), signed: a change
/// is a difference of two. Stored packed (`encode`): 21 counters and the resolved tickets by
/// working days of handling, as zigzag varints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    fixed: [i64; FIXED],
    handled: BTreeMap<u32, i64>,
}

const FIXED: usize = 22;

/// The counter of the tickets being handled that the scheduler marked overdue: part of
/// `overdue_open`, which a reader completes with those past their deadline not marked yet.
const OVERDUE_MARKED: usize = 21;

/// Whether a ticket is being handled and marked overdue by the scheduler (escalation level 1
/// marks it once its deadline has passed; a new deadline clears the mark), and so overdue at
/// any later moment.
pub fn overdue_marked(row: &TicketFactRow) -> bool {
    row.status.is_handling()
        && matches!((&row.overdue_at, &row.due_at), (Some(at), Some(due)) if due < at)
}

impl Tally {
    /// One ticket's.
    pub fn of(row: &TicketFactRow) -> Tally {
        let mut counts = Counts::new();
        counts.add(&facts_of(row, None));
        let mut tally = Tally::from_counts(&counts);
        tally.fixed[OVERDUE_MARKED] = i64::from(overdue_marked(row));
        tally
    }

    pub fn from_counts(c: &Counts) -> Tally {
        let by = |map: &BTreeMap<String, u64>, key: &str| map.get(key).copied().unwrap_or(0);
        let fixed = [
            c.filed,
            by(&c.filed_by_kind, TicketKind::Problem.as_str()),
            by(&c.filed_by_kind, TicketKind::Suggestion.as_str()),
            by(&c.filed_by_kind, TicketKind::Inquiry.as_str()),
            by(&c.filed_by_channel, Channel::Online.as_str()),
            by(&c.filed_by_channel, Channel::Phone.as_str()),
            by(&c.filed_by_channel, Channel::Visit.as_str()),
            c.accepted,
            c.resolved,
            c.resolved_with_deadline,
            c.on_time,
            c.rated,
            c.satisfied,
            c.basically_satisfied,
            c.unsatisfied,
            c.no_response,
            c.reopened,
            c.signed_with_deadline,
            c.signed_on_time,
            c.suggestions,
            c.suggestions_adopted,
            // Not a counter of `Counts`: `OVERDUE_MARKED`, set by `of`.
            0,
        ]
        .map(|n| i64::try_from(n).unwrap_or(i64::MAX));
        Tally {
            fixed,
            handled: c
                .handling_days
                .iter()
                .map(|(d, n)| (*d, i64::try_from(*n).unwrap_or(i64::MAX)))
                .collect(),
        }
    }

    /// Adds `other` times `sign` (1 or −1).
    pub fn add(&mut self, other: &Tally, sign: i64) {
        for (n, o) in self.fixed.iter_mut().zip(other.fixed) {
            *n += sign * o;
        }
        for (d, n) in &other.handled {
            let entry = self.handled.entry(*d).or_default();
            *entry += sign * n;
            if *entry == 0 {
                self.handled.remove(d);
            }
        }
    }

    pub fn is_zero(&self) -> bool {
        self.fixed.iter().all(|n| *n == 0) && self.handled.is_empty()
    }

    /// Adds the tally to `counts` (negative sums, which a consistent cube never has, count
    /// as 0).
    pub fn add_to(&self, counts: &mut Counts) {
        let u = |n: i64| u64::try_from(n).unwrap_or(0);
        let f = &self.fixed;
        counts.filed += u(f[0]);
        let add = |map: &mut BTreeMap<String, u64>, key: &str, n: i64| {
            *map.entry(key.to_string()).or_default() += u(n);
        };
        for (kind, n) in [
            (TicketKind::Problem, f[1]),
            (TicketKind::Suggestion, f[2]),
            (TicketKind::Inquiry, f[3]),
        ] {
            add(&mut counts.filed_by_kind, kind.as_str(), n);
        }
        for (channel, n) in [
            (Channel::Online, f[4]),
            (Channel::Phone, f[5]),
            (Channel::Visit, f[6]),
        ] {
            add(&mut counts.filed_by_channel, channel.as_str(), n);
        }
        counts.accepted += u(f[7]);
        counts.resolved += u(f[8]);
        counts.resolved_with_deadline += u(f[9]);
        counts.on_time += u(f[10]);
        counts.rated += u(f[11]);
        counts.satisfied += u(f[12]);
        counts.basically_satisfied += u(f[13]);
        counts.unsatisfied += u(f[14]);
        counts.no_response += u(f[15]);
        counts.reopened += u(f[16]);
        counts.signed_with_deadline += u(f[17]);
        counts.signed_on_time += u(f[18]);
        counts.suggestions += u(f[19]);
        counts.suggestions_adopted += u(f[20]);
        counts.overdue_open += u(f[OVERDUE_MARKED]);
        for (days, n) in &self.handled {
            if *n > 0 {
                *counts.handling_days.entry(*days).or_default() += u(*n);
            }
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        fn put(out: &mut Vec<u8>, mut v: u64) {
            while v >= 0x80 {
                out.push((v as u8) | 0x80);
                v >>= 7;
            }
            out.push(v as u8);
        }
        let zigzag = |n: i64| ((n << 1) ^ (n >> 63)) as u64;
        let mut out = Vec::with_capacity(FIXED + 4);
        for n in self.fixed {
            put(&mut out, zigzag(n));
        }
        put(&mut out, self.handled.len() as u64);
        for (d, n) in &self.handled {
            put(&mut out, u64::from(*d));
            put(&mut out, zigzag(*n));
        }
        out
    }

    /// A stored cell's tally: an error, not zeros, for bytes [`encode`](Self::encode) did
    /// not write (a damaged cube is for `stats-rebuild`, not to be read as empty).
    fn stored(bytes: &[u8]) -> QueryResult<Tally> {
        Tally::decode(bytes).ok_or_else(|| {
            diesel::result::Error::DeserializationError(
                "a statistics cell's counters are not as written (run qiyeshao stats-rebuild)"
                    .into(),
            )
        })
    }

    /// `None` for bytes [`encode`](Self::encode) did not write.
    pub fn decode(bytes: &[u8]) -> Option<Tally> {
        let mut at = 0;
        let mut take = || -> Option<u64> {
            let mut v = 0u64;
            for shift in (0..64).step_by(7) {
                let byte = *bytes.get(at)?;
                at += 1;
                v |= u64::from(byte & 0x7f) << shift;
                if byte < 0x80 {
                    return Some(v);
                }
            }
            None
        };
        let unzigzag = |v: u64| ((v >> 1) as i64) ^ -((v & 1) as i64);
        let mut tally = Tally::default();
        for n in tally.fixed.iter_mut() {
            *n = unzigzag(take()?);
        }
        for _ in 0..take()? {
            let days = u32::try_from(take()?).ok()?;
            tally.handled.insert(days, unzigzag(take()?));
        }
        (at == bytes.len()).then_some(tally)
    }
}

/// A cell: a view's values in a period of a grain and a lead department.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cell {
    pub dims: Rc<str>,
    pub grain: Grain,
    pub period: Rc<str>,
    pub department_id: Rc<str>,
    pub a: Rc<str>,
    pub b: Rc<str>,
}

/// The views, named once.
fn views() -> &'static [(View, String)] {
    static VIEWS: std::sync::OnceLock<Vec<(View, String)>> = std::sync::OnceLock::new();
    VIEWS.get_or_init(|| View::all().into_iter().map(|v| (v, v.name())).collect())
}

/// Sums of tallies per cell, as a change or a recount makes them.
#[derive(Debug, Default)]
pub struct Deltas {
    cells: HashMap<Cell, Tally>,
    names: HashMap<String, Rc<str>>,
}

impl Deltas {
    fn rc(&mut self, text: &str) -> Rc<str> {
        if let Some(rc) = self.names.get(text) {
            return rc.clone();
        }
        let rc: Rc<str> = Rc::from(text);
        self.names.insert(text.to_string(), rc.clone());
        rc
    }

    /// Adds (`sign` 1) or takes away (−1) what a ticket counts for, in every view at both
    /// grains.
    pub fn add(&mut self, f: &Facts, sign: i64) {
        let Some(day) = day_of(&f.row.created_at) else {
            return;
        };
        let tally = Tally::of(&f.row);
        let periods = [
            (Grain::Day, self.rc(&day)),
            (Grain::Month, self.rc(&day[..7])),
        ];
        let department = self.rc(f.row.department_id.as_deref().unwrap_or(""));
        let empty = self.rc("");
        for (view, name) in views() {
            let dims = self.rc(name);
            let a = match view.a {
                Some(d) => self.rc(d.value(f)),
                None => empty.clone(),
            };
            let b = match view.b {
                Some(d) => self.rc(d.value(f)),
                None => empty.clone(),
            };
            for (grain, period) in &periods {
                let cell = Cell {
                    dims: dims.clone(),
                    grain: *grain,
                    period: period.clone(),
                    department_id: department.clone(),
                    a: a.clone(),
                    b: b.clone(),
                };
                self.cells.entry(cell).or_default().add(&tally, sign);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.cells.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }
}

/// Whether two states of a ticket count for the same in every cell (a progress note, an
/// urge, a reminder): then the change needs no note.
fn same_counts(a: &Facts, b: &Facts) -> bool {
    let key = |f: &Facts| {
        (
            day_of(&f.row.created_at),
            Dim::ALL.map(|d| d.value(f).to_string()),
            f.row.department_id.clone(),
            Tally::of(&f.row),
        )
    };
    key(a) == key(b)
}

/// The facts of tickets with their enterprises' attributes.
fn facts_query() -> String {
    "SELECT t.id, t.status, t.kind, t.channel, t.rating, t.reopen_count, t.due_at, \
     t.resolved_at, t.handling_days, t.adopted, t.signed_at, t.sign_due_at, t.no_response, \
     t.created_at, t.category_id, t.department_id, t.assignee_id, t.enterprise_id, \
     t.overdue_at, e.area, e.industry_chain \
     FROM tickets t JOIN enterprises e ON e.id = t.enterprise_id"
        .to_string()
}

#[derive(QueryableByName)]
struct FactsRow {
    #[diesel(embed)]
    ticket: TicketFactByName,
    #[diesel(sql_type = Nullable<Text>)]
    area: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    industry_chain: Option<String>,
}

#[derive(QueryableByName)]
struct TicketFactByName {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    status: TicketStatus,
    #[diesel(sql_type = Text)]
    kind: TicketKind,
    #[diesel(sql_type = Text)]
    channel: Channel,
    #[diesel(sql_type = Nullable<Text>)]
    rating: Option<crate::domain::ticket::Rating>,
    #[diesel(sql_type = Integer)]
    reopen_count: i32,
    #[diesel(sql_type = Nullable<Text>)]
    due_at: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    resolved_at: Option<String>,
    #[diesel(sql_type = Nullable<Integer>)]
    handling_days: Option<i32>,
    #[diesel(sql_type = Nullable<Bool>)]
    adopted: Option<bool>,
    #[diesel(sql_type = Nullable<Text>)]
    signed_at: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    sign_due_at: Option<String>,
    #[diesel(sql_type = Bool)]
    no_response: bool,
    #[diesel(sql_type = Text)]
    created_at: String,
    #[diesel(sql_type = Text)]
    category_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    department_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    assignee_id: Option<String>,
    #[diesel(sql_type = Text)]
    enterprise_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    overdue_at: Option<String>,
}

impl From<FactsRow> for Facts {
    fn from(r: FactsRow) -> Facts {
        let t = r.ticket;
        Facts {
            row: TicketFactRow {
                id: t.id,
                status: t.status,
                kind: t.kind,
                channel: t.channel,
                rating: t.rating,
                reopen_count: t.reopen_count,
                due_at: t.due_at,
                resolved_at: t.resolved_at,
                handling_days: t.handling_days,
                adopted: t.adopted,
                signed_at: t.signed_at,
                sign_due_at: t.sign_due_at,
                no_response: t.no_response,
                created_at: t.created_at,
                category_id: t.category_id,
                department_id: t.department_id,
                assignee_id: t.assignee_id,
                enterprise_id: t.enterprise_id,
                overdue_at: t.overdue_at,
            },
            area: r.area,
            industry_chain: r.industry_chain,
        }
    }
}

/// `sql` (which ends in `IN (`) with a placeholder per id, `$1, $2, …`, and `tail`.
fn with_ids(sql: &str, ids: &[String], tail: &str) -> String {
    let mut text = sql.to_string();
    for i in 0..ids.len() {
        if i > 0 {
            text.push_str(", ");
        }
        text.push_str(&format!("${}", i + 1));
    }
    text.push(')');
    text.push_str(tail);
    text
}

/// The facts of these tickets now (with their enterprises' attributes); on PostgreSQL the
/// tickets are locked until the transaction ends when `lock`.
fn facts_of_ids(conn: &mut DbConnection, ids: &[String], lock: bool) -> QueryResult<Vec<Facts>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let tail = match (conn.backend(), lock) {
            (Backend::Postgres, true) => " ORDER BY t.id FOR UPDATE OF t FOR SHARE OF e",
            _ => "",
        };
        let sql = with_ids(&format!("{} WHERE t.id IN (", facts_query()), chunk, tail);
        let mut query = raw_sql(conn, &sql).into_boxed();
        for id in chunk {
            query = query.bind::<Text, _>(id.clone());
        }
        let rows: Vec<FactsRow> = query.load(conn)?;
        out.extend(rows.into_iter().map(Facts::from));
    }
    Ok(out)
}

/// A ticket's facts now, for noting before a change (a statement diesel keeps prepared).
pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Facts>> {
    let found: Option<(TicketFactRow, Option<String>, Option<String>)> = tickets::table
        .inner_join(enterprises::table)
        .filter(tickets::id.eq(id))
        .select((
            TicketFactRow::as_select(),
            enterprises::area,
            enterprises::industry_chain,
        ))
        .first(conn)
        .optional()?;
    Ok(found.map(|(row, area, industry_chain)| Facts {
        row,
        area,
        industry_chain,
    }))
}

/// Notes, in the transaction of a write to a ticket, what it counted for before (`None`: a
/// new ticket). Writes nothing when `after` counts for the same as `before`.
pub fn note(
    conn: &mut DbConnection,
    ticket_id: &str,
    before: Option<&Facts>,
    after: Option<&TicketFactRow>,
) -> QueryResult<()> {
    if let (Some(b), Some(a)) = (before, after) {
        let after = Facts {
            row: a.clone(),
            area: b.area.clone(),
            industry_chain: b.industry_chain.clone(),
        };
        if same_counts(b, &after) {
            return Ok(());
        }
    }
    let before = before
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    diesel::insert_into(stats_journal::table)
        .values((
            stats_journal::ticket_id.eq(ticket_id),
            stats_journal::before_facts.eq(before),
        ))
        .execute(conn)
        .map(drop)
}

/// Notes every ticket of an enterprise whose area or industry chain is about to change (call
/// before the change, in its transaction).
pub fn note_enterprise(conn: &mut DbConnection, enterprise_id: &str) -> QueryResult<()> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = Text)]
        id: String,
    }
    let ids: Vec<String> = raw_sql(conn, "SELECT id FROM tickets WHERE enterprise_id = $1")
        .bind::<Text, _>(enterprise_id)
        .load::<Id>(conn)?
        .into_iter()
        .map(|r| r.id)
        .collect();
    for facts in facts_of_ids(conn, &ids, false)? {
        note(conn, &facts.row.id.clone(), Some(&facts), None)?;
    }
    Ok(())
}

#[derive(Debug, Clone, Queryable)]
struct JournalRow {
    id: i64,
    ticket_id: String,
    before_facts: Option<String>,
}

/// The tickets of journal rows, each once.
fn tickets_of(rows: &[JournalRow]) -> Vec<String> {
    let mut ids: Vec<String> = rows.iter().map(|r| r.ticket_id.clone()).collect();
    ids.sort();
    ids.dedup();
    ids
}

/// What the journal rows change: per ticket, what it counts for `now` minus what it counted
/// for at its first noted row.
fn deltas_of(rows: &[JournalRow], now: &[Facts]) -> QueryResult<Deltas> {
    let mut first: BTreeMap<&str, &JournalRow> = BTreeMap::new();
    for row in rows {
        let entry = first.entry(&row.ticket_id).or_insert(row);
        if row.id < entry.id {
            *entry = row;
        }
    }
    let mut deltas = Deltas::default();
    for row in first.values() {
        if let Some(text) = &row.before_facts {
            let before = serde_json::from_str::<Facts>(text)
                .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
            deltas.add(&before, -1);
        }
    }
    for f in now {
        deltas.add(f, 1);
    }
    Ok(deltas)
}

/// The journal's rows not yet folded, as changes to the cube (for readers: call in the
/// snapshot the cube is read in).
pub fn pending(conn: &mut DbConnection) -> QueryResult<Deltas> {
    let rows: Vec<JournalRow> = stats_journal::table
        .select((
            stats_journal::id,
            stats_journal::ticket_id,
            stats_journal::before_facts,
        ))
        .load(conn)?;
    if rows.is_empty() {
        return Ok(Deltas::default());
    }
    let now = facts_of_ids(conn, &tickets_of(&rows), false)?;
    deltas_of(&rows, &now)
}

/// Whether the journal has rows.
pub fn journal_len(conn: &mut DbConnection) -> QueryResult<i64> {
    stats_journal::table.count().get_result(conn)
}

/// Folds up to `limit` noted tickets into the cube (call in a transaction); returns how many
/// journal rows it folded (0 also when another instance is folding).
pub fn fold(conn: &mut DbConnection, limit: i64) -> QueryResult<usize> {
    if let DbConnection::Postgres(pg) = conn {
        #[derive(QueryableByName)]
        struct Locked {
            #[diesel(sql_type = Bool)]
            locked: bool,
        }
        let locked = diesel::sql_query(
            "SELECT pg_try_advisory_xact_lock($1, hashtext(current_schema())) AS locked",
        )
        .bind::<Integer, _>(FOLD_LOCK)
        .get_result::<Locked>(pg)?
        .locked;
        if !locked {
            return Ok(0);
        }
    }
    let mut ids: Vec<String> = stats_journal::table
        .select(stats_journal::ticket_id)
        .order(stats_journal::id)
        .limit(limit)
        .load(conn)?;
    if ids.is_empty() {
        return Ok(0);
    }
    ids.sort();
    ids.dedup();
    // Lock the tickets first (PostgreSQL), then read every row noted for them: a writer of
    // one of them has committed its row by then, and none can add another until we commit.
    let now = facts_of_ids(conn, &ids, true)?;
    let mut rows: Vec<JournalRow> = Vec::new();
    for chunk in ids.chunks(500) {
        rows.extend(
            stats_journal::table
                .filter(stats_journal::ticket_id.eq_any(chunk))
                .select((
                    stats_journal::id,
                    stats_journal::ticket_id,
                    stats_journal::before_facts,
                ))
                .load::<JournalRow>(conn)?,
        );
    }
    apply(conn, deltas_of(&rows, &now)?)?;
    let folded: Vec<i64> = rows.iter().map(|r| r.id).collect();
    for chunk in folded.chunks(500) {
        diesel::delete(stats_journal::table.filter(stats_journal::id.eq_any(chunk)))
            .execute(conn)?;
    }
    Ok(folded.len())
}

/// The cube's row of a cell (a macro: the filter's type is diesel's to spell).
macro_rules! cell_filter {
    ($c:expr) => {
        stats_cube::table.filter(
            stats_cube::dims
                .eq($c.dims.to_string())
                .and(stats_cube::grain.eq($c.grain.code().to_string()))
                .and(stats_cube::period.eq($c.period.to_string()))
                .and(stats_cube::department_id.eq($c.department_id.to_string()))
                .and(stats_cube::a.eq($c.a.to_string()))
                .and(stats_cube::b.eq($c.b.to_string())),
        )
    };
}

/// Adds the changes to the cube: each touched cell read, summed and written back (deleted
/// when it comes to nothing). The caller makes sure no one else writes the cube meanwhile
/// (the fold lock; a single writer on SQLite).
fn apply(conn: &mut DbConnection, deltas: Deltas) -> QueryResult<()> {
    let mut cells: Vec<(Cell, Tally)> = deltas
        .cells
        .into_iter()
        .filter(|(_, t)| !t.is_zero())
        .collect();
    cells.sort_by(|a, b| a.0.cmp(&b.0));
    for (cell, delta) in cells {
        let stored: Option<Vec<u8>> = cell_filter!(&cell)
            .select(stats_cube::counts)
            .first(conn)
            .optional()?;
        let mut tally = match &stored {
            Some(bytes) => Tally::stored(bytes)?,
            None => Tally::default(),
        };
        tally.add(&delta, 1);
        match (stored.is_some(), tally.is_zero()) {
            (true, true) => {
                diesel::delete(cell_filter!(&cell)).execute(conn)?;
            }
            (true, false) => {
                diesel::update(cell_filter!(&cell))
                    .set(stats_cube::counts.eq(tally.encode()))
                    .execute(conn)?;
            }
            (false, true) => {}
            (false, false) => {
                diesel::insert_into(stats_cube::table)
                    .values((
                        stats_cube::dims.eq(cell.dims.to_string()),
                        stats_cube::grain.eq(cell.grain.code()),
                        stats_cube::period.eq(cell.period.to_string()),
                        stats_cube::department_id.eq(cell.department_id.to_string()),
                        stats_cube::a.eq(cell.a.to_string()),
                        stats_cube::b.eq(cell.b.to_string()),
                        stats_cube::counts.eq(tally.encode()),
                    ))
                    .execute(conn)?;
            }
        }
    }
    Ok(())
}

/// One cell as read: its period, department and values, and its counters.
#[derive(Debug, Clone)]
pub struct CellRead {
    pub grain: Grain,
    pub period: String,
    pub department_id: String,
    pub a: String,
    pub b: String,
    pub tally: Tally,
}

/// What a reader wants of one view.
#[derive(Debug, Clone)]
pub struct Want<'a> {
    pub view: View,
    pub grain: Grain,
    /// Periods `[from, to)` of the grain.
    pub from: &'a str,
    pub to: &'a str,
    /// The lead departments ('' for none) when not all.
    pub departments: Option<&'a [String]>,
    pub a_in: Option<&'a [String]>,
    pub b_in: Option<&'a [String]>,
}

impl Want<'_> {
    /// Whether a cell of the view, grain and period is one this wants.
    pub fn wants(&self, c: &Cell) -> bool {
        let within = |list: Option<&[String]>, value: &str| {
            list.is_none_or(|l| l.iter().any(|v| v == value))
        };
        c.grain == self.grain
            && &*c.period >= self.from
            && &*c.period < self.to
            && within(self.departments, &c.department_id)
            && within(self.a_in, &c.a)
            && within(self.b_in, &c.b)
    }
}

/// The cells a reader wants, with the not yet folded changes added (`pending`, computed once
/// per request in the same snapshot).
pub fn read(conn: &mut DbConnection, want: &Want, pending: &Deltas) -> QueryResult<Vec<CellRead>> {
    let mut query = stats_cube::table
        .filter(stats_cube::dims.eq(want.view.name()))
        .filter(stats_cube::grain.eq(want.grain.code()))
        .filter(stats_cube::period.ge(want.from.to_string()))
        .filter(stats_cube::period.lt(want.to.to_string()))
        .select((
            stats_cube::period,
            stats_cube::department_id,
            stats_cube::a,
            stats_cube::b,
            stats_cube::counts,
        ))
        .into_boxed();
    if let Some(d) = want.departments {
        query = query.filter(stats_cube::department_id.eq_any(d.to_vec()));
    }
    if let Some(a) = want.a_in {
        query = query.filter(stats_cube::a.eq_any(a.to_vec()));
    }
    if let Some(b) = want.b_in {
        query = query.filter(stats_cube::b.eq_any(b.to_vec()));
    }
    let rows: Vec<(String, String, String, String, Vec<u8>)> = query.load(conn)?;
    let mut out: Vec<CellRead> = rows
        .into_iter()
        .map(|(period, department_id, a, b, counts)| {
            Ok(CellRead {
                grain: want.grain,
                period,
                department_id,
                a,
                b,
                tally: Tally::stored(&counts)?,
            })
        })
        .collect::<QueryResult<_>>()?;
    let name = want.view.name();
    for (cell, tally) in &pending.cells {
        if *cell.dims == *name && want.wants(cell) {
            out.push(CellRead {
                grain: cell.grain,
                period: cell.period.to_string(),
                department_id: cell.department_id.to_string(),
                a: cell.a.to_string(),
                b: cell.b.to_string(),
                tally: tally.clone(),
            });
        }
    }
    Ok(out)
}

/// The tickets being handled and past their deadline at `now` that the scheduler has not
/// marked overdue yet (those the cube counts in `overdue_open` are marked), filed in
/// `[from, to)` (instants), with their enterprises' attributes: the tickets whose deadline
/// passed since the last sweep. The condition is written as the partial index's (statuses
/// included: SQLite uses a partial index only for the same terms, and not for bound values).
pub fn overdue_unmarked(
    conn: &mut DbConnection,
    from: &str,
    to: &str,
    now: &str,
) -> QueryResult<Vec<Facts>> {
    let statuses: Vec<String> = TicketStatus::ALL
        .iter()
        .filter(|s| s.is_handling())
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    let indexed = match conn.backend() {
        Backend::Postgres => "",
        Backend::Sqlite => " INDEXED BY tickets_unmarked_due_idx",
    };
    let sql = facts_query().replace("FROM tickets t", &format!("FROM tickets t{indexed}"))
        + &format!(
            " WHERE t.status IN ({statuses}) \
             AND (t.overdue_at IS NULL OR t.due_at >= t.overdue_at) \
             AND t.due_at < $1 AND t.created_at >= $2 AND t.created_at < $3",
            statuses = statuses.join(", "),
        );
    let rows: Vec<FactsRow> = raw_sql(conn, &sql)
        .bind::<Text, _>(now)
        .bind::<Text, _>(from)
        .bind::<Text, _>(to)
        .load(conn)?;
    Ok(rows.into_iter().map(Facts::from).collect())
}

/// The cube as a full recount of the tickets makes it, in key order (zero cells left out);
/// `page` tickets are read at a time.
pub fn recount(conn: &mut DbConnection, page: i64) -> QueryResult<BTreeMap<Cell, Tally>> {
    let mut deltas = Deltas::default();
    let mut after: Option<String> = None;
    loop {
        let mut query = tickets::table
            .inner_join(enterprises::table)
            .select((
                TicketFactRow::as_select(),
                enterprises::area,
                enterprises::industry_chain,
            ))
            .order(tickets::id)
            .limit(page)
            .into_boxed();
        if let Some(id) = &after {
            query = query.filter(tickets::id.gt(id.clone()));
        }
        let rows: Vec<(TicketFactRow, Option<String>, Option<String>)> = query.load(conn)?;
        let Some(last) = rows.last() else { break };
        after = Some(last.0.id.clone());
        for (row, area, industry_chain) in rows {
            deltas.add(
                &Facts {
                    row,
                    area,
                    industry_chain,
                },
                1,
            );
        }
    }
    Ok(deltas
        .cells
        .into_iter()
        .filter(|(_, t)| !t.is_zero())
        .collect())
}

/// What the cube holds now, in the shape of [`recount`].
pub fn stored(conn: &mut DbConnection) -> QueryResult<BTreeMap<Cell, Tally>> {
    type Row = (String, String, String, String, String, String, Vec<u8>);
    let rows: Vec<Row> = stats_cube::table
        .select((
            stats_cube::dims,
            stats_cube::grain,
            stats_cube::period,
            stats_cube::department_id,
            stats_cube::a,
            stats_cube::b,
            stats_cube::counts,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(dims, grain, period, department_id, a, b, counts)| {
            Ok((
                Cell {
                    dims: dims.into(),
                    grain: if grain == "m" {
                        Grain::Month
                    } else {
                        Grain::Day
                    },
                    period: period.into(),
                    department_id: department_id.into(),
                    a: a.into(),
                    b: b.into(),
                },
                Tally::stored(&counts)?,
            ))
        })
        .filter(|r: &QueryResult<(Cell, Tally)>| r.as_ref().map_or(true, |(_, t)| !t.is_zero()))
        .collect()
}

/// How many cells there are.
pub fn count(conn: &mut DbConnection) -> QueryResult<usize> {
    let n: i64 = stats_cube::table.count().get_result(conn)?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Replaces the cube with a recount of the tickets, a month of filing at a time (memory grows
/// with a month's cells, not with the tickets), and empties the journal (call in a
/// transaction); returns the number of cells.
pub fn rebuild(conn: &mut DbConnection, now: &str) -> QueryResult<usize> {
    if let DbConnection::Postgres(c) = conn {
        // Writers wait until the recount is in (their notes would otherwise be counted twice
        // or lost against the rows being replaced); readers go on.
        diesel::sql_query("LOCK TABLE tickets IN SHARE MODE").execute(c)?;
        diesel::sql_query("LOCK TABLE stats_journal IN EXCLUSIVE MODE").execute(c)?;
    }
    diesel::delete(stats_cube::table).execute(conn)?;
    diesel::delete(stats_journal::table).execute(conn)?;
    let first: Option<String> = tickets::table
        .select(diesel::dsl::min(tickets::created_at))
        .first(conn)?;
    let mut cells = 0;
    if let Some(first) = first.and_then(|f| time::parse(&f)) {
        let mut month = time::china_date(first)
            .with_day0(0)
            .unwrap_or(time::china_date(first));
        let last: Option<String> = tickets::table
            .select(diesel::dsl::max(tickets::created_at))
            .first(conn)?;
        let last = last
            .and_then(|l| time::parse(&l))
            .map(time::china_date)
            .unwrap_or(month);
        while month <= last {
            let next = month
                .checked_add_months(chrono::Months::new(1))
                .unwrap_or(chrono::NaiveDate::MAX);
            let (from, to) = (
                time::format(time::china_day_start(month)),
                time::format(time::china_day_start(next)),
            );
            let rows: Vec<(TicketFactRow, Option<String>, Option<String>)> = tickets::table
                .inner_join(enterprises::table)
                .filter(tickets::created_at.ge(from))
                .filter(tickets::created_at.lt(to))
                .select((
                    TicketFactRow::as_select(),
                    enterprises::area,
                    enterprises::industry_chain,
                ))
                .load(conn)?;
            let mut deltas = Deltas::default();
            for (row, area, industry_chain) in rows {
                deltas.add(
                    &Facts {
                        row,
                        area,
                        industry_chain,
                    },
                    1,
                );
            }
            cells += insert_new(conn, deltas)?;
            month = next;
        }
    }
    diesel::delete(stats_state::table).execute(conn)?;
    diesel::insert_into(stats_state::table)
        .values((stats_state::id.eq(1), stats_state::rebuilt_at.eq(now)))
        .execute(conn)?;
    Ok(cells)
}

/// Inserts cells known not to exist yet; returns how many.
fn insert_new(conn: &mut DbConnection, deltas: Deltas) -> QueryResult<usize> {
    let rows: Vec<_> = deltas
        .cells
        .into_iter()
        .filter(|(_, t)| !t.is_zero())
        .map(|(c, t)| {
            (
                stats_cube::dims.eq(c.dims.to_string()),
                stats_cube::grain.eq(c.grain.code()),
                stats_cube::period.eq(c.period.to_string()),
                stats_cube::department_id.eq(c.department_id.to_string()),
                stats_cube::a.eq(c.a.to_string()),
                stats_cube::b.eq(c.b.to_string()),
                stats_cube::counts.eq(t.encode()),
            )
        })
        .collect();
    match conn {
        DbConnection::Postgres(c) => {
            for chunk in rows.chunks(1000) {
                diesel::insert_into(stats_cube::table)
                    .values(chunk)
                    .execute(c)?;
            }
        }
        DbConnection::Sqlite(c) => {
            for row in &rows {
                diesel::insert_into(stats_cube::table)
                    .values(row.clone())
                    .execute(c)?;
            }
        }
    }
    Ok(rows.len())
}

/// Whether the cube was ever counted (a database migrated from before it has tickets but no
/// cells until [`rebuild`]).
pub fn built(conn: &mut DbConnection) -> QueryResult<bool> {
    let marks = stats_state::table
        .select(stats_state::id)
        .load::<i32>(conn)?;
    Ok(!marks.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tally_comes_back_from_its_bytes() {
        let mut t = Tally::default();
        for (i, n) in t.fixed.iter_mut().enumerate() {
            *n = (i as i64 - 10) * 1_000_003;
        }
        t.handled.insert(0, 3);
        t.handled.insert(45, -2);
        t.handled.insert(400, i64::MAX);
        assert_eq!(Tally::decode(&t.encode()), Some(t.clone()));
        assert_eq!(
            Tally::decode(&Tally::default().encode()),
            Some(Tally::default())
        );
        let mut bytes = t.encode();
        bytes.push(0);
        assert_eq!(Tally::decode(&bytes), None, "trailing bytes");
        bytes.truncate(5);
        assert_eq!(Tally::decode(&bytes), None, "cut short");
    }

    #[test]
    fn every_view_of_at_most_two_dimensions_is_kept_once() {
        let all = View::all();
        // No pair of channel, area and industry chain.
        assert_eq!(all.len(), 1 + 7 + 21 - 3);
        let names: std::collections::BTreeSet<String> = all.iter().map(View::name).collect();
        assert_eq!(names.len(), all.len());
        assert_eq!(
            View::of(&[Dim::Chain, Dim::Status, Dim::Chain]).map(|v| v.name()),
            Some("status,industry_chain".to_string())
        );
        assert_eq!(View::of(&[Dim::Kind, Dim::Status, Dim::Area]), None);
        assert!(!all.contains(&View::of(&[Dim::Area, Dim::Chain]).unwrap()));
    }
}
