//! Routing suggestions (智能分拨, issue 18): the category and the lead department a request
//! most likely belongs to, learned from the district's own history — the tickets that were
//! assigned and whose assignment was not returned (a return says the routing was wrong).
//! Nothing leaves the process: no external service.
//!
//! Two classifiers for each of the category and the lead department, over the same features
//! of a request: its words ([`Segmenter::words`], the words every request uses left out), its
//! characters and its pairs of adjacent characters (which catch the typos and the words
//! missing from the dictionary: 用电报状 shares 用电 and 电报 with 用电报装), the title's
//! counted twice.
//!
//! - A multinomial naive Bayes, as counts. Each feature of the request is weighted by how
//!   much it tells the labels apart (one minus the entropy of the labels given the feature,
//!   from the same counts): 的, 有 or 申请 weigh almost nothing, 招聘 or 电价 fully. The
//!   department's also takes the category the enterprise filed, as a prior (how often each
//!   department led requests of that category). It learns by counting: a ticket is learned
//!   or forgotten in microseconds and exactly, so an assignment counts at once and a return
//!   takes it back at once.
//! - A multinomial logistic regression (`Linear`), trained by stochastic gradient descent
//!   on the whole history at each refresh ([`Router::replace`]: start-up and every
//!   `routing.refresh_secs`); the department's with the filed category as one more feature.
//!   It is about one point better than the counts, but does not change between refreshes.
//!
//! The confidence combines the two posteriors (their logs mixed, then softened by a
//! temperature). Where they disagree on the labels — a category or department learned, or
//! forgotten entirely, since the refresh — the counts answer alone. See docs/routing.md for
//! the measurements and what else was tried.
//!
//! The naive Bayes' posterior is softened by a temperature ([`CATEGORY_TEMPERATURE`],
//! [`DEPARTMENT_TEMPERATURE`]) before it is combined: its raw posteriors are near 0 or 1
//! because it counts every feature as independent evidence. All the constants were chosen by
//! cross-validation on the training part of the corpus.

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

/// The L2 penalty of the linear models, per example.
const LAMBDA: f64 = 1e-4;

/// The linear models' passes over the history at each refresh.
const EPOCHS: usize = 20;

/// The naive Bayes' share of the category's combined posterior (the linear model's is the
/// rest).
const CATEGORY_MIX: f64 = 0.3;

/// The naive Bayes' share of the department's combined posterior.
const DEPARTMENT_MIX: f64 = 0.5;

/// The softening of the category's combined posterior: its log is divided by this.
pub const CATEGORY_COMBINED_TEMPERATURE: f64 = 0.6;

/// The softening of the department's combined posterior.
pub const DEPARTMENT_COMBINED_TEMPERATURE: f64 = 0.9;

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

    /// Every label with its confidence, in the order of the labels (empty when the request
    /// shares no feature with what was learned).
    fn posterior(&self, features: &[u32], how: Ranking<'_>) -> Vec<(String, f64)> {
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
        labels
            .into_iter()
            .zip(scores)
            .map(|((label, _), s)| (label.clone(), s / sum))
            .collect()
    }
}

/// The likeliest first (ties by label, so that the order is the same on every instance).
fn ranked(posterior: Vec<(String, f64)>) -> Vec<Ranked> {
    let mut ranked: Vec<Ranked> = posterior
        .into_iter()
        .map(|(label, confidence)| Ranked { label, confidence })
        .collect();
    ranked.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then_with(|| a.label.cmp(&b.label))
    });
    ranked
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

/// A multinomial logistic regression (softmax) over the same features, trained from the whole
/// history at each refresh ([`Router::replace`]) by stochastic gradient descent with an L2
/// penalty. It does not learn or forget between refreshes: the naive Bayes counts answer for
/// what changed since (see [`combine`]).
#[derive(Debug, Default, Clone)]
struct Linear {
    /// The labels it was trained on, in order.
    labels: Vec<String>,
    /// The weight of feature `f` for label `k` at `f * labels.len() + k`; the features
    /// numbered after training weigh nothing.
    weights: Vec<f32>,
    bias: Vec<f32>,
    /// The weights of the filed category (the department's model only), per category.
    filed: HashMap<String, Vec<f32>>,
}

/// A request's features as the linear model reads them ([`sparse`]).
type Sparse = Vec<(u32, f32)>;

/// One ticket to train on: its features, its label and the category it was filed under (for
/// the department's model).
struct Doc<'a> {
    x: Sparse,
    label: &'a str,
    filed: Option<&'a str>,
}

/// How the linear models are trained.
#[derive(Debug, Clone, Copy)]
struct Training {
    /// The L2 penalty, per example.
    lambda: f64,
    /// Passes over the history.
    epochs: usize,
}

/// A request's features as the linear model reads them: each distinct feature with how often
/// the request has it, the square roots scaled to a length of one.
fn sparse(features: &[u32]) -> Sparse {
    let mut sorted = features.to_vec();
    sorted.sort_unstable();
    let mut out: Vec<(u32, f32)> = Vec::new();
    for f in sorted {
        match out.last_mut() {
            Some((last, n)) if *last == f => *n += 1.0,
            _ => out.push((f, 1.0)),
        }
    }
    let mut norm = 0.0f32;
    for (_, v) in &mut out {
        *v = v.sqrt();
        norm += *v * *v;
    }
    let norm = norm.sqrt().max(f32::MIN_POSITIVE);
    for (_, v) in &mut out {
        *v /= norm;
    }
    out
}

impl Linear {
    /// Trains on `docs` (features, label, filed category), in a fixed order for every
    /// instance: none when fewer than two labels.
    fn train(docs: &[Doc<'_>], how: Training) -> Option<Linear> {
        let mut labels: Vec<String> = docs.iter().map(|d| d.label.to_string()).collect();
        labels.sort();
        labels.dedup();
        if labels.len() < 2 {
            return None;
        }
        let k = labels.len();
        let index: HashMap<&str, usize> = labels
            .iter()
            .enumerate()
            .map(|(i, l)| (l.as_str(), i))
            .collect();
        let width = docs
            .iter()
            .flat_map(|d| d.x.iter().map(|(f, _)| *f as usize + 1))
            .max()
            .unwrap_or(0);
        let mut model = Linear {
            labels: labels.clone(),
            weights: vec![0.0; width * k],
            bias: vec![0.0; k],
            filed: HashMap::new(),
        };
        for d in docs {
            if let Some(c) = d.filed {
                model
                    .filed
                    .entry(c.to_string())
                    .or_insert_with(|| vec![0.0; k]);
            }
        }
        // The weights are `scale` times what is stored, so that the penalty's shrinking is
        // one multiplication per step (Bottou's trick).
        let mut scale = 1.0f64;
        let eta0 = 0.5;
        let mut order: Vec<usize> = (0..docs.len()).collect();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut step = 0.0f64;
        let mut p = vec![0.0f64; k];
        for _ in 0..how.epochs {
            // Fisher-Yates with a fixed xorshift: the same order on every instance.
            for i in (1..order.len()).rev() {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                order.swap(i, (seed % (i as u64 + 1)) as usize);
            }
            for &i in &order {
                let Doc { x, label, filed } = &docs[i];
                let eta = eta0 / (1.0 + how.lambda * eta0 * step);
                step += 1.0;
                model.scores(x, *filed, scale, &mut p);
                softmax(&mut p);
                p[index[label]] -= 1.0;
                scale *= 1.0 - eta * how.lambda;
                let rate = (eta / scale) as f32;
                for (f, v) in x {
                    let row = &mut model.weights[*f as usize * k..(*f as usize + 1) * k];
                    for (w, g) in row.iter_mut().zip(&p) {
                        *w -= rate * v * *g as f32;
                    }
                }
                if let Some(row) = filed.and_then(|c| model.filed.get_mut(c)) {
                    for (w, g) in row.iter_mut().zip(&p) {
                        *w -= rate * *g as f32;
                    }
                }
                for (b, g) in model.bias.iter_mut().zip(&p) {
                    *b -= (eta * g) as f32;
                }
                if scale < 1e-3 {
                    model.rescale(scale as f32);
                    scale = 1.0;
                }
            }
        }
        model.rescale(scale as f32);
        Some(model)
    }

    fn rescale(&mut self, scale: f32) {
        for w in self
            .weights
            .iter_mut()
            .chain(self.filed.values_mut().flatten())
        {
            *w *= scale;
        }
    }

    /// The log-odds of each label (in `out`, in the order of `labels`).
    fn scores(&self, x: &[(u32, f32)], filed: Option<&str>, scale: f64, out: &mut [f64]) {
        let k = self.labels.len();
        let mut sums = vec![0.0f32; k];
        for (f, v) in x {
            if let Some(row) = self.weights.get(*f as usize * k..(*f as usize + 1) * k) {
                for (s, w) in sums.iter_mut().zip(row) {
                    *s += v * w;
                }
            }
        }
        if let Some(row) = filed.and_then(|c| self.filed.get(c)) {
            for (s, w) in sums.iter_mut().zip(row) {
                *s += w;
            }
        }
        for ((o, s), b) in out.iter_mut().zip(sums).zip(&self.bias) {
            *o = f64::from(s) * scale + f64::from(*b);
        }
    }
}

/// Turns log-odds into probabilities that add up to one, in place.
fn softmax(scores: &mut [f64]) {
    let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for s in scores.iter_mut() {
        *s = (*s - max).exp();
        sum += *s;
    }
    for s in scores.iter_mut() {
        *s /= sum;
    }
}

/// What has been learned: both classifiers, the features' numbers, and each learned
/// ticket's features and labels (to forget it exactly).
#[derive(Debug, Default)]
struct Learned {
    names: HashMap<String, u32>,
    category: Counts,
    department: Counts,
    tickets: HashMap<String, (Vec<u32>, String, String)>,
    /// The linear models of the last refresh (none before the first, or with fewer than two
    /// labels).
    category_model: Option<Linear>,
    department_model: Option<Linear>,
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

    /// Trains the linear models on every learned ticket, in the order of their ids.
    fn train(&mut self, how: Training) {
        let mut ids: Vec<&String> = self.tickets.keys().collect();
        ids.sort();
        let mut docs: Vec<Doc<'_>> = ids
            .iter()
            .map(|id| {
                let (numbers, category, _) = &self.tickets[*id];
                Doc {
                    x: sparse(numbers),
                    label: category,
                    filed: None,
                }
            })
            .collect();
        let category_model = Linear::train(&docs, how);
        for (doc, id) in docs.iter_mut().zip(&ids) {
            let (_, category, dept) = &self.tickets[*id];
            doc.label = dept;
            doc.filed = Some(category);
        }
        let department_model = Linear::train(&docs, how);
        self.category_model = category_model;
        self.department_model = department_model;
    }
}

/// The naive Bayes posterior combined with the linear model's: their logs mixed, `mix` of the
/// naive Bayes, and softened by `temperature`. The naive Bayes alone when there is no linear
/// model or its labels are not the counts' any more (a label learned or forgotten entirely
/// since the refresh), so that an assignment or a return counts at once.
fn combine(
    naive: Vec<(String, f64)>,
    model: Option<&Linear>,
    x: &[(u32, f32)],
    filed: Option<&str>,
    mix: f64,
    temperature: f64,
) -> Vec<(String, f64)> {
    let Some(model) = model.filter(|m| {
        !naive.is_empty()
            && m.labels.len() == naive.len()
            && m.labels.iter().zip(&naive).all(|(a, (b, _))| a == b)
    }) else {
        return naive;
    };
    let mut linear = vec![0.0; model.labels.len()];
    model.scores(x, filed, 1.0, &mut linear);
    softmax(&mut linear);
    let mut scores: Vec<f64> = linear
        .iter()
        .zip(&naive)
        .map(|(l, (_, n))| {
            ((1.0 - mix) * l.max(1e-300).ln() + mix * n.max(1e-300).ln()) / temperature
        })
        .collect();
    softmax(&mut scores);
    naive
        .into_iter()
        .zip(scores)
        .map(|((label, _), s)| (label, s))
        .collect()
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
    /// How the linear models are trained (none: naive Bayes alone).
    training: Option<Training>,
    /// The naive Bayes' share of the combined posteriors, and the temperatures of the
    /// combination.
    category_mix: f64,
    department_mix: f64,
    category_combined_temperature: f64,
    department_combined_temperature: f64,
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
            training: Some(Training {
                lambda: LAMBDA,
                epochs: EPOCHS,
            }),
            category_mix: CATEGORY_MIX,
            department_mix: DEPARTMENT_MIX,
            category_combined_temperature: CATEGORY_COMBINED_TEMPERATURE,
            department_combined_temperature: DEPARTMENT_COMBINED_TEMPERATURE,
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
        if let Some(how) = self.settings.training {
            fresh.train(how);
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
        let x = sparse(&numbers);
        let categories = learned.category.posterior(
            &numbers,
            Ranking {
                temperature: settings.category_temperature,
                weighted: settings.weighted,
                filed: None,
            },
        );
        let departments = learned.department.posterior(
            &numbers,
            Ranking {
                temperature: settings.department_temperature,
                weighted: settings.weighted,
                filed: filed
                    .filter(|_| filed_weight > 0.0)
                    .map(|c| (c, filed_weight)),
            },
        );
        Suggestions {
            categories: ranked(combine(
                categories,
                learned.category_model.as_ref(),
                &x,
                None,
                settings.category_mix,
                settings.category_combined_temperature,
            )),
            departments: ranked(combine(
                departments,
                learned.department_model.as_ref(),
                &x,
                filed,
                settings.department_mix,
                settings.department_combined_temperature,
            )),
        }
    }
}

#[cfg(test)]
mod tests;
