//! qiyeshao (企业哨): enterprises file requests, dispatchers route them to departments and
//! cadres, cadres resolve them, enterprises rate the result.
//!
//! The layers, each depending only on those below it:
//!
//! - `cli`: the command line (`serve`, `worker`, `migrate`, `user`, `calendar`, backups,
//!   `seed-load`, the demo data); `main.rs` only tunes the allocator and calls it;
//! - `startup` wires a server: the database, the background work, the HTTP routes;
//! - `api`: HTTP — the route table, extractors, handlers, middleware, OpenAPI, the pages;
//! - `background`: what runs beside requests — delivery, the deadline sweeps, housekeeping;
//! - `service`: the operations (scope, permission, rules, writes in one transaction);
//! - `notify`: the outbox, the delivery worker, e-mail, SMS gateways, templates;
//! - `reports`: the renderers of charts (SVG) and spreadsheets (CSV, XLSX);
//! - `db`: storage on PostgreSQL and SQLite, the only place the two differ;
//! - `domain`: the rules, with neither HTTP nor a database;
//! - and beside them `auth` (passwords, tokens), `config`, `error`, `telemetry`.

#![forbid(unsafe_code)]

pub mod api;
pub mod auth;
pub mod background;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod notify;
#[cfg(test)]
mod outside_input;
pub mod reports;
pub mod search;
pub mod service;
pub mod startup;
pub mod telemetry;
