//! Embeds the built front end (`web/dist`, made by `cargo xtask ui`) when it exists. Without
//! it the server still builds and serves a page that says how to build the bundle.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let dist = manifest.join("web").join("dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    let mut files = Vec::new();
    if dist.join("index.html").is_file() {
        collect(&dist, &dist, &mut files);
    }
    files.sort();
    // every embedded file too: a rebuilt bundle replaces hashed names, and a missing file
    // makes cargo run this script again
    for (_, path) in &files {
        println!("cargo:rerun-if-changed={path}");
    }
    println!(
        "cargo:rerun-if-changed={}",
        dist.join("index.html").display()
    );
    // a snapshot of the bundle in OUT_DIR: a rebuild of `web/dist` while the crate compiles
    // (it renames hashed files) cannot leave the crate pointing at files that are gone
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let snapshot = out_dir.join("web-dist");
    let _ = std::fs::remove_dir_all(&snapshot);
    let mut code =
        String::from("/// The built front end: (URL path, file contents at build time).\n");
    code.push_str("pub static ASSETS: &[(&str, &[u8])] = &[\n");
    for (i, (url, path)) in files.iter().enumerate() {
        let Ok(bytes) = std::fs::read(path) else {
            continue;
        };
        let copy = snapshot.join(i.to_string());
        if let Err(e) =
            std::fs::create_dir_all(&snapshot).and_then(|()| std::fs::write(&copy, bytes))
        {
            panic!("cannot write {}: {e}", copy.display());
        }
        let _ = writeln!(
            code,
            "    ({url:?}, include_bytes!({:?})),",
            copy.to_string_lossy()
        );
    }
    code.push_str("];\n");
    let out = out_dir.join("assets.rs");
    if let Err(e) = std::fs::write(&out, code) {
        panic!("cannot write {}: {e}", out.display());
    }
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, out);
        } else if let Ok(rel) = path.strip_prefix(root) {
            let url = format!("/{}", rel.to_string_lossy().replace('\\', "/"));
            out.push((url, path.to_string_lossy().into_owned()));
        }
    }
}
