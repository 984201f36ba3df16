//! The pages' ES modules as a graph, read from the files of `src/assets/` as `build.rs`
//! embedded them: every relative import names an embedded file, no module imports one that
//! imports it back (no cycles, static or `import()`), every module says on its first line what
//! it owns, and the enterprise's phone page reaches no staff or admin code (docs/frontend.md,
//! "Loading by role"). What the browser is sent, the bundles, has its own test (`bundles`).

use std::collections::{BTreeMap, BTreeSet};

use super::sources;

/// What the shell, an enterprise and the desks load: the module paths under `js/` by role.
const SHELL: &str = "js/main.js";
const ENTERPRISE_ENTRY: &str = "js/enterprise/index.js";
/// Modules only the staff and admin pages may load.
pub(super) const DESK_ONLY: [&str; 7] = [
    "js/staff/",
    "js/admin/",
    "js/desk/",
    "js/strings/staff.js",
    "js/strings/admin.js",
    "js/strings/desk.js",
    "js/strings/systemic.js",
];

#[derive(Debug, Clone, PartialEq, Eq)]
struct Import {
    target: String,
    dynamic: bool,
}

/// The relative specifiers a module imports: `import … from './x.js'`, `export … from './x.js'`,
/// `import './x.js'` and `import('./x.js')` (the pages import nothing but their own files).
/// Lines that are comments are skipped.
pub(super) fn specifiers(text: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.trim_start();
        if code.starts_with("//") || code.starts_with("/*") || code.starts_with('*') {
            continue;
        }
        for quote in ['\'', '"'] {
            for (opening, dynamic) in [("from ", false), ("import ", false), ("import(", true)] {
                let pattern = format!("{opening}{quote}");
                let mut rest = line;
                while let Some(at) = rest.find(&pattern) {
                    rest = &rest[at + pattern.len()..];
                    let Some(end) = rest.find(quote) else { break };
                    let spec = &rest[..end];
                    if spec.starts_with("./") || spec.starts_with("../") {
                        out.push((spec.to_string(), dynamic));
                    }
                    rest = &rest[end..];
                }
            }
        }
    }
    out
}

/// `spec` seen from the module `from` (both relative to the assets folder), or None when it
/// climbs out of the folder.
pub(super) fn resolve(from: &str, spec: &str) -> Option<String> {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for part in spec.split('/') {
        match part {
            "." => {}
            ".." => {
                parts.pop()?;
            }
            _ => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// Every embedded module (`.js`) with its source.
fn modules() -> BTreeMap<&'static str, String> {
    sources()
        .filter(|(name, _)| name.ends_with(".js"))
        .map(|(name, bytes)| (name, String::from_utf8_lossy(bytes).into_owned()))
        .collect()
}

/// The import graph: module → what it imports, resolved (unresolvable specifiers kept as
/// written, for the message).
fn graph() -> BTreeMap<String, Vec<Import>> {
    modules()
        .iter()
        .map(|(name, text)| {
            let imports = specifiers(text)
                .into_iter()
                .map(|(spec, dynamic)| Import {
                    target: resolve(name, &spec).unwrap_or(spec),
                    dynamic,
                })
                .collect();
            (name.to_string(), imports)
        })
        .collect()
}

/// The modules `start` loads with it: itself and what it imports statically, transitively.
fn static_closure(graph: &BTreeMap<String, Vec<Import>>, start: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![start.to_string()];
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        for import in graph.get(&name).into_iter().flatten() {
            if !import.dynamic {
                todo.push(import.target.clone());
            }
        }
    }
    seen
}

/// A cycle through `name`, if the depth-first walk from it meets one: the modules in order.
fn find_cycle(
    graph: &BTreeMap<String, Vec<Import>>,
    name: &str,
    path: &mut Vec<String>,
    done: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    if let Some(at) = path.iter().position(|p| p == name) {
        let mut cycle = path[at..].to_vec();
        cycle.push(name.to_string());
        return Some(cycle);
    }
    if done.contains(name) {
        return None;
    }
    path.push(name.to_string());
    for import in graph.get(name).into_iter().flatten() {
        if let Some(cycle) = find_cycle(graph, &import.target, path, done) {
            return Some(cycle);
        }
    }
    path.pop();
    done.insert(name.to_string());
    None
}

#[test]
fn the_import_scanner_reads_every_form_and_skips_comments() {
    let text = "// core/x.js — imports './not.js' in a comment\n\
                import { a, b } from './a.js';\n\
                import {\n  c,\n} from \"../b.js\";\n\
                import './side.js';\n\
                export { d } from './d.js';\n\
                const m = () => [import('./lazy.js')];\n\
                const s = 'from the list'; import('https://elsewhere.example/x.js');\n";
    let found: Vec<(String, bool)> = specifiers(text);
    let expected = [
        ("./a.js", false),
        ("../b.js", false),
        ("./side.js", false),
        ("./d.js", false),
        ("./lazy.js", true),
    ];
    assert_eq!(
        found,
        expected
            .iter()
            .map(|(s, d)| (s.to_string(), *d))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        resolve("js/staff/index.js", "../core/dom.js").as_deref(),
        Some("js/core/dom.js")
    );
    assert_eq!(
        resolve("js/main.js", "./core/dom.js").as_deref(),
        Some("js/core/dom.js")
    );
    assert_eq!(resolve("js/main.js", "../../x.js"), None);
}

#[test]
fn every_import_names_an_embedded_module_and_none_imports_itself_back() {
    let graph = graph();
    assert!(graph.contains_key(SHELL), "{:?}", graph.keys());
    let missing: Vec<String> = graph
        .iter()
        .flat_map(|(name, imports)| {
            imports
                .iter()
                .filter(|i| !graph.contains_key(&i.target))
                .map(move |i| format!("{name} imports {}", i.target))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "imports of missing modules: {missing:#?}"
    );
    let mut done = BTreeSet::new();
    for name in graph.keys() {
        if let Some(cycle) = find_cycle(&graph, name, &mut Vec::new(), &mut done) {
            panic!(
                "an import cycle (each module imports the next): {}",
                cycle.join(" → ")
            );
        }
    }
}

#[test]
fn the_cycle_check_finds_a_cycle() {
    let edge = |target: &str| Import {
        target: target.into(),
        dynamic: false,
    };
    let graph: BTreeMap<String, Vec<Import>> = [
        ("a".to_string(), vec![edge("b")]),
        ("b".to_string(), vec![edge("c")]),
        ("c".to_string(), vec![edge("a")]),
    ]
    .into();
    let cycle = find_cycle(&graph, "a", &mut Vec::new(), &mut BTreeSet::new());
    assert_eq!(
        cycle,
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
}

#[test]
fn every_module_says_on_its_first_line_what_it_owns() {
    let unsaid: Vec<&str> = modules()
        .iter()
        .filter(|(name, text)| {
            let own = name.trim_start_matches("js/");
            !text
                .lines()
                .next()
                .is_some_and(|first| first.starts_with(&format!("// {own} — ")))
        })
        .map(|(name, _)| *name)
        .collect();
    assert!(
        unsaid.is_empty(),
        "modules whose first line is not '// <path under js/> — what it owns': {unsaid:?}"
    );
}

#[test]
fn the_enterprise_pages_reach_no_staff_or_admin_module() {
    let graph = graph();
    let desk_only = |name: &String| DESK_ONLY.iter().any(|p| name.starts_with(p));
    // The shell is the same for everyone and holds no role's pages.
    let shell = static_closure(&graph, SHELL);
    let in_shell: Vec<&String> = shell
        .iter()
        .filter(|n| {
            ["js/enterprise/", "js/staff/", "js/admin/", "js/desk/"]
                .iter()
                .any(|p| n.starts_with(p))
        })
        .collect();
    assert!(
        in_shell.is_empty(),
        "main.js loads role pages statically (they must come with import()): {in_shell:?}"
    );
    assert!(
        graph[SHELL]
            .iter()
            .any(|i| i.dynamic && i.target == ENTERPRISE_ENTRY),
        "main.js does not import() {ENTERPRISE_ENTRY}"
    );
    let enterprise: BTreeSet<String> = shell
        .union(&static_closure(&graph, ENTERPRISE_ENTRY))
        .cloned()
        .collect();
    let leaked: Vec<&String> = enterprise.iter().filter(|n| desk_only(n)).collect();
    assert!(
        leaked.is_empty(),
        "an enterprise session would load staff or admin modules: {leaked:?}"
    );
    // The admin's pages do not borrow from the staff pages (shared helpers live in desk/).
    let borrowed: Vec<String> = graph
        .iter()
        .filter(|(name, _)| name.starts_with("js/admin/"))
        .flat_map(|(name, imports)| {
            imports
                .iter()
                .filter(|i| i.target.starts_with("js/staff/"))
                .map(move |i| format!("{name} imports {}", i.target))
        })
        .collect();
    assert!(borrowed.is_empty(), "{borrowed:?}");
}
