//! Small reusable views.

pub mod item_card;
pub mod status_bar;
