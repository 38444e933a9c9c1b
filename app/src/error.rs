//! The app's errors, typed, with the message a person reads (Japanese first, English second). A screen that
//! cannot show what it was asked for returns one of these as `Err`, and the error boundary every screen is
//! wrapped in ([`guarded`], in [`crate::App`]'s routes) shows it in place of the screen, with a way back:
//! nothing is thrown away, the rest of the app keeps working.

use leptos::prelude::*;
use mamori_shared::model::DocumentId;

use crate::storage::StorageError;
use crate::tr;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AppError {
    /// A document on this device does not read as its kind (damaged, or written by something else).
    #[error("この文書を読み込めません (the document {id} does not read): {why}")]
    Unreadable { id: DocumentId, why: String },
    /// The device's storage failed.
    #[error("この端末の保存領域で問題が起きました (storage on this device failed): {0}")]
    Storage(#[from] StorageError),
    /// No answer from the server: offline, or the server is down.
    #[error("サーバーに接続できません (cannot reach the server)")]
    Unreachable,
    /// The server refused, with its own message for the person (Japanese first).
    #[error("{message}")]
    Refused { status: u16, message: String },
    /// An answer this version of the app does not understand.
    #[error("予期しない応答です (unexpected answer: {0})")]
    Unexpected(String),
    /// The browser's passkey ceremony did not complete (cancelled, timed out, not supported here).
    #[error("{0}")]
    Passkey(String),
    /// What was entered cannot be used (the message says what to change).
    #[error("{0}")]
    Invalid(String),
    /// The spreadsheet worker could not read a file or answer.
    #[error("{0}")]
    Sheet(String),
}

impl AppError {
    /// The short title of the error screen.
    fn title(&self) -> (&'static str, &'static str) {
        match self {
            AppError::Unreadable { .. } => {
                ("この文書を開けません", "This document cannot be opened")
            }
            AppError::Storage(_) => ("この端末に保存できません", "Cannot save on this device"),
            AppError::Unreachable => ("サーバーに接続できません", "Cannot reach the server"),
            AppError::Refused { .. } => ("受け付けられませんでした", "Not accepted"),
            AppError::Unexpected(_) => ("予期しない応答です", "Unexpected answer"),
            AppError::Passkey(_) => (
                "パスキーで確認できませんでした",
                "The passkey did not confirm",
            ),
            AppError::Invalid(_) => ("入力を確かめてください", "Check what was entered"),
            AppError::Sheet(_) => ("ファイルを読み込めません", "The file cannot be read"),
        }
    }
}

/// A screen inside its own error boundary. (Inside the screen, not around the router: Leptos gives a
/// boundary the errors of views made while it is being built, and the router builds a screen later.)
pub fn guarded<V: IntoView + 'static>(screen: impl FnOnce() -> V + Send + 'static) -> AnyView {
    boundary(Box::new(move || screen().into_any()))
}

/// One boundary for every screen (not one copy of Leptos's boundary per screen type: the wasm is smaller).
fn boundary(screen: Box<dyn FnOnce() -> AnyView + Send>) -> AnyView {
    view! { <ErrorBoundary fallback=fallback>{screen()}</ErrorBoundary> }.into_any()
}

/// What the error boundary shows in place of a screen that failed: each error's title and message, and a
/// link home (the failed screen is left; other screens still work).
pub fn fallback(errors: ArcRwSignal<Errors>) -> impl IntoView {
    let list = move || {
        errors
            .get()
            .into_iter()
            .map(|(_, e)| {
                let (ja, en) = e.downcast_ref::<AppError>().map_or(
                    ("問題が起きました", "Something went wrong"),
                    AppError::title,
                );
                view! {
                    <h1>{move || crate::i18n::lang().pick(ja, en)}</h1>
                    <p class="error-message">{e.to_string()}</p>
                }
            })
            .collect_view()
    };
    view! {
        <section class="page error-boundary" role="alert">
            {list}
            <p>{tr!(
                "入力済みの内容はこの端末に残っています。ホームから続けてください。",
                "What was entered is still on this device. Carry on from home."
            )}</p>
            <a class="button" href="/">{tr!("ホームへ戻る", "Back to home")}</a>
        </section>
    }
}
