//! Japanese first, English second. Strings sit beside their use as `tr!("日本語", "English")`, which reads
//! the language from the settings in context, so switching language re-renders only the text.

pub use crate::settings::Lang;

/// The current language (reactive).
pub fn lang() -> Lang {
    use leptos::prelude::*;
    crate::settings::use_settings().with(|s| s.lang)
}

/// `tr!("はい", "Yes")`: a reactive string in the current language.
#[macro_export]
macro_rules! tr {
    ($ja:expr, $en:expr) => {
        move || $crate::i18n::lang().pick($ja, $en)
    };
}
