//! The form sheets' one kind of field: a label over an input bound to a signal (the label is a `tr!`, so it
//! follows the language).

use leptos::prelude::*;

/// A labelled `<input name=name type=kind>` whose value is `value`.
pub fn text_field(
    label: fn() -> &'static str,
    name: &'static str,
    value: RwSignal<String>,
    kind: &'static str,
) -> impl IntoView {
    view! {
        <label class="field">
            <span>{label}</span>
            <input name=name type=kind prop:value=value on:input=move |ev| value.set(event_target_value(&ev)) />
        </label>
    }
}
