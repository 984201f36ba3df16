//! The pages as served: `src/assets/` turned, at build time, into bundles per role with
//! content-hashed names, the shell pointing at them, and every file precompressed (gzip and
//! brotli). `build.rs` writes the result to `OUT_DIR` and a table of it for `api::pages`.
//!
//! Bundling without a JavaScript tool works because the modules are written in a narrow,
//! checked form (docs/frontend.md): imports are `import { a, b as c } from './x.js'`,
//! `import * as ns from './x.js'` or `import('./x.js')`, each at the start of a line; exports
//! are `export function|async function|class|const NAME` at the start of a line. Anything else
//! stops the build with a message, so a new form cannot be bundled wrongly in silence. Each
//! module becomes a function run once, in the order the browser would run them, whose return
//! value stands for its namespace; `const { a } = m_x` in place of an import copies the binding,
//! which equals ES's live binding because no module reassigns what it exports (`export let`
//! is refused).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use sha2::{Digest, Sha256};

/// What a served file is, which decides how it is cached.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// A file of `src/assets/` under its own name: revalidated (`no-cache`).
    Source,
    /// A bundle or a file under a content-hashed name: cached for a year, immutable.
    Hashed,
    /// `index.html` as built: points at the hashed names; revalidated.
    Shell,
}

pub struct Served {
    pub name: String,
    pub kind: Kind,
    pub bytes: Vec<u8>,
}

/// A bundle: its served name, the modules in it (in the order they run), the bundles it
/// imports statically and those it may `import()`.
pub struct Bundle {
    pub file: String,
    pub modules: Vec<String>,
    pub imports: Vec<String>,
    pub dynamic: Vec<String>,
}

pub struct Build {
    pub served: Vec<Served>,
    pub bundles: Vec<Bundle>,
}

const SHELL: &str = "index.html";
const ENTRY: &str = "js/main.js";

pub fn hash_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// `dir/name.ext` → `dir/name.<hash>.ext`.
fn hashed_name(name: &str, bytes: &[u8]) -> String {
    let hash = &hash_hex(bytes)[..10];
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.ends_with('/') => format!("{stem}.{hash}.{ext}"),
        _ => format!("{name}.{hash}"),
    }
}

/// `spec` seen from the module `from`, both relative to the assets folder.
fn resolve(from: &str, spec: &str) -> Result<String, String> {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for part in spec.split('/') {
        match part {
            "." => {}
            ".." => {
                parts
                    .pop()
                    .ok_or_else(|| format!("{from}: {spec} leaves the folder"))?;
            }
            _ => parts.push(part),
        }
    }
    Ok(parts.join("/"))
}

/// The variable a module's namespace is kept in: `js/core/dom.js` → `m_core_dom`.
fn variable(module: &str) -> String {
    let stem = module.trim_start_matches("js/").trim_end_matches(".js");
    let mut out = String::from("m_");
    out.extend(
        stem.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }),
    );
    out
}

struct Module {
    name: String,
    /// Static imports, in source order: the target and the names taken from it.
    imports: Vec<(String, Vec<String>)>,
    /// Targets of `import()`.
    dynamic: Vec<String>,
    exports: Vec<String>,
    /// The text with imports replaced and `export ` removed; `import()` become `__import`.
    body: String,
}

fn identifier(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The quoted specifier ending a statement (`… from './x.js';` or `import './x.js';`).
fn quoted(statement: &str) -> Option<(usize, &str)> {
    let end = statement.trim_end().trim_end_matches(';').trim_end();
    let quote = end.chars().last().filter(|q| *q == '\'' || *q == '"')?;
    let inner = &end[..end.len() - 1];
    let start = inner.rfind(quote)?;
    Some((start, &inner[start + 1..]))
}

fn parse(name: &str, text: &str) -> Result<Module, String> {
    let mut module = Module {
        name: name.to_string(),
        imports: Vec::new(),
        dynamic: Vec::new(),
        exports: Vec::new(),
        body: String::new(),
    };
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.starts_with("import ") || line.starts_with("import{") {
            // A statement may run over several lines; it ends with its quoted specifier.
            let mut statement = line.to_string();
            while quoted(&statement).is_none() {
                let more = lines
                    .next()
                    .ok_or_else(|| format!("{name}: an import that never ends: {line}"))?;
                statement.push('\n');
                statement.push_str(more);
            }
            let Some((at, spec)) = quoted(&statement) else {
                continue;
            };
            if !spec.starts_with("./") && !spec.starts_with("../") {
                return Err(format!("{name}: only relative imports are bundled: {spec}"));
            }
            let target = resolve(name, spec)?;
            let clause = statement["import".len()..at].trim();
            let clause = clause.strip_suffix("from").unwrap_or(clause).trim();
            let var = variable(&target);
            let mut taken = Vec::new();
            if clause.is_empty() {
                // import './x.js': run for its effects; the order takes care of it.
            } else if let Some(ns) = clause.strip_prefix("* as ") {
                let ns = ns.trim();
                let _ = writeln!(module.body, "const {ns} = {var};");
            } else if let Some(list) = clause.strip_prefix('{').and_then(|c| c.strip_suffix('}')) {
                let mut bindings = Vec::new();
                for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                    match item.split_once(" as ") {
                        Some((from, to)) => {
                            taken.push(from.trim().to_string());
                            bindings.push(format!("{}: {}", from.trim(), to.trim()));
                        }
                        None => {
                            taken.push(item.to_string());
                            bindings.push(item.to_string());
                        }
                    }
                }
                let _ = writeln!(module.body, "const {{ {} }} = {var};", bindings.join(", "));
            } else {
                return Err(format!(
                    "{name}: an import the bundler does not read (use `import {{ … }}` or `* as`): {statement}"
                ));
            }
            module.imports.push((target, taken));
            continue;
        }
        if let Some(rest) = line.strip_prefix("export ") {
            let declared = ["async function ", "function ", "class ", "const "]
                .iter()
                .find_map(|kw| rest.strip_prefix(kw));
            let Some(declared) = declared else {
                return Err(format!(
                    "{name}: an export the bundler does not read (export function|async function|class|const NAME): {line}"
                ));
            };
            let export = identifier(declared.trim_start_matches('*').trim_start());
            if export.is_empty() {
                return Err(format!("{name}: an export without a name: {line}"));
            }
            module.exports.push(export.to_string());
            module.body.push_str(rest);
            module.body.push('\n');
            continue;
        }
        let code = line.trim_start();
        let comment = code.starts_with("//") || code.starts_with("/*") || code.starts_with('*');
        let mut rewritten = String::new();
        let mut rest = line;
        if !comment {
            for quote in ['\'', '"'] {
                let pattern = format!("import({quote}");
                while let Some(at) = rest.find(&pattern) {
                    let after = &rest[at + pattern.len()..];
                    let end = after
                        .find(quote)
                        .ok_or_else(|| format!("{name}: an unfinished import(): {line}"))?;
                    let spec = &after[..end];
                    let closing = after[end + 1..].trim_start();
                    if !closing.starts_with(')') {
                        return Err(format!("{name}: import() of more than a literal: {line}"));
                    }
                    let target = resolve(name, spec)?;
                    rewritten.push_str(&rest[..at]);
                    let _ = write!(rewritten, "__import({:?})", variable(&target));
                    module.dynamic.push(target);
                    let skipped = after.len() - closing.len() + 1;
                    rest = &after[skipped..];
                }
            }
        }
        rewritten.push_str(rest);
        module.body.push_str(&rewritten);
        module.body.push('\n');
    }
    Ok(module)
}

/// The modules `start` loads with it, itself included (static imports, transitively).
fn closure(modules: &BTreeMap<String, Module>, start: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![start.to_string()];
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(m) = modules.get(&name) {
            todo.extend(m.imports.iter().map(|(t, _)| t.clone()));
        }
    }
    seen
}

/// Post-order over static imports from `start`: the order in which a browser runs them.
fn run_order(
    modules: &BTreeMap<String, Module>,
    name: &str,
    seen: &mut BTreeSet<String>,
    out: &mut Vec<String>,
) {
    if !seen.insert(name.to_string()) {
        return;
    }
    if let Some(m) = modules.get(name) {
        for (target, _) in &m.imports {
            run_order(modules, target, seen, out);
        }
    }
    out.push(name.to_string());
}

/// A bundle's name from the entries that need its modules.
fn bundle_name(entries: &BTreeSet<String>) -> String {
    let short = |e: &String| {
        let stem = e.trim_start_matches("js/").trim_end_matches(".js");
        stem.trim_end_matches("/index").replace('/', "-")
    };
    if entries.len() == 1 {
        entries.iter().map(short).collect()
    } else {
        format!(
            "shared-{}",
            entries.iter().map(short).collect::<Vec<_>>().join("-")
        )
    }
}

/// `/assets/<name>` followed by a quote, in `text`, replaced by the asset's hashed name.
fn point_at_hashed(text: &str, renamed: &BTreeMap<String, String>) -> String {
    let mut out = text.to_string();
    for (from, to) in renamed {
        for quote in ['"', '\'', '`'] {
            out = out.replace(
                &format!("/assets/{from}{quote}"),
                &format!("/assets/{to}{quote}"),
            );
        }
    }
    out
}

/// A script or style sheet without its full-line comments, indentation and blank lines: a
/// tenth of the bytes after compression. Safe because no line is inside a string or template
/// that spans lines; a text where one might be (a line with an odd number of backticks, or
/// ending in a backslash) is left as it is.
fn strip(text: &str) -> String {
    let spans_lines = text
        .lines()
        .any(|l| l.matches('`').count() % 2 == 1 || l.trim_end().ends_with('\\'));
    if spans_lines {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for line in text.lines().map(str::trim) {
        let comment = line.starts_with("//")
            || (line.starts_with("/*") && line.ends_with("*/") && line.matches("*/").count() == 1);
        if line.is_empty() || comment {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Builds the served set from the files of `src/assets/` (name relative to it, bytes).
pub fn build(sources: &[(String, Vec<u8>)]) -> Result<Build, String> {
    // Files other than modules and the shell keep their bytes under a hashed name.
    let mut renamed = BTreeMap::new();
    let mut served = Vec::new();
    for (name, bytes) in sources {
        if name != SHELL {
            served.push(Served {
                name: name.clone(),
                kind: Kind::Source,
                bytes: bytes.clone(),
            });
        }
        if name != SHELL && !name.ends_with(".js") {
            let bytes = if name.ends_with(".css") {
                strip(&String::from_utf8_lossy(bytes)).into_bytes()
            } else {
                bytes.clone()
            };
            let hashed = hashed_name(name, &bytes);
            renamed.insert(name.clone(), hashed.clone());
            served.push(Served {
                name: hashed,
                kind: Kind::Hashed,
                bytes,
            });
        }
    }

    let mut modules = BTreeMap::new();
    for (name, bytes) in sources.iter().filter(|(n, _)| n.ends_with(".js")) {
        let text = std::str::from_utf8(bytes).map_err(|e| format!("{name}: {e}"))?;
        modules.insert(name.clone(), parse(name, text)?);
    }
    let mut variables = BTreeMap::new();
    for name in modules.keys() {
        if let Some(other) = variables.insert(variable(name), name) {
            return Err(format!("{name} and {other} would share a variable name"));
        }
    }
    for m in modules.values() {
        for (target, names) in &m.imports {
            let found = modules
                .get(target)
                .ok_or_else(|| format!("{} imports {target}, which is not there", m.name))?;
            for n in names {
                if !found.exports.contains(n) {
                    return Err(format!(
                        "{} imports {n} from {target}, which does not export it",
                        m.name
                    ));
                }
            }
        }
        for target in &m.dynamic {
            if !modules.contains_key(target) {
                return Err(format!("{} imports {target}, which is not there", m.name));
            }
        }
    }
    if !modules.contains_key(ENTRY) {
        return Err(format!("no {ENTRY}"));
    }

    // Entries: the shell's script, and every import() target (each role's pages).
    let mut entries: Vec<String> = vec![ENTRY.to_string()];
    for m in modules.values() {
        for d in &m.dynamic {
            if !entries.contains(d) {
                entries.push(d.clone());
            }
        }
    }
    let shell = closure(&modules, ENTRY);
    // Which bundle each module goes to: main.js alone; what it imports (the shell, loaded
    // by everyone) in `core`; the rest by the set of entries that reach it, so that no
    // module is fetched twice and none by a role that does not use it.
    let mut bundle_of: BTreeMap<String, String> = BTreeMap::new();
    for name in modules.keys() {
        let bundle = if name == ENTRY {
            "main".to_string()
        } else if shell.contains(name) {
            "core".to_string()
        } else {
            let reaching: BTreeSet<String> = entries[1..]
                .iter()
                .filter(|e| closure(&modules, e).contains(name))
                .cloned()
                .collect();
            if reaching.is_empty() {
                continue; // reached by nothing: served as a file, bundled nowhere
            }
            bundle_name(&reaching)
        };
        bundle_of.insert(name.clone(), bundle);
    }
    let mut order = Vec::new();
    let mut seen = BTreeSet::new();
    for e in &entries {
        run_order(&modules, e, &mut seen, &mut order);
    }
    let mut members: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for name in &order {
        if let Some(b) = bundle_of.get(name) {
            members.entry(b.clone()).or_default().push(name.clone());
        }
    }
    // Which bundles each bundle imports statically and with import().
    let mut static_deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut dynamic_deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (bundle, names) in &members {
        for name in names {
            for (target, _) in &modules[name].imports {
                let tb = &bundle_of[target];
                if tb != bundle {
                    static_deps
                        .entry(bundle.clone())
                        .or_default()
                        .insert(tb.clone());
                }
            }
            for target in &modules[name].dynamic {
                dynamic_deps
                    .entry(bundle.clone())
                    .or_default()
                    .insert(bundle_of[target].clone());
            }
        }
    }
    // What loading a bundle fetches: itself and its static imports, transitively.
    let loads = |start: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![start.to_string()];
        while let Some(b) = todo.pop() {
            if seen.insert(b.clone()) {
                todo.extend(static_deps.get(&b).into_iter().flatten().cloned());
            }
        }
        seen
    };

    // Written in dependency order, so that each bundle's text holds its imports' final names.
    let mut file_of: BTreeMap<String, String> = BTreeMap::new();
    let mut bundles = Vec::new();
    let mut pending: Vec<String> = members.keys().cloned().collect();
    while !pending.is_empty() {
        let ready = pending.iter().position(|b| {
            static_deps
                .get(b)
                .into_iter()
                .chain(dynamic_deps.get(b))
                .flatten()
                .all(|d| file_of.contains_key(d))
        });
        let Some(at) = ready else {
            return Err(format!("bundles that import each other: {pending:?}"));
        };
        let bundle = pending.remove(at);
        let names = &members[&bundle];
        let mut text = format!(
            "// {bundle} — built by build.rs from src/assets/js: {}\n",
            names
                .iter()
                .map(|n| n.trim_start_matches("js/"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let own: BTreeSet<String> = loads(&bundle);
        for dep in static_deps.get(&bundle).into_iter().flatten() {
            let used: BTreeSet<String> = names
                .iter()
                .flat_map(|n| modules[n].imports.iter())
                .filter(|(t, _)| &bundle_of[t] == dep)
                .map(|(t, _)| variable(t))
                .collect();
            let file = &file_of[dep];
            let _ = writeln!(
                text,
                "import {{ {} }} from './{}';",
                used.into_iter().collect::<Vec<_>>().join(", "),
                file.trim_start_matches("js/")
            );
        }
        let dynamic: BTreeSet<&String> = names
            .iter()
            .flat_map(|n| modules[n].dynamic.iter())
            .collect();
        if !dynamic.is_empty() {
            text.push_str(IMPORT_HELPER);
            text.push_str("const __bundles = {\n");
            for target in dynamic {
                let tb = &bundle_of[target];
                let preload: Vec<String> = loads(tb)
                    .into_iter()
                    .filter(|b| !own.contains(b))
                    .map(|b| format!("'./{}'", file_of[&b].trim_start_matches("js/")))
                    .collect();
                let _ = writeln!(
                    text,
                    "  {}: [() => import('./{}'), [{}]],",
                    variable(target),
                    file_of[tb].trim_start_matches("js/"),
                    preload.join(", ")
                );
            }
            text.push_str("};\n");
        }
        for name in names {
            let m = &modules[name];
            let _ = write!(
                text,
                "\n// {}\nconst {} = (() => {{\n{}return {{ {} }};\n}})();\n",
                name.trim_start_matches("js/"),
                variable(name),
                strip(&m.body),
                m.exports.join(", ")
            );
        }
        let _ = writeln!(
            text,
            "\nexport {{ {} }};",
            names
                .iter()
                .map(|n| variable(n))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let text = point_at_hashed(&text, &renamed);
        let file = hashed_name(&format!("js/{bundle}.js"), text.as_bytes());
        file_of.insert(bundle.clone(), file.clone());
        bundles.push(Bundle {
            file: file.clone(),
            modules: names.clone(),
            imports: static_deps
                .get(&bundle)
                .into_iter()
                .flatten()
                .map(|b| file_of[b].clone())
                .collect(),
            dynamic: dynamic_deps
                .get(&bundle)
                .into_iter()
                .flatten()
                .map(|b| file_of[b].clone())
                .collect(),
        });
        served.push(Served {
            name: file,
            kind: Kind::Hashed,
            bytes: text.into_bytes(),
        });
    }

    // The shell: its script is the main bundle, what that imports is preloaded beside it, and
    // its other files are named by their hashes.
    let (_, html) = sources
        .iter()
        .find(|(n, _)| n == SHELL)
        .ok_or_else(|| format!("no {SHELL}"))?;
    let html = std::str::from_utf8(html).map_err(|e| format!("{SHELL}: {e}"))?;
    let script = format!("<script type=\"module\" src=\"/assets/{ENTRY}\"></script>");
    if !html.contains(&script) {
        return Err(format!("{SHELL} does not contain {script}"));
    }
    let mut tags = format!(
        "<script type=\"module\" src=\"/assets/{}\"></script>",
        file_of["main"]
    );
    for b in loads("main").into_iter().filter(|b| b != "main") {
        let _ = write!(
            tags,
            "\n<link rel=\"modulepreload\" href=\"/assets/{}\">",
            file_of[&b]
        );
    }
    let html = point_at_hashed(&html.replace(&script, &tags), &renamed);
    served.push(Served {
        name: SHELL.to_string(),
        kind: Kind::Shell,
        bytes: html.into_bytes(),
    });
    Ok(Build { served, bundles })
}

/// Defined in a bundle that has `import()`s: each asks for its bundle and preloads, at the
/// same time, the bundles that one imports. When a bundle cannot be fetched because this
/// binary no longer has it (the page was opened before an upgrade), the page is loaded again,
/// once, to get the new shell.
const IMPORT_HELPER: &str = r#"const __import = (name) => {
  const [load, files] = __bundles[name];
  for (const file of files) {
    const href = new URL(file, import.meta.url).href;
    if (!document.querySelector(`link[rel="modulepreload"][href="${href}"]`)) {
      const link = document.createElement('link');
      link.rel = 'modulepreload';
      link.href = href;
      document.head.appendChild(link);
    }
  }
  return load().then((bundle) => bundle[name], (err) => fetch('/', { cache: 'no-store' })
    .then((shell) => shell.text())
    .then((text) => {
      const own = new URL(import.meta.url).pathname;
      if (!text.includes(own) && sessionStorage.getItem('qys.stale') !== own) {
        sessionStorage.setItem('qys.stale', own);
        location.reload();
      }
      throw err;
    }, () => { throw err; }));
};
"#;
