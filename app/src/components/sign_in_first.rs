//! Screens that only the server can fill (people, the access log) when this browser is known to have no
//! session: one plain card that says so and leads to sign-in, instead of calls that can only answer 401.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::settings::use_settings;
use crate::tr;

/// `screen`, once someone may be signed in here; the sign-in card while the server has said no one is.
pub fn needs_sign_in<V: IntoView + 'static>(
    screen: impl Fn() -> V + Send + Sync + 'static,
) -> impl IntoView {
    let settings = use_settings();
    let signed_out = move || settings.with(|s| s.signed_out) || crate::account::known_signed_out();
    view! {
        <Show when=move || !signed_out() fallback=|| view! {
            <section class="page sign-in-first">
                <div class="card">
                    <h1>{tr!("サインインが必要です", "Sign-in needed")}</h1>
                    <p>{tr!(
                        "この画面はサーバーの記録を表示するため、サインインしてから開けます。チェックリストや連絡体制図など、この端末に保存した内容はサインインしなくても使えます。",
                        "This screen shows the server's records, so it opens once you sign in. The checklist, the contact chart and everything else kept on this device work without signing in."
                    )}</p>
                    <A href="/account" attr:class="button primary">{tr!("サインイン", "Sign in")}</A>
                </div>
            </section>
        }>
            {screen()}
        </Show>
    }
}
