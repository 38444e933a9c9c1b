//! Where a wasm module's bytes go: each function body's size, attributed to the crate its (demangled) name
//! starts with, plus the data segments (string constants, panic messages, tables). Read from the module
//! cargo builds before wasm-bindgen and wasm-opt, which still carries the `name` section; the shipped
//! module is smaller (wasm-opt -Oz), but the shares are what to cut first.

use std::collections::BTreeMap;

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Share {
    pub name: String,
    pub bytes: usize,
}

/// A module's code by crate and by function, largest first, and its data.
#[derive(Debug, Clone, Default)]
pub struct Sizes {
    pub total: usize,
    pub code: usize,
    pub data: usize,
    pub crates: Vec<Share>,
    pub functions: Vec<Share>,
}

/// The crate a demangled symbol belongs to: the first path segment, looking inside `<T as Trait>` at the
/// type (whose code it is); symbols without a path are "(unnamed)".
pub fn crate_of(symbol: &str) -> String {
    let s = symbol.trim_start_matches('<').trim_start_matches('&');
    let s = s.trim_start_matches("mut ").trim_start_matches("dyn ");
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    let first = &s[..end];
    if first.is_empty() || !s[end..].starts_with("::") {
        return "(unnamed)".to_string();
    }
    first.to_string()
}

/// Measures a module.
pub fn measure(wasm: &[u8]) -> Result<Sizes, String> {
    use wasmparser::{Name, Parser, Payload};
    let mut imported = 0u32;
    let mut bodies: Vec<usize> = Vec::new();
    let mut names: BTreeMap<u32, String> = BTreeMap::new();
    let mut sizes = Sizes {
        total: wasm.len(),
        ..Sizes::default()
    };
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| e.to_string())? {
            Payload::ImportSection(imports) => {
                for import in imports.into_imports() {
                    if matches!(
                        import.map_err(|e| e.to_string())?.ty,
                        wasmparser::TypeRef::Func(_) | wasmparser::TypeRef::FuncExact(_)
                    ) {
                        imported += 1;
                    }
                }
            }
            Payload::CodeSectionEntry(body) => bodies.push(body.range().len()),
            Payload::DataSection(data) => sizes.data += data.range().len(),
            Payload::CustomSection(section) => {
                if let wasmparser::KnownCustom::Name(reader) = section.as_known() {
                    for name in reader {
                        if let Ok(Name::Function(map)) = name {
                            for naming in map.into_iter().flatten() {
                                names.insert(naming.index, naming.name.to_string());
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let mut crates: BTreeMap<String, usize> = BTreeMap::new();
    for (i, size) in bodies.iter().enumerate() {
        let index = imported + i as u32;
        let symbol = names
            .get(&index)
            .map(|n| format!("{:#}", rustc_demangle::demangle(n)))
            .unwrap_or_else(|| format!("function[{index}]"));
        *crates.entry(crate_of(&symbol)).or_default() += size;
        sizes.code += size;
        sizes.functions.push(Share {
            name: symbol,
            bytes: *size,
        });
    }
    sizes.crates = crates
        .into_iter()
        .map(|(name, bytes)| Share { name, bytes })
        .collect();
    sizes.crates.sort_by_key(|c| std::cmp::Reverse(c.bytes));
    sizes.functions.sort_by_key(|f| std::cmp::Reverse(f.bytes));
    Ok(sizes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_belong_to_the_crate_their_path_starts_with() {
        assert_eq!(crate_of("automerge::op_set::OpSet::insert"), "automerge");
        assert_eq!(
            crate_of("<mamori_shared::schema::ledger::Device as serde::Serialize>::serialize"),
            "mamori_shared"
        );
        assert_eq!(crate_of("<&mut T as core::fmt::Display>::fmt"), "(unnamed)");
        assert_eq!(crate_of("memcpy"), "(unnamed)");
    }

    /// A hand-made module: one imported function, two bodies named for two crates, one data segment.
    #[test]
    fn a_module_is_measured_by_crate() {
        let wat = r#"(module
            (import "env" "f" (func $imported))
            (func $_ZN9automerge6insert17h0123456789abcdefE (drop (i32.add (i32.const 1) (i32.const 2))))
            (func $_ZN6leptos4view17h0123456789abcdefE)
            (memory 1)
            (data (i32.const 0) "hello, world"))"#;
        let wasm = wat::parse_str(wat).unwrap();
        let sizes = measure(&wasm).unwrap();
        let names: Vec<&str> = sizes.crates.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["automerge", "leptos"], "largest first");
        assert!(sizes.crates[0].bytes > sizes.crates[1].bytes);
        assert!(sizes.data >= "hello, world".len());
        assert_eq!(
            sizes.code,
            sizes.crates.iter().map(|c| c.bytes).sum::<usize>()
        );
    }
}
