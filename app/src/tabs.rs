//! Tabs of one device keep each other current: after a tab saves a document it names it on a
//! BroadcastChannel, and every other tab merges the stored copy into its own. With the merge-on-save in
//! `storage::save_merged`, two tabs editing the same checklist never lose each other's changes, online or not.

use std::cell::RefCell;

use mamori_shared::model::DocumentId;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{BroadcastChannel, MessageEvent};

const CHANNEL: &str = "mamori-documents";

thread_local! {
    static OWN: RefCell<Option<BroadcastChannel>> = const { RefCell::new(None) };
}

/// Listens for other tabs' saves for the life of the page: `saved` is called with each document another tab
/// saved (the workspace merges the stored copy).
pub fn start(saved: impl Fn(DocumentId) + 'static) {
    let Ok(channel) = BroadcastChannel::new(CHANNEL) else {
        return;
    };
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        if let Some(id) = ev.data().as_string().and_then(|s| DocumentId::parse(&s)) {
            saved(id);
        }
    });
    channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    OWN.with(|c| *c.borrow_mut() = Some(channel));
}

/// Tells the other tabs that `id` was saved.
pub fn announce(id: DocumentId) {
    OWN.with(|c| {
        if let Some(channel) = c.borrow().as_ref() {
            let _ = channel.post_message(&JsValue::from_str(&id.to_string()));
        }
    });
}
