//! Routing suggestions (智能分拨, issue 18): the category and the lead department a request
//! most likely belongs to, learned from the district's own history — the tickets that were
//! assigned and whose assignment was not returned (a return says the routing was wrong).
//! Nothing leaves the process: no external service.
//!
//! Two multinomial naive Bayes classifiers, one for the category and one for the lead
//! department, over the same features of a request: its words ([`Segmenter::words`], the
//! words every request uses left out), its characters and its pairs of adjacent characters
//! (which catch the typos and the words missing from the dictionary: 用电报状 shares 用电
//! and 电报 with 用电报装), the title's counted twice. Each feature of the request is weighted
//! by how much it tells the labels apart (one minus the entropy of the labels given the
//! feature, from the same counts): 的, 有 or 申请 weigh almost nothing, 招聘 or 电价 fully.
//! The department classifier also takes the category the enterprise filed, as a prior
//! (how often each department led requests of that category).
//!
//! Naive Bayes, because it learns by counting: a ticket is learned or forgotten in
//! microseconds and exactly (its counts added or taken away; the weights are computed from
//! the counts when asked), so an assignment counts at once and a return takes it back at
//! once, and rebuilding from the database at start-up is one pass. See docs/routing.md for
//! the measurements and what else was tried.
//!
//! The confidence is the classifier's posterior softened by a temperature
//! ([`CATEGORY_TEMPERATURE`], [`DEPARTMENT_TEMPERATURE`], chosen by cross-validation on the
//! training part of the corpus): naive Bayes' raw posteriors are near 0 or 1 because it
//! counts every feature as independent evidence.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use super::{COMMON_WORDS, Segmenter};
use crate::domain::text::fold;

/// The softening of the category's posteriors: a log-odds is divided by this and by the
/// square root of the request's weighted number of features (a long request repeats its
/// evidence).
pub const CATEGORY_TEMPERATURE: f64 = 1.05;

/// The softening of the department's posteriors, as [`CATEGORY_TEMPERATURE`].
pub const DEPARTMENT_TEMPERATURE: f64 = 1.2;

/// The additive smoothing of the counts (Lidstone).
const ALPHA: f64 = 0.3;

/// The additive smoothing of a feature's rates when its weight is computed (the feature's
/// count per label, out of the label's total).
const WEIGHT_SMOOTHING: f64 = 0.1;

/// The weight of the filed category's prior in the department classifier (a power of
/// P(department | filed category)).
const FILED_WEIGHT: f64 = 3.0;

/// The smoothing of P(department | filed category) toward P(department), in requests.
const FILED_SMOOTHING: f64 = 1.0;

/// Bigrams are told apart from two-character words by this mark.
const PAIR_MARK: char = '\u{1}';

/// One learned ticket: its text and how it was routed.
#[derive(Debug, Clone)]
pub struct Example {
    pub ticket_id: String,
    pub title: String,
    pub description: String,
    pub category_id: String,
    pub department_id: String,
}

/// A suggested label (a category's or a department's id) with its confidence, 0 to 1.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub label: String,
    pub confidence: f64,
}

/// The suggestions for one request, the likeliest first.
#[derive(Debug, Clone, Default)]
pub struct Suggestions {
    pub categories: Vec<Ranked>,
    pub departments: Vec<Ranked>,
}

/// The counts of one label.
#[derive(Debug, Default, Clone)]
struct LabelCounts {
    docs: u32,
    total: u64,
    features: HashMap<u32, u32>,
}

/// One naive Bayes classifier, as counts.
#[derive(Debug, Default, Clone)]
struct Counts {
    labels: HashMap<String, LabelCounts>,
    /// How often each feature occurs over all labels: a feature with 0 is not in the
    /// vocabulary any more.
    feature_totals: HashMap<u32, u32>,
    docs: u32,
    /// How often each label was given to requests filed under each category, and how many
    /// requests each category has (the department classifier's prior; empty for the
    /// category's).
    filed: HashMap<(String, String), u32>,
    filed_docs: HashMap<String, u32>,
}

/// How a classifier ranks: its temperature, and the filed category's prior (with its
/// weight; none for the category classifier, or when the filed category is not known).
#[derive(Debug, Clone, Copy)]
struct Ranking<'a> {
    temperature: f64,
    /// Whether each feature is weighted by how much it tells the labels apart.
    weighted: bool,
    filed: Option<(&'a str, f64)>,
}

impl Counts {
    fn add(&mut self, label: &str, features: &[u32], filed: Option<&str>) {
        let counts = self.labels.entry(label.to_string()).or_default();
        counts.docs += 1;
        counts.total += features.len() as u64;
        for f in features {
            *counts.features.entry(*f).or_default() += 1;
            *self.feature_totals.entry(*f).or_default() += 1;
        }
        self.docs += 1;
        if let Some(category) = filed {
            *self
                .filed
                .entry((category.to_string(), label.to_string()))
                .or_default() += 1;
            *self.filed_docs.entry(category.to_string()).or_default() += 1;
        }
    }

    fn remove(&mut self, label: &str, features: &[u32], filed: Option<&str>) {
        let Some(counts) = self.labels.get_mut(label) else {
            return;
        };
        counts.docs = counts.docs.saturating_sub(1);
        counts.total = counts.total.saturating_sub(features.len() as u64);
        for f in features {
            if let Some(n) = counts.features.get_mut(f) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    counts.features.remove(f);
                }
            }
            if let Some(n) = self.feature_totals.get_mut(f) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.feature_totals.remove(f);
                }
            }
        }
        if counts.docs == 0 {
            self.labels.remove(label);
        }
        self.docs = self.docs.saturating_sub(1);
        if let Some(category) = filed {
            let key = (category.to_string(), label.to_string());
            if let Some(n) = self.filed.get_mut(&key) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.filed.remove(&key);
                }
            }
            if let Some(n) = self.filed_docs.get_mut(category) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.filed_docs.remove(category);
                }
            }
        }
    }

    /// The log of a label's prior: P(label), or with a filed category P(label | category)
    /// (smoothed toward P(label)) to the power of its weight.
    fn prior(&self, label: &str, docs: u32, filed: Option<(&str, f64)>) -> f64 {
        let p = f64::from(docs) / f64::from(self.docs);
        match filed {
            None => p.ln(),
            Some((category, weight)) => {
                let together = self
                    .filed
                    .get(&(category.to_string(), label.to_string()))
                    .copied()
                    .unwrap_or(0);
                let of_category = self.filed_docs.get(category).copied().unwrap_or(0);
                weight
                    * ((f64::from(together) + FILED_SMOOTHING * p)
                        / (f64::from(of_category) + FILED_SMOOTHING))
                        .ln()
            }
        }
    }

    /// Every label with its confidence, the likeliest first (ties by label, so that the
    /// order is the same on every instance).
    fn rank(&self, features: &[u32], how: Ranking<'_>) -> Vec<Ranked> {
        // Each known feature once, with how often the request has it.
        let mut known: Vec<u32> = features
            .iter()
            .copied()
            .filter(|f| self.feature_totals.contains_key(f))
            .collect();
        if self.docs == 0 || known.is_empty() {
            return Vec::new();
        }
        known.sort_unstable();
        let mut times: Vec<(u32, f64)> = Vec::new();
        for f in known {
            match times.last_mut() {
                Some((last, n)) if *last == f => *n += 1.0,
                _ => times.push((f, 1.0)),
            }
        }
        let mut labels: Vec<(&String, &LabelCounts)> = self.labels.iter().collect();
        labels.sort_by(|a, b| a.0.cmp(b.0));
        let vocabulary = self.feature_totals.len() as f64;
        let denominators: Vec<f64> = labels
            .iter()
            .map(|(_, c)| (c.total as f64 + ALPHA * vocabulary).ln())
            .collect();
        let mut scores: Vec<f64> = labels
            .iter()
            .map(|(label, c)| self.prior(label, c.docs, how.filed))
            .collect();
        let max_entropy = (labels.len() as f64).ln();
        let mut counts = vec![0u32; labels.len()];
        let mut weighted_features = 0.0;
        for (f, n) in times {
            for (count, (_, c)) in counts.iter_mut().zip(&labels) {
                *count = c.features.get(&f).copied().unwrap_or(0);
            }
            let weight = if how.weighted && labels.len() > 1 {
                1.0 - entropy(&counts, &labels) / max_entropy
            } else {
                1.0
            };
            weighted_features += n * weight;
            for ((score, count), denominator) in scores.iter_mut().zip(&counts).zip(&denominators) {
                *score += n * weight * ((f64::from(*count) + ALPHA).ln() - denominator);
            }
        }
        let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        // Less than one feature's worth of evidence is softened as one.
        let scale = how.temperature * weighted_features.max(1.0).sqrt();
        let mut sum = 0.0;
        for s in &mut scores {
            *s = ((*s - max) / scale).exp();
            sum += *s;
        }
        let mut ranked: Vec<Ranked> = labels
            .into_iter()
            .zip(scores)
            .map(|((label, _), s)| Ranked {
                label: label.clone(),
                confidence: s / sum,
            })
            .collect();
        ranked.sort_by(|a, b| {
            b.confidence
                .total_cmp(&a.confidence)
                .then_with(|| a.label.cmp(&b.label))
        });
        ranked
    }
}

/// The entropy of the labels given one feature: its rate in each label (its count, smoothed,
/// out of the label's total), normalised to add up to one.
fn entropy(counts: &[u32], labels: &[(&String, &LabelCounts)]) -> f64 {
    let rates: Vec<f64> = counts
        .iter()
        .zip(labels)
        .map(|(n, (_, c))| (f64::from(*n) + WEIGHT_SMOOTHING) / (c.total as f64).max(1.0))
        .collect();
    let sum: f64 = rates.iter().sum();
    rates
        .iter()
        .map(|r| r / sum)
        .map(|p| if p > 0.0 { -p * p.ln() } else { 0.0 })
        .sum()
}

/// What has been learned: both classifiers, the features' numbers, and each learned
/// ticket's features and labels (to forget it exactly).
#[derive(Debug, Default)]
struct Learned {
    names: HashMap<String, u32>,
    category: Counts,
    department: Counts,
    tickets: HashMap<String, (Vec<u32>, String, String)>,
}

impl Learned {
    fn numbers(&mut self, features: Vec<String>) -> Vec<u32> {
        features
            .into_iter()
            .map(|f| {
                let next = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
                *self.names.entry(f).or_insert(next)
            })
            .collect()
    }

    fn learn(&mut self, ticket_id: String, features: Vec<String>, category: String, dept: String) {
        self.forget(&ticket_id);
        let numbers = self.numbers(features);
        self.category.add(&category, &numbers, None);
        self.department.add(&dept, &numbers, Some(&category));
        self.tickets.insert(ticket_id, (numbers, category, dept));
    }

    fn forget(&mut self, ticket_id: &str) -> bool {
        let Some((numbers, category, dept)) = self.tickets.remove(ticket_id) else {
            return false;
        };
        self.category.remove(&category, &numbers, None);
        self.department.remove(&dept, &numbers, Some(&category));
        true
    }
}

/// An assignment learned or a return forgotten, kept while the history is read again.
#[derive(Debug, Clone)]
enum Change {
    Learn(Example),
    Forget(String),
}

/// The routing suggestions of one process: learned from the database at start-up, kept
/// current by the assignments and returns of this process ([`Router::learn`],
/// [`Router::forget`]) and replaced by a fresh reading of the database now and then
/// ([`Router::replace`]), so that several instances sharing one database converge.
pub struct Router {
    segmenter: Arc<Segmenter>,
    learned: RwLock<Learned>,
    /// While the history is being read again ([`Router::begin_refresh`]): the assignments and
    /// returns of this process meanwhile, replayed over what was read (it may have been read
    /// before they were committed).
    meanwhile: Mutex<Option<Vec<Change>>>,
    /// The temperatures, the features' weighting, the filed category's weight and which
    /// features are used: the constants, varied only by the cross-validation (docs/routing.md).
    settings: Settings,
}

/// How a [`Router`] learns and ranks.
#[derive(Debug, Clone, Copy)]
struct Settings {
    category_temperature: f64,
    department_temperature: f64,
    /// Whether each feature is weighted by how much it tells the labels apart.
    weighted: bool,
    /// The weight of the filed category's prior for the department (0: not used).
    filed_weight: f64,
    /// Which features are used besides the character pairs: words, single characters.
    use_words: bool,
    use_chars: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            category_temperature: CATEGORY_TEMPERATURE,
            department_temperature: DEPARTMENT_TEMPERATURE,
            weighted: true,
            filed_weight: FILED_WEIGHT,
            use_words: true,
            use_chars: true,
        }
    }
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router").finish_non_exhaustive()
    }
}

impl Router {
    /// A router that has learned nothing yet.
    pub fn new(segmenter: Arc<Segmenter>) -> Router {
        Router {
            segmenter,
            learned: RwLock::new(Learned::default()),
            meanwhile: Mutex::new(None),
            settings: Settings::default(),
        }
    }

    /// The features of a request: its words, its characters and its character pairs, the
    /// title's twice.
    pub fn features(&self, title: &str, description: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (text, times) in [(title, 2), (description, 1)] {
            let mut words: Vec<String> = if self.settings.use_words {
                self.segmenter
                    .words(text)
                    .into_iter()
                    .filter(|w| !COMMON_WORDS.contains(&w.as_str()))
                    .collect()
            } else {
                Vec::new()
            };
            let chars: Vec<char> = fold(text).chars().filter(|c| c.is_alphanumeric()).collect();
            if self.settings.use_chars {
                words.extend(
                    chars
                        .iter()
                        .map(|c| [PAIR_MARK, *c].iter().collect::<String>()),
                );
            }
            let pairs = chars
                .windows(2)
                .map(|p| [PAIR_MARK, p[0], p[1]].iter().collect::<String>());
            let pairs: Vec<String> = pairs.collect();
            for _ in 0..times {
                out.extend(words.iter().cloned());
                out.extend(pairs.iter().cloned());
            }
        }
        out
    }

    /// Says that the history is about to be read again: the assignments and returns from now
    /// on are replayed over what [`Router::replace`] is given.
    pub fn begin_refresh(&self) {
        if let Ok(mut meanwhile) = self.meanwhile.lock() {
            *meanwhile = Some(Vec::new());
        }
    }

    /// Forgets everything and learns `examples` (built before the lock is taken: a reader
    /// waits only for the swap), then what this process learned and forgot since
    /// [`Router::begin_refresh`].
    pub fn replace(&self, examples: Vec<Example>) {
        let mut fresh = Learned::default();
        for e in examples {
            let features = self.features(&e.title, &e.description);
            fresh.learn(e.ticket_id, features, e.category_id, e.department_id);
        }
        // The lock on `meanwhile` is held to the swap, so that no change falls in between.
        let Ok(mut meanwhile) = self.meanwhile.lock() else {
            return;
        };
        for change in meanwhile.take().unwrap_or_default() {
            match change {
                Change::Learn(e) => {
                    let features = self.features(&e.title, &e.description);
                    fresh.learn(e.ticket_id, features, e.category_id, e.department_id);
                }
                Change::Forget(id) => {
                    fresh.forget(&id);
                }
            }
        }
        if let Ok(mut learned) = self.learned.write() {
            *learned = fresh;
        }
    }

    /// Keeps a change for the refresh under way, if one is.
    fn note(&self, change: Change) {
        if let Ok(mut meanwhile) = self.meanwhile.lock()
            && let Some(changes) = meanwhile.as_mut()
        {
            changes.push(change);
        }
    }

    /// Learns one assignment (in place of the ticket's earlier one, if learned).
    pub fn learn(&self, example: Example) {
        self.note(Change::Learn(example.clone()));
        let features = self.features(&example.title, &example.description);
        if let Ok(mut learned) = self.learned.write() {
            learned.learn(
                example.ticket_id,
                features,
                example.category_id,
                example.department_id,
            );
        }
    }

    /// Forgets a ticket's assignment (it was returned). Whether it had been learned.
    pub fn forget(&self, ticket_id: &str) -> bool {
        self.note(Change::Forget(ticket_id.to_string()));
        self.learned
            .write()
            .map(|mut l| l.forget(ticket_id))
            .unwrap_or(false)
    }

    /// How many tickets are learned.
    pub fn examples(&self) -> usize {
        self.learned.read().map(|l| l.tickets.len()).unwrap_or(0)
    }

    /// Every category and department with its confidence, the likeliest first; empty lists
    /// when nothing has been learned or the request shares no feature with what was. The
    /// category the enterprise filed is not known here: [`Router::suggest_filed`] is better
    /// at the department when it is.
    pub fn suggest(&self, title: &str, description: &str) -> Suggestions {
        self.rank(title, description, None)
    }

    /// As [`Router::suggest`], for a request filed under `category_id`: the departments that
    /// led the requests of that category are likelier (the categories are ranked on the text
    /// alone, so that they can say when the request looks mis-filed).
    pub fn suggest_filed(&self, title: &str, description: &str, category_id: &str) -> Suggestions {
        self.rank(title, description, Some(category_id))
    }

    fn rank(&self, title: &str, description: &str, filed: Option<&str>) -> Suggestions {
        let features = self.features(title, description);
        let Ok(learned) = self.learned.read() else {
            return Suggestions::default();
        };
        let numbers: Vec<u32> = features
            .iter()
            .filter_map(|f| learned.names.get(f).copied())
            .collect();
        let settings = self.settings;
        let filed_weight = settings.filed_weight;
        Suggestions {
            categories: learned.category.rank(
                &numbers,
                Ranking {
                    temperature: settings.category_temperature,
                    weighted: settings.weighted,
                    filed: None,
                },
            ),
            departments: learned.department.rank(
                &numbers,
                Ranking {
                    temperature: settings.department_temperature,
                    weighted: settings.weighted,
                    filed: filed
                        .filter(|_| filed_weight > 0.0)
                        .map(|c| (c, filed_weight)),
                },
            ),
        }
    }
}

#[cfg(test)]
mod tests;
