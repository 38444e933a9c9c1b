//! Route-level components, one per file.

pub mod account;
pub mod bench;
pub mod binder;
pub mod checklist;
pub mod contacts;
pub mod emergency;
pub mod evidence;
pub mod home;
pub mod incidents;
pub mod invite;
pub mod join;
pub mod ledgers;
pub mod log;
pub mod not_found;
pub mod people;
pub mod print;
pub mod readiness;
pub mod reminders;
pub mod set_aside;
pub mod settings;
pub mod setup;
pub mod vendor_devices;
pub mod vendor_home;
pub mod vendors;
