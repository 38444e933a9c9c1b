//! Waiting in the browser without blocking the page: what sync's back-off, the import's slices and
//! persistence's settling share (a module of its own, so none of them imports another for it).

use leptos::prelude::window;
use wasm_bindgen::JsCast;

/// Resolves after `ms` milliseconds (a browser timer), without blocking the page.
pub(crate) async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Resolves once the page has painted what is already in the DOM: the next animation frame, then a task
/// after it (work queued here starts after that frame, not before it).
pub(crate) async fn after_next_paint() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let after_frame = wasm_bindgen::closure::Closure::once_into_js(move || {
            let _ = window()
                .set_timeout_with_callback_and_timeout_and_arguments_0(resolve.unchecked_ref(), 0);
        });
        let _ = window().request_animation_frame(after_frame.unchecked_ref());
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Resolves when the browser says it is back online, or after `ms` milliseconds, whichever comes first.
pub(crate) async fn online_or_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let options = web_sys::AddEventListenerOptions::new();
        options.set_once(true);
        let _ = window().add_event_listener_with_callback_and_add_event_listener_options(
            "online", &resolve, &options,
        );
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
