//! The source tree's shape, checked: every file of `src/` says on its first line what it owns,
//! and no module imports one that imports it back — no cycle among the files, nor among the
//! top-level modules (`api` → `service` → `db` and `domain`, never back). The pages' modules
//! are checked alike by `api::pages`' own test.
//!
//! A file's dependencies are what its `use` declarations name and the paths written in its
//! code (`crate::db::tickets::find(…)`, `super::connection::…`, `tickets::act(…)` for a
//! child module), each taken to the file of the longest module path it names. A module's
//! own inline test module is left out: tests read the module they test.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, by its path relative to `src/`.
fn sources(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
    for entry in std::fs::read_dir(dir).expect("read src").flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path
                .strip_prefix(root)
                .expect("under src")
                .to_string_lossy()
                .replace('\\', "/");
            out.insert(rel, std::fs::read_to_string(&path).expect("read a source"));
        }
    }
}

/// The module path of a file: `db/tickets.rs` → [db, tickets], `db/mod.rs` → [db].
fn module_of(file: &str) -> Vec<String> {
    let mut parts: Vec<String> = file
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_string)
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts == ["lib"] {
        parts.clear();
    }
    parts
}

/// The code without comments, and without the inline test module at its end.
fn code_of(text: &str) -> String {
    let mut code = String::new();
    for line in text.lines() {
        let line = match line.find("//") {
            // Not inside a string: good enough for our sources, which put no `//` in strings
            // on lines that import (a URL in a string only cuts a line short).
            Some(at) => &line[..at],
            None => line,
        };
        code.push_str(line);
        code.push('\n');
    }
    // `#[cfg(test)]`, maybe more attributes, then `mod`: the test module.
    let mut from = 0;
    while let Some(at) = code[from..].find("#[cfg(test)]").map(|i| i + from) {
        let mut rest = code[at + "#[cfg(test)]".len()..].trim_start();
        while rest.starts_with("#[") {
            rest = rest[rest.find(']').map_or(rest.len(), |e| e + 1)..].trim_start();
        }
        if rest.starts_with("mod ") {
            code.truncate(at);
            break;
        }
        from = at + 1;
    }
    code
}

/// The paths a `use` tree names: `a::{b, c::{d, e as f}}` → a::b, a::c::d, a::c::e.
fn expand(prefix: &[String], tree: &str, out: &mut Vec<Vec<String>>) {
    let tree = tree.trim();
    if tree.is_empty() {
        // After a trailing comma.
        return;
    }
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap_or("").trim();
        let mut full = prefix.to_vec();
        full.extend(
            path.split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_string),
        );
        if !full.is_empty() {
            out.push(full);
        }
        return;
    };
    let mut head = prefix.to_vec();
    head.extend(
        tree[..open]
            .split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
    );
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                expand(&head, &inner[start..i], out);
                start = i + 1;
            }
            _ => {}
        }
    }
    expand(&head, &inner[start..], out);
}

/// Every `::`-separated path in the code that starts with `first` (`crate`, `super` or a
/// child module's name), in full: `crate::db::tickets::find`.
fn paths_from(code: &str, first: &str) -> Vec<Vec<String>> {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(i) = code[at..].find(&format!("{first}::")).map(|i| i + at) {
        at = i + first.len() + 2;
        let before = code[..i].chars().next_back();
        // A whole name, not the end of another path or identifier.
        if before.is_some_and(|c| ident(c) || c == ':') {
            continue;
        }
        let rest: Vec<char> = code[at..].chars().collect();
        let mut taken = String::new();
        let mut k = 0;
        while k < rest.len() {
            let c = rest[k];
            if ident(c) {
                taken.push(c);
            } else if c == ':'
                && rest.get(k + 1) == Some(&':')
                && rest.get(k + 2).is_some_and(|c| ident(*c))
            {
                taken.push_str("::");
                k += 1;
            } else {
                break;
            }
            k += 1;
        }
        // A `use` tree's head (`crate::api::{…}`): its branches are read with the `use`.
        if taken.is_empty() || rest[k..].starts_with(&[':', ':', '{']) {
            continue;
        }
        let mut path = vec![first.to_string()];
        path.extend(
            taken
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_string),
        );
        found.push(path);
    }
    found
}

/// The files each file depends on.
fn dependencies(files: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let modules: BTreeMap<Vec<String>, String> = files
        .keys()
        .filter(|f| *f != "main.rs")
        .map(|f| (module_of(f), f.clone()))
        .collect();
    let resolve = |path: &[String]| -> Option<&String> {
        (1..=path.len()).rev().find_map(|n| modules.get(&path[..n]))
    };
    let mut edges = BTreeMap::new();
    for (file, text) in files.iter().filter(|(f, _)| *f != "main.rs") {
        let me = module_of(file);
        let code = code_of(text);
        let mut named: Vec<Vec<String>> = Vec::new();
        // `use` declarations, however they are spread over lines.
        for statement in code.split(';') {
            let s = statement.trim_start();
            let s = s
                .strip_prefix("pub(crate) ")
                .or_else(|| s.strip_prefix("pub(super) "))
                .or_else(|| s.strip_prefix("pub "))
                .unwrap_or(s);
            if let Some(tree) = s.strip_prefix("use ") {
                expand(&[], tree, &mut named);
            }
        }
        named.extend(paths_from(&code, "crate"));
        named.extend(paths_from(&code, "super"));
        let children: Vec<String> = modules
            .keys()
            .filter(|m| m.len() == me.len() + 1 && m.starts_with(&me))
            .filter_map(|m| m.last().cloned())
            .collect();
        for child in &children {
            named.extend(paths_from(&code, child));
        }
        let mut deps = BTreeSet::new();
        for path in named {
            let target: Vec<String> = match path.first().map(String::as_str) {
                Some("crate") => path[1..].to_vec(),
                Some("super") => {
                    let ups = path.iter().take_while(|p| *p == "super").count();
                    let mut base = me[..me.len().saturating_sub(ups)].to_vec();
                    base.extend(path[ups..].iter().cloned());
                    base
                }
                Some("self") => me.iter().chain(&path[1..]).cloned().collect(),
                Some(first) if children.iter().any(|c| c == first) => {
                    me.iter().chain(&path).cloned().collect()
                }
                _ => continue,
            };
            if let Some(dep) = resolve(&target)
                && dep != file
            {
                deps.insert(dep.clone());
            }
        }
        edges.insert(file.clone(), deps);
    }
    edges
}

/// The strongly connected components of more than one node (Tarjan's algorithm).
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.edges.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    component.push(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !walk.index.contains_key(v.as_str()) {
            walk.visit(v);
        }
    }
    walk.found
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn every_file_says_what_it_owns() {
    let mut files = BTreeMap::new();
    sources(&src_dir(), &src_dir(), &mut files);
    assert!(files.len() > 100, "read {} files", files.len());
    let silent: Vec<&String> = files
        .iter()
        .filter(|(_, text)| !text.starts_with("//!"))
        .map(|(file, _)| file)
        .collect();
    assert!(
        silent.is_empty(),
        "files that do not begin with a `//!` line: {silent:?}"
    );
}

fn no_module_imports_one_that_imports_it_back() {
    let mut files = BTreeMap::new();
    sources(&src_dir(), &src_dir(), &mut files);
    let edges = dependencies(&files);
    // The reading must see the imports at all: the service's ticket actions use the domain's
    // rules, the route table the handlers, a handler the service.
    for (file, dep) in [
        ("service/tickets/actions.rs", "domain/ticket/rules.rs"),
        ("api/mod.rs", "api/tickets.rs"),
        ("api/tickets.rs", "service/tickets/filing.rs"),
        ("db/tickets.rs", "db/connection.rs"),
    ] {
        assert!(
            edges.get(file).is_some_and(|d| d.contains(dep)),
            "{file} should depend on {dep}: {:?}",
            edges.get(file)
        );
    }
    let files_in_cycles = cycles(&edges);
    assert!(
        files_in_cycles.is_empty(),
        "files that import each other, directly or around a circle: {files_in_cycles:?}"
    );
    let mut top: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let top_of = |file: &str| {
        file.split('/')
            .next()
            .unwrap_or(file)
            .trim_end_matches(".rs")
            .to_string()
    };
    for (file, deps) in &edges {
        for dep in deps {
            let (a, b) = (top_of(file), top_of(dep));
            if a != b {
                top.entry(a).or_default().insert(b);
            }
        }
    }
    let layers_in_cycles = cycles(&top);
    assert!(
        layers_in_cycles.is_empty(),
        "top-level modules that import each other: {layers_in_cycles:?}"
    );
    // The layers run one way.
    for (upper, lower) in [("api", "service"), ("service", "db"), ("db", "domain")] {
        assert!(
            top[upper].contains(lower),
            "{upper} → {lower}: {:?}",
            top[upper]
        );
        assert!(
            !top.get(lower).is_some_and(|d| d.contains(upper)),
            "{lower} must not use {upper}"
        );
    }
    assert!(
        top.get("domain")
            .is_none_or(|d| d.iter().all(|m| m == "domain")),
        "the domain uses nothing of ours: {:?}",
        top.get("domain")
    );
}

crate::tests!(
    every_file_says_what_it_owns,
    no_module_imports_one_that_imports_it_back
);
