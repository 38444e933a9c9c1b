//! End-to-end harness: the real Mamori server on a free localhost port, and headless Chromium driven
//! through chromedriver (WebDriver, plus the DevTools protocol for what WebDriver lacks: printing to PDF,
//! offline emulation, CPU throttling).
//!
//! The app must be built first (`trunk build --release` in `app/`, done once per run by `scripts/test.sh`);
//! `MAMORI_DIST` overrides where it is.

pub mod attacker;
pub mod browser;
pub mod disk;
pub mod fixtures;
pub mod load;
pub mod passkeys;
pub mod pdf;
pub mod postgres;
pub mod server;
pub mod smtp;
pub mod sync_client;
pub mod wasm_sizes;

pub use browser::Browser;
pub use server::TestServer;

/// Today's date in the browser's time zone as `YYYY-MM-DD`, for comparing with what the app wrote.
pub async fn browser_today(b: &Browser) -> String {
    b.eval_string("const d=new Date();return `${d.getFullYear()}-${String(d.getMonth()+1).padStart(2,'0')}-${String(d.getDate()).padStart(2,'0')}`")
        .await
}

/// The text of the QR code in a PNG (what a tablet's camera would read).
pub fn read_qr(png: &[u8]) -> Option<String> {
    let image = image::load_from_memory(png).ok()?.to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    let (_, text) = grids.first()?.decode().ok()?;
    Some(text)
}
