//! API integration tests: one binary, a real server per test, each test run on SQLite and on
//! PostgreSQL (see `helpers`), under a harness of our own (see `harness`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;
mod helpers;

mod allowed;
mod assessments;
mod auth;
mod authz;
mod bulletins;
mod cli;
mod concurrency;
mod daily_check;
mod deadlines;
mod directory;
mod docs_api;
mod e2e;
mod errors;
mod exits;
mod exports;
mod files;
mod hot_topics;
mod layout;
mod liaison;
mod limits;
mod members;
mod merging;
mod messages;
mod migrations;
mod notifications;
mod outage;
mod pages;
mod policies;
mod portal;
mod robots;
mod routing;
mod scoping;
mod search;
mod security;
mod sms_gateways;
mod smtp;
mod stats;
mod systemic;
mod traits_import;
mod visits;
mod workflow;

fn main() -> std::process::ExitCode {
    harness::main()
}
