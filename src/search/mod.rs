//! Chinese text made searchable: the words of a text, for an index, and of a query, for
//! matching them (issue 18). The index itself is the databases' (`db::ticket_words`); the
//! words of tickets filed before it are filled in by [`backfill`]; [`highlight`] marks a
//! query's words in a list's titles.
//!
//! Chinese is written without spaces, so a text is segmented into words with jieba-rs in its
//! search mode: a long word is given whole and in its parts (用电报装 → 用电报装, 用电, 电报),
//! so that a query of either finds it. The dictionary is two parts:
//!
//! - **the base**, `src/search/dict.txt`: the 60,000 most frequent words of jieba's own
//!   dictionary (MIT, `dict.LICENSE`), built into the binary. The whole of it (349,000 words)
//!   costs 50 MiB of memory and 240 ms to load; these 60,000 cost 4 MiB and 21 ms, and a
//!   district's requests are in everyday words;
//! - **the district's words**, `config/search/words.txt` (营商环境, 用电报装, 专变, 加计扣除,
//!   the district's places …), read at start-up, so that an office extends it without a
//!   rebuild.
//!
//! jieba's HMM guesses at words missing from the dictionary; it is off, since its guesses
//! glue characters across real words (门前路灯不亮 came out as 门前 / 路 / 灯不亮, and 路灯 was
//! then unfindable). Without it an unknown word falls apart into characters, which a query
//! segmented the same way still matches.
//!
//! Texts are folded first as everywhere else searched (`domain::text::fold`: NFKC, lower
//! case: ＡＢＣ is abc); punctuation and spaces are dropped. Latin letters and
//! digits stay together (a ticket number, a credit code, `4S店`).

pub mod backfill;
pub mod highlight;
pub mod routing;

use std::collections::BTreeSet;
use std::io::BufRead;
use std::path::Path;

use anyhow::Context;
use jieba_rs::Jieba;

use crate::db::ticket_words::Term;
use crate::domain::text::fold;
use crate::domain::ticket::Action;

/// The timeline entries whose notes, when public, are searched: progress notes and
/// resolutions.
pub const INDEXED_ACTIONS: [Action; 2] = [Action::Progress, Action::Resolve];

/// Words nearly every request says, which make two requests look alike without being so.
pub const COMMON_WORDS: &[&str] = &[
    "问题",
    "公司",
    "我公司",
    "企业",
    "情况",
    "相关",
    "部门",
    "相关部门",
    "解决",
    "协调",
    "希望",
    "进行",
    "影响",
    "需要",
    "目前",
    "近期",
    "我们",
    "没有",
    "一个",
    "请求",
    "反映",
    "诉求",
];

/// Words that say nothing of what a request is about, left out of the hot topics with
/// [`COMMON_WORDS`]: connectives, modal and reporting verbs, vague amounts and times.
pub const STOP_WORDS: &[&str] = &[
    "但是",
    "因为",
    "所以",
    "由于",
    "导致",
    "造成",
    "已经",
    "可以",
    "能否",
    "是否",
    "如何",
    "怎么",
    "什么",
    "这个",
    "那个",
    "这些",
    "一直",
    "现在",
    "之前",
    "以后",
    "以及",
    "等等",
    "一些",
    "多次",
    "存在",
    "无法",
    "不能",
    "不是",
    "还是",
    "或者",
    "并且",
    "而且",
    "如果",
    "尽快",
    "及时",
    "帮助",
    "帮忙",
    "要求",
    "给予",
    "予以",
    "对于",
    "关于",
    "通过",
    "根据",
    "其中",
    "以上",
    "左右",
    "今年",
    "去年",
    "本月",
    "上月",
    "每天",
    "一下",
    "你们",
    "他们",
    "自己",
    "非常",
    "比较",
    "特别",
    "仍然",
    "还有",
    "此外",
    "然后",
    "目前为止",
    "申请",
    "办理",
    "处理",
];

/// Characters that end a run of characters the dictionary did not join (see
/// [`Segmenter::topic_words`]): particles, pronouns, prepositions.
const FUNCTION_CHARS: &str =
    "的了是在和与及或也都就很把被让给对从向为等个这那有我你他她它们吗呢吧啊又还将已并而但于着过";

/// Phrases in the hot topics: two words of a title next to each other, kept apart by this
/// (路灯 不亮); a word never contains it.
pub const PHRASE_JOIN: char = ' ';

/// The built-in base dictionary: `word frequency tag` per line.
const BASE_DICT: &str = include_str!("dict.txt");

/// Splits texts into words.
pub struct Segmenter {
    jieba: Jieba,
}

impl std::fmt::Debug for Segmenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segmenter").finish_non_exhaustive()
    }
}

impl Segmenter {
    /// The base dictionary alone.
    pub fn base() -> anyhow::Result<Segmenter> {
        let jieba = Jieba::with_dict(&mut std::io::BufReader::new(BASE_DICT.as_bytes()))
            .context("reading the built-in search dictionary")?;
        Ok(Segmenter { jieba })
    }

    /// The base dictionary and the district's words of `path` (one per line, an optional
    /// frequency after a space; `#` starts a comment line). A missing file is an error: the
    /// configured path names it.
    pub fn with_words(path: &Path) -> anyhow::Result<Segmenter> {
        let file = std::fs::File::open(path)
            .with_context(|| format!("reading the search words {}", path.display()))?;
        let mut segmenter = Segmenter::base()?;
        for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
            let line =
                line.with_context(|| format!("reading line {} of {}", n + 1, path.display()))?;
            segmenter
                .add_line(&line)
                .with_context(|| format!("line {} of {}", n + 1, path.display()))?;
        }
        Ok(segmenter)
    }

    /// Adds one line of a words file.
    fn add_line(&mut self, line: &str) -> anyhow::Result<()> {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let word = parts.next().unwrap_or_default();
        let freq = match parts.next() {
            Some(f) => Some(
                f.parse::<usize>()
                    .with_context(|| format!("{f:?} is not a frequency"))?,
            ),
            None => None,
        };
        anyhow::ensure!(parts.next().is_none(), "a word and at most a frequency");
        self.jieba.add_word(word, freq, None);
        Ok(())
    }

    /// The words of `text` in search mode, in order, repeats kept.
    pub fn words(&self, text: &str) -> Vec<String> {
        self.jieba
            .cut_for_search(&fold(text), false)
            .into_iter()
            .filter_map(|token| normalize(token.word))
            .collect()
    }

    /// The words of some texts, in order, repeats kept: what the index of a ticket holds
    /// ([`crate::db::ticket_words::add`]). Repeats count: the rank (FTS5's bm25,
    /// PostgreSQL's ts_rank) weighs a word by how often a ticket has it.
    pub fn index_words(&self, texts: &[&str]) -> Vec<String> {
        texts.iter().flat_map(|t| self.words(t)).collect()
    }

    /// The words a new ticket is indexed with: its title's twice (a word of the title says
    /// more about the request than one of the description, and counts double in the rank),
    /// then its description's. Its number's are added by whoever knows it.
    pub fn filing_words(&self, title: &str, description: &str) -> Vec<String> {
        self.index_words(&[title, title, description])
    }

    /// The words to compare a request by (similar requests): the distinct words of its title
    /// and then its description, of two characters or more, without the words every request
    /// uses ([`COMMON_WORDS`]), at most `max`.
    pub fn similarity_words(&self, title: &str, description: &str, max: usize) -> Vec<String> {
        let mut seen = BTreeSet::new();
        self.words(title)
            .into_iter()
            .chain(self.words(description))
            .filter(|w| w.chars().count() >= 2 && !COMMON_WORDS.contains(&w.as_str()))
            .filter(|w| seen.insert(w.clone()))
            .take(max)
            .collect()
    }

    /// What a request is about, for the hot topics: the distinct words of its title and
    /// description as the segmenter cuts them (whole: 用电报装, not also 电报), of two
    /// characters or more, not numbers, without [`COMMON_WORDS`] and [`STOP_WORDS`]; and the
    /// phrases of its title — two such words next to each other, joined by [`PHRASE_JOIN`].
    pub fn topic_words(&self, title: &str, description: &str) -> Vec<String> {
        let kept = |w: &str| {
            w.chars().count() >= 2
                && !w.chars().all(|c| c.is_ascii_digit() || c == '.')
                && !COMMON_WORDS.contains(&w)
                && !STOP_WORDS.contains(&w)
        };
        // A word the dictionary lacks falls apart into characters (不亮 → 不, 亮): a run of
        // two to four of them is taken whole, as highlighting does, unless a function
        // character (的, 了 …) ends it.
        let cut = |text: &str| -> Vec<Option<String>> {
            let mut out = Vec::new();
            let mut run = String::new();
            let flush = |run: &mut String, out: &mut Vec<Option<String>>| {
                if !run.is_empty() {
                    let whole = std::mem::take(run);
                    let n = whole.chars().count();
                    out.push(Some(whole).filter(|w| (2..=4).contains(&n) && kept(w)));
                }
            };
            for token in self.jieba.cut(&fold(text), false) {
                if token.word.trim().is_empty() {
                    continue;
                }
                match normalize(token.word) {
                    Some(w)
                        if w.chars().count() == 1
                            && !w.is_ascii()
                            && !w.chars().any(|c| FUNCTION_CHARS.contains(c)) =>
                    {
                        run.push_str(&w);
                    }
                    other => {
                        flush(&mut run, &mut out);
                        out.push(other.filter(|w| kept(w)));
                    }
                }
            }
            flush(&mut run, &mut out);
            out
        };
        let title = cut(title);
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        let phrases = title.windows(2).filter_map(|pair| match pair {
            [Some(a), Some(b)] if a != b => Some(format!("{a}{PHRASE_JOIN}{b}")),
            _ => None,
        });
        let words = title
            .iter()
            .chain(cut(description).iter())
            .flatten()
            .cloned()
            .collect::<Vec<_>>();
        for w in words.into_iter().chain(phrases.collect::<Vec<_>>()) {
            if seen.insert(w.clone()) {
                out.push(w);
            }
        }
        out
    }

    /// The distinct words of some texts, sorted and joined by spaces.
    pub fn index_text(&self, texts: &[&str]) -> String {
        let words: BTreeSet<String> = texts.iter().flat_map(|t| self.words(t)).collect();
        words.into_iter().collect::<Vec<_>>().join(" ")
    }

    /// The words a query asks for, each once, in the order typed: a text matches when it has
    /// every one. Spaces between the query's parts change nothing ("路灯 门前" and "门前路灯"
    /// ask for the same words).
    pub fn query_words(&self, query: &str) -> Vec<String> {
        let mut seen = BTreeSet::new();
        self.jieba
            .cut(&fold(query), false)
            .into_iter()
            .filter_map(|token| normalize(token.word))
            .filter(|w| seen.insert(w.clone()))
            .collect()
    }
}

impl Segmenter {
    /// The terms of a query ([`Self::query_words`]), each with the parts a longer word
    /// containing it is indexed by: the index holds a long word's parts of two and three
    /// characters only, so 高新技术 is found in 高新技术企业 by 高新 and 技术 (see
    /// [`Term`]).
    pub fn query_terms(&self, query: &str) -> Vec<Term> {
        self.query_words(query)
            .into_iter()
            .map(|word| {
                let mut parts: Vec<String> = Vec::new();
                if word.chars().count() >= 4 {
                    for token in self.jieba.cut_for_search(&word, false) {
                        if let Some(part) = normalize(token.word)
                            && part != word
                            && part.chars().count() >= 2
                            && !parts.contains(&part)
                        {
                            parts.push(part);
                        }
                    }
                }
                Term { word, parts }
            })
            .collect()
    }

    /// The words a list's highlighting looks for: the query's words ([`Self::query_words`]),
    /// with each run of single characters the segmenter cut out of one word it does not know
    /// joined back as typed — 通勤 rather than 通 and 勤, which would mark the 通 of 开通.
    pub fn highlight_words(&self, query: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut run = String::new();
        let flush = |run: &mut String, out: &mut Vec<String>| {
            if !run.is_empty() && !out.contains(run) {
                out.push(std::mem::take(run));
            }
            run.clear();
        };
        for token in self.jieba.cut(&fold(query), false) {
            match normalize(token.word) {
                Some(w) if w.chars().count() == 1 && w.chars().all(|c| !c.is_ascii()) => {
                    run.push_str(&w);
                }
                Some(w) => {
                    flush(&mut run, &mut out);
                    if !out.contains(&w) {
                        out.push(w);
                    }
                }
                None => flush(&mut run, &mut out),
            }
        }
        flush(&mut run, &mut out);
        out
    }
}

/// A word as indexed: lower-cased; `None` for punctuation and spaces.
fn normalize(word: &str) -> Option<String> {
    let word = word.trim();
    if word.is_empty() || !word.chars().any(char::is_alphanumeric) {
        return None;
    }
    Some(word.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn district() -> Segmenter {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/search/words.txt");
        Segmenter::with_words(&path).expect("the shipped words file loads")
    }

    #[test]
    fn topic_words_are_whole_words_and_title_phrases_without_stop_words() {
        let s = district();
        let words = s.topic_words(
            "门前路灯不亮的问题",
            "我公司门前路灯已经不亮3天，影响用电报装施工。",
        );
        for w in [
            "路灯",
            "不亮",
            "门前",
            "用电报装",
            "施工",
            "路灯 不亮",
            "门前 路灯",
        ] {
            assert!(words.contains(&w.to_string()), "{w} in {words:?}");
        }
        for w in [
            "问题",
            "我公司",
            "已经",
            "影响",
            "3",
            "电报",
            "的",
            "不亮 问题",
        ] {
            assert!(!words.contains(&w.to_string()), "{w} not in {words:?}");
        }
        let mut distinct = words.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), words.len(), "each once: {words:?}");
    }

    #[test]
    fn highlighting_keeps_a_word_it_does_not_know_whole() {
        let s = district();
        assert_eq!(s.highlight_words("班车 通勤"), ["班车", "通勤"]);
        assert_eq!(s.highlight_words("路灯 门前"), ["路灯", "门前"]);
        // A single character typed alone stays one.
        assert_eq!(s.highlight_words("灯"), ["灯"]);
        let pieces = crate::search::highlight::pieces(
            "建议开通园区至地铁站通勤班车",
            &s.highlight_words("班车 通勤"),
        );
        let marked: Vec<&str> = pieces
            .iter()
            .filter(|p| p.hit)
            .map(|p| p.text.as_str())
            .collect();
        assert_eq!(marked, ["通勤班车"]);
    }

    #[test]
    fn district_words_are_kept_whole_and_in_their_parts() {
        let s = district();
        let words =
            s.words("我公司新厂房用电报装进度缓慢，专变容量不足，研发费用加计扣除政策咨询。");
        for w in [
            "用电报装",
            "用电",
            "专变",
            "加计扣除",
            "扣除",
            "厂房",
            "进度",
        ] {
            assert!(words.iter().any(|x| x == w), "{w} in {words:?}");
        }
        assert!(
            !words.iter().any(|x| x == "，" || x == "。"),
            "no punctuation: {words:?}"
        );
        // The base dictionary alone splits the district's words.
        let base = Segmenter::base().expect("base");
        assert!(!base.words("专变容量不足").iter().any(|w| w == "专变"));
    }

    #[test]
    fn everyday_words_are_not_glued_across_words() {
        let s = district();
        assert_eq!(s.words("门前路灯不亮"), ["门前", "路灯", "不", "亮"]);
    }

    #[test]
    fn a_query_asks_for_its_words_whatever_the_spaces() {
        let s = district();
        assert_eq!(s.query_words("路灯 门前"), ["路灯", "门前"]);
        assert_eq!(s.query_words("门前路灯"), ["门前", "路灯"]);
        assert_eq!(s.query_words("  用电报装！ "), ["用电报装"]);
        // Every query word is among the words indexed for a text that has them.
        let indexed = s.index_text(&["关于门前路灯不亮的问题", "望城经开区用电报装"]);
        let indexed: Vec<&str> = indexed.split(' ').collect();
        for q in ["路灯 门前", "用电报装", "用电", "望城经开区", "望城"] {
            for w in s.query_words(q) {
                assert!(indexed.contains(&w.as_str()), "{w} of {q:?} in {indexed:?}");
            }
        }
    }

    #[test]
    fn a_long_query_word_is_also_found_by_its_parts_inside_a_longer_word() {
        let s = district();
        let indexed = s.words("申请认定高新技术企业");
        let terms = s.query_terms("高新技术 门前");
        assert_eq!(terms[0].word, "高新技术");
        assert!(
            !indexed.contains(&terms[0].word),
            "the index lacks the four-character part: {indexed:?}"
        );
        assert!(!terms[0].parts.is_empty(), "{terms:?}");
        for part in &terms[0].parts {
            assert!(indexed.contains(part), "{part} in {indexed:?}");
        }
        // Short words have no parts: their own are always indexed.
        assert_eq!(terms[1], Term::word("门前"));
    }

    #[test]
    fn latin_and_digits_stay_together_and_lower_case() {
        let s = district();
        let words = s.words("工单QYS20261207000003，代码91430112MA4L16JQ9R，4S店");
        assert!(
            words.contains(&"qys20261207000003".to_string()),
            "{words:?}"
        );
        assert!(
            words.contains(&"91430112ma4l16jq9r".to_string()),
            "{words:?}"
        );
    }

    #[test]
    fn similarity_words_leave_out_single_characters_and_common_words() {
        let s = district();
        let words = s.similarity_words(
            "门前路灯不亮",
            "我公司门前的路灯坏了，希望相关部门协调解决",
            16,
        );
        assert_eq!(words[..2], ["门前", "路灯"], "{words:?}");
        assert!(words.iter().all(|w| w.chars().count() >= 2), "{words:?}");
        for common in ["公司", "希望", "相关部门", "协调", "解决"] {
            assert!(!words.iter().any(|w| w == common), "{common} in {words:?}");
        }
        // Each once.
        assert_eq!(words.iter().filter(|w| *w == "路灯").count(), 1);
        assert_eq!(s.similarity_words("门前路灯不亮", "", 1), ["门前"]);
    }

    #[test]
    fn the_index_text_has_each_word_once_sorted() {
        let s = district();
        let text = s.index_text(&["路灯路灯", "路灯不亮"]);
        let words: Vec<&str> = text.split(' ').collect();
        let mut sorted = words.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(words, sorted);
        assert_eq!(words.iter().filter(|w| **w == "路灯").count(), 1);
    }

    #[test]
    fn a_bad_words_file_is_refused_with_its_line() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("words.txt");
        std::fs::write(&path, "# 注释\n营商环境\n专变 abc\n").expect("write");
        let err = format!("{:#}", Segmenter::with_words(&path).expect_err("refused"));
        assert!(err.contains("line 3"), "{err}");
        let missing = dir.path().join("none.txt");
        let err = format!(
            "{:#}",
            Segmenter::with_words(&missing).expect_err("refused")
        );
        assert!(err.contains("none.txt"), "{err}");
    }
}
