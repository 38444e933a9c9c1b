//! The server's error types, one per boundary: [`AppError`] for starting and serving, [`ApiError`] for
//! `/api/` answers. Every error a handler may pass on with `?` has an explicit mapping below: what the person
//! can act on (a conflict) is a 4xx with a Japanese message; anything else (a database error, a corrupt
//! record) is a 500 whose details go to the server's log, never into the answer.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mamori_shared::api::ErrorBody;
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
        let body = ErrorBody {
            error: self.message,
            reauth: self.reauth,
            hand_back_refused: self.final_refusal,
        };
        (self.status, Json(body)).into_response()
    }
}

/// Whether the database could not be reached at all (stopped, restarting, its disk full on PostgreSQL):
/// worth telling apart from a fault, because waiting helps.
pub(crate) fn unavailable(e: &sqlx::Error) -> bool {
    matches!(
        e,
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed
    )
}

/// A 503 while the database cannot be reached (logged; the answer says to wait).
fn database_unavailable(e: &dyn std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "the database is unavailable");
    bad(
        StatusCode::SERVICE_UNAVAILABLE,
        "データベースに接続できません。しばらくしてからもう一度お試しください \
         (the database is unavailable: try again shortly)",
    )
}

/// A 500 for a failure the person cannot act on: the details are logged here, the answer says nothing more.
fn internal(what: &'static str, e: &dyn std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "{what}");
    bad(
        StatusCode::INTERNAL_SERVER_ERROR,
        "サーバーで問題が起きました (server error)",
    )
}

impl From<crate::directory::DirectoryError> for ApiError {
    fn from(e: crate::directory::DirectoryError) -> ApiError {
        use crate::directory::DirectoryError as E;
        match e {
            E::FacilityExists => bad(
                StatusCode::CONFLICT,
                "この施設は登録済みです。管理者に招待を依頼してください (already registered)",
            ),
            E::DocumentElsewhere => bad(
                StatusCode::CONFLICT,
                "この文書は別の施設のものです (this document belongs to another facility)",
            ),
            E::PasskeyTaken => bad(
                StatusCode::CONFLICT,
                "このパスキーは登録済みです (this passkey is already registered)",
            ),
            E::NoRegistrationCode => bad(
                StatusCode::FORBIDDEN,
                "登録コードが正しくないか、使用済みか、期限切れです。サーバーの管理者に発行を依頼してください \
                 (a valid registration code is needed: ask whoever runs the server for `mamori-server registration-code`)",
            ),
            E::Database(ref d) if unavailable(d) => database_unavailable(&e),
            E::Database(_) | E::Corrupt(_) => internal("directory", &e),
        }
    }
}

impl From<crate::access_log::LogError> for ApiError {
    fn from(e: crate::access_log::LogError) -> ApiError {
        internal("access log", &e)
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> ApiError {
        match e {
            crate::store::StoreError::ClaimTaken(_) => bad(
                StatusCode::CONFLICT,
                "ほかの操作と重なりました。もう一度お試しください (a concurrent change: try again)",
            ),
            e => internal("document store", &e),
        }
    }
}

impl From<crate::files::FileError> for ApiError {
    fn from(e: crate::files::FileError) -> ApiError {
        use crate::files::FileError as E;
        match e {
            E::TooLarge { limit } => bad(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "ファイルが大きすぎます（{} MBまで） (the file is larger than {} MB)",
                    limit / (1024 * 1024),
                    limit / (1024 * 1024)
                ),
            ),
            E::HashMismatch { .. } => bad(
                StatusCode::BAD_REQUEST,
                "届いたファイルの内容がアドレスのハッシュと一致しません。もう一度送ってください \
                 (the bytes received do not match the SHA-256 in the address: send the file again)",
            ),
            E::Refused(why) => bad(StatusCode::UNSUPPORTED_MEDIA_TYPE, why.message()),
            E::Incomplete(_) => bad(
                StatusCode::BAD_REQUEST,
                "ファイルが最後まで届きませんでした (the upload ended before the whole file arrived)",
            ),
            E::Io(_) | E::Database(_) | E::Corrupt { .. } => internal("file store", &e),
        }
    }
}

impl From<automerge::AutomergeError> for ApiError {
    fn from(e: automerge::AutomergeError) -> ApiError {
        internal("a stored document does not load", &e)
    }
}

impl From<csv::Error> for ApiError {
    fn from(e: csv::Error) -> ApiError {
        internal("CSV export", &e)
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
