//! Small reusable views.

pub mod credentials;
pub mod item_card;
pub mod quarantine;
pub mod status_bar;
