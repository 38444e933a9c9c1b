//! The API stays typed: the server's route handlers build no JSON by hand (`json!(`, `Json<Value>`) and the
//! app looks nothing up in a JSON value by key (`x["field"]`): both sides go through the shared types of
//! `mamori_shared::api`, so a field renamed on one side fails to compile on the other instead of silently
//! reading `null`.
//!
//! The app rule is textual: an index right after an expression (an identifier, `)` or `]`) with a string
//! literal key, `…["key"]`. Array literals of strings (`&["success"]`, `["a", "b"]`) are not lookups and do
//! not match. String lookups on JavaScript objects go through `js_sys::Reflect::get` and do not match
//! either; a lookup that must stay is listed in `ALLOWED` with its reason.

use std::path::{Path, PathBuf};

/// `(file, line's trimmed text)` allowed to index by key, each with why. Empty: none is needed today.
const ALLOWED: &[(&str, &str, &str)] = &[];

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Where `line` indexes a value by a string key: `["` right after an identifier character, `)` or `]`,
/// then a key of word characters (or `-`, `.`), then `"]`.
fn key_lookup(line: &str) -> Option<&str> {
    let bytes = line.as_bytes();
    for (at, _) in line.match_indices("[\"") {
        let before = at.checked_sub(1).map(|i| bytes[i] as char);
        if !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ')' || c == ']') {
            continue;
        }
        let rest = &line[at + 2..];
        let Some(end) = rest.find("\"]") else {
            continue;
        };
        let key = &rest[..end];
        if !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.')
        {
            return Some(&line[at..at + 2 + end + 2]);
        }
    }
    None
}

/// The app's key lookups on JSON values, as `file:line: text`, the allowed ones aside.
fn app_lookups(src: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for path in rust_files(src) {
        let text = std::fs::read_to_string(&path).unwrap();
        let rel = path
            .strip_prefix(root())
            .unwrap_or(&path)
            .display()
            .to_string();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if key_lookup(code).is_none() {
                continue;
            }
            let allowed = ALLOWED
                .iter()
                .any(|(file, text, _why)| rel.ends_with(file) && line.trim() == *text);
            if !allowed {
                found.push(format!("{rel}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    found
}

/// The route handlers' hand-built JSON, as `file:line: text`.
fn server_untyped(routes: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for path in rust_files(routes) {
        let text = std::fs::read_to_string(&path).unwrap();
        let rel = path
            .strip_prefix(root())
            .unwrap_or(&path)
            .display()
            .to_string();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            let squeezed: String = code.chars().filter(|c| !c.is_whitespace()).collect();
            if squeezed.contains("json!(") || squeezed.contains("Json<Value>") {
                found.push(format!("{rel}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    found
}

#[test]
fn the_route_handlers_build_no_json_by_hand() {
    let found = server_untyped(&root().join("server/src/routes"));
    assert!(
        found.is_empty(),
        "answer and take the types of mamori_shared::api instead:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_app_looks_nothing_up_in_json_by_key() {
    let found = app_lookups(&root().join("app/src"));
    assert!(
        found.is_empty(),
        "read answers into the types of mamori_shared::api instead:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_rules_see_what_they_are_for() {
    // Lookups on JSON values, as they used to be written.
    assert!(key_lookup(r#"let e = a.body["error"].as_str();"#).is_some());
    assert!(key_lookup(r#"set["summary"]["kind"] == "checklist""#).is_some());
    assert!(key_lookup(r#"head.get()["seq"].as_i64()"#).is_some());
    assert!(key_lookup(r#"v["hand_back_refused"]"#).is_some());
    // Not lookups: arrays of strings, and strings holding brackets.
    assert!(key_lookup(r#"wait_for(&request, &["success"], &["error"])"#).is_none());
    assert!(key_lookup(r#"let kinds = ["a", "b"];"#).is_none());
    assert!(key_lookup(r#"let v = vec!["x"];"#).is_none());
    // The server rule, on a scratch routes folder holding a violation of each kind.
    let scratch = std::env::temp_dir().join(format!("no_untyped_json_{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    std::fs::write(
        scratch.join("bad.rs"),
        "async fn h() -> Json<Value> { Json(json!({ \"a\": 1 })) }\n// json!( in a comment is fine\n",
    )
    .unwrap();
    std::fs::write(
        scratch.join("fine.rs"),
        "async fn h() -> Json<Health> { todo!() }\n",
    )
    .unwrap();
    let found = server_untyped(&scratch);
    let app = {
        std::fs::write(
            scratch.join("fine.rs"),
            "let x = a.body[\"person_id\"].as_str();\n",
        )
        .unwrap();
        app_lookups(&scratch)
    };
    std::fs::remove_dir_all(&scratch).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].ends_with("Json<Value> { Json(json!({ \"a\": 1 })) }"));
    assert_eq!(app.len(), 1, "{app:?}");
}
