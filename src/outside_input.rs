//! Property tests of every parser of input from outside: unified social credit codes, phone
//! numbers, the calendar's year files, the enterprise import's spreadsheets, the query
//! parameters (times, cursors, search text) and SMS codes' purposes. Each takes arbitrary
//! input without panicking, and what it accepts it accepts consistently.

use proptest::prelude::*;

use crate::domain::calendar::YearFile;
use crate::domain::{credit_code, phone, time};

const CODE_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// The first 17 characters of a code: positions 3 to 8 are the digits of an administrative
/// division, the rest from the code alphabet.
fn body17() -> impl Strategy<Value = String> {
    proptest::collection::vec(0..CODE_ALPHABET.len(), 17).prop_map(|ix| {
        ix.into_iter()
            .enumerate()
            .map(|(pos, i)| {
                let set: &[u8] = if (2..8).contains(&pos) {
                    b"0123456789"
                } else {
                    CODE_ALPHABET
                };
                set[i % set.len()] as char
            })
            .collect()
    })
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(4000))]

    #[test]
    fn credit_codes_never_panic(input in "\\PC{0,40}") {
        let _ = credit_code::normalize(&input);
    }

    #[test]
    fn a_valid_credit_code_passes_in_any_case_and_spacing(body in body17(), lower: bool) {
        let check = credit_code::check_character(&body).expect("a body of the alphabet");
        let code = format!("{body}{check}");
        let typed = if lower { format!("  {} ", code.to_lowercase()) } else { code.clone() };
        prop_assert_eq!(credit_code::normalize(&typed).ok(), Some(code.clone()));
        // Normalising is idempotent.
        prop_assert_eq!(credit_code::normalize(&code).ok(), Some(code.clone()));
    }

    #[test]
    fn one_wrong_character_is_always_caught(body in body17(), at in 0usize..18, by in 1usize..31) {
        let check = credit_code::check_character(&body).expect("a body of the alphabet");
        let mut chars: Vec<u8> = format!("{body}{check}").into_bytes();
        let was = CODE_ALPHABET.iter().position(|c| *c == chars[at]).expect("in the alphabet");
        chars[at] = CODE_ALPHABET[(was + by) % CODE_ALPHABET.len()];
        let typo = String::from_utf8(chars).expect("ascii");
        prop_assert!(credit_code::normalize(&typo).is_err(), "{typo} was accepted");
    }

    #[test]
    fn phones_never_panic_and_accepted_ones_are_canonical(input in "\\PC{0,30}") {
        if let Ok(n) = phone::normalize_mobile(&input) {
            prop_assert_eq!(n.len(), 11);
            prop_assert!(n.starts_with('1') && n.bytes().all(|b| b.is_ascii_digit()));
            prop_assert_eq!(phone::normalize_mobile(&n).ok(), Some(n.clone()));
        }
        if let Ok(n) = phone::normalize_contact(&input) {
            prop_assert_eq!(phone::normalize_contact(&n).ok(), Some(n.clone()));
        }
    }

    #[test]
    fn mobile_numbers_in_any_common_spelling(
        second in prop::sample::select(vec!['3', '5', '8', '9']),
        rest in "[0-9]{9}",
        style in 0usize..4,
    ) {
        let n = format!("1{second}{rest}");
        prop_assume!(phone::normalize_mobile(&n).is_ok());
        let spelled = match style {
            0 => format!("+86 {n}"),
            1 => format!("0086-{}-{}-{}", &n[..3], &n[3..7], &n[7..]),
            2 => format!(" {} {} {} ", &n[..3], &n[3..7], &n[7..]),
            _ => format!("({}){}", &n[..3], &n[3..]),
        };
        prop_assert_eq!(phone::normalize_mobile(&spelled).ok(), Some(n.clone()));
    }

    #[test]
    fn query_times_cursors_and_searches_never_panic(input in "\\PC{0,60}") {
        let _ = time::parse_instant_or_date(&input);
        let _ = time::parse(&input);
        let _ = crate::api::params::cursor_id(Some(&input));
        let _ = crate::api::params::search_pattern(Some(&input));
        let _ = uuid::Uuid::parse_str(&input);
    }
}

proptest! {
    #![proptest_config(config(1500))]

    #[test]
    fn calendar_files_never_panic(input in "\\PC{0,300}") {
        let _ = YearFile::parse(&input);
    }

    #[test]
    fn calendar_files_that_look_right_never_panic(
        year in 1990i32..2110,
        month in 0u32..14, day in 0u32..33, len in 0u32..12,
        name in "\\PC{0,60}",
        workday in 0u32..40,
    ) {
        let text = format!(
            "year = {year}\n\n[[holidays]]\nname = {name:?}\nfrom = \"{year}-{month:02}-{day:02}\"\nto = \"{year}-{month:02}-{:02}\"\nworkdays = [\"{year}-{month:02}-{workday:02}\"]\n",
            day + len
        );
        if let Ok(file) = YearFile::parse(&text) {
            // What is accepted survives being written out and read back.
            prop_assert_eq!(YearFile::parse(&file.to_toml()).ok(), Some(file));
        }
    }
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn import_files_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let _ = crate::service::enterprise_import::read(&bytes);
    }

    #[test]
    fn uploads_of_any_bytes_are_typed_without_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..2000),
        changes in proptest::collection::vec((0usize..1536, any::<u8>()), 0..40),
    ) {
        use crate::service::attachments::{compound_file, office_ole_type, office_zip_type, sniff};
        use std::io::Cursor;
        let _ = sniff(&bytes);
        let _ = office_zip_type(Cursor::new(bytes.clone()));
        let _ = office_ole_type(&mut Cursor::new(bytes));
        // A compound file with some bytes changed: its header, FAT and directory.
        let mut file = compound_file(&["WordDocument", "Workbook"]);
        for (at, byte) in changes {
            file[at] = byte;
        }
        let _ = office_ole_type(&mut Cursor::new(file));
    }

    #[test]
    fn import_sheets_of_any_cells_never_panic(
        header in proptest::collection::vec(prop::sample::select(vec![
            "企业名称", "统一社会信用代码", "产业链", "联系电话", "联络干部", "备注", "",
        ]), 0..9),
        cells in proptest::collection::vec(proptest::collection::vec("\\PC{0,30}", 0..9), 0..20),
    ) {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (c, h) in header.iter().enumerate() {
            sheet.write_string(0, c as u16, *h).expect("header");
        }
        for (r, row) in cells.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                sheet.write_string(r as u32 + 1, c as u16, v).expect("cell");
            }
        }
        let bytes = book.save_to_buffer().expect("workbook");
        if let Ok(rows) = crate::service::enterprise_import::read(&bytes) {
            prop_assert!(header.contains(&"企业名称") && header.contains(&"统一社会信用代码"));
            prop_assert!(rows.len() <= cells.len());
            // Rows are numbered as the spreadsheet numbers them, below the header.
            prop_assert!(rows.iter().all(|r| r.row >= 2 && r.row <= cells.len() + 1));
        }
    }
}
