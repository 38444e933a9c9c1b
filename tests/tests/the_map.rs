//! ARCHITECTURE.md is the map a newcomer reads first, so it must not point at things that are gone. This
//! test reads it (no server, no browser) and fails, listing every problem at once, when:
//!
//! - a path in its tree does not exist. The tree is the first fenced code block under the heading
//!   `## The tree`. Each non-blank line names one path as its first word; the rest of the line (after
//!   whitespace) says what it holds. Indentation builds the path: a line's path is relative to the nearest
//!   line above it that is indented less and names a folder (ends with `/`); an unindented line is
//!   relative to the repository root. So `server/` then `  src/gate.rs` names `server/src/gate.rs`.
//!   A line never continues onto the next one.
//! - a repository path written in backticks in it or in `docs/*.md` (`server/src/gate.rs`: a span that
//!   starts with a top-level folder and a slash, with no space or wildcard; always from the repository root)
//!   does not exist;
//! - a relative markdown link in it or in `docs/*.md` (`[sync](docs/sync.md)`) points at no file;
//! - it is longer than 220 lines: the long explanations belong in `docs/`.

use std::path::{Path, PathBuf};

const MAX_LINES: usize = 220;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("the repository root")
}

/// The paths the tree names, each with its line number in the file.
fn tree_paths(text: &str) -> Result<Vec<(usize, String)>, String> {
    let mut lines = text.lines().enumerate();
    lines
        .by_ref()
        .find(|(_, l)| l.trim_end() == "## The tree")
        .ok_or("no `## The tree` heading")?;
    lines
        .by_ref()
        .find(|(_, l)| l.starts_with("```"))
        .ok_or("no fenced code block under `## The tree`")?;
    let mut paths = Vec::new();
    // Folders that are open at the current line: (indentation, path).
    let mut folders: Vec<(usize, String)> = Vec::new();
    for (n, line) in lines {
        if line.starts_with("```") {
            return Ok(paths);
        }
        let Some(word) = line.split_whitespace().next() else {
            continue;
        };
        let indent = line.len() - line.trim_start().len();
        while folders.last().is_some_and(|(i, _)| *i >= indent) {
            folders.pop();
        }
        let path = match folders.last() {
            Some((_, parent)) => format!("{parent}{word}"),
            None => word.to_string(),
        };
        if path.ends_with('/') {
            folders.push((indent, path.clone()));
        }
        paths.push((n + 1, path));
    }
    Err("the tree's code block is not closed".into())
}

/// Relative link targets in markdown (`[text](target)`), without any `#fragment`, with line numbers.
fn relative_links(text: &str) -> Vec<(usize, String)> {
    let mut links = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            let Some(end) = rest.find(')') else { break };
            let target = rest[..end].split('#').next().unwrap_or_default().trim();
            rest = &rest[end..];
            if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            links.push((n + 1, target.to_string()));
        }
    }
    links
}

/// Backticked spans outside fenced code blocks that name a path in the repository: a top-level folder, a
/// slash, no spaces or wildcards.
fn backticked_paths(text: &str, top_level: &[String]) -> Vec<(usize, String)> {
    let mut paths = Vec::new();
    let mut fenced = false;
    for (n, line) in text.lines().enumerate() {
        if line.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        for (i, span) in line.split('`').enumerate() {
            let path_like = i % 2 == 1
                && !span.contains([' ', '*', '…', '<', '{'])
                && top_level
                    .iter()
                    .any(|dir| span.starts_with(&format!("{dir}/")));
            if path_like {
                paths.push((n + 1, span.to_string()));
            }
        }
    }
    paths
}

#[test]
fn architecture_md_names_only_what_exists() {
    let root = root();
    let map = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let mut problems = Vec::new();

    let lines = map.lines().count();
    if lines > MAX_LINES {
        problems.push(format!(
            "ARCHITECTURE.md has {lines} lines (at most {MAX_LINES}): move the long parts into docs/"
        ));
    }

    match tree_paths(&map) {
        Ok(paths) => {
            if paths.is_empty() {
                problems.push("the tree names no paths".into());
            }
            for (n, path) in paths {
                if !root.join(&path).exists() {
                    problems.push(format!(
                        "ARCHITECTURE.md:{n}: the tree names `{path}`, which does not exist"
                    ));
                }
            }
        }
        Err(e) => problems.push(format!("ARCHITECTURE.md: {e}")),
    }

    let top_level: Vec<String> = std::fs::read_dir(&root)
        .expect("the repository root")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('.') && name != "target")
        .collect();
    let mut documents = vec![(root.join("ARCHITECTURE.md"), map.clone())];
    if let Ok(entries) = std::fs::read_dir(root.join("docs")) {
        let mut docs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "md"))
            .collect();
        docs.sort();
        for path in docs {
            let text = std::fs::read_to_string(&path).expect("a docs/ file");
            documents.push((path, text));
        }
    }
    for (file, text) in &documents {
        let dir = file.parent().expect("a folder");
        let name = file
            .strip_prefix(&root)
            .unwrap_or(file)
            .display()
            .to_string();
        for (n, path) in backticked_paths(text, &top_level) {
            if !root.join(&path).exists() {
                problems.push(format!("{name}:{n}: `{path}` does not exist"));
            }
        }
        for (n, target) in relative_links(text) {
            if !dir.join(&target).exists() {
                problems.push(format!("{name}:{n}: the link `{target}` points at nothing"));
            }
        }
    }

    assert!(
        problems.is_empty(),
        "the map (ARCHITECTURE.md, docs/) is out of date:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn the_tree_convention_builds_paths_from_indentation() {
    let text = "# x\n## The tree\n\n```\nserver/   the server\n  src/    its code\n    gate.rs  one\n  \
                Cargo.toml  two\nREADME.md  three\n```\n";
    let paths: Vec<String> = tree_paths(text)
        .unwrap()
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    assert_eq!(
        paths,
        [
            "server/",
            "server/src/",
            "server/src/gate.rs",
            "server/Cargo.toml",
            "README.md"
        ]
    );
}
