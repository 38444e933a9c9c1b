//! Route groups, one module each.

pub mod assets;
pub mod backups;
pub mod credentials;
pub mod documents;
pub mod editions;
pub mod facilities;
pub mod files;
pub mod health;
pub mod invitations;
pub mod log;
pub(crate) mod passkey;
pub mod people;
pub mod quarantine;
pub mod seal;
pub mod security;
pub mod service_worker;
pub mod sessions;
pub mod signin;
pub mod sync;
pub mod tokens;
