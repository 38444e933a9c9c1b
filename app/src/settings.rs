//! Small per-device settings in localStorage (gloo-storage): language, date style, who is entering, which
//! facility this device shows. Documents never go here (see `storage`).

use gloo_storage::{LocalStorage, Storage};
use leptos::prelude::*;
use mamori_shared::calendar::DateStyle;
use mamori_shared::model::DocumentId;
use serde::{Deserialize, Serialize};

const KEY: &str = "mamori.settings";

impl Settings {
    /// How dates are shown: the chosen style in Japanese; in English always 2026/11/24 (an era name is
    /// Japanese text).
    pub fn dates(&self) -> DateStyle {
        match self.lang {
            Lang::Ja => self.date_style,
            Lang::En => DateStyle::Western,
        }
    }
}

/// A facility's access-log review marks as the server last said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct LogReviews {
    /// Review dates (ISO, local) in the fiscal year asked for.
    pub dates: Vec<String>,
    /// When the server said so (Unix ms).
    pub as_of_ms: i64,
    /// When the facility was registered on the server (its log starts then).
    pub since_ms: Option<i64>,
    /// From when `dates` are complete (Unix ms; the start of the earliest fiscal year asked for). `None`:
    /// a cache from before years could be chosen, complete for the fiscal year it was made in.
    #[serde(default)]
    pub from_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Settings {
    pub lang: Lang,
    pub date_style: DateStyle,
    /// The name written with each answer (記入者), until people and sign-in exist.
    pub user_name: String,
    /// The facility index this device opens.
    pub facility_index: Option<DocumentId>,
    /// A random id for this device, recorded with each answer.
    pub device: String,
    /// What people call this device (受付PC, 調剤室のiPad), given in 設定: recorded with incident entries
    /// instead of the id, and used for this device's older entries in the incident log's CSV and print.
    pub device_name: String,
    /// People who signed in on this device, newest first (offered on the sign-in screen).
    pub known_people: Vec<KnownPerson>,
    /// The person last signed in on this device (offline edits are theirs).
    pub last_person: Option<mamori_shared::model::PersonId>,
    /// This device's recent Automerge actors and the person each was made for, sent to the server so each
    /// change is attributed to its person even on a shared tablet.
    pub actor_people: Vec<(String, mamori_shared::model::PersonId)>,
    /// Facilities' names by id, as the server last said (a vendor's user sees them offline too).
    pub facility_names: std::collections::BTreeMap<String, String>,
    /// Who each Automerge actor (hex) belongs to, as the server last said: shows who answered, offline too.
    pub actor_names: std::collections::BTreeMap<String, String>,
    /// The access log's head (number, hash) this 管理者 device last saw: compared with the server's record
    /// on each connection, so a rewritten chain shows even if it was recomputed consistently.
    pub log_head: Option<(i64, String)>,
    /// The server's key for sealed checks, as it last said (shown on 設定, offline too).
    pub seal_key: Option<mamori_shared::api::SealKeyInfo>,
    /// Shown until dismissed: the server's log no longer matches what this device saw.
    pub log_alarm: Option<String>,
    /// Documents opened while the server was out of reach, with the device's time: uploaded to the access
    /// log on the next connection.
    pub offline_opens: Vec<(mamori_shared::model::DocumentId, i64)>,
    /// When each contact chart (by document id) was last known to match the server's copy (最終同期 on the
    /// emergency screen).
    pub chart_synced: std::collections::BTreeMap<String, i64>,
    /// Shown until dismissed: this device deleted a facility's data because its person left it.
    pub departure_notice: Option<String>,
    /// The access log's review dates (ISO) per facility for the fiscal year, as the server last said, and
    /// when: the 準備状況 screen shows them offline with that time.
    pub log_reviews: std::collections::BTreeMap<String, LogReviews>,
    /// The server requires sign-in and had no session for this browser when last asked: the app then makes
    /// no call that can only fail (no sync socket, no `/api/me`) until someone signs in here.
    pub signed_out: bool,
    /// This device has synced with the server at least once (before that, its data is この端末のみ).
    pub synced_before: bool,
    /// A registration code from the set-up link the server printed (`…/account?code=…`), kept until this
    /// device's facility is registered with it.
    pub registration_code: Option<String>,
    /// The note that Safari may delete this device's data was read and closed.
    pub safari_note_read: bool,
}

impl Settings {
    pub fn load() -> Settings {
        let mut s: Settings = LocalStorage::get(KEY).unwrap_or_default();
        if s.device.is_empty() {
            s.device = format!("device-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
            s.store();
        }
        s
    }

    /// The device as people know it: the name given in 設定, else its id.
    pub fn device_label(&self) -> String {
        let name = self.device_name.trim();
        if name.is_empty() {
            self.device.clone()
        } else {
            name.to_string()
        }
    }

    /// The names this device knows for device ids (its own, once named).
    pub fn device_names(&self) -> std::collections::BTreeMap<String, String> {
        let name = self.device_name.trim();
        (!name.is_empty())
            .then(|| (self.device.clone(), name.to_string()))
            .into_iter()
            .collect()
    }

    pub fn store(&self) {
        // A failure here loses only a preference, never entered data: log it and go on.
        if let Err(e) = LocalStorage::set(KEY, self) {
            leptos::logging::warn!("could not store settings: {e}");
        }
    }
}

thread_local! {
    /// The one settings signal of the page, reachable from async tasks too (which run outside any reactive
    /// owner, where a context lookup would panic and take the app down).
    static SETTINGS: std::cell::OnceCell<RwSignal<Settings>> = const { std::cell::OnceCell::new() };
}

/// The settings as a signal; every change is written back.
pub fn provide() -> RwSignal<Settings> {
    let settings = RwSignal::new(Settings::load());
    Effect::new(move |_| settings.with(Settings::store));
    SETTINGS.with(|s| {
        let _ = s.set(settings);
    });
    settings
}

pub fn use_settings() -> RwSignal<Settings> {
    SETTINGS.with(|s| *s.get().expect("settings::provide runs first, in App"))
}

/// The language the app speaks: Japanese first, English second (see [`crate::i18n`]).
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

/// Someone who signed in on this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownPerson {
    pub person_id: mamori_shared::model::PersonId,
    pub name: String,
}
