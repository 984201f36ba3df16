//! `qiyeshao seed-load --tickets N`: a database filled with a realistic spread of
//! departments, categories, cadres, enterprises and tickets in every status over the two
//! years before today, for benchmarks and demos.
//!
//! The directory goes through the service functions (so it is valid); the tickets are written
//! in bulk in one transaction (see [`load`]), with timestamps that follow the workflow (filed,
//! accepted, assigned, signed, resolved, rated, closed) and deadlines and handling days counted
//! on the working-day calendar; their timelines are made from those timestamps in SQL, and
//! their contributions added to the statistics' cells batch by batch. The same `seed` gives
//! the same spread (ids and names differ from run to run).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Days, Duration, NaiveDate, Utc};
use uuid::Uuid;

use super::demo::{AREAS, DEMO_PASSWORD, INDUSTRY_CHAINS};
use super::support::{describe, with_db};
use crate::auth;
use crate::config::Settings;
use crate::db::{Db, DbConnection, bulk, enterprises, stats_cells, ticket_words};
use crate::domain::calendar::WorkCalendar;
use crate::domain::ticket::TicketStatus::{
    Accepted, Assigned, Closed, InProgress, Rejected, Resolved, Submitted, Withdrawn,
};
use crate::domain::ticket::state::{Filing, Ticket};
use crate::domain::ticket::{Channel, Priority, Rating, Role, TicketKind};
use crate::domain::{credit_code, text, time};
use crate::error::AppError;
use crate::search::Segmenter;
use crate::service::accounts::{self, NewUser};
use crate::service::audit::By;
use crate::service::calendar::CalendarStore;
use crate::service::directory::{self, NewCategory, NewDepartment, NewEnterprise};

/// What a load wrote.
#[derive(Debug, Clone, Default)]
pub struct SeedReport {
    pub departments: usize,
    pub categories: usize,
    pub cadres: usize,
    pub enterprises: usize,
    pub tickets: u64,
    pub events: u64,
    pub cells: usize,
}

/// A small deterministic generator (xorshift64*).
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    /// True with probability `p` (0–1).
    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Departments (with the categories they lead) of a district government.
const DEPARTMENTS: [(&str, &[(&str, i32)]); 12] = [
    ("区发展和改革局", &[("项目审批", 10), ("政策咨询", 5)]),
    ("区工业和信息化局", &[("企业用电", 5), ("技改扶持", 10)]),
    (
        "区人力资源和社会保障局",
        &[("用工招聘", 5), ("社保办理", 5)],
    ),
    ("区自然资源局", &[("用地报批", 15)]),
    ("区住房和城乡建设局", &[("施工许可", 10), ("配套设施", 10)]),
    ("区市场监督管理局", &[("证照办理", 3), ("质量监管", 5)]),
    ("区税务局", &[("税费办理", 5), ("退税减税", 5)]),
    ("区交通运输局", &[("道路物流", 10)]),
    ("区城市管理局", &[("市容环卫", 5)]),
    ("区生态环境分局", &[("环评审批", 15)]),
    ("区金融服务中心", &[("融资贷款", 10)]),
    ("区政务服务中心", &[("审批服务", 3)]),
];

const TROUBLES: [&str; 14] = [
    "办理进度缓慢",
    "材料要求不明确",
    "线路频繁停电",
    "招工难",
    "审批时限过长",
    "政策兑现未到位",
    "道路施工影响通行",
    "融资成本高",
    "配套设施不完善",
    "多头检查",
    "退税迟迟未到账",
    "证照变更流程复杂",
    "新厂房用电报装进度慢",
    "厂区门前路灯不亮",
];

/// What about one ticket in [`RARE_EVERY`] is, instead of one of [`TROUBLES`]: a word that
/// the search benchmark looks for among few tickets.
const RARE_TROUBLE: &str = "危化品仓储备案";
const RARE_EVERY: i64 = 5_000;

/// Organisation codes (the 9 digits of a credit code before its check character).
const ORGANISATION_CODES: u64 = 1_000_000_000;

/// Tickets generated before they are handed to the writer.
const BATCH: usize = 20_000;

/// Tickets of one batch, each with its search column, and their search words (ticket id,
/// words joined by spaces).
#[derive(Default)]
struct Batch {
    tickets: Vec<(Ticket, String)>,
    words: Vec<(String, String)>,
}

struct Directory {
    /// (department id, its cadres' ids).
    departments: Vec<(String, Vec<String>)>,
    /// (category id, index of its department, deadline working days).
    categories: Vec<(String, usize, i32)>,
    /// (enterprise id, its user's id).
    enterprises: Vec<(String, String)>,
    dispatcher: String,
    /// This load's mark in names and ticket numbers (loads can be repeated).
    tag: String,
}

/// A UUIDv7 with the given time, so that ids sort as the tickets were filed (the lists page
/// by id). The random part comes from the generator (the system's randomness is a system call
/// per id) mixed with this load's `salt`, so that two loads with one seed make other ids.
fn id_at(at: DateTime<Utc>, dice: &mut Dice, salt: u64) -> String {
    let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
    let mut random = [0u8; 10];
    random[..8].copy_from_slice(&(dice.next() ^ salt).to_le_bytes());
    random[8..].copy_from_slice(&dice.next().to_le_bytes()[..2]);
    uuid::Builder::from_unix_timestamp_millis(millis, &random)
        .into_uuid()
        .to_string()
}

/// The ticket numbers of the load marked `tag` begin with this.
fn number_prefix(tag: &str) -> String {
    format!("SL{tag}")
}

fn directory(db: &Db, enterprises: usize, now: DateTime<Utc>) -> Result<Directory, AppError> {
    let hash = auth::hash_password(DEMO_PASSWORD).map_err(AppError::internal)?;
    db.write(move |c| {
        let mut departments = Vec::new();
        let mut categories = Vec::new();
        let suffix = &Uuid::now_v7().simple().to_string()[20..];
        for (i, (name, cats)) in DEPARTMENTS.iter().enumerate() {
            let d = directory::create_department(
                c,
                &By::Unrecorded,
                NewDepartment {
                    name: format!("{name}（{suffix}）"),
                    parent_id: None,
                    head_user_id: None,
                },
                now,
            )?;
            let mut cadres = Vec::new();
            for k in 0..4 {
                let u = accounts::create_user(
                    c,
                    &By::Unrecorded,
                    NewUser {
                        username: format!("seed-{suffix}-cadre-{i}-{k}"),
                        password_hash: hash.clone(),
                        name: format!("干部{i}-{k}"),
                        phone: None,
                        email: None,
                        role: Role::Cadre,
                        department_id: Some(d.id.clone()),
                        enterprise_id: None,
                        must_change_password: false,
                    },
                    now,
                )?;
                cadres.push(u.id);
            }
            for (cat, days) in cats.iter() {
                let row = directory::create_category(
                    c,
                    &By::Unrecorded,
                    NewCategory {
                        name: format!("{cat}（{suffix}）"),
                        default_department_id: Some(d.id.clone()),
                        deadline_days: *days,
                    },
                    now,
                )?;
                categories.push((row.id, i, *days));
            }
            departments.push((d.id, cadres));
        }
        let dispatcher = accounts::create_user(
            c,
            &By::Unrecorded,
            NewUser {
                username: format!("seed-{suffix}-dispatcher"),
                password_hash: hash.clone(),
                name: "调度员".into(),
                phone: None,
                email: None,
                role: Role::Dispatcher,
                department_id: None,
                enterprise_id: None,
                must_change_password: false,
            },
            now,
        )?
        .id;
        let mut list = Vec::new();
        let consent_version = crate::db::legal::current_version(c)?;
        // The organisation codes of this load run up from a random one, past any code an
        // earlier load (or anyone) has taken: loads are repeated on one database.
        let mut random = [0u8; 8];
        getrandom::fill(&mut random).map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
        let mut organisation = u64::from_le_bytes(random) % ORGANISATION_CODES;
        for n in 0..enterprises {
            let code = loop {
                // 91 + region 430112 + an organisation code of 9; the check character last.
                let body = format!("91430112{organisation:09}");
                organisation = (organisation + 1) % ORGANISATION_CODES;
                let check = credit_code::check_character(&body)
                    .map_err(|e| AppError::internal(anyhow::anyhow!("credit code {body}: {e}")))?;
                let code = format!("{body}{check}");
                if enterprises::find_by_credit_code(c, &code)?.is_none() {
                    break code;
                }
            };
            let e = directory::create_enterprise(
                c,
                &By::Unrecorded,
                NewEnterprise {
                    name: format!("望城{}企业{n}号有限公司", INDUSTRY_CHAINS[n % 6]),
                    credit_code: code,
                    industry_chain: Some(INDUSTRY_CHAINS[n % INDUSTRY_CHAINS.len()].into()),
                    area: (n % 10 != 0).then(|| AREAS[n % AREAS.len()].to_string()),
                    address: None,
                    contact_name: None,
                    contact_phone: None,
                    liaison_cadre_id: None,
                    deputy_ids: Vec::new(),
                },
                now,
            )?;
            let u = accounts::create_user(
                c,
                &By::Unrecorded,
                NewUser {
                    username: format!("seed-{suffix}-ent-{n}"),
                    password_hash: hash.clone(),
                    name: format!("企业联系人{n}"),
                    phone: None,
                    email: None,
                    role: Role::Enterprise,
                    department_id: None,
                    enterprise_id: Some(e.id.clone()),
                    must_change_password: false,
                },
                now,
            )?;
            // Load accounts have accepted the legal texts (benchmarks sign them in).
            let mut u = u;
            crate::service::legal::accept(c, &mut u, consent_version, "127.0.0.1", now)?;
            list.push((e.id, u.id));
        }
        Ok(Directory {
            departments,
            categories,
            enterprises: list,
            dispatcher,
            tag: suffix.to_uppercase(),
        })
    })
}

struct Generator<'a> {
    dice: Dice,
    /// Mixed into the ids: see [`id_at`].
    salt: u64,
    dir: &'a Directory,
    calendar: &'a WorkCalendar,
    now: DateTime<Utc>,
    segmenter: &'a Segmenter,
    /// The index words of each title and description seen, joined by spaces.
    words: HashMap<String, String>,
}

impl Generator<'_> {
    /// The index words of a title and description, segmented the first time they are seen.
    fn words_of(&mut self, title: &str, description: &str) -> String {
        if let Some(words) = self.words.get(title) {
            return words.clone();
        }
        let words = self.segmenter.filing_words(title, description).join(" ");
        self.words.insert(title.to_string(), words.clone());
        words
    }

    /// One ticket filed at `created`, taken as far as its age makes likely, with its
    /// timeline.
    fn ticket(&mut self, created: DateTime<Utc>, number: String, batch: &mut Batch) {
        let d = &mut self.dice;
        let id = id_at(created, d, self.salt);
        let (enterprise, submitter) = d.pick(&self.dir.enterprises).clone();
        let &(ref category, dept_index, days) = d.pick(&self.dir.categories);
        let kind = match d.below(100) {
            0..70 => TicketKind::Problem,
            70..85 => TicketKind::Suggestion,
            _ => TicketKind::Inquiry,
        };
        let channel = match d.below(100) {
            0..75 => Channel::Online,
            75..90 => Channel::Phone,
            _ => Channel::Visit,
        };
        let mut trouble = *d.pick(&TROUBLES);
        // From the time, not the dice: the spread of everything else stays as it was.
        if created.timestamp_millis() % RARE_EVERY == 0 {
            trouble = RARE_TROUBLE;
        }
        let title = format!("{trouble}的问题");
        let description =
            format!("我公司近期遇到{trouble}的情况，影响正常生产经营，请相关部门协调解决。");
        let age_days = (self.now - created).num_days();
        // Where it ended up: old tickets are mostly closed, recent ones still moving.
        let roll = d.below(1000);
        let stage = if age_days > 30 {
            match roll {
                0..40 => Rejected,
                40..60 => Withdrawn,
                60..80 => InProgress,
                80..90 => Resolved,
                _ => Closed,
            }
        } else {
            match roll {
                0..100 => Submitted,
                100..150 => Accepted,
                150..300 => Assigned,
                300..600 => InProgress,
                600..800 => Resolved,
                800..950 => Closed,
                950..980 => Rejected,
                _ => Withdrawn,
            }
        };
        let (department, cadres) = &self.dir.departments[dept_index];
        let cadre = d.pick(cadres).clone();
        let text = |t: DateTime<Utc>| time::format(t);
        let mut row = Ticket::filed(Filing {
            id: id.clone(),
            number,
            kind,
            title,
            description,
            category_id: category.clone(),
            enterprise_id: enterprise,
            submitter_id: if channel == Channel::Online {
                submitter.clone()
            } else {
                self.dir.dispatcher.clone()
            },
            channel,
            contact_name: Some("联系人".into()),
            contact_phone: None,
            priority: Priority::Normal,
            at: text(created),
        });
        row.status = stage;
        // When each step of its timeline happened (the timeline itself is written in SQL
        // from the ticket's timestamps, see `write_timelines`).
        let mut steps = vec![created];
        let mut at = created;
        let mut step = |minutes_max: u64, d: &mut Dice| {
            at += Duration::minutes(5 + i64::try_from(d.below(minutes_max)).unwrap_or(0));
            at.min(self.now)
        };
        match stage {
            Submitted => {}
            Rejected | Withdrawn => {
                let t = step(600, d);
                if stage == Rejected {
                    row.rejected_at = Some(text(t));
                    steps.push(t);
                } else {
                    row.withdrawn_at = Some(text(t));
                    steps.push(t);
                }
            }
            _ => {
                let accepted = step(240, d);
                row.accepted_at = Some(text(accepted));
                steps.push(accepted);
                if stage != Accepted {
                    let assigned = step(120, d);
                    row.department_id = Some(department.clone());
                    row.assignee_id = Some(cadre.clone());
                    row.assigned_at = Some(text(assigned));
                    row.sign_due_at = Some(text(self.calendar.deadline(assigned, 1)));
                    let due = self
                        .calendar
                        .deadline(assigned, u32::try_from(days).unwrap_or(5));
                    row.due_at = Some(text(due));
                    steps.push(assigned);
                    if stage != Assigned {
                        let signed = step(if d.chance(0.9) { 900 } else { 3000 }, d);
                        row.signed_at = Some(text(signed));
                        steps.push(signed);
                        if matches!(stage, Resolved | Closed) {
                            // Most on time, some late.
                            let span = (due - signed).num_minutes().max(60);
                            let late = d.chance(0.12);
                            let minutes = if late {
                                span + i64::try_from(d.below(60 * 24 * 10)).unwrap_or(0)
                            } else {
                                i64::try_from(d.below(u64::try_from(span).unwrap_or(60)))
                                    .unwrap_or(0)
                            };
                            let resolved = (signed + Duration::minutes(minutes)).min(self.now);
                            if resolved <= signed {
                                row.status = InProgress;
                            } else {
                                row.resolved_at = Some(text(resolved));
                                row.resolution = Some("已协调解决".into());
                                row.handling_days = i32::try_from(
                                    self.calendar.working_days_after(created, resolved),
                                )
                                .ok();
                                if kind == TicketKind::Suggestion {
                                    row.adopted = Some(d.chance(0.4));
                                }
                                if d.chance(0.04) {
                                    row.reopen_count = 1;
                                }
                                steps.push(resolved);
                                if stage == Closed {
                                    let closed = (resolved
                                        + Duration::hours(
                                            1 + i64::try_from(d.below(72)).unwrap_or(0),
                                        ))
                                    .min(self.now);
                                    row.closed_at = Some(text(closed));
                                    if d.chance(0.08) {
                                        row.no_response = true;
                                        steps.push(closed);
                                    } else {
                                        let rating = match d.below(100) {
                                            0..82 => Rating::Satisfied,
                                            82..95 => Rating::BasicallySatisfied,
                                            _ => Rating::Unsatisfied,
                                        };
                                        row.rating = Some(rating);
                                        steps.push(closed);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        // Being handled past the deadline: marked overdue, as the scheduler's sweep (escalation
        // level 1) does within minutes while the service runs.
        if row.status.is_handling()
            && let Some(due) = row.due_at.as_deref().and_then(crate::domain::time::parse)
            && due < self.now
        {
            row.overdue_at = Some(text((due + Duration::minutes(5)).min(self.now)));
            row.escalation_level = 1;
        }
        row.version = i32::try_from(steps.len()).unwrap_or(1);
        let last = steps.last().copied().unwrap_or(created);
        row.updated_at = text(last);
        let search = text::search_text(&[&row.number, &row.title, &row.description]);
        // Segmented once per kind of trouble (and resolution): the texts repeat, the
        // numbers are ASCII and need no dictionary.
        let mut words = self.words_of(&row.title, &row.description);
        if let Some(resolution) = &row.resolution {
            words = ticket_words::append(&words, &self.segmenter.words(resolution));
        }
        let words = ticket_words::append(&words, &[row.number.to_lowercase()]);
        batch.words.push((row.id.clone(), words));
        batch.tickets.push((row, search));
    }
}

/// Fills the database with `tickets` tickets filed over the 730 days before `now`, and the
/// directory they need (about one enterprise per 200 tickets, at least 20). `progress` is
/// called after each batch with the tickets written so far.
///
/// The tickets go in in one transaction (a failure rolls all of them back; other writers wait
/// meanwhile: this is for benchmark and demo databases), generated on a thread of their own
/// while the previous batch is written. They are generated day by day, so ids, numbers and
/// timestamps grow as they are inserted: every index of `tickets` (all end in a time or an
/// id) and the timeline's key take them as appends at a few hot pages, not as inserts all
/// over their B-trees.
pub fn load(
    db: &Db,
    calendar: &WorkCalendar,
    tickets: u64,
    seed: u64,
    now: DateTime<Utc>,
    segmenter: Arc<Segmenter>,
    mut progress: impl FnMut(u64) + Send + 'static,
) -> Result<SeedReport, AppError> {
    let enterprises = usize::try_from(tickets / 200)
        .unwrap_or(5000)
        .clamp(20, 5000);
    let dir = directory(db, enterprises, now)?;
    let mut report = SeedReport {
        departments: dir.departments.len(),
        categories: dir.categories.len(),
        cadres: dir.departments.iter().map(|d| d.1.len()).sum(),
        enterprises: dir.enterprises.len(),
        ..SeedReport::default()
    };
    let dispatcher = dir.dispatcher.clone();
    let numbers_like = format!("{}%", number_prefix(&dir.tag));
    let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(2);
    let calendar = calendar.clone();
    let generator = std::thread::spawn(move || {
        let mut generator = Generator {
            // Spread over the generator's states (a xorshift must not start at 0).
            dice: Dice(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1),
            // The random bits of a fresh UUIDv7.
            salt: Uuid::now_v7().as_u128() as u64,
            dir: &dir,
            calendar: &calendar,
            now,
            segmenter: &segmenter,
            words: HashMap::new(),
        };
        // Days from the oldest; weekdays get most of the tickets, weekends a few.
        let first = time::china_date(now) - Days::new(730);
        let days: Vec<NaiveDate> = first.iter_days().take(730).collect();
        let weight = |d: &NaiveDate| if calendar.is_working_day(*d) { 10 } else { 2 };
        let total_weight: u64 = days.iter().map(weight).sum();
        let mut batch = Batch::default();
        let mut owed = 0u64;
        for (i, day) in days.iter().enumerate() {
            // Spread the remainder so the total is exact.
            let share =
                tickets * (owed + weight(day)) / total_weight - tickets * owed / total_weight;
            owed += weight(day);
            let start = time::china_day_start(*day) + Duration::hours(8);
            let mut offsets: Vec<i64> = (0..share)
                .map(|_| i64::try_from(generator.dice.below(10 * 3600 * 1000)).unwrap_or(0))
                .collect();
            offsets.sort_unstable();
            for (n, ms) in offsets.into_iter().enumerate() {
                let created = (start + Duration::milliseconds(ms)).min(now - Duration::minutes(1));
                let number = format!(
                    "{}{}{:06}",
                    number_prefix(&generator.dir.tag),
                    day.format("%Y%m%d"),
                    n + 1
                );
                generator.ticket(created, number, &mut batch);
            }
            if batch.tickets.len() >= BATCH || i + 1 == days.len() {
                let full = std::mem::take(&mut batch);
                if tx.send(full).is_err() {
                    // The writer stopped (an error, which it reports).
                    return;
                }
            }
        }
    });
    let body = move |c: &mut DbConnection| -> Result<(u64, u64, usize), AppError> {
        let (mut tickets, mut events) = (0u64, 0u64);
        // One load at a time on PostgreSQL (this lock conflicts with itself and with writers,
        // not with readers): the statistics' recount at the end locks the tickets again, and
        // two loads each waiting for the other's would deadlock.
        bulk::lock_for_loading(c)?;
        for batch in rx {
            bulk::insert_tickets(c, &batch.tickets)?;
            ticket_words::insert_new(c, &batch.words)?;
            if let (Some(first), Some(last)) = (batch.tickets.first(), batch.tickets.last()) {
                events +=
                    bulk::write_timelines(c, &first.0.id, &last.0.id, &numbers_like, &dispatcher)?;
            }
            tickets += batch.tickets.len() as u64;
            progress(tickets);
        }
        // The statistics counted once at the end, a month at a time (cheaper than adding each
        // batch to the cube cell by cell).
        let cells = stats_cells::rebuild(c, &time::format(now))?;
        Ok((tickets, events, cells))
    };
    let written = bulk::in_one_transaction(db, body);
    generator
        .join()
        .map_err(|_| AppError::internal(anyhow::anyhow!("the ticket generator failed")))?;
    let (tickets, events, cells) = written?;
    report.tickets = tickets;
    report.events = events;
    report.cells = cells;
    Ok(report)
}

/// `qiyeshao seed-load --tickets N`.
pub fn run(settings: &Settings, tickets: u64, seed: u64) -> anyhow::Result<()> {
    with_db(settings, |db| {
        let store = CalendarStore::load(&settings.deadlines.calendar_dir)?;
        db.read(|c| -> Result<(), AppError> { Ok(store.refresh(c)?) })
            .map_err(describe)?;
        let calendar = store.current();
        let segmenter = crate::startup::load_segmenter(settings)?;
        let started = std::time::Instant::now();
        let report = load(
            db,
            &calendar.days,
            tickets,
            seed,
            chrono::Utc::now(),
            segmenter.clone(),
            move |written| {
                let secs = started.elapsed().as_secs_f64();
                eprintln!(
                    "{written} / {tickets} tickets ({:.0}%), {secs:.1} s",
                    written as f64 * 100.0 / tickets.max(1) as f64
                );
            },
        )
        .map_err(describe)?;
        println!(
            "Loaded {} tickets ({} timeline events), {} departments, {} categories, {} cadres, \
         {} enterprises, {} statistics cells in {:.1} s. Accounts: seed-…, password {}.",
            report.tickets,
            report.events,
            report.departments,
            report.categories,
            report.cadres,
            report.enterprises,
            report.cells,
            started.elapsed().as_secs_f64(),
            DEMO_PASSWORD
        );
        Ok(())
    })
}
