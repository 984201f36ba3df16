//! Where a query's words occur in a text, as pieces a page can show without parsing markup:
//! `[{text: "门前", hit: true}, {text: "的", hit: false} …]`. Pages put each hit in a `<mark>`
//! element made with DOM calls; nothing here is HTML.

use serde::Serialize;

/// A run of a text: a query word (`hit`) or what lies between.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Piece {
    pub text: String,
    pub hit: bool,
}

/// How many characters of a description a snippet shows.
pub const SNIPPET_CHARS: usize = 60;

/// Characters of context kept before the first hit of a snippet.
const SNIPPET_LEAD: usize = 12;

/// `text` cut into pieces at the occurrences of `words` (case-insensitive; the longest word
/// where several start at one character). Without a hit, one piece.
pub fn pieces(text: &str, words: &[String]) -> Vec<Piece> {
    let chars: Vec<char> = text.chars().collect();
    let marks = hits(&chars, words);
    let mut out: Vec<Piece> = Vec::new();
    for (c, hit) in chars.iter().zip(marks) {
        match out.last_mut() {
            Some(last) if last.hit == hit => last.text.push(*c),
            _ => out.push(Piece {
                text: c.to_string(),
                hit,
            }),
        }
    }
    out
}

/// A window of `text` of at most [`SNIPPET_CHARS`] characters around its first hit (its start
/// when there is none), with `…` where it was cut, in pieces.
pub fn snippet(text: &str, words: &[String]) -> Vec<Piece> {
    let chars: Vec<char> = text.chars().collect();
    let marks = hits(&chars, words);
    let first = marks.iter().position(|&h| h).unwrap_or(0);
    let start = first
        .saturating_sub(SNIPPET_LEAD)
        .min(chars.len().saturating_sub(SNIPPET_CHARS));
    let end = (start + SNIPPET_CHARS).min(chars.len());
    let mut out = Vec::new();
    if start > 0 {
        out.push(Piece {
            text: "…".into(),
            hit: false,
        });
    }
    let window: String = chars[start..end].iter().collect();
    // Cut first, then mark: a word cut at the window's edge is not half marked.
    out.extend(pieces(&window, words));
    if end < chars.len() {
        match out.last_mut() {
            Some(last) if !last.hit => last.text.push('…'),
            _ => out.push(Piece {
                text: "…".into(),
                hit: false,
            }),
        }
    }
    out
}

/// For each character, whether it is inside an occurrence of one of `words`.
fn hits(chars: &[char], words: &[String]) -> Vec<bool> {
    let lower: Vec<char> = chars
        .iter()
        .map(|c| c.to_lowercase().next().unwrap_or(*c))
        .collect();
    let words: Vec<Vec<char>> = words
        .iter()
        .map(|w| w.chars().flat_map(char::to_lowercase).collect::<Vec<_>>())
        .filter(|w| !w.is_empty())
        .collect();
    let mut marks = vec![false; chars.len()];
    for at in 0..lower.len() {
        let longest = words
            .iter()
            .filter(|w| lower[at..].starts_with(w))
            .map(Vec::len)
            .max();
        if let Some(n) = longest {
            marks[at..at + n].iter_mut().for_each(|m| *m = true);
        }
    }
    marks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(ws: &[&str]) -> Vec<String> {
        ws.iter().map(|w| w.to_string()).collect()
    }

    fn shown(pieces: &[Piece]) -> String {
        pieces
            .iter()
            .map(|p| {
                if p.hit {
                    format!("[{}]", p.text)
                } else {
                    p.text.clone()
                }
            })
            .collect()
    }

    #[test]
    fn words_are_marked_wherever_they_are() {
        let p = pieces("门前路灯不亮，路灯坏了", &words(&["路灯", "门前"]));
        assert_eq!(shown(&p), "[门前路灯]不亮，[路灯]坏了");
        assert_eq!(pieces("没有", &words(&["路灯"])).len(), 1);
        assert!(pieces("", &words(&["路灯"])).is_empty());
    }

    #[test]
    fn latin_is_matched_without_case() {
        let p = pieces("工单 QYS2026 已办", &words(&["qys2026"]));
        assert_eq!(shown(&p), "工单 [QYS2026] 已办");
    }

    #[test]
    fn a_snippet_is_a_window_around_the_first_hit() {
        let text = format!("{}用电报装{}", "甲".repeat(100), "乙".repeat(100));
        let s = snippet(&text, &words(&["用电"]));
        let text = shown(&s);
        assert!(text.starts_with('…'), "{text}");
        assert!(text.ends_with('…'), "{text}");
        assert!(text.contains("[用电]报装"), "{text}");
        let chars = text.chars().filter(|c| !"[]…".contains(*c)).count();
        assert_eq!(chars, SNIPPET_CHARS);
        // Short texts are whole, without ellipses.
        assert_eq!(shown(&snippet("短的用电", &words(&["用电"]))), "短的[用电]");
        // Without a hit, the start.
        assert_eq!(shown(&snippet("没有的", &words(&["用电"]))), "没有的");
    }
}
