//! qiyeshao (企业哨): enterprises file requests, dispatchers route them to departments and
//! cadres, cadres resolve them, enterprises rate the result.
//!
//! `domain` holds the rules, `db` the storage, `service` the operations, `api` the HTTP
//! interface; `startup` wires them together and `main.rs` is the command line.

#![forbid(unsafe_code)]

pub mod api;
pub mod auth;
pub mod backup;
pub mod charts;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod export;
pub mod notify;
#[cfg(test)]
mod outside_input;
pub mod scheduler;
pub mod seed_load;
pub mod service;
pub mod startup;
pub mod telemetry;
