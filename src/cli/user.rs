//! `qiyeshao user add`: an account created from the command line, with the same checks as
//! `POST /api/v1/users` (reported by flag).

use anyhow::Context;

use clap::Subcommand;

use super::support::{describe, with_db};
use crate::auth;
use crate::config::Settings;
use crate::db::{self, Db};
use crate::domain::credit_code;
use crate::domain::ticket::Role;
use crate::domain::validation::{FieldErrors, limits};
use crate::error::AppError;
use crate::service::accounts::{self, NewUser};
use crate::service::audit::By;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create an account.
    Add {
        #[arg(long)]
        role: String,
        #[arg(long)]
        username: String,
        /// At least 8 characters. Prefer --password-env to keep it out of shell history.
        #[arg(long, required_unless_present = "password_env")]
        password: Option<String>,
        /// Read the password from this environment variable.
        #[arg(long, value_name = "VAR")]
        password_env: Option<String>,
        /// Display name (defaults to the username).
        #[arg(long)]
        name: Option<String>,
        /// Mobile number.
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// For cadres: the department's id or exact name.
        #[arg(long)]
        department: Option<String>,
        /// For enterprise users: the enterprise's id or credit code.
        #[arg(long)]
        enterprise: Option<String>,
        /// The password is the user's own (scripts, benchmarks): no change is asked for at the
        /// first sign-in. Without it the user must choose their own password first.
        #[arg(long)]
        keep_password: bool,
    },
}

pub fn run(settings: &Settings, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add {
            role,
            username,
            password,
            password_env,
            name,
            phone,
            email,
            department,
            enterprise,
            keep_password,
        } => {
            let (password, password_flag) = match (password, password_env) {
                (Some(p), _) => (p, "--password"),
                (None, Some(var)) => (
                    std::env::var(&var).with_context(|| format!("{var} is not set"))?,
                    "--password-env",
                ),
                (None, None) => anyhow::bail!("give --password or --password-env"),
            };
            add_user(
                settings,
                AddUser {
                    role,
                    username,
                    password,
                    password_flag,
                    name,
                    phone,
                    email,
                    department,
                    enterprise,
                    keep_password,
                },
            )
        }
    }
}

struct AddUser {
    role: String,
    username: String,
    password: String,
    /// The flag the password came by, for messages.
    password_flag: &'static str,
    name: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    department: Option<String>,
    enterprise: Option<String>,
    keep_password: bool,
}

fn add_user(settings: &Settings, args: AddUser) -> anyhow::Result<()> {
    let role = Role::parse(&args.role)
        .with_context(|| format!("--role must be one of {}", Role::expected()))?;
    // The same checks as POST /api/v1/users, reported by flag.
    let mut errors = FieldErrors::new();
    let username = errors.username("--username", &args.username);
    errors.password(args.password_flag, &args.password);
    let name = args.name.unwrap_or_else(|| args.username.clone());
    errors.required_text("--name", &name, limits::NAME);
    let phone = errors.mobile("--phone", args.phone);
    let email = errors.email("--email", args.email);
    if !errors.is_empty() {
        anyhow::bail!("{errors}");
    }
    let password_hash = auth::hash_password(&args.password)?;
    with_db(settings, |db| {
        let department_id = match args.department {
            None => None,
            Some(d) => Some(find_department(db, &d)?),
        };
        let enterprise_id = match args.enterprise {
            None => None,
            Some(e) => Some(find_enterprise(db, &e)?),
        };
        let input = NewUser {
            name: name.trim().to_string(),
            username: username.unwrap_or_default(),
            password_hash,
            phone,
            email,
            role,
            department_id,
            enterprise_id,
            must_change_password: !args.keep_password,
        };
        let user = db
            .write(move |c| accounts::create_user(c, &By::Unrecorded, input, chrono::Utc::now()))
            .map_err(describe)?;
        println!(
            "Created {} account {:?} (id {}).",
            user.role, user.username, user.id
        );
        if user.must_change_password {
            println!("It chooses its own password at its first sign-in (--keep-password: not).");
        }
        Ok(())
    })
}

fn find_department(db: &Db, key: &str) -> anyhow::Result<String> {
    let all = db
        .read(|c| -> Result<_, AppError> { Ok(db::departments::list(c)?) })
        .map_err(describe)?;
    all.into_iter()
        .find(|d| d.id == key || d.name == key)
        .map(|d| d.id)
        .with_context(|| format!("no department with id or name {key:?}"))
}

fn find_enterprise(db: &Db, key: &str) -> anyhow::Result<String> {
    let code = credit_code::normalize(key).ok();
    let found = db
        .read(|c| -> Result<_, AppError> {
            if let Some(e) = db::enterprises::find(c, key)? {
                return Ok(Some(e.id));
            }
            let filter = db::enterprises::EnterpriseFilter {
                pattern: code.as_deref().map(crate::domain::text::contains_pattern),
                ..Default::default()
            };
            if filter.pattern.is_none() {
                return Ok(None);
            }
            Ok(db::enterprises::list(c, &filter, 2)?
                .into_iter()
                .find(|e| Some(&e.credit_code) == code.as_ref())
                .map(|e| e.id))
        })
        .map_err(describe)?;
    found.with_context(|| format!("no enterprise with id or credit code {key:?}"))
}
