//! Small reusable views.

pub mod copy_answers;
pub mod credentials;
pub mod edition_move;
pub mod field;
pub mod first_steps;
pub mod item_card;
pub mod quarantine;
pub mod readiness;
pub mod reminders;
pub mod seal;
pub mod sign_in_first;
pub mod status_bar;
pub mod suggestion;
pub mod tokens;
pub mod vendor_proposals;
