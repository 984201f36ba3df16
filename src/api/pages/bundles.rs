//! What the browser is sent, as build.rs wrote it: every import in a served script and every
//! `/assets/…` name in the shell and the scripts names a served file; each module is in one
//! bundle; the shell loads the main bundle and preloads exactly what it imports; an enterprise's
//! bundles hold no staff or admin module; hashed names are their contents' hashes.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

use super::module_graph::{DESK_ONLY, resolve, specifiers};
use super::{BUNDLES, Bundle, EMBEDDED, Kind, embedded, sources};

fn text(name: &str) -> String {
    embedded()
        .get(name)
        .map(|a| String::from_utf8_lossy(a.identity.bytes).into_owned())
        .unwrap_or_default()
}

fn bundle(file: &str) -> &'static Bundle {
    BUNDLES
        .iter()
        .find(|b| b.file == file)
        .unwrap_or_else(|| panic!("no bundle {file}"))
}

/// The bundle holding `module`.
fn bundle_of(module: &str) -> &'static Bundle {
    BUNDLES
        .iter()
        .find(|b| b.modules.contains(&module))
        .unwrap_or_else(|| panic!("{module} is in no bundle"))
}

/// `file` and the bundles it imports statically, transitively: what loading it fetches.
fn loads(file: &str) -> BTreeSet<&'static str> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![bundle(file).file];
    while let Some(f) = todo.pop() {
        if seen.insert(f) {
            todo.extend(bundle(f).imports.iter().copied());
        }
    }
    seen
}

/// The quoted literals in `text` that start with `prefix`, outside comment lines.
fn quoted_starting(text: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.trim_start();
        if code.starts_with("//") || code.starts_with("/*") || code.starts_with('*') {
            continue;
        }
        for quote in ['\'', '"', '`'] {
            for piece in line.split(quote).skip(1).step_by(2) {
                if piece.starts_with(prefix) {
                    out.push(piece.to_string());
                }
            }
        }
    }
    out
}

#[test]
fn every_import_and_asset_name_in_what_is_served_resolves_to_a_served_file() {
    let served: BTreeSet<&str> = EMBEDDED.iter().map(|a| a.name).collect();
    let mut missing = Vec::new();
    for asset in EMBEDDED {
        let body = text(asset.name);
        if asset.name.ends_with(".js") {
            // import … from './x.js', import('./x.js'), and the bundles' preload lists.
            let relative = specifiers(&body)
                .into_iter()
                .map(|(spec, _)| spec)
                .chain(quoted_starting(&body, "./"))
                .chain(quoted_starting(&body, "../"));
            for spec in relative {
                match resolve(asset.name, &spec) {
                    Some(target) if served.contains(target.as_str()) => {}
                    _ => missing.push(format!("{} imports {spec}", asset.name)),
                }
            }
        }
        if asset.name.ends_with(".js") || asset.kind == Kind::Shell {
            for path in quoted_starting(&body, "/assets/") {
                if !path.contains("${") && !served.contains(&path["/assets/".len()..]) {
                    missing.push(format!("{} names {path}", asset.name));
                }
            }
        }
    }
    assert!(missing.is_empty(), "names of nothing served: {missing:#?}");
    assert!(BUNDLES.len() >= 4, "{}", BUNDLES.len());
}

#[test]
fn the_shell_runs_the_main_bundle_and_preloads_exactly_what_it_imports() {
    let shell = text("index.html");
    let main = bundle_of("js/main.js");
    assert!(
        shell.contains(&format!(
            "<script type=\"module\" src=\"/assets/{}\"></script>",
            main.file
        )),
        "{shell}"
    );
    let preloaded: BTreeSet<&str> = shell
        .split("<link rel=\"modulepreload\" href=\"/assets/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    let expected: BTreeSet<&str> = main.imports.iter().copied().collect();
    assert_eq!(preloaded, expected);
    // The shell names its other files by their hashes; the sources' names are for old pages.
    assert!(!shell.contains("/assets/app.css\""), "{shell}");
    assert!(!shell.contains("/assets/js/main.js\""), "{shell}");
}

#[test]
fn each_module_is_in_one_bundle_and_each_import_target_starts_a_bundle() {
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for b in BUNDLES {
        for m in b.modules {
            *count.entry(m).or_default() += 1;
        }
    }
    let twice: Vec<_> = count.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "modules in two bundles: {twice:?}");
    let unbundled: Vec<&str> = sources()
        .map(|(name, _)| name)
        .filter(|n| n.ends_with(".js") && !count.contains_key(n))
        .collect();
    assert!(unbundled.is_empty(), "modules nobody loads: {unbundled:?}");
    // What main.js import()s is what its bundle may import().
    let main = bundle_of("js/main.js");
    for entry in [
        "js/enterprise/index.js",
        "js/staff/index.js",
        "js/admin/index.js",
    ] {
        assert!(
            main.dynamic.contains(&bundle_of(entry).file),
            "{entry}: {:?}",
            main.dynamic
        );
    }
}

#[test]
fn an_enterprise_loads_no_staff_or_admin_module() {
    let main = bundle_of("js/main.js").file;
    let enterprise = bundle_of("js/enterprise/index.js").file;
    let files: BTreeSet<&str> = loads(main).union(&loads(enterprise)).copied().collect();
    let leaked: Vec<&str> = files
        .iter()
        .flat_map(|f| bundle(f).modules.iter().copied())
        .filter(|m| DESK_ONLY.iter().any(|p| m.starts_with(p)))
        .collect();
    assert!(leaked.is_empty(), "an enterprise would load {leaked:?}");
    // And it gets every module of its pages.
    assert!(
        files
            .iter()
            .any(|f| bundle(f).modules.contains(&"js/enterprise/home.js"))
    );
}

#[test]
fn hashed_names_carry_their_contents_hash_and_nothing_else_does() {
    for asset in EMBEDDED {
        let hash: String = Sha256::digest(asset.identity.bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let named = asset.name.contains(&format!(".{}.", &hash[..10]));
        assert_eq!(
            named,
            asset.kind == Kind::Hashed,
            "{} ({:?})",
            asset.name,
            asset.kind
        );
    }
}

#[test]
fn compressed_copies_are_smaller_and_tagged_apart() {
    for asset in EMBEDDED {
        for variant in [&asset.gzip, &asset.brotli].into_iter().flatten() {
            assert!(
                variant.bytes.len() < asset.identity.bytes.len(),
                "{}",
                asset.name
            );
            assert_ne!(variant.etag, asset.identity.etag, "{}", asset.name);
        }
        if let (Some(g), Some(b)) = (&asset.gzip, &asset.brotli) {
            assert_ne!(g.etag, b.etag, "{}", asset.name);
        }
    }
    let main = super::embedded()["js/main.js"];
    assert!(main.gzip.is_some() && main.brotli.is_some());
}
