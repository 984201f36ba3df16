//! The unified social credit code (统一社会信用代码) of GB 32100-2015: 18 characters from a
//! 31-character alphabet, the last being a check character over the first 17.

use thiserror::Error;

/// The code alphabet: digits and the upper-case letters except I, O, Z, S and V.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CreditCodeError {
    #[error("must be 18 characters long")]
    Length,
    #[error("character {0:?} at position {1} is not allowed")]
    Character(char, usize),
    #[error("positions 3 to 8 must be the digits of an administrative division code")]
    Division,
    #[error("check character does not match (expected {expected})")]
    Check { expected: char },
}

fn value_of(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// The check character for the first 17 characters of a code, which must be from the alphabet.
pub fn check_character(first17: &str) -> Result<char, CreditCodeError> {
    let bytes = first17.as_bytes();
    if bytes.len() != 17 {
        return Err(CreditCodeError::Length);
    }
    let mut sum = 0u32;
    for (i, (&b, w)) in bytes.iter().zip(WEIGHTS).enumerate() {
        let v = value_of(b).ok_or(CreditCodeError::Character(b as char, i + 1))?;
        sum += v * w;
    }
    let check = (31 - sum % 31) % 31;
    Ok(ALPHABET[check as usize] as char)
}

/// Validates a code as typed by a person (surrounding spaces and lower case are forgiven) and
/// returns it in its canonical upper-case form.
pub fn normalize(input: &str) -> Result<String, CreditCodeError> {
    let code = input.trim().to_ascii_uppercase();
    if code.chars().count() != 18 {
        return Err(CreditCodeError::Length);
    }
    for (i, c) in code.chars().enumerate() {
        if !c.is_ascii() || value_of(c as u8).is_none() {
            return Err(CreditCodeError::Character(c, i + 1));
        }
    }
    if !code.as_bytes()[2..8].iter().all(u8::is_ascii_digit) {
        return Err(CreditCodeError::Division);
    }
    let expected = check_character(&code[..17])?;
    if code.as_bytes()[17] as char != expected {
        return Err(CreditCodeError::Check { expected });
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Cross-checked with python-stdnum's `stdnum.cn.uscc.is_valid`.
    const VALID: &[&str] = &[
        "91110000600037341L",
        "9144030071526726XG",
        "12100000400000624D",
        "91430112MA4L16JQ9R",
        "91430100MA4L16JQ9D",
        "914301123384963254",
        "92430112MA4N1K2P7P",
    ];

    #[test]
    fn accepts_valid_codes() {
        for code in VALID {
            assert_eq!(normalize(code).as_deref(), Ok(*code), "{code}");
        }
    }

    #[test]
    fn forgives_case_and_surrounding_space() {
        assert_eq!(
            normalize("  91110000600037341l ").as_deref(),
            Ok("91110000600037341L")
        );
    }

    #[test]
    fn rejects_a_wrong_check_character() {
        assert_eq!(
            normalize("91110000600037341M"),
            Err(CreditCodeError::Check { expected: 'L' })
        );
    }

    #[test]
    fn every_single_character_change_is_caught() {
        for code in VALID {
            for pos in 0..18 {
                for &c in ALPHABET.iter() {
                    let mut bytes = code.as_bytes().to_vec();
                    if bytes[pos] == c {
                        continue;
                    }
                    bytes[pos] = c;
                    let changed = String::from_utf8(bytes).expect("ascii");
                    assert!(normalize(&changed).is_err(), "{changed} passed");
                }
            }
        }
    }

    #[test]
    fn rejects_wrong_length_and_letters_outside_the_alphabet() {
        assert_eq!(normalize("9111000060003734"), Err(CreditCodeError::Length));
        assert_eq!(normalize(""), Err(CreditCodeError::Length));
        assert_eq!(
            normalize("9111000060003734IL"),
            Err(CreditCodeError::Character('I', 17))
        );
        assert_eq!(
            normalize("911100006000373４1L"),
            Err(CreditCodeError::Character('４', 16))
        );
        assert_eq!(
            normalize("91A10000600037341L"),
            Err(CreditCodeError::Division)
        );
    }

    #[test]
    fn check_character_of_known_prefix() {
        assert_eq!(check_character("91110000600037341"), Ok('L'));
    }
}
