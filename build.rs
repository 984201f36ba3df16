//! Builds the web pages (`src/assets/`) into the binary: `build/pages.rs` bundles the modules
//! per role and names files by their content's hash; here every served file is compressed with
//! gzip and brotli, written to `OUT_DIR`, and listed in a table (`pages.rs`) of
//! `include_bytes!` for `api::pages` to serve.

#[path = "build/pages.rs"]
mod pages;

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    encoder.finish()
}

fn brotli(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)?;
    Ok(out)
}

fn write(path: &Path, bytes: &[u8]) {
    if let Err(e) = std::fs::write(path, bytes) {
        panic!("cannot write {}: {e}", path.display());
    }
}

/// A compressed copy is kept only where it is smaller: an encoding that saves nothing costs
/// the client a decoder's work for no byte.
fn compressed(
    out: &Path,
    name: &str,
    bytes: &[u8],
    compress: fn(&[u8]) -> std::io::Result<Vec<u8>>,
) -> String {
    match compress(bytes) {
        Ok(c) if c.len() < bytes.len() => {
            write(out, &c);
            format!(
                "Some(Variant {{ bytes: include_bytes!({:?}), etag: \"\\\"{}\\\"\" }})",
                out.display().to_string(),
                &pages::hash_hex(&c)[..16]
            )
        }
        Ok(_) => "None".to_string(),
        Err(e) => panic!("cannot compress {name}: {e}"),
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default())
        .join("src")
        .join("assets");
    println!("cargo:rerun-if-changed={}", root.display());
    println!("cargo:rerun-if-changed=build/pages.rs");
    let mut found = Vec::new();
    files(&root, &mut found);
    found.sort();
    let mut sources = Vec::new();
    let mut on_disk = std::collections::BTreeMap::new();
    for path in found {
        let Ok(relative) = path.strip_prefix(&root) else {
            continue;
        };
        let name = relative.to_string_lossy().replace('\\', "/");
        if name.starts_with('.') || name.ends_with('~') {
            continue;
        }
        let bytes =
            std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        on_disk.insert(name.clone(), path);
        sources.push((name, bytes));
    }
    let built = pages::build(&sources).unwrap_or_else(|e| panic!("the pages: {e}"));

    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("pages");
    if let Err(e) = std::fs::create_dir_all(&out_dir) {
        panic!("cannot create {}: {e}", out_dir.display());
    }
    let mut table = String::from("&[\n");
    for (i, file) in built.served.iter().enumerate() {
        // A source file is included from where it is; what the build made, from OUT_DIR.
        let identity = match (file.kind, on_disk.get(&file.name)) {
            (pages::Kind::Source, Some(path)) => path.clone(),
            _ => {
                let path = out_dir.join(format!("{i}"));
                write(&path, &file.bytes);
                path
            }
        };
        let kind = match file.kind {
            pages::Kind::Source => "Source",
            pages::Kind::Hashed => "Hashed",
            pages::Kind::Shell => "Shell",
        };
        let _ = writeln!(
            table,
            "    Asset {{ name: {:?}, kind: Kind::{kind}, identity: Variant {{ bytes: include_bytes!({:?}), etag: \"\\\"{}\\\"\" }}, gzip: {}, brotli: {} }},",
            file.name,
            identity.display().to_string(),
            &pages::hash_hex(&file.bytes)[..16],
            compressed(
                &out_dir.join(format!("{i}.gz")),
                &file.name,
                &file.bytes,
                gzip
            ),
            compressed(
                &out_dir.join(format!("{i}.br")),
                &file.name,
                &file.bytes,
                brotli
            ),
        );
    }
    table.push_str("]\n");
    let mut bundles = String::from("&[\n");
    for b in &built.bundles {
        let _ = writeln!(
            bundles,
            "    Bundle {{ file: {:?}, modules: &{:?}, imports: &{:?}, dynamic: &{:?} }},",
            b.file, b.modules, b.imports, b.dynamic
        );
    }
    bundles.push_str("]\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    write(&out.join("assets.rs"), table.as_bytes());
    write(&out.join("bundles.rs"), bundles.as_bytes());
}
