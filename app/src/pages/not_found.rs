use leptos::prelude::*;
use leptos_router::components::A;

use crate::tr;

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="page">
            <h1>{tr!("ページが見つかりません", "Page not found")}</h1>
            <A href="/">{tr!("ホームへ戻る", "Back to home")}</A>
        </section>
    }
}
