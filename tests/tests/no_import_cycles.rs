//! The house's modules import each other in one direction: no cycle among the top-level modules of
//! `server/src` or of `app/src` (a module with its submodules is one concept: `gate` with `gate/http.rs`), read from their
//! files' `use crate::…` lines and `crate::…` paths (test modules and comments aside). A cycle means two
//! concepts that cannot be understood, or changed, one without the other.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every module of a crate by its path (`gate::http`), with its non-test source.
fn modules(src: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).unwrap().with_extension("");
            let name = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("::");
            let name = name.strip_suffix("::mod").unwrap_or(&name).to_string();
            if name == "lib" || name == "main" {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            // Tests sit at the end of a file, after `#[cfg(test)]`; files named `tests` are tests.
            if name.ends_with("tests") {
                continue;
            }
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            let code: String = code
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            out.insert(name, code);
        }
    }
    out
}

/// The module a `crate::` path names: its longest prefix that is a module.
fn module_of(path: &str, known: &BTreeMap<String, String>) -> Option<String> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len())
        .rev()
        .map(|n| parts[..n].join("::"))
        .find(|m| known.contains_key(m))
}

/// Every `crate::` path in `code`, braces of `use` lists expanded.
fn crate_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        let prefix: String = after
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let prefix = prefix.trim_end_matches(':').to_string();
        if after[prefix.len()..]
            .trim_start_matches(':')
            .starts_with('{')
        {
            let open = after.find('{').unwrap();
            let mut depth = 0;
            let mut end = open;
            for (i, c) in after[open..].char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = open + i;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            for item in after[open + 1..end].split([',', '{', '}']) {
                let item = item.trim();
                if !item.is_empty() && item != "self" {
                    out.push(format!("{prefix}::{item}"));
                }
            }
        }
        out.push(prefix);
        rest = after;
    }
    out
}

/// The cycles among `src`'s modules: each strongly connected group of more than one module.
fn cycles(src: &Path) -> Vec<Vec<String>> {
    let files = modules(src);
    let top = |m: &str| m.split("::").next().unwrap_or(m).to_string();
    let known: BTreeSet<String> = files.keys().map(|m| top(m)).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, code) in &files {
        let from = top(name);
        for path in crate_paths(code) {
            if let Some(target) = module_of(&path, &files).map(|t| top(&t))
                && target != from
            {
                edges.entry(from.clone()).or_default().insert(target);
            }
        }
    }
    // Two modules are in one cycle when each reaches the other.
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_string()];
        while let Some(m) = todo.pop() {
            for next in edges.get(m.as_str()).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let reached: BTreeMap<&str, BTreeSet<String>> =
        known.iter().map(|m| (m.as_str(), reach(m))).collect();
    let mut groups: BTreeSet<Vec<String>> = BTreeSet::new();
    for m in &known {
        let group: Vec<String> = reached[m.as_str()]
            .iter()
            .filter(|other| reached[other.as_str()].contains(m))
            .cloned()
            .collect();
        if group.len() > 1 {
            groups.insert(group);
        }
    }
    groups.into_iter().collect()
}

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

#[test]
fn the_server_has_no_import_cycle() {
    let found = cycles(&repo().join("server/src"));
    assert!(
        found.is_empty(),
        "modules that import each other: {found:?}"
    );
}

#[test]
fn the_app_has_no_import_cycle() {
    let found = cycles(&repo().join("app/src"));
    assert!(
        found.is_empty(),
        "modules that import each other: {found:?}"
    );
}

#[test]
fn the_check_finds_a_cycle() {
    let dir = std::env::temp_dir().join(format!("cycle-check-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("a")).unwrap();
    std::fs::write(dir.join("a.rs"), "use crate::b::{Thing, c::More};\n").unwrap();
    std::fs::write(dir.join("a/inner.rs"), "use crate::a::Own;\n").unwrap();
    std::fs::write(
        dir.join("b.rs"),
        "// crate::d in a comment\nfn f() { crate::a::inner::g() }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("d.rs"),
        "use crate::a;\n#[cfg(test)]\nuse crate::d;\n",
    )
    .unwrap();
    let found = cycles(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(found, [vec!["a".to_string(), "b".to_string()]]);
}
