//! Collects what is wrong with a request, field by field, so that one answer names every
//! problem instead of the first.

use std::collections::BTreeMap;

use super::phone;
use super::text::{char_len, is_blank};

/// Field name → what is wrong with it. Empty means valid.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.entry(field.into()).or_insert_with(|| message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_map(self) -> BTreeMap<String, String> {
        self.0
    }

    pub fn map(&self) -> &BTreeMap<String, String> {
        &self.0
    }

    /// `Ok(())` when nothing was added, the errors otherwise.
    pub fn finish(self) -> Result<(), FieldErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }

    /// Checks a required text: present, not blank, at most `max` characters.
    pub fn required_text(&mut self, field: &str, value: &str, max: usize) {
        if is_blank(value) {
            self.add(field, "must not be empty");
        } else {
            self.max_len(field, value, max);
        }
    }

    pub fn max_len(&mut self, field: &str, value: &str, max: usize) {
        if char_len(value) > max {
            self.add(field, format!("must be at most {max} characters"));
        }
    }

    /// An optional free text: blank counts as absent; otherwise at most `max` characters.
    pub fn optional_text(
        &mut self,
        field: &str,
        value: Option<String>,
        max: usize,
    ) -> Option<String> {
        let value = value.filter(|v| !is_blank(v))?;
        self.max_len(field, &value, max);
        Some(value)
    }

    /// An optional mobile number, normalised.
    pub fn mobile(&mut self, field: &str, value: Option<String>) -> Option<String> {
        match phone::normalize_mobile(&value?) {
            Ok(n) => Some(n),
            Err(e) => {
                self.add(field, e.to_string());
                None
            }
        }
    }

    /// An optional contact number (mobile, landline or 400/800), normalised.
    pub fn contact_phone(&mut self, field: &str, value: Option<String>) -> Option<String> {
        match phone::normalize_contact(&value?) {
            Ok(n) => Some(n),
            Err(e) => {
                self.add(field, e.to_string());
                None
            }
        }
    }

    /// An optional e-mail address, trimmed.
    pub fn email(&mut self, field: &str, value: Option<String>) -> Option<String> {
        let value = value?.trim().to_string();
        if is_email(&value) {
            Some(value)
        } else {
            self.add(field, "is not an e-mail address");
            None
        }
    }

    /// A password: at least 8 and at most 128 characters, with three of the four kinds of
    /// character: lower case, upper case, digits, others (等保 2.0's complexity rule).
    pub fn password(&mut self, field: &str, value: &str) {
        let n = char_len(value);
        if (limits::PASSWORD_MIN..=limits::PASSWORD_MAX).contains(&n)
            && character_classes(value) < 3
        {
            self.add(
                field,
                "must mix three of: lower-case letters, upper-case letters, digits, other characters",
            );
        } else if n < limits::PASSWORD_MIN {
            self.add(
                field,
                format!("must be at least {} characters", limits::PASSWORD_MIN),
            );
        } else if n > limits::PASSWORD_MAX {
            self.add(
                field,
                format!("must be at most {} characters", limits::PASSWORD_MAX),
            );
        }
    }

    /// A username, normalised (see [`normalize_username`]).
    pub fn username(&mut self, field: &str, value: &str) -> Option<String> {
        let normalized = normalize_username(value);
        if normalized.is_none() {
            self.add(field, "must be 3 to 64 letters, digits or _ . @ -");
        }
        normalized
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut first = true;
        for (field, message) in &self.0 {
            if !first {
                f.write_str("; ")?;
            }
            write!(f, "{field} {message}")?;
            first = false;
        }
        Ok(())
    }
}

/// Limits on the lengths of what people type, in characters.
pub mod limits {
    pub const TITLE: usize = 100;
    pub const DESCRIPTION: usize = 5000;
    pub const NOTE: usize = 2000;
    pub const NAME: usize = 100;
    pub const ADDRESS: usize = 200;
    pub const EMAIL: usize = 254;
    pub const SEARCH: usize = 100;
    pub const PASSWORD_MIN: usize = 8;
    pub const PASSWORD_MAX: usize = 128;
    pub const CO_DEPARTMENTS: usize = 10;
}

/// A plausible e-mail address: one `@`, something before it, a dotted domain after it, no
/// spaces. Deliverability is for the mail server to judge.
pub fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && value.len() <= limits::EMAIL
}

/// Usernames: 3 to 64 of ASCII letters, digits and `_ . @ -`; compared in lower case.
pub fn normalize_username(value: &str) -> Option<String> {
    let v = value.trim();
    let ok = (3..=64).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'@' | b'-'));
    ok.then(|| v.to_ascii_lowercase())
}

/// How many of the four kinds of character a password has: lower case, upper case, digits,
/// anything else (punctuation, spaces, Chinese characters).
pub fn character_classes(value: &str) -> usize {
    let mut kinds = [false; 4];
    for c in value.chars() {
        let kind = if c.is_ascii_lowercase() {
            0
        } else if c.is_ascii_uppercase() {
            1
        } else if c.is_ascii_digit() {
            2
        } else {
            3
        };
        kinds[kind] = true;
    }
    kinds.iter().filter(|k| **k).count()
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_mix_three_kinds_of_character() {
        use super::{FieldErrors, character_classes};
        assert_eq!(character_classes("abcdefgh"), 1);
        assert_eq!(character_classes("abcd1234"), 2);
        assert_eq!(character_classes("Abcd1234"), 3);
        assert_eq!(character_classes("abcd-1234"), 3);
        assert_eq!(character_classes("Ab1-"), 4);
        assert_eq!(character_classes("密码abc123"), 3);
        for (password, ok) in [
            ("Abcd1234", true),
            ("Test-pass-123", true),
            ("abcd1234", false),
            ("ABCDEFGH", false),
            ("12345678!", false),
            ("1234567!a", true),
            ("Ab1-", false),
        ] {
            let mut errors = FieldErrors::new();
            errors.password("password", password);
            assert_eq!(errors.is_empty(), ok, "{password}: {:?}", errors.map());
        }
    }

    use super::*;

    #[test]
    fn collects_every_field() {
        let mut e = FieldErrors::new();
        e.required_text("title", "  ", 10);
        e.required_text("description", "abcdef", 3);
        assert_eq!(e.optional_text("contact_name", None, 3), None);
        assert_eq!(e.optional_text("address", Some("  ".into()), 3), None);
        assert_eq!(e.map().len(), 2);
        assert_eq!(e.map()["title"], "must not be empty");
        assert_eq!(e.map()["description"], "must be at most 3 characters");
        assert_eq!(
            e.to_string(),
            "description must be at most 3 characters; title must not be empty"
        );
    }

    #[test]
    fn emails() {
        assert!(is_email("li.wei@wangcheng.gov.cn"));
        assert!(!is_email("li wei@x.cn"));
        assert!(!is_email("@x.cn"));
        assert!(!is_email("a@b"));
        assert!(!is_email("a@@b.cn"));
    }

    #[test]
    fn usernames() {
        assert_eq!(normalize_username(" Admin "), Some("admin".into()));
        assert_eq!(normalize_username("ab"), None);
        assert_eq!(normalize_username("张三"), None);
        assert_eq!(normalize_username("a b c"), None);
    }
}
