//! The core's shape, checked: it depends on no framework or runtime, and no module of it imports a module
//! that imports it back (areas among themselves, and the files of one area among themselves).

#![allow(clippy::unwrap_used)]

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
    process::Command,
};

/// Crates that would bring a framework, a driver or a runtime into the core.
const FORBIDDEN: &[&str] = &[
    "actix",
    "apalis",
    "axum",
    "hyper",
    "metrics",
    "paperclip",
    "redis",
    "reqwest",
    "sea-orm",
    "sea-query",
    "sqlx",
    "tokio",
    "figment",
];

#[test]
fn the_core_depends_on_no_framework_driver_metrics_facade_or_runtime() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let out = Command::new(env!("CARGO"))
        .args(["tree", "--offline", "-e", "normal", "--prefix", "none", "--manifest-path"])
        .arg(&manifest)
        .args(["-p", "hub-domain"])
        .output()
        .expect("cargo tree runs");
    assert!(out.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&out.stderr));
    let tree = String::from_utf8(out.stdout).unwrap();
    let crates: BTreeSet<&str> = tree.lines().filter_map(|l| l.split_whitespace().next()).collect();
    assert!(crates.contains("hub-domain") && crates.contains("serde"), "unexpected cargo tree output:\n{tree}");
    let found: Vec<&str> = crates
        .iter()
        .copied()
        .filter(|c| FORBIDDEN.iter().any(|f| *c == *f || c.starts_with(&format!("{f}-"))))
        .collect();
    assert!(found.is_empty(), "hub-domain must not depend on {found:?}");
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without comments, string contents left in (they never hold `crate::` here).
fn code(text: &str) -> String {
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// Every `crate::a::b…` path a text names, as its segments (a `use crate::{a::x, b::{y, z}}` tree is
/// expanded to its first segments, which is all the checks need).
fn crate_paths(text: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(tree) = rest.strip_prefix('{') {
            // A grouped import: take the first segment of each top-level member, and its second when nested.
            let mut depth = 0;
            let mut member = String::new();
            for ch in tree.chars() {
                match ch {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        paths.push(segments(&member));
                        member.clear();
                        continue;
                    }
                    _ => {}
                }
                member.push(ch);
            }
            paths.push(segments(&member));
        } else {
            paths.push(segments(rest));
        }
    }
    paths.retain(|p| !p.is_empty());
    paths
}

fn segments(text: &str) -> Vec<String> {
    text.trim()
        .split("::")
        .map(|s| s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>())
        .take_while(|s| !s.is_empty())
        .take(2)
        .collect()
}

fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut found = stack[at..].to_vec();
            found.push(node.to_owned());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_of_the_core_imports_a_module_that_imports_it_back() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let areas: BTreeSet<String> = files
        .iter()
        .filter_map(|f| f.strip_prefix(&src).ok())
        .filter(|r| r != &Path::new("lib.rs") && r != &Path::new("fixtures.rs"))
        .map(|r| r.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    assert!(areas.len() >= 6, "expected the areas under src/, found {areas:?}");
    // Area level: `catalog` → `jobs` when a file of catalog names `crate::jobs…`.
    let mut by_area: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    // File level inside an area: `catalog/sync` → `catalog/target` for `super::target` or `crate::catalog::target`.
    let mut by_file: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut looked_at = 0;
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap().with_extension("");
        let rel = rel.to_string_lossy().replace('\\', "/");
        if rel == "lib" || rel == "fixtures" {
            continue;
        }
        let area = rel.split('/').next().unwrap().to_owned();
        let text = code(&fs::read_to_string(file).unwrap());
        // Unit tests may reach anywhere; the shape is about the code they test.
        let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or("");
        for path in crate_paths(text) {
            looked_at += 1;
            let target = &path[0];
            if areas.contains(target) && *target != area {
                by_area.entry(area.clone()).or_default().insert(target.clone());
            } else if *target == area && path.len() == 2 && rel.contains('/') {
                by_file.entry(rel.clone()).or_default().insert(format!("{area}/{}", path[1]));
            }
        }
        if rel.contains('/') && !rel.ends_with("/mod") {
            for line in text.lines().filter(|l| l.contains("super::")) {
                for part in line.split("super::").skip(1) {
                    let sibling: String = part.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    if !sibling.is_empty() && sibling != "super" {
                        by_file.entry(rel.clone()).or_default().insert(format!("{area}/{sibling}"));
                    }
                }
            }
            // Grouped `use super::{a::x, b::y}`.
            for tree in text.split("use super::{").skip(1) {
                let inner = tree.split("};").next().unwrap_or("");
                for member in inner.split(',') {
                    let name: String = member.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    if !name.is_empty() {
                        by_file.entry(rel.clone()).or_default().insert(format!("{area}/{name}"));
                    }
                }
            }
        }
    }
    assert!(looked_at > 50, "the scan found too few `crate::` paths ({looked_at}): the check itself is broken");
    if let Some(c) = cycle(&by_area) {
        panic!("areas import each other in a cycle: {}", c.join(" → "));
    }
    if let Some(c) = cycle(&by_file) {
        panic!("modules import each other in a cycle: {}", c.join(" → "));
    }
}

#[test]
fn the_cycle_check_finds_a_cycle() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    assert_eq!(cycle(&g), None);
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(cycle(&g), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
    assert_eq!(crate_paths("use crate::{errors::X, model::{A, B}};"), vec![vec!["errors", "X"], vec!["model"]]);
}
