//! Waiting in the browser without blocking the page: what sync's back-off, the import's slices and
//! persistence's settling share (a module of its own, so none of them imports another for it).

use leptos::prelude::window;

/// Resolves after `ms` milliseconds (a browser timer), without blocking the page.
pub(crate) async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
