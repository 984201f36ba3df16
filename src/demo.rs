//! Demo data for `qiyeshao serve --demo`: departments, categories, enterprises of the six
//! industry chains, one account of each role (and a few more cadres) and a handful of tickets
//! at different steps, all written through the same service functions as the API uses.

use chrono::{DateTime, Utc};

use crate::auth::{self, Principal};
use crate::db::{Db, users};
use crate::domain::credit_code;
use crate::domain::ticket::{Channel, Rating, Role, TicketKind};
use crate::error::AppError;
use crate::service::accounts::{self, NewUser};
use crate::service::directory::{self, NewCategory, NewDepartment, NewEnterprise};
use crate::service::tickets::{self, ActionInput, FilingOptions, NewTicket};

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
    accounts::principal_of(user)
}

/// A valid credit code from the first 17 characters.
fn code(body: &str) -> Result<String, AppError> {
    let check = credit_code::check_character(body)
        .map_err(|e| AppError::internal(anyhow::anyhow!("demo credit code {body}: {e}")))?;
    Ok(format!("{body}{check}"))
}

/// Seeds the demo into an empty database. Returns `None` (and changes nothing) when any user
/// already exists.
pub fn seed(
    db: &Db,
    prefix: &str,
    now: DateTime<Utc>,
) -> Result<Option<Vec<DemoAccount>>, AppError> {
    let password_hash = auth::hash_password(DEMO_PASSWORD).map_err(AppError::internal)?;
    let seeded = db.write(
        |c| -> Result<Option<(Vec<DemoAccount>, Vec<Principal>, Vec<String>)>, AppError> {
            if users::count(c)? > 0 {
                return Ok(None);
            }
            let dept = |c: &mut _, name: &str, parent: Option<String>| {
                directory::create_department(
                    c,
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
            let mut user = |c: &mut _,
                            username: &str,
                            name: &str,
                            role: Role,
                            dept: Option<&str>,
                            ent: Option<&str>,
                            phone: &str,
                            note: &str| {
                accounts_made.push(DemoAccount {
                    username: username.into(),
                    role,
                    name: name.into(),
                    note: note.into(),
                });
                accounts::create_user(
                    c,
                    NewUser {
                        username: username.into(),
                        password_hash: password_hash.clone(),
                        name: name.into(),
                        phone: Some(phone.into()),
                        email: Some(format!("{username}@example.gov.cn")),
                        role,
                        department_id: dept.map(Into::into),
                        enterprise_id: ent.map(Into::into),
                    },
                    now,
                )
            };
            let admin = user(
                c,
                "admin",
                "系统管理员",
                Role::Admin,
                None,
                None,
                "13800000001",
                "manages departments, users, categories",
            )?;
            let dispatcher = user(
                c,
                "dispatcher",
                "刘洋",
                Role::Dispatcher,
                None,
                None,
                "13800000002",
                "accepts and assigns requests",
            )?;
            let cadre = user(
                c,
                "cadre",
                "张伟",
                Role::Cadre,
                Some(&gxj),
                None,
                "13800000003",
                "区工业和信息化局; liaison of three enterprises",
            )?;
            let power = user(
                c,
                "cadre.power",
                "李娜",
                Role::Cadre,
                Some(&gdgs),
                None,
                "13800000004",
                "国网望城供电公司",
            )?;
            let hr = user(
                c,
                "cadre.hr",
                "王芳",
                Role::Cadre,
                Some(&rsj),
                None,
                "13800000005",
                "区人力资源和社会保障局",
            )?;
            directory::update_department(
                c,
                &gxj,
                directory::DepartmentChanges {
                    head_user_id: Some(Some(cadre.id.clone())),
                    ..Default::default()
                },
                now,
            )?;

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
                    NewEnterprise {
                        name: (*name).into(),
                        credit_code: code(body)?,
                        industry_chain: Some(INDUSTRY_CHAINS[*chain].into()),
                        area: Some(AREAS[*area].into()),
                        address: Some(format!("长沙市望城区{}{}号", AREAS[*area], 100 + i)),
                        contact_name: Some(format!("联系人{}", i + 1)),
                        contact_phone: Some(format!("1390000000{i}")),
                        liaison_cadre_id: Some(liaison.clone()),
                    },
                    now,
                )?;
                enterprise_ids.push(e.id);
            }
            let enterprise_user = user(
                c,
                "enterprise",
                "陈静",
                Role::Enterprise,
                None,
                Some(&enterprise_ids[0]),
                "13800000006",
                "湖南望城绿源食品有限公司",
            )?;

            let category = |c: &mut _, name: &str, dept: Option<&String>, days: i32| {
                directory::create_category(
                    c,
                    NewCategory {
                        name: name.into(),
                        default_department_id: dept.cloned(),
                        deadline_days: days,
                    },
                    now,
                )
                .map(|x| x.id)
            };
            let hiring = category(c, "用工招聘", Some(&rsj), 5)?;
            category(c, "用地规划", Some(&zrj), 10)?;
            let power_cat = category(c, "用电报装", Some(&gdgs), 3)?;
            category(c, "审批许可", Some(&scj), 5)?;
            category(c, "融资信贷", Some(&fgj), 10)?;
            let logistics = category(c, "物流交通", Some(&jkq), 7)?;
            let policy = category(c, "政策咨询", Some(&gxj), 3)?;
            category(c, "其他", None, 7)?;

            let people = [
                principal(&admin)?,
                principal(&dispatcher)?,
                principal(&enterprise_user)?,
                principal(&power)?,
                principal(&hr)?,
            ];
            let ids = vec![
                power_cat,
                hiring,
                logistics,
                policy,
                gdgs,
                rsj,
                enterprise_ids[1].clone(),
                power.id.clone(),
                hr.id.clone(),
            ];
            Ok(Some((accounts_made, people.to_vec(), ids)))
        },
    )?;
    let Some((accounts_made, people, ids)) = seeded else {
        return Ok(None);
    };
    let [_, dispatcher, enterprise, power, hr] =
        [&people[0], &people[1], &people[2], &people[3], &people[4]];
    let [
        power_cat,
        hiring,
        logistics,
        policy,
        gdgs,
        rsj,
        second_enterprise,
        power_id,
        hr_id,
    ] = [
        &ids[0], &ids[1], &ids[2], &ids[3], &ids[4], &ids[5], &ids[6], &ids[7], &ids[8],
    ];

    let options = FilingOptions {
        number_prefix: prefix.to_string(),
        idempotency_ttl: chrono::Duration::hours(24),
    };
    let file = |who: &Principal,
                kind,
                category: &str,
                title: &str,
                description: &str,
                enterprise_id: Option<&String>| {
        db.write(|c| {
            tickets::file(
                c,
                who,
                NewTicket {
                    kind,
                    category_id: category.into(),
                    title: title.into(),
                    description: description.into(),
                    contact_name: None,
                    contact_phone: None,
                    enterprise_id: enterprise_id.cloned(),
                    channel: enterprise_id.map(|_| Channel::Phone),
                },
                None,
                &options,
                now,
            )
        })
        .map(|f| f.ticket.row.id)
    };
    let act = |who: &Principal, id: &str, input: ActionInput| {
        db.write(|c| tickets::act(c, who, id, input, now)).map(drop)
    };

    // One request all the way round the loop.
    let done = file(
        enterprise,
        TicketKind::Problem,
        power_cat,
        "新厂房用电报装进度慢",
        "我司新建的二号厂房已完工，申请 800kVA 专变报装两周仍未现场勘查，影响设备调试。",
        None,
    )?;
    act(
        dispatcher,
        &done,
        ActionInput::Assign {
            department_id: gdgs.clone(),
            assignee_id: Some(power_id.clone()),
            co_department_ids: None,
            due_at: None,
        },
    )?;
    act(power, &done, ActionInput::Sign)?;
    act(
        power,
        &done,
        ActionInput::Progress {
            note: "已联系企业，约定明日上午现场勘查。".into(),
            public: true,
        },
    )?;
    act(
        power,
        &done,
        ActionInput::Resolve {
            resolution: "已完成现场勘查并出具供电方案，预计 5 个工作日内送电。".into(),
            adopted: None,
        },
    )?;
    act(
        enterprise,
        &done,
        ActionInput::Revisit {
            rating: Rating::Satisfied,
            comment: Some("响应很快，谢谢！".into()),
        },
    )?;

    // One waiting for the cadre to sign.
    let hiring_ticket = file(
        enterprise,
        TicketKind::Problem,
        hiring,
        "招聘一线技术工人困难",
        "生产旺季需新增 30 名一线技术工人，希望协助对接职业院校和区内招聘会。",
        None,
    )?;
    act(
        dispatcher,
        &hiring_ticket,
        ActionInput::Accept { note: None },
    )?;
    act(
        dispatcher,
        &hiring_ticket,
        ActionInput::Assign {
            department_id: rsj.clone(),
            assignee_id: Some(hr_id.clone()),
            co_department_ids: None,
            due_at: None,
        },
    )?;
    let _ = hr;

    // Two waiting for the dispatcher.
    file(
        enterprise,
        TicketKind::Suggestion,
        logistics,
        "建议开通园区至地铁站通勤班车",
        "园区员工上下班通勤不便，建议在早晚高峰开通至地铁站的通勤班车。",
        None,
    )?;
    file(
        dispatcher,
        TicketKind::Inquiry,
        policy,
        "咨询研发费用加计扣除政策",
        "企业电话咨询：今年研发费用加计扣除的比例和申报时间。",
        Some(second_enterprise),
    )?;
    Ok(Some(accounts_made))
}
