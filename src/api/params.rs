//! Helpers shared by handlers: paging and search parameters, and PATCH semantics for
//! nullable fields.

use serde::{Deserialize, Deserializer};

use crate::api::state::State;
use crate::domain::TextValue;
use crate::domain::text;
use crate::domain::validation::limits;
use crate::error::AppError;
use crate::service::decode_cursor;

/// Reads a field that may be absent (`None`: leave as is), null (`Some(None)`: clear it) or
/// a value (`Some(Some(v))`). Use with `#[serde(default, deserialize_with = "nullable")]`.
pub fn nullable<'de, D, T>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

/// The page size asked for, within the configured bounds.
pub fn page_limit(state: &State, limit: Option<i64>) -> Result<i64, AppError> {
    let max = state.settings.http.max_page_size;
    match limit {
        None => Ok(state.settings.http.default_page_size),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(AppError::invalid_query(
            "limit",
            format!("must be between 1 and {max}"),
        )),
    }
}

/// The position a relevance-ordered list's cursor names (0 without one).
pub fn offset_cursor(cursor: Option<&str>) -> Result<i64, AppError> {
    cursor
        .filter(|c| !c.is_empty())
        .map_or(Ok(0), crate::service::decode_offset_cursor)
}

pub fn cursor_id(cursor: Option<&str>) -> Result<Option<String>, AppError> {
    cursor
        .filter(|c| !c.is_empty())
        .map(decode_cursor)
        .transpose()
}

/// A query parameter that names one value of `T` (`None` when absent or blank).
pub fn one_of<T: TextValue>(field: &str, value: Option<&str>) -> Result<Option<T>, AppError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => T::parse(v)
            .map(Some)
            .ok_or_else(|| not_one_of::<T>(field, v)),
    }
}

/// A query parameter that names values of `T` separated by commas: `assigned,in_progress`.
pub fn list_of<T: TextValue>(field: &str, value: Option<&str>) -> Result<Vec<T>, AppError> {
    value
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| T::parse(v).ok_or_else(|| not_one_of::<T>(field, v)))
        .collect()
}

fn not_one_of<T: TextValue>(field: &str, value: &str) -> AppError {
    AppError::invalid_query(field, format!("{value:?} is not one of {}", T::expected()))
}

/// A search term as a LIKE pattern.
pub fn search_pattern(q: Option<&str>) -> Result<Option<String>, AppError> {
    match q.map(str::trim).filter(|q| !q.is_empty()) {
        None => Ok(None),
        Some(q) if text::char_len(q) > limits::SEARCH => Err(AppError::invalid_query(
            "q",
            format!("must be at most {} characters", limits::SEARCH),
        )),
        Some(q) => Ok(Some(text::contains_pattern(q))),
    }
}

/// Applies `check` inside a PATCH's double option.
pub fn patch_with<T>(
    value: Option<Option<T>>,
    check: impl FnOnce(Option<T>) -> Option<T>,
) -> Option<Option<T>> {
    value.map(|inner| {
        let had_value = inner.is_some();
        let checked = check(inner);
        if had_value { checked } else { None }
    })
}
