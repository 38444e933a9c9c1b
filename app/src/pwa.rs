//! The app as an installed, offline-first PWA: the service worker and its updates, the network state, and
//! keeping the device's storage from being evicted.
//!
//! A new version is installed in the background by the service worker but never swapped in under a user
//! mid-edit: the page offers 「新しいバージョンがあります — 再読み込み」 and only then asks the waiting worker to take
//! over, reloading once it has. Everything entered is in IndexedDB, so the reload loses nothing.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{ServiceWorkerRegistration, ServiceWorkerState};

/// This build's version, shown in settings and used by the update test (`MAMORI_BUILD` at compile time).
pub const BUILD: &str = match option_env!("MAMORI_BUILD") {
    Some(b) => b,
    None => "dev",
};

/// What the PWA layer tells the screens.
#[derive(Clone, Copy)]
pub struct Pwa {
    /// `navigator.onLine`, kept current by the online/offline events.
    pub online: RwSignal<bool>,
    /// A new version is installed and waiting for the user to accept it.
    pub update_ready: RwSignal<bool>,
    /// Whether the browser promised not to evict this site's storage (`None` until known).
    pub persisted: RwSignal<Option<bool>>,
    registration: StoredValue<Option<ServiceWorkerRegistration>, LocalStorage>,
}

pub fn use_pwa() -> Pwa {
    expect_context::<Pwa>()
}

/// Sets everything up once, at start.
pub fn provide() -> Pwa {
    let online = window().navigator().on_line();
    let pwa = Pwa {
        online: RwSignal::new(online),
        update_ready: RwSignal::new(false),
        persisted: RwSignal::new(None),
        registration: StoredValue::new_local(None),
    };
    provide_context(pwa);
    if let Some(html) = document().document_element() {
        let _ = html.set_attribute("data-build", BUILD);
    }
    // Listeners for the page's whole life: registered once, never dropped.
    for (name, value) in [("online", true), ("offline", false)] {
        let cb = Closure::<dyn FnMut()>::new(move || {
            pwa.online.set(value);
            if value {
                pwa.check_for_update();
            }
        });
        let _ = window().add_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
        cb.forget();
    }
    leptos::task::spawn_local(async move {
        pwa.register().await;
        pwa.persist().await;
    });
    pwa
}

impl Pwa {
    async fn register(self) {
        let container = window().navigator().service_worker();
        let Ok(reg) = JsFuture::from(container.register("/sw.js")).await else {
            leptos::logging::warn!(
                "the service worker could not be registered: Mamori will not work offline"
            );
            return;
        };
        let reg: ServiceWorkerRegistration = reg.unchecked_into();
        // A worker already waiting (installed while the page was closed) is an update too.
        if reg.waiting().is_some() && container.controller().is_some() {
            self.update_ready.set(true);
        }
        let watched = reg.clone();
        let on_found = Closure::<dyn FnMut()>::new(move || {
            let Some(installing) = watched.installing() else {
                return;
            };
            let worker = installing.clone();
            let on_state = Closure::<dyn FnMut()>::new(move || {
                // Installed while another version controls the page: an update, not the first install.
                let controlled = window().navigator().service_worker().controller().is_some();
                if worker.state() == ServiceWorkerState::Installed && controlled {
                    self.update_ready.set(true);
                }
            });
            installing.set_onstatechange(Some(on_state.as_ref().unchecked_ref()));
            on_state.forget();
        });
        reg.set_onupdatefound(Some(on_found.as_ref().unchecked_ref()));
        on_found.forget();
        // When the new worker takes over (after the user accepted), load the new version.
        let on_change = Closure::<dyn FnMut()>::new(move || {
            if self.update_ready.get_untracked() {
                let _ = window().location().reload();
            }
        });
        container.set_oncontrollerchange(Some(on_change.as_ref().unchecked_ref()));
        on_change.forget();
        self.registration.set_value(Some(reg));
    }

    /// Asks the server for a newer service worker (on start, and whenever the network comes back).
    pub fn check_for_update(self) {
        if let Some(reg) = self.registration.get_value()
            && let Ok(p) = reg.update()
        {
            leptos::task::spawn_local(async move {
                let _ = JsFuture::from(p).await;
            });
        }
    }

    /// The user accepted the update: let the waiting worker take over (the page reloads on controllerchange).
    pub fn apply_update(self) {
        match self.registration.get_value().and_then(|r| r.waiting()) {
            Some(waiting) => {
                let _ = waiting.post_message(&JsValue::from_str("skip-waiting"));
            }
            None => {
                let _ = window().location().reload();
            }
        }
    }

    /// Asks the browser to keep this site's data (`navigator.storage.persist()`).
    async fn persist(self) {
        let storage = window().navigator().storage();
        let granted =
            promised_true(storage.persisted()).await || promised_true(storage.persist()).await;
        self.persisted.set(Some(granted));
    }
}

/// Whether a browser promise resolved to `true` (false on any error).
async fn promised_true(p: Result<js_sys::Promise, JsValue>) -> bool {
    match p {
        Ok(p) => JsFuture::from(p)
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
        Err(_) => false,
    }
}

/// Safari on iPad/iPhone in a browser tab (not added to the home screen): it deletes a site's storage after
/// 7 days without a visit, so the app must explain how to add it to the home screen.
pub fn safari_may_evict() -> bool {
    let nav = window().navigator();
    let ua = nav.user_agent().unwrap_or_default();
    let ios = ua.contains("iPad")
        || ua.contains("iPhone")
        || (ua.contains("Macintosh") && nav.max_touch_points() > 1);
    let safari = ua.contains("Safari")
        && !ua.contains("CriOS")
        && !ua.contains("FxiOS")
        && !ua.contains("EdgiOS");
    let standalone = js_sys::Reflect::get(&nav, &JsValue::from_str("standalone"))
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
        || window()
            .match_media("(display-mode: standalone)")
            .ok()
            .flatten()
            .is_some_and(|m| m.matches());
    ios && safari && !standalone
}
