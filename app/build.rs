//! The app's wasm keeps the linker's relocations (`--emit-relocs`): wasm-split (scripts/split-app.sh) needs
//! them to cut the module into the first screen's part and the chunk loaded on first use. Only this binary:
//! the spreadsheet worker is not split, and relocations left in a module trunk ships would double its size.

fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo::rustc-link-arg-bins=--emit-relocs");
    }
}
