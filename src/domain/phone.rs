//! Phone numbers as enterprises and cadres type them: mainland mobile numbers (which receive
//! the SMS notices) and, for an enterprise's contact, landlines and 400/800 service numbers.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PhoneError {
    #[error("is not a mainland China mobile number (11 digits starting with 1)")]
    NotMobile,
    #[error("is not a mobile number, a landline with area code, or a 400/800 number")]
    NotContact,
}

/// Strips what people put around a number: spaces, hyphens, parentheses and the +86 / 0086
/// country prefix.
fn compact(input: &str) -> String {
    let digits: String = input
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '\u{3000}'))
        .collect();
    for prefix in ["+86", "0086"] {
        if let Some(rest) = digits.strip_prefix(prefix) {
            return rest.to_string();
        }
    }
    digits
}

/// The number segments allocated to mobile operators (and the 14x data / 16x / 19x ranges in
/// use). A bare `^1[3-9]\d{9}$` would also accept 140…144, 154, 160, 194 and others that
/// no phone has.
fn is_mobile_segment(second: u8, third: u8) -> bool {
    match second {
        b'3' | b'8' => true,
        b'4' => matches!(third, b'5'..=b'9'),
        b'5' => third != b'4',
        b'6' => matches!(third, b'2' | b'5' | b'6' | b'7'),
        b'7' => matches!(third, b'0'..=b'8'),
        b'9' => third != b'4',
        _ => false,
    }
}

fn is_mobile(n: &str) -> bool {
    let b = n.as_bytes();
    b.len() == 11
        && b.iter().all(u8::is_ascii_digit)
        && b[0] == b'1'
        && is_mobile_segment(b[1], b[2])
}

/// Validates a mobile number and returns its 11 digits.
pub fn normalize_mobile(input: &str) -> Result<String, PhoneError> {
    let n = compact(input);
    if is_mobile(&n) {
        Ok(n)
    } else {
        Err(PhoneError::NotMobile)
    }
}

/// Validates a contact number: a mobile number, a landline with its area code (0731-88889999,
/// optionally with an extension after a second hyphen or `#`), or a 400/800 number.
/// Returns the mobile's 11 digits, or the landline as `area-number[-ext]`.
pub fn normalize_contact(input: &str) -> Result<String, PhoneError> {
    if let Ok(m) = normalize_mobile(input) {
        return Ok(m);
    }
    let trimmed = input.trim();
    let (main, ext) = match trimmed.split_once(['#', '转']) {
        Some((m, e)) => (m, Some(e.trim())),
        None => (trimmed, None),
    };
    // A second hyphen after the local number marks an extension: 0731-88889999-123.
    let (main, ext) = match (ext, main.trim().matches('-').count()) {
        (None, 2) => {
            let (m, e) = main.trim().rsplit_once('-').ok_or(PhoneError::NotContact)?;
            (m, Some(e))
        }
        _ => (main, ext),
    };
    if let Some(e) = ext
        && (e.is_empty() || e.len() > 6 || !e.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(PhoneError::NotContact);
    }
    let n = compact(main);
    if !n.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PhoneError::NotContact);
    }
    let formatted = if (n.starts_with("400") || n.starts_with("800")) && n.len() == 10 {
        n
    } else if n.starts_with('0') && !n.starts_with("00") && (10..=12).contains(&n.len()) {
        // Area codes are 010, 02x (3 digits) or 0xxx (4 digits); local numbers 7 or 8 digits.
        let area_len = if n.starts_with("01") || n.starts_with("02") {
            3
        } else {
            4
        };
        let local = &n[area_len..];
        if !(7..=8).contains(&local.len()) || local.starts_with('0') {
            return Err(PhoneError::NotContact);
        }
        format!("{}-{}", &n[..area_len], local)
    } else {
        return Err(PhoneError::NotContact);
    };
    Ok(match ext {
        Some(e) => format!("{formatted}-{e}"),
        None => formatted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_mobile_numbers_in_the_forms_people_type() {
        for (input, want) in [
            ("13812345678", "13812345678"),
            ("138 1234 5678", "13812345678"),
            ("138-1234-5678", "13812345678"),
            ("+86 138 1234 5678", "13812345678"),
            ("008613812345678", "13812345678"),
            ("19912345678", "19912345678"),
            ("16612345678", "16612345678"),
            ("14712345678", "14712345678"),
            ("17012345678", "17012345678"),
        ] {
            assert_eq!(normalize_mobile(input).as_deref(), Ok(want), "{input}");
        }
    }

    #[test]
    fn refuses_unallocated_segments_and_wrong_lengths() {
        for input in [
            "14012345678",
            "14412345678",
            "15412345678",
            "16012345678",
            "17912345678",
            "19412345678",
            "12012345678",
            "1381234567",
            "138123456789",
            "1381234567a",
            "",
            "２３８１２３４５６７８",
        ] {
            assert_eq!(
                normalize_mobile(input),
                Err(PhoneError::NotMobile),
                "{input}"
            );
        }
    }

    #[test]
    fn accepts_landlines_and_service_numbers_as_contacts() {
        for (input, want) in [
            ("0731-88889999", "0731-88889999"),
            ("073188889999", "0731-88889999"),
            ("010-12345678", "010-12345678"),
            ("(020) 8765 4321", "020-87654321"),
            ("0731-88889999-123", "0731-88889999-123"),
            ("0731-88889999#8", "0731-88889999-8"),
            ("0731-88889999转8", "0731-88889999-8"),
            ("4008123123", "4008123123"),
            ("13812345678", "13812345678"),
        ] {
            assert_eq!(normalize_contact(input).as_deref(), Ok(want), "{input}");
        }
    }

    #[test]
    fn refuses_what_is_no_phone_number() {
        for input in [
            "88889999",
            "0731-0888999",
            "0731-888899",
            "0731-88889999-",
            "0731-88889999-1234567",
            "12345",
            "hello",
            "0086",
            "'; DROP TABLE users; --",
        ] {
            assert_eq!(
                normalize_contact(input),
                Err(PhoneError::NotContact),
                "{input}"
            );
        }
    }
}
