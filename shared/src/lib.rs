//! Mamori's shared core: the domain model, the official checklist editions, the calendar rules and the
//! Automerge document schema, used by both the browser app and the sync server.
//!
//! There is no I/O here (no tokio, no web-sys, no database): everything is a pure function of its inputs, so
//! it runs unchanged in wasm and natively, and is tested with plain unit tests.
//!
//! # Layout
//! - [`model`]: ids and the one model of each thing (facility, vendor, person).
//! - [`access`]: roles and who may open or change which document (the server enforces, the app follows).
//! - [`edition`]: checklist editions as embedded data (`shared/editions/*.json`), resolved per form.
//! - [`calendar`]: dates, fiscal years (年度) and Japanese era display (和暦).
//! - [`answer`]: an item's answer (はい / いいえ / 記入不要 / 対象外), its dates and the rules it must satisfy.
//! - [`schema`]: how facilities and checklists live in Automerge documents, and their migrations.
//! - [`protocol`]: the automerge-repo WebSocket message set and its CBOR framing.
//! - [`sync`]: the sans-IO sync core (per-peer Automerge sync states, the client's connection state machine).
//! - [`contacts`]: the contact chart in use: templates, escalation order, `tel:` links, the emergency page.
//! - [`incident`]: first-response steps and the incident log's export.
//! - [`ledger`]: the 機器台帳 and 利用者ID台帳 columns, CSV import/export (UTF-8, Shift_JIS), checks for 2-①…2-⑩.
//! - [`guide`]: the four first steps home shows after set-up, each done only when its check passes.
//! - [`progress`]: what a checklist's answers add up to (answered, missing dates, missing targets).
//! - [`readiness`]: 準備状況 for the 立入検査, line by line, from the data alone.
//! - [`error`]: one error enum per concern.
//! - [`api`]: the server's HTTP API (`/api/...`) as request and response types, shared by app and server.

pub mod access;
pub mod answer;
pub mod api;
pub mod calendar;
pub mod contacts;
pub mod edition;
pub mod error;
pub mod export;
pub mod guide;
pub mod incident;
pub mod ledger;
pub mod model;
pub mod order;
pub mod progress;
pub mod protocol;
pub mod readiness;
pub mod reminders;
pub mod schema;
pub mod seal;
pub mod sniff;
pub mod sync;
pub mod year_offer;
