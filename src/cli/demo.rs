//! Demo data for `qiyeshao serve --demo`: departments, categories, enterprises of the six
//! industry chains, one account of each role (and a few more cadres) and a handful of tickets
//! at different steps, all written through the same service functions as the API uses.

use chrono::{DateTime, Utc};

use crate::auth::{self, Principal};
use crate::db::{Db, DbConnection, users};
use crate::domain::ticket::apply::Input as ActionInput;
use crate::domain::ticket::{Channel, Rating, Role, TicketKind};
use crate::domain::{credit_code, time};
use crate::error::AppError;
use crate::service::accounts::{self, NewUser};
use crate::service::audit::By;
use crate::service::directory::{self, NewCategory, NewDepartment, NewEnterprise};
use crate::service::tickets::Context;
use crate::service::tickets::actions;
use crate::service::tickets::filing::{self, FilingOptions, NewTicket};

/// Every demo account has this password.
pub const DEMO_PASSWORD: &str = "Qiyeshao@2026";

/// The six industry chains of the district (六条产业链).
pub const INDUSTRY_CHAINS: [&str; 6] = [
    "绿色食品",
    "先进储能材料",
    "智能终端",
    "医药医疗器械",
    "新型合金",
    "文化旅游",
];

/// Areas (片区 / 园区) enterprises are grouped by.
pub const AREAS: [&str; 7] = [
    "望城经开区",
    "铜官片区",
    "滨江南",
    "滨江北",
    "河东",
    "大泽湖",
    "靖港",
];

#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub username: String,
    pub role: Role,
    pub name: String,
    pub note: String,
}

fn principal(user: &users::UserRow) -> Result<Principal, AppError> {
    Ok(accounts::principal_of(user))
}

/// A valid credit code from the first 17 characters.
fn code(body: &str) -> Result<String, AppError> {
    let check = credit_code::check_character(body)
        .map_err(|e| AppError::internal(anyhow::anyhow!("demo credit code {body}: {e}")))?;
    Ok(format!("{body}{check}"))
}

/// What the directory part of the demo made that the tickets part refers to.
struct Directory {
    accounts: Vec<DemoAccount>,
    dispatcher: Principal,
    enterprise: Principal,
    power: Principal,
    power_department: String,
    power_category: String,
    hr_department: String,
    hr_cadre: String,
    hiring_category: String,
    logistics_category: String,
    policy_category: String,
    second_enterprise: String,
    /// For the policy demo (demo_policies.rs).
    pub(crate) policies: super::demo_policies::Seeds,
}

/// Seeds the demo into an empty database. Returns `None` (and changes nothing) when any user
/// already exists.
pub fn seed(
    db: &Db,
    ctx: &Context,
    prefix: &str,
    now: DateTime<Utc>,
) -> Result<Option<Vec<DemoAccount>>, AppError> {
    let password_hash = auth::hash_password(DEMO_PASSWORD).map_err(AppError::internal)?;
    let Some(d) = db.write(move |c| seed_directory(c, &password_hash, now))? else {
        return Ok(None);
    };
    seed_tickets(db, ctx, &d, prefix, now)?;
    super::demo_policies::seed(db, ctx, &d.policies, now)?;
    Ok(Some(d.accounts))
}

fn seed_directory(
    c: &mut DbConnection,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<Directory>, AppError> {
    if users::count(c)? > 0 {
        return Ok(None);
    }
    let dept = |c: &mut DbConnection, name: &str, parent: Option<String>| {
        directory::create_department(
            c,
            &By::Unrecorded,
            NewDepartment {
                name: name.into(),
                parent_id: parent,
                head_user_id: None,
            },
            now,
        )
        .map(|d| d.id)
    };
    let task_force = dept(c, "联产业促质效倍增工作专班", None)?;
    let fgj = dept(c, "区发展和改革局", Some(task_force.clone()))?;
    let gxj = dept(c, "区工业和信息化局", Some(task_force))?;
    let rsj = dept(c, "区人力资源和社会保障局", None)?;
    let zrj = dept(c, "区自然资源局", None)?;
    let scj = dept(c, "区市场监督管理局", None)?;
    let gdgs = dept(c, "国网望城供电公司", None)?;
    let jkq = dept(c, "望城经开区管委会", None)?;

    let mut accounts_made = Vec::new();
    let mut user = |c: &mut DbConnection, spec: UserSpec<'_>| {
        accounts_made.push(DemoAccount {
            username: spec.username.into(),
            role: spec.role,
            name: spec.name.into(),
            note: spec.note.into(),
        });
        accounts::create_user(
            c,
            &By::Unrecorded,
            NewUser {
                username: spec.username.into(),
                password_hash: password_hash.into(),
                name: spec.name.into(),
                phone: Some(spec.phone.into()),
                email: Some(format!("{}@example.gov.cn", spec.username)),
                role: spec.role,
                department_id: spec.department.map(Into::into),
                enterprise_id: spec.enterprise.map(Into::into),
                must_change_password: false,
            },
            now,
        )
        .and_then(|mut row| {
            // The demo's enterprise users have accepted the legal texts in force (a real
            // user accepts them when registering, or at the first sign-in).
            if row.role == Role::Enterprise {
                let version = crate::db::legal::current_version(c)?;
                crate::service::legal::accept(c, &mut row, version, "127.0.0.1", now)?;
            }
            Ok(row)
        })
    };
    let staff = |username, name, role, department, phone, note| UserSpec {
        username,
        name,
        role,
        department,
        enterprise: None,
        phone,
        note,
    };
    let admin = user(
        c,
        staff(
            "admin",
            "系统管理员",
            Role::Admin,
            None,
            "13800000001",
            "manages departments, users, categories",
        ),
    )?;
    let dispatcher = user(
        c,
        staff(
            "dispatcher",
            "刘洋",
            Role::Dispatcher,
            None,
            "13800000002",
            "accepts and assigns requests",
        ),
    )?;
    let cadre = user(
        c,
        staff(
            "cadre",
            "张伟",
            Role::Cadre,
            Some(&gxj),
            "13800000003",
            "区工业和信息化局; liaison of three enterprises",
        ),
    )?;
    let power = user(
        c,
        staff(
            "cadre.power",
            "李娜",
            Role::Cadre,
            Some(&gdgs),
            "13800000004",
            "国网望城供电公司",
        ),
    )?;
    let hr = user(
        c,
        staff(
            "cadre.hr",
            "王芳",
            Role::Cadre,
            Some(&rsj),
            "13800000005",
            "区人力资源和社会保障局",
        ),
    )?;
    // A cadre in each department the others leave without one: the routing history
    // (demo_history.rs) is assigned to every department.
    for (username, name, department, phone) in [
        ("cadre.land", "赵磊", &zrj, "13800000007"),
        ("cadre.market", "孙丽", &scj, "13800000008"),
        ("cadre.reform", "周强", &fgj, "13800000009"),
        ("cadre.zone", "吴敏", &jkq, "13800000010"),
    ] {
        let note = match username {
            "cadre.land" => "区自然资源局",
            "cadre.market" => "区市场监督管理局",
            "cadre.reform" => "区发展和改革局",
            _ => "望城经开区管委会",
        };
        user(
            c,
            staff(username, name, Role::Cadre, Some(department), phone, note),
        )?;
    }
    directory::update_department(
        c,
        &By::Unrecorded,
        &gxj,
        directory::DepartmentChanges {
            head_user_id: Some(Some(cadre.id.clone())),
            ..Default::default()
        },
        now,
    )?;

    // (name, first 17 characters of the credit code, industry chain, area)
    let companies = [
        ("湖南望城绿源食品有限公司", "91430112MA4L16JQ9", 0, 0),
        ("长沙望城储能新材料科技有限公司", "91430112MA4PL3L91", 1, 0),
        ("湖南智联终端电子有限公司", "91430112MA4QABCD1", 2, 3),
        ("望城康泰医疗器械有限公司", "91430112MA4RK5W8X", 3, 0),
        ("湖南新锐合金材料有限公司", "91430112MA4T9F2N3", 4, 1),
        ("长沙靖港古镇文旅发展有限公司", "91430112MA4M3LQ30", 5, 6),
    ];
    let mut enterprise_ids = Vec::new();
    for (i, (name, body, chain, area)) in companies.iter().enumerate() {
        let liaison = if i < 3 { &cadre.id } else { &hr.id };
        let e = directory::create_enterprise(
            c,
            &By::Unrecorded,
            NewEnterprise {
                name: (*name).into(),
                credit_code: code(body)?,
                industry_chain: Some(INDUSTRY_CHAINS[*chain].into()),
                area: Some(AREAS[*area].into()),
                address: Some(format!("长沙市望城区{}{}号", AREAS[*area], 100 + i)),
                contact_name: Some(format!("联系人{}", i + 1)),
                contact_phone: Some(format!("1390000000{i}")),
                liaison_cadre_id: Some(liaison.clone()),
                deputy_ids: Vec::new(),
            },
            now,
        )?;
        enterprise_ids.push(e.id);
    }
    seed_liaison(c, &enterprise_ids, &hr, &admin, now)?;
    let enterprise = user(
        c,
        UserSpec {
            username: "enterprise",
            name: "陈静",
            role: Role::Enterprise,
            department: None,
            enterprise: Some(&enterprise_ids[0]),
            phone: "13800000006",
            note: "湖南望城绿源食品有限公司",
        },
    )?;

    let category = |c: &mut DbConnection, name: &str, dept: Option<&String>, days: i32| {
        directory::create_category(
            c,
            &By::Unrecorded,
            NewCategory {
                name: name.into(),
                default_department_id: dept.cloned(),
                deadline_days: days,
            },
            now,
        )
        .map(|x| x.id)
    };
    let hiring_category = category(c, "用工招聘", Some(&rsj), 5)?;
    category(c, "用地规划", Some(&zrj), 10)?;
    let power_category = category(c, "用电报装", Some(&gdgs), 3)?;
    category(c, "审批许可", Some(&scj), 5)?;
    category(c, "融资信贷", Some(&fgj), 10)?;
    let logistics_category = category(c, "物流交通", Some(&jkq), 7)?;
    let policy_category = category(c, "政策咨询", Some(&gxj), 3)?;
    category(c, "其他", None, 7)?;

    Ok(Some(Directory {
        accounts: accounts_made,
        dispatcher: principal(&dispatcher)?,
        enterprise: principal(&enterprise)?,
        power: principal(&power)?,
        power_department: gdgs,
        power_category,
        hr_department: rsj.clone(),
        hr_cadre: hr.id,
        hiring_category,
        logistics_category,
        policy_category,
        second_enterprise: enterprise_ids[1].clone(),
        policies: super::demo_policies::Seeds {
            admin: principal(&admin)?,
            industry: gxj,
            reform: fgj,
            hr: rsj,
            enterprise_ids,
        },
    }))
}

/// The liaison program's demo: 王芳 visited two of her three enterprises in the last fortnight
/// (张伟's three wait for him: the browser tests walk his first visit), so four of the six are
/// due a visit; and a campaign (专项行动) runs from a week ago to a week ahead.
fn seed_liaison(
    c: &mut DbConnection,
    enterprise_ids: &[String],
    hr: &users::UserRow,
    admin: &users::UserRow,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let today = time::china_date(now);
    let day = |back: u64| {
        today
            .checked_sub_days(chrono::Days::new(back))
            .unwrap_or(today)
    };
    for (enterprise, back, people, findings) in [
        (
            3,
            5,
            "人事经理",
            "招聘渠道单一，建议参加区里的春风行动招聘会。",
        ),
        (
            4,
            12,
            "总经理、财务负责人",
            "新生产线下月投产，用工缺口约 40 人；希望了解稳岗补贴。",
        ),
    ] {
        let who = hr;
        crate::db::visits::insert(
            c,
            &crate::db::visits::VisitRow {
                id: crate::db::new_id(),
                enterprise_id: enterprise_ids[enterprise].clone(),
                cadre_id: who.id.clone(),
                department_id: who.department_id.clone(),
                visited_on: day(back).format("%Y-%m-%d").to_string(),
                method: "on_site".into(),
                people: people.into(),
                findings: findings.into(),
                created_at: time::format(now),
            },
        )?;
    }
    let ahead = today
        .checked_add_days(chrono::Days::new(7))
        .unwrap_or(today);
    crate::db::liaison::insert_campaign(
        c,
        &crate::db::liaison::CampaignRow {
            id: crate::db::new_id(),
            title: "千名干部进千企·两周走访".into(),
            starts_on: day(7).format("%Y-%m-%d").to_string(),
            ends_on: ahead.format("%Y-%m-%d").to_string(),
            target_percent: 100,
            area: None,
            industry_chain: None,
            note: "联点干部两周内走访全部联点企业，现场收集企业诉求。".into(),
            created_by: admin.id.clone(),
            created_at: time::format(now),
        },
    )?;
    Ok(())
}

struct UserSpec<'a> {
    username: &'a str,
    name: &'a str,
    role: Role,
    department: Option<&'a str>,
    enterprise: Option<&'a str>,
    phone: &'a str,
    note: &'a str,
}

/// A few tickets at different steps, each step its own transaction as through the API.
fn seed_tickets(
    db: &Db,
    ctx: &Context,
    d: &Directory,
    prefix: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let options = FilingOptions {
        number_prefix: prefix.to_string(),
        idempotency_ttl: chrono::Duration::hours(24),
        day_sequences: db.day_sequences(),
    };
    let file = |who: &Principal,
                kind,
                category: &str,
                title: &str,
                description: &str,
                on_behalf_of: Option<&str>| {
        let input = NewTicket {
            kind,
            category_id: category.into(),
            title: title.into(),
            description: description.into(),
            contact_name: None,
            contact_phone: None,
            enterprise_id: on_behalf_of.map(Into::into),
            channel: on_behalf_of.map(|_| Channel::Phone),
            priority: None,
            attachment_ids: Vec::new(),
        };
        let (who, options, ctx) = (who.clone(), options.clone(), ctx.clone());
        db.write(move |c| filing::file(c, &ctx, &who, input, None, &options, now))
            .map(|f| f.ticket.ticket.id)
    };
    let act = |who: &Principal, id: &str, input: ActionInput| {
        let (who, id, ctx) = (who.clone(), id.to_string(), ctx.clone());
        db.write(move |c| actions::act(c, &ctx, &who, &id, input, None, now))
            .map(drop)
    };

    // One request all the way round the loop.
    let done = file(
        &d.enterprise,
        TicketKind::Problem,
        &d.power_category,
        "新厂房用电报装进度慢",
        "我司新建的二号厂房已完工，申请 800kVA 专变报装两周仍未现场勘查，影响设备调试。",
        None,
    )?;
    act(
        &d.dispatcher,
        &done,
        ActionInput::Assign {
            department_id: d.power_department.clone(),
            assignee_id: Some(d.power.user_id.clone()),
            co_department_ids: None,
            due_at: None,
            priority: None,
        },
    )?;
    act(&d.power, &done, ActionInput::Sign)?;
    act(
        &d.power,
        &done,
        ActionInput::Progress {
            note: "已联系企业，约定明日上午现场勘查。".into(),
            public: Some(true),
        },
    )?;
    act(
        &d.power,
        &done,
        ActionInput::Resolve {
            resolution: "已完成现场勘查并出具供电方案，预计 5 个工作日内送电。".into(),
            adopted: None,
        },
    )?;
    act(
        &d.enterprise,
        &done,
        ActionInput::Revisit {
            rating: Rating::Satisfied,
            comment: Some("响应很快，谢谢！".into()),
        },
    )?;

    // One waiting for the cadre to sign.
    let hiring = file(
        &d.enterprise,
        TicketKind::Problem,
        &d.hiring_category,
        "招聘一线技术工人困难",
        "生产旺季需新增 30 名一线技术工人，希望协助对接职业院校和区内招聘会。",
        None,
    )?;
    act(&d.dispatcher, &hiring, ActionInput::Accept { note: None })?;
    act(
        &d.dispatcher,
        &hiring,
        ActionInput::Assign {
            department_id: d.hr_department.clone(),
            assignee_id: Some(d.hr_cadre.clone()),
            co_department_ids: None,
            due_at: None,
            priority: None,
        },
    )?;

    // Two waiting for the dispatcher: a suggestion, and an inquiry taken on the phone.
    file(
        &d.enterprise,
        TicketKind::Suggestion,
        &d.logistics_category,
        "建议开通园区至地铁站通勤班车",
        "园区员工上下班通勤不便，建议在早晚高峰开通至地铁站的通勤班车。",
        None,
    )?;
    file(
        &d.dispatcher,
        TicketKind::Inquiry,
        &d.policy_category,
        "咨询研发费用加计扣除政策",
        "企业电话咨询：今年研发费用加计扣除的比例和申报时间。",
        Some(&d.second_enterprise),
    )?;
    Ok(())
}

/// Prints the start-up banner. Standard output may be a pipe nobody reads any more; that must
/// not stop the server, so write errors are ignored.
pub fn print_banner(url: &str, accounts: Option<&[DemoAccount]>) {
    let mut text = String::new();
    banner(&mut text, url, accounts);
    let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
    let _ = std::io::Write::flush(&mut std::io::stdout());
}

fn banner(out: &mut String, url: &str, accounts: Option<&[DemoAccount]>) {
    use std::fmt::Write;
    let _ = writeln!(out);
    let _ = writeln!(out, "qiyeshao is running at {url}");
    let _ = writeln!(out, "  API documentation: {url}/api/docs/");
    match accounts {
        Some(accounts) => {
            let _ = writeln!(
                out,
                "  Demo data loaded. Every demo account's password is {}",
                DEMO_PASSWORD
            );
            let _ = writeln!(out);
            let _ = writeln!(
                out,
                "  {:<14} {:<11} {:<8} what",
                "username", "role", "name"
            );
            for a in accounts {
                let _ = writeln!(
                    out,
                    "  {:<14} {:<11} {:<8} {}",
                    a.username,
                    a.role.as_str(),
                    a.name,
                    a.note
                );
            }
        }
        None => {
            let _ = writeln!(
                out,
                "  The database already holds data, so no demo data was added."
            );
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "  Try: curl -s {url}/api/v1/auth/login -H 'Content-Type: application/json' \\"
    );
    let _ = writeln!(
        out,
        "         -d '{{\"username\":\"enterprise\",\"password\":\"{}\"}}'",
        DEMO_PASSWORD
    );
    let _ = writeln!(out);
}
