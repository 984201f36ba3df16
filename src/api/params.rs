//! Helpers shared by handlers: paging parameters, PATCH semantics for nullable fields, and
//! checks of optional phone numbers and addresses.

use serde::{Deserialize, Deserializer};

use crate::api::State;
use crate::domain::phone;
use crate::domain::text;
use crate::domain::validation::{FieldErrors, is_email, limits};
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

pub fn cursor_id(cursor: Option<&str>) -> Result<Option<String>, AppError> {
    cursor
        .filter(|c| !c.is_empty())
        .map(decode_cursor)
        .transpose()
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

/// A mobile number, normalised, or an error on `field`.
pub fn mobile(errors: &mut FieldErrors, field: &str, value: Option<String>) -> Option<String> {
    let value = value?;
    match phone::normalize_mobile(&value) {
        Ok(n) => Some(n),
        Err(e) => {
            errors.add(field, e.to_string());
            None
        }
    }
}

/// A contact number (mobile, landline or 400/800), normalised, or an error on `field`.
pub fn contact_phone(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<String>,
) -> Option<String> {
    let value = value?;
    match phone::normalize_contact(&value) {
        Ok(n) => Some(n),
        Err(e) => {
            errors.add(field, e.to_string());
            None
        }
    }
}

pub fn email(errors: &mut FieldErrors, field: &str, value: Option<String>) -> Option<String> {
    let value = value?.trim().to_string();
    if is_email(&value) {
        Some(value)
    } else {
        errors.add(field, "is not an e-mail address");
        None
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

/// An optional free-text field: blank counts as absent.
pub fn optional_text(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<String>,
    max: usize,
) -> Option<String> {
    let value = value.filter(|v| !text::is_blank(v))?;
    errors.max_len(field, &value, max);
    Some(value)
}
