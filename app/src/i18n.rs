//! Japanese first, English second. Strings sit beside their use as `tr!("日本語", "English")`, which reads
//! the language from the settings in context, so switching language re-renders only the text.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    Ja,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    pub fn pick<T>(self, ja: T, en: T) -> T {
        match self {
            Lang::Ja => ja,
            Lang::En => en,
        }
    }
}

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
