//! The classifier's unit tests, and its measurement on the corpus of `tests/data/routing.tsv`
//! (the figures docs/routing.md reports, held to them minus a small margin).

use std::path::Path;

use super::*;

fn segmenter() -> Arc<Segmenter> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/search/words.txt");
    Arc::new(Segmenter::with_words(&path).expect("the shipped words file loads"))
}

fn example(id: &str, title: &str, category: &str, dept: &str) -> Example {
    Example {
        ticket_id: id.into(),
        title: title.into(),
        description: String::new(),
        category_id: category.into(),
        department_id: dept.into(),
    }
}

#[test]
fn nothing_learned_suggests_nothing() {
    let router = Router::new(segmenter());
    let s = router.suggest("新厂房用电报装进度慢", "");
    assert!(s.categories.is_empty() && s.departments.is_empty());
    assert_eq!(router.examples(), 0);
}

#[test]
fn learns_forgets_and_replaces() {
    let router = Router::new(segmenter());
    router.replace(vec![
        example("1", "新厂房用电报装进度慢", "power", "grid"),
        example("2", "专变增容报装一个月没人勘查", "power", "grid"),
        example("3", "招聘一线普工困难", "hiring", "hr"),
        example("4", "急招焊工和电工", "hiring", "hr"),
    ]);
    assert_eq!(router.examples(), 4);
    let s = router.suggest("用电报状太慢了", "");
    assert_eq!(s.categories[0].label, "power");
    assert_eq!(s.departments[0].label, "grid");
    let sum: f64 = s.categories.iter().map(|r| r.confidence).sum();
    assert!((sum - 1.0).abs() < 1e-9, "{sum}");
    assert!(s.categories[0].confidence > s.categories[1].confidence);

    // An assignment to a new department counts at once …
    router.learn(example("5", "门前路灯不亮", "other", "zone"));
    assert_eq!(
        router.suggest("门前路灯不亮", "").departments[0].label,
        "zone"
    );
    // … a re-assignment replaces it …
    router.learn(example("5", "门前路灯不亮", "other", "city"));
    assert_eq!(router.examples(), 5);
    let s = router.suggest("门前路灯不亮", "");
    assert_eq!(s.departments[0].label, "city");
    assert!(!s.departments.iter().any(|r| r.label == "zone"), "{s:?}");
    // … and a return takes it back exactly.
    assert!(router.forget("5"));
    assert!(!router.forget("5"));
    let s = router.suggest("门前路灯不亮", "");
    assert!(!s.departments.iter().any(|r| r.label == "city"), "{s:?}");
    assert_eq!(router.examples(), 4);
}

#[test]
fn what_is_learned_during_a_refresh_is_kept() {
    let router = Router::new(segmenter());
    router.replace(vec![example("1", "新厂房用电报装进度慢", "power", "grid")]);
    router.begin_refresh();
    // Assigned and returned while the history is being read (which saw neither).
    router.learn(example("2", "招聘一线普工困难", "hiring", "hr"));
    router.forget("1");
    router.replace(vec![example("1", "新厂房用电报装进度慢", "power", "grid")]);
    assert_eq!(router.examples(), 1);
    assert_eq!(router.suggest("招聘普工", "").departments[0].label, "hr");
    // No refresh under way: nothing kept for the next one.
    router.learn(example("3", "门前路灯不亮", "other", "zone"));
    router.replace(Vec::new());
    assert_eq!(router.examples(), 0);
}

#[test]
fn features_are_words_and_character_pairs_the_title_twice() {
    let router = Router::new(segmenter());
    let f = router.features("用电报装", "我公司专变");
    assert_eq!(f.iter().filter(|w| *w == "用电报装").count(), 2);
    assert_eq!(f.iter().filter(|w| *w == "专变").count(), 1);
    assert!(f.iter().any(|w| w == "\u{1}电报"));
    assert!(
        !f.iter().any(|w| w == "我公司"),
        "common words left out: {f:?}"
    );
}

#[test]
fn a_feature_every_label_shares_weighs_little() {
    let router = Router::new(segmenter());
    router.replace(vec![
        example("1", "用电报装 申请", "power", "grid"),
        example("2", "招聘普工 申请", "hiring", "hr"),
    ]);
    let learned = router.learned.read().expect("not poisoned");
    let labels: Vec<(&String, &LabelCounts)> = {
        let mut l: Vec<_> = learned.category.labels.iter().collect();
        l.sort_by(|a, b| a.0.cmp(b.0));
        l
    };
    let count = |word: &str| -> Vec<u32> {
        let f = learned.names[word];
        labels
            .iter()
            .map(|(_, c)| c.features.get(&f).copied().unwrap_or(0))
            .collect()
    };
    let max = 2f64.ln();
    let shared = 1.0 - entropy(&count("申请"), &labels) / max;
    let telling = 1.0 - entropy(&count("用电报装"), &labels) / max;
    assert!(shared < 0.05, "{shared}");
    assert!(telling > 0.5, "{telling}");
}

#[test]
fn the_linear_models_are_trained_at_each_refresh_and_the_counts_answer_since() {
    let router = Router::new(segmenter());
    router.replace(vec![
        example("1", "新厂房用电报装进度慢", "power", "grid"),
        example("2", "专变增容报装一个月没人勘查", "power", "grid"),
        example("3", "招聘一线普工困难", "hiring", "hr"),
        example("4", "急招焊工和电工", "hiring", "hr"),
    ]);
    {
        let learned = router.learned.read().expect("not poisoned");
        let model = learned.category_model.as_ref().expect("two categories");
        assert_eq!(model.labels, ["hiring", "power"]);
        assert!(learned.department_model.is_some());
    }
    let s = router.suggest("招聘焊工", "");
    assert_eq!(s.categories[0].label, "hiring");
    let sum: f64 = s.departments.iter().map(|r| r.confidence).sum();
    assert!((sum - 1.0).abs() < 1e-9, "{sum}");
    // A department learned since the refresh, which the linear model does not know: the
    // counts alone rank, and suggest it at once.
    router.learn(example("5", "门前路灯不亮", "power", "city"));
    assert_eq!(
        router.suggest("门前路灯不亮", "").departments[0].label,
        "city"
    );
    // One label only: no linear model.
    router.replace(vec![example("1", "新厂房用电报装进度慢", "power", "grid")]);
    let learned = router.learned.read().expect("not poisoned");
    assert!(learned.category_model.is_none() && learned.department_model.is_none());
}

#[test]
fn the_filed_category_leads_to_its_departments_and_is_forgotten_exactly() {
    let router = Router::new(segmenter());
    router.replace(vec![
        example("1", "许可证办理慢", "permit", "market"),
        example("2", "许可证办理慢", "permit", "market"),
        example("3", "许可证办理慢", "planning", "land"),
        example("4", "许可证办理慢", "planning", "land"),
    ]);
    let by = |filed: &str| router.suggest_filed("许可证办理", "", filed);
    assert_eq!(by("permit").departments[0].label, "market");
    assert_eq!(by("planning").departments[0].label, "land");
    // The categories are ranked on the text alone.
    assert_eq!(by("permit").categories, by("planning").categories);
    // Unknown filed category: no prior but P(department).
    let unknown = by("nothing");
    let plain = router.suggest("许可证办理", "");
    assert_eq!(unknown.departments, plain.departments);
    // Forgetting takes the pair counts back exactly.
    let before = by("planning");
    router.learn(example("5", "许可证办理慢", "planning", "market"));
    assert_ne!(by("planning").departments, before.departments);
    assert!(router.forget("5"));
    assert_eq!(by("planning").departments, before.departments);
}

// ---- the corpus

/// One line of the corpus.
struct Line {
    category: String,
    department: String,
    title: String,
    description: String,
}

fn corpus() -> Vec<Line> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/routing.tsv");
    let text = std::fs::read_to_string(path).expect("the corpus");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let parts: Vec<&str> = l.split('\t').collect();
            assert_eq!(parts.len(), 4, "{l}");
            Line {
                category: parts[0].into(),
                department: parts[1].into(),
                title: parts[2].into(),
                description: parts[3].into(),
            }
        })
        .collect()
}

/// The lines whose index `first` takes, and the others.
fn split<'a>(lines: &[&'a Line], first: impl Fn(usize) -> bool) -> (Vec<&'a Line>, Vec<&'a Line>) {
    let mut taken = Vec::new();
    let mut rest = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if first(i) {
            taken.push(*l);
        } else {
            rest.push(*l);
        }
    }
    (taken, rest)
}

/// The held-out part: every fifth line (fixed before any measurement).
fn held_out(index: usize) -> bool {
    index % 5 == 4
}

fn examples(lines: &[&Line]) -> Vec<Example> {
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| Example {
            ticket_id: i.to_string(),
            title: l.title.clone(),
            description: l.description.clone(),
            category_id: l.category.clone(),
            department_id: l.department.clone(),
        })
        .collect()
}

/// The figures of one evaluation.
#[derive(Debug, Default)]
struct Figures {
    n: usize,
    top1: usize,
    top3: usize,
    /// (confidence of the first suggestion, whether it was right), per request.
    firsts: Vec<(f64, bool)>,
}

impl Figures {
    fn extend(&mut self, other: Figures) {
        self.n += other.n;
        self.top1 += other.top1;
        self.top3 += other.top3;
        self.firsts.extend(other.firsts);
    }

    fn add(&mut self, ranked: &[Ranked], truth: &str) {
        self.n += 1;
        if ranked.first().is_some_and(|r| r.label == truth) {
            self.top1 += 1;
        }
        if ranked.iter().take(3).any(|r| r.label == truth) {
            self.top3 += 1;
        }
        self.firsts.push((
            ranked.first().map_or(0.0, |r| r.confidence),
            ranked.first().is_some_and(|r| r.label == truth),
        ));
    }

    fn top1(&self) -> f64 {
        self.top1 as f64 / self.n as f64
    }

    fn top3(&self) -> f64 {
        self.top3 as f64 / self.n as f64
    }

    /// (precision, coverage) of the first suggestions with a confidence of `threshold` or
    /// more.
    fn above(&self, threshold: f64) -> (f64, f64) {
        let above: Vec<bool> = self
            .firsts
            .iter()
            .filter(|(c, _)| *c >= threshold)
            .map(|(_, ok)| *ok)
            .collect();
        let right = above.iter().filter(|ok| **ok).count();
        (
            if above.is_empty() {
                1.0
            } else {
                right as f64 / above.len() as f64
            },
            above.len() as f64 / self.n as f64,
        )
    }

    /// The lowest threshold (one of the confidences seen) whose precision is at least
    /// `precision`.
    fn threshold_for(&self, precision: f64) -> f64 {
        let mut seen: Vec<f64> = self.firsts.iter().map(|(c, _)| *c).collect();
        seen.sort_by(f64::total_cmp);
        seen.into_iter()
            .find(|t| self.above(*t).0 >= precision)
            .unwrap_or(1.0)
    }
}

/// Trains on `train`, evaluates on `test` (the departments with the filed category, which
/// is the line's category): (categories, departments).
fn evaluate(router: &Router, train: &[&Line], test: &[&Line]) -> (Figures, Figures) {
    router.replace(examples(train));
    let mut categories = Figures::default();
    let mut departments = Figures::default();
    for l in test {
        let s = router.suggest_filed(&l.title, &l.description, &l.category);
        categories.add(&s.categories, &l.category);
        departments.add(&s.departments, &l.department);
    }
    (categories, departments)
}

/// The configured threshold of `config/default.toml`.
fn configured_threshold() -> f64 {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/default.toml");
    let text = std::fs::read_to_string(path).expect("default.toml");
    text.lines()
        .find_map(|l| l.strip_prefix("prefill_confidence = "))
        .and_then(|v| v.trim().parse().ok())
        .expect("routing.prefill_confidence in default.toml")
}

/// Five-fold cross-validation of `settings` on `train`: (categories, departments).
fn cross_validate(settings: Settings, train: &[&Line]) -> (Figures, Figures) {
    let mut router = Router::new(segmenter());
    router.settings = settings;
    let mut categories = Figures::default();
    let mut departments = Figures::default();
    for fold in 0..5 {
        let (fit, check) = split(train, |i| i % 5 != fold);
        let (c, d) = evaluate(&router, &fit, &check);
        categories.extend(c);
        departments.extend(d);
    }
    (categories, departments)
}

/// How the model, the temperatures and the threshold were chosen: five-fold
/// cross-validation on the training part only (the held-out part plays no role). Prints, for
/// each variant, top-1 and top-3, the precision and coverage at the configured threshold,
/// and the lowest threshold that is right 97.5% of the time with its coverage; run with
/// `cargo test --lib routing::tests::cross_validation -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, printed: run it by name"]
fn cross_validation() {
    let lines = corpus();
    let all: Vec<&Line> = lines.iter().collect();
    let (train, _) = split(&all, |i| !held_out(i));
    let threshold = configured_threshold();
    let chosen = Settings::default();
    let linear = |lambda: f64, epochs: usize| Some(Training { lambda, epochs });
    let variants = [
        ("chosen", chosen),
        (
            "naive Bayes alone (the previous round)",
            Settings {
                training: None,
                ..chosen
            },
        ),
        (
            "plain naive Bayes (before that: T 1.2, no weights, no filed category)",
            Settings {
                category_temperature: 1.2,
                department_temperature: 1.2,
                weighted: false,
                filed_weight: 0.0,
                training: None,
                ..chosen
            },
        ),
        (
            "the linear model alone",
            Settings {
                category_mix: 0.0,
                department_mix: 0.0,
                ..chosen
            },
        ),
        (
            "naive Bayes' share 0.5 / 0.3",
            Settings {
                category_mix: 0.5,
                department_mix: 0.3,
                ..chosen
            },
        ),
        (
            "L2 penalty 1e-5",
            Settings {
                training: linear(1e-5, EPOCHS),
                ..chosen
            },
        ),
        (
            "L2 penalty 1e-3",
            Settings {
                training: linear(1e-3, EPOCHS),
                ..chosen
            },
        ),
        (
            "40 passes",
            Settings {
                training: linear(LAMBDA, 40),
                ..chosen
            },
        ),
        (
            "combined temperatures 0.5 / 0.8",
            Settings {
                category_combined_temperature: 0.5,
                department_combined_temperature: 0.8,
                ..chosen
            },
        ),
        (
            "combined temperatures 0.7 / 1.0",
            Settings {
                category_combined_temperature: 0.7,
                department_combined_temperature: 1.0,
                ..chosen
            },
        ),
        (
            "no filed category",
            Settings {
                filed_weight: 0.0,
                ..chosen
            },
        ),
        (
            "filed category weight 2",
            Settings {
                filed_weight: 2.0,
                ..chosen
            },
        ),
        (
            "filed category weight 6",
            Settings {
                filed_weight: 6.0,
                ..chosen
            },
        ),
        (
            "without words",
            Settings {
                use_words: false,
                ..chosen
            },
        ),
        (
            "without single characters",
            Settings {
                use_chars: false,
                ..chosen
            },
        ),
    ];
    for (name, settings) in variants {
        let (categories, departments) = cross_validate(settings, &train);
        println!("{name}:");
        for (what, f) in [("category", &categories), ("department", &departments)] {
            let (p, cov) = f.above(threshold);
            let t = f.threshold_for(0.975);
            let (pt, covt) = f.above(t);
            println!(
                "  {what}: top1 {:.3} top3 {:.3}; at {threshold}: precision {p:.3} coverage {cov:.3}; at {t:.3}: precision {pt:.3} coverage {covt:.3}",
                f.top1(),
                f.top3(),
            );
        }
    }
}

/// What learning and suggesting cost with about 20,000 learned tickets (the corpus thirteen
/// times over: 19,981). Prints; run with `cargo test --release --lib routing::tests::cost --
/// --ignored --nocapture` (the debug build's segmentation is several times slower).
#[test]
#[ignore = "a measurement, printed: run it by name"]
fn cost() {
    let lines = corpus();
    let all: Vec<&Line> = lines.iter().collect();
    let mut many = Vec::new();
    for round in 0..13 {
        many.extend(examples(&all).into_iter().map(|mut e| {
            e.ticket_id = format!("{round}-{}", e.ticket_id);
            e
        }));
    }
    let router = Router::new(segmenter());
    let started = std::time::Instant::now();
    router.replace(many.clone());
    let learned = started.elapsed();
    let started = std::time::Instant::now();
    for l in &lines {
        router.suggest_filed(&l.title, &l.description, &l.category);
    }
    let suggested = started.elapsed() / lines.len() as u32;
    let started = std::time::Instant::now();
    for e in many.iter().take(1000) {
        router.forget(&e.ticket_id);
        router.learn(e.clone());
    }
    let relearned = started.elapsed() / 1000;
    let mut counts_only = Router::new(segmenter());
    counts_only.settings.training = None;
    let started = std::time::Instant::now();
    counts_only.replace(many);
    let counted = started.elapsed();
    println!(
        "{} learned in {learned:?} ({counted:?} of it segmenting and counting, the rest training the linear models); a suggestion {suggested:?}; a forget and learn {relearned:?}",
        router.examples()
    );
}

/// The held-out figures, as docs/routing.md reports them, minus a margin of one point.
#[test]
fn held_out_accuracy_stays_as_reported() {
    let lines = corpus();
    assert!(lines.len() >= 1500, "{} requests", lines.len());
    let all: Vec<&Line> = lines.iter().collect();
    let (train, test) = split(&all, |i| !held_out(i));
    let router = Router::new(segmenter());
    let (categories, departments) = evaluate(&router, &train, &test);
    let threshold = configured_threshold();
    let (precision, coverage) = categories.above(threshold);
    let (d_precision, d_coverage) = departments.above(threshold);
    println!(
        "held out {}: category top1 {:.3} top3 {:.3}, above {threshold}: precision {precision:.3} coverage {coverage:.3}; department top1 {:.3} top3 {:.3}, precision {d_precision:.3} coverage {d_coverage:.3}",
        categories.n,
        categories.top1(),
        categories.top3(),
        departments.top1(),
        departments.top3(),
    );
    const MARGIN: f64 = 0.01;
    // The figures of docs/routing.md.
    let reported = [
        ("category top-1", categories.top1(), REPORTED_CATEGORY_TOP1),
        ("category top-3", categories.top3(), REPORTED_CATEGORY_TOP3),
        (
            "precision above the threshold",
            precision,
            REPORTED_PRECISION,
        ),
        ("coverage above the threshold", coverage, REPORTED_COVERAGE),
        (
            "department top-1",
            departments.top1(),
            REPORTED_DEPARTMENT_TOP1,
        ),
        (
            "department top-3",
            departments.top3(),
            REPORTED_DEPARTMENT_TOP3,
        ),
        (
            "department precision above the threshold",
            d_precision,
            REPORTED_DEPARTMENT_PRECISION,
        ),
        (
            "department coverage above the threshold",
            d_coverage,
            REPORTED_DEPARTMENT_COVERAGE,
        ),
    ];
    for (what, measured, figure) in reported {
        assert!(
            measured >= figure - MARGIN,
            "{what}: {measured:.3}, reported {figure:.3}"
        );
    }
}

const REPORTED_CATEGORY_TOP1: f64 = 0.928;
const REPORTED_CATEGORY_TOP3: f64 = 1.000;
const REPORTED_PRECISION: f64 = 0.978;
const REPORTED_COVERAGE: f64 = 0.749;
const REPORTED_DEPARTMENT_TOP1: f64 = 0.941;
const REPORTED_DEPARTMENT_TOP3: f64 = 1.000;
const REPORTED_DEPARTMENT_PRECISION: f64 = 0.969;
const REPORTED_DEPARTMENT_COVERAGE: f64 = 0.853;
