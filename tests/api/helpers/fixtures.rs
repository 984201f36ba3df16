//! The district tests work in: users of every role signed in, departments, enterprises and a
//! category (`World`), written directly through the service functions, and the steps of a
//! ticket's life that many tests take on the way to what they check.

use std::sync::OnceLock;

use chrono::Utc;
use qiyeshao::auth::{self, Principal};
use qiyeshao::domain::ticket::Role;
use qiyeshao::service::accounts::{self, NewUser};
use qiyeshao::service::audit::By;
use qiyeshao::service::directory::{self, NewCategory, NewDepartment, NewEnterprise};
use serde_json::{Value, json};

use super::{Resp, TestApp};

pub const PASSWORD: &str = "Test-pass-123";

/// A signed-in user of the fixture.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub token: String,
}

/// A small district: three departments, three enterprises, a category, and users of every role.
#[derive(Debug, Clone)]
pub struct World {
    pub admin: User,
    pub dispatcher: User,
    /// Cadre of department A.
    pub cadre_a: User,
    /// Another cadre of department A.
    pub cadre_a2: User,
    /// Cadre of department B.
    pub cadre_b: User,
    /// Cadre of department C and liaison cadre of enterprise A.
    pub liaison: User,
    /// User of enterprise A.
    pub ent_a: User,
    /// Another user of enterprise A.
    pub ent_a2: User,
    /// User of enterprise B.
    pub ent_b: User,
    pub dept_a: String,
    pub dept_b: String,
    pub dept_c: String,
    pub enterprise_a: String,
    pub enterprise_b: String,
    /// Default department A, deadline 5 days.
    pub category: String,
}

fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| auth::hash_password(PASSWORD).expect("hash"))
        .clone()
}

/// The actions on a ticket's timeline (its detail's `events`), oldest first.
pub fn actions(detail: &Value) -> Vec<String> {
    detail["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["action"].as_str().expect("action").to_string())
        .collect()
}

pub fn credit_code(n: u32) -> String {
    let body = format!("914301120000{n:05}");
    let check = qiyeshao::domain::credit_code::check_character(&body).expect("body");
    format!("{body}{check}")
}

impl TestApp {
    /// A token for a user, minted with the app's key and clock (sign-in is tested on its own).
    pub fn token_for(&self, user: &qiyeshao::db::users::UserRow) -> String {
        let who = accounts::principal_of(user);
        self.token(&who)
    }

    /// The same user with a token minted now (after the test moved the clock).
    pub fn reissue(&self, user: &User) -> User {
        let row = self
            .db
            .read(|c| -> Result<_, qiyeshao::error::AppError> {
                Ok(qiyeshao::db::users::find(c, &user.id)?)
            })
            .expect("user")
            .expect("user exists");
        User {
            id: row.id.clone(),
            token: self.token_for(&row),
        }
    }

    pub fn token(&self, who: &Principal) -> String {
        self.tokens
            .issue(who, qiyeshao::domain::time::Clock::now(&self.clock))
            .expect("token")
    }

    /// Creates a user directly in the database and returns it signed in.
    pub fn make_user(
        &self,
        username: &str,
        role: Role,
        department: Option<&str>,
        enterprise: Option<&str>,
    ) -> User {
        let input = NewUser {
            username: username.into(),
            password_hash: password_hash(),
            name: format!("{username} 的名字"),
            phone: None,
            email: None,
            role,
            department_id: department.map(Into::into),
            enterprise_id: enterprise.map(Into::into),
            must_change_password: false,
        };
        let row = self
            .db
            .write(move |c| {
                let mut row = accounts::create_user(c, &By::Unrecorded, input, Utc::now())?;
                // The district's established users have accepted the legal texts in force.
                if row.role == Role::Enterprise {
                    let version = qiyeshao::db::legal::current_version(c)?;
                    qiyeshao::service::legal::accept(
                        c,
                        &mut row,
                        version,
                        "127.0.0.1",
                        Utc::now(),
                    )?;
                }
                Ok::<_, qiyeshao::error::AppError>(row)
            })
            .expect("create user");
        User {
            token: self.token_for(&row),
            id: row.id,
        }
    }

    /// Gives a user a mobile number and an e-mail address, for notifications.
    pub fn set_contact(&self, user: &User, phone: Option<&str>, email: Option<&str>) {
        let (id, phone, email) = (
            user.id.clone(),
            phone.map(str::to_string),
            email.map(str::to_string),
        );
        self.db
            .write(move |c| {
                accounts::update_user(
                    c,
                    &By::Unrecorded,
                    &id,
                    accounts::UserChanges {
                        phone: Some(phone),
                        email: Some(email),
                        ..Default::default()
                    },
                    Utc::now(),
                )
            })
            .expect("set contact");
    }

    /// Makes a user the head of a department.
    pub fn set_head(&self, department: &str, user: &User) {
        let (dept, head) = (department.to_string(), user.id.clone());
        self.db
            .write(move |c| {
                directory::update_department(
                    c,
                    &By::Unrecorded,
                    &dept,
                    directory::DepartmentChanges {
                        head_user_id: Some(Some(head)),
                        ..Default::default()
                    },
                    Utc::now(),
                )
            })
            .expect("set head");
    }

    pub fn make_department(&self, name: &str) -> String {
        let input = NewDepartment {
            name: name.into(),
            parent_id: None,
            head_user_id: None,
        };
        self.db
            .write(move |c| directory::create_department(c, &By::Unrecorded, input, Utc::now()))
            .expect("create department")
            .id
    }

    pub fn make_enterprise(&self, name: &str, n: u32, liaison: Option<&str>) -> String {
        let input = NewEnterprise {
            name: name.into(),
            credit_code: credit_code(n),
            industry_chain: Some("智能终端".into()),
            area: Some("望城经开区".into()),
            address: None,
            contact_name: Some(format!("{name}联系人")),
            contact_phone: Some("13900000000".into()),
            liaison_cadre_id: liaison.map(Into::into),
            deputy_ids: Vec::new(),
        };
        self.db
            .write(move |c| directory::create_enterprise(c, &By::Unrecorded, input, Utc::now()))
            .expect("create enterprise")
            .id
    }

    /// Moves an enterprise to another area and industry chain.
    pub fn move_enterprise(&self, id: &str, area: &str, chain: &str) {
        let changes = directory::EnterpriseChanges {
            area: Some(Some(area.into())),
            industry_chain: Some(Some(chain.into())),
            ..Default::default()
        };
        let id = id.to_string();
        self.db
            .write(move |c| {
                directory::update_enterprise(c, &By::Unrecorded, &id, changes, Utc::now())
            })
            .expect("move enterprise");
    }

    pub fn make_category(&self, name: &str, department: Option<&str>, days: i32) -> String {
        let input = NewCategory {
            name: name.into(),
            default_department_id: department.map(Into::into),
            deadline_days: days,
        };
        self.db
            .write(move |c| directory::create_category(c, &By::Unrecorded, input, Utc::now()))
            .expect("create category")
            .id
    }

    pub async fn world(&self) -> World {
        let dept_a = self.make_department("部门甲");
        let dept_b = self.make_department("部门乙");
        let dept_c = self.make_department("部门丙");
        let admin = self.make_user("admin", Role::Admin, None, None);
        let dispatcher = self.make_user("dispatcher", Role::Dispatcher, None, None);
        let cadre_a = self.make_user("cadre.a", Role::Cadre, Some(&dept_a), None);
        let cadre_a2 = self.make_user("cadre.a2", Role::Cadre, Some(&dept_a), None);
        let cadre_b = self.make_user("cadre.b", Role::Cadre, Some(&dept_b), None);
        let liaison = self.make_user("liaison", Role::Cadre, Some(&dept_c), None);
        let enterprise_a = self.make_enterprise("甲企业有限公司", 1, Some(&liaison.id));
        let enterprise_b = self.make_enterprise("乙企业有限公司", 2, None);
        let ent_a = self.make_user("ent.a", Role::Enterprise, None, Some(&enterprise_a));
        let ent_a2 = self.make_user("ent.a2", Role::Enterprise, None, Some(&enterprise_a));
        let ent_b = self.make_user("ent.b", Role::Enterprise, None, Some(&enterprise_b));
        let category = self.make_category("用电报装", Some(&dept_a), 5);
        World {
            admin,
            dispatcher,
            cadre_a,
            cadre_a2,
            cadre_b,
            liaison,
            ent_a,
            ent_a2,
            ent_b,
            dept_a,
            dept_b,
            dept_c,
            enterprise_a,
            enterprise_b,
            category,
        }
    }

    /// Files a problem as `user`; returns the ticket.
    pub async fn file(&self, user: &User, category: &str, title: &str) -> Value {
        self.file_problem(user, category, title, &format!("{title}的详细情况"))
            .await
    }

    /// Files a problem of `category` with a description as `user`; returns the ticket.
    async fn file_problem(
        &self,
        user: &User,
        category: &str,
        title: &str,
        description: &str,
    ) -> Value {
        self.post(
            "/api/v1/tickets",
            Some(&user.token),
            json!({
                "kind": "problem",
                "category_id": category,
                "title": title,
                "description": description,
            }),
        )
        .await
        .expect(201)
    }

    /// Files a problem of `category` with a description as `user`; returns its id.
    pub async fn file_described(
        &self,
        user: &User,
        category: &str,
        title: &str,
        description: &str,
    ) -> String {
        crate::helpers::id_of(&self.file_problem(user, category, title, description).await)
    }

    /// Takes an action on a ticket; returns the answer.
    pub async fn act(&self, user: &User, ticket: &str, action: &str, body: Value) -> Resp {
        self.post(
            &format!("/api/v1/tickets/{ticket}/{action}"),
            Some(&user.token),
            body,
        )
        .await
    }

    /// The ticket with its timeline, as `user` sees it.
    pub async fn detail(&self, user: &User, ticket: &str) -> Value {
        self.get(&format!("/api/v1/tickets/{ticket}"), Some(&user.token))
            .await
            .expect(200)
    }

    /// Files `title` as enterprise A and assigns it to cadre A; returns the ticket's id.
    pub async fn assigned_ticket(&self, w: &World, title: &str) -> String {
        let id = super::id_of(&self.file(&w.ent_a, &w.category, title).await);
        self.act(
            &w.dispatcher,
            &id,
            "assign",
            json!({"department_id": w.dept_a, "assignee_id": w.cadre_a.id}),
        )
        .await
        .expect(200);
        id
    }

    /// Files a ticket as enterprise A and takes it to `in_progress` with cadre A as assignee.
    pub async fn ticket_in_progress(&self, w: &World) -> String {
        let id = self.assigned_ticket(w, "设备进场道路破损").await;
        self.act(&w.cadre_a, &id, "sign", json!({}))
            .await
            .expect(200);
        id
    }
}
