//! Route groups, one module each.

pub mod assets;
pub mod auth;
pub mod credentials;
pub mod health;
pub mod log;
pub mod people;
pub mod quarantine;
pub mod security;
pub mod service_worker;
pub mod sync;
