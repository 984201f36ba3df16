//! Text as people type it: the normalised form that search matches against, and the escaping
//! that lets a search for `%` or `_` find those characters literally.
//!
//! SQLite's `lower()` and `LIKE` only fold ASCII, so the folding is done here, in Rust, and
//! the result is stored beside the original (which is kept exactly as typed).

use unicode_normalization::UnicodeNormalization;

/// NFKC (full-width Ａ１ becomes A1, compatibility forms unify) then lower case.
pub fn fold(text: &str) -> String {
    text.nfkc().flat_map(char::to_lowercase).collect()
}

/// The stored search column of a record: its searchable parts folded and joined by a newline,
/// so that a search term never matches across two parts.
pub fn search_text(parts: &[&str]) -> String {
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&fold(part));
    }
    out
}

/// The escape character used with `LIKE ... ESCAPE`.
pub const LIKE_ESCAPE: char = '\\';

/// A `LIKE` pattern that matches the folded term anywhere, with `%`, `_` and the escape
/// character itself taken literally.
pub fn contains_pattern(term: &str) -> String {
    let mut out = String::with_capacity(term.len() + 2);
    out.push('%');
    for c in fold(term.trim()).chars() {
        if matches!(c, '%' | '_' | LIKE_ESCAPE) {
            out.push(LIKE_ESCAPE);
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Length as people count it: characters, not bytes (一 is one, not three).
pub fn char_len(text: &str) -> usize {
    text.chars().count()
}

/// True when the text has something in it besides white space.
pub fn is_blank(text: &str) -> bool {
    text.trim().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_full_width_and_case() {
        assert_eq!(fold("ＡＢＣ１２３ Abc"), "abc123 abc");
        assert_eq!(fold("用电报装"), "用电报装");
        assert_eq!(fold("ÄÖ"), "äö");
    }

    #[test]
    fn search_text_keeps_parts_apart() {
        assert_eq!(search_text(&["Title", "描述"]), "title\n描述");
    }

    #[test]
    fn escapes_like_wildcards() {
        assert_eq!(contains_pattern("100%"), "%100\\%%");
        assert_eq!(contains_pattern("a_b"), "%a\\_b%");
        assert_eq!(contains_pattern("a\\b"), "%a\\\\b%");
        assert_eq!(contains_pattern(" 用电 "), "%用电%");
    }

    #[test]
    fn counts_characters() {
        assert_eq!(char_len("企业哨"), 3);
        assert_eq!(char_len("😀a"), 2);
        assert!(is_blank(" \t\n"));
        assert!(!is_blank(" x "));
    }
}
