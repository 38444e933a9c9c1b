//! The server's error types, one per boundary: [`AppError`] for starting and serving, [`ApiError`] for
//! `/api/` answers. Details go to the log; the client gets a plain message (Japanese first).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum AppError {
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("store: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("configuration: {0}")]
    Config(String),
    #[error("TLS certificate or key: {0}")]
    Tls(String),
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        tracing::error!(error = %self, "request failed");
        (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
    }
}

/// An API error: a status and a message for the person (Japanese first).
pub struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
    /// The request needs a fresh passkey proof first (`"reauth": true` in the body; the app asks and retries).
    pub(crate) reauth: bool,
    /// A hand-back the server will never take (`"hand_back_refused": true`): the device stops trying.
    pub(crate) final_refusal: bool,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": self.message });
        if self.reauth {
            body["reauth"] = true.into();
        }
        if self.final_refusal {
            body["hand_back_refused"] = true.into();
        }
        (self.status, Json(body)).into_response()
    }
}

impl<E: std::fmt::Display> From<E> for ApiError {
    fn from(e: E) -> ApiError {
        tracing::error!(error = %e, "api request failed");
        bad(
            StatusCode::INTERNAL_SERVER_ERROR,
            "サーバーで問題が起きました (server error)",
        )
    }
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        bad(status, message)
    }

    /// Marks a refused hand-back as final: sending the same again will not help.
    pub fn refused_hand_back(mut self) -> ApiError {
        self.final_refusal = true;
        self
    }
}

pub(crate) fn bad(status: StatusCode, message: impl Into<String>) -> ApiError {
    ApiError {
        status,
        message: message.into(),
        reauth: false,
        final_refusal: false,
    }
}
