//! `/api/facilities/{facility}/files`: a facility's evidence files (PDF, PNG, JPEG), content-addressed.
//!
//! - `PUT …/files/{sha256}` with the raw bytes as the body: kept if they are at most 20 MB
//!   ([`crate::files::MAX_FILE_BYTES`]), fit the facility's quota, hash to the address and are a PDF, PNG or
//!   JPEG by their own bytes ([`crate::files::sniff`]); answers [`FileInfo`].
//! - `GET …/files/{sha256}` (and `HEAD`): the bytes, as an attachment, typed by what was sniffed.
//! - `GET …/files`: the facility's files, for whoever may read them.
//!
//! Who may do what is decided by the gate's extractors ([`FileReader`], [`FileWriter`]) alone. Every upload
//! and download is written to the access log with the facility, person, hash and size.

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use futures_util::{StreamExt, TryStreamExt};
use mamori_shared::api::FileInfo;

use crate::AppState;
use crate::access_log::{Event, Kind};
use crate::clock::now_ms;
use crate::error::ApiError;
use crate::files::{FileError, FileHash, MAX_FILE_BYTES, MediaType};
use crate::gate::http::{FileReader, FileWriter, no_such_file};
use crate::session::device_of;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/facilities/{facility}/files", get(list))
        .route(
            "/api/facilities/{facility}/files/{sha256}",
            get(download).head(head).put(upload),
        )
}

/// The body's declared length, refused at once when over [`MAX_FILE_BYTES`]: first among the upload's
/// extractors, so an oversized request costs neither a database read nor a byte of its body. A body without
/// `Content-Length` (chunked) is counted as it arrives instead.
pub struct Declared(pub Option<u64>);

impl<S: Send + Sync> FromRequestParts<S> for Declared {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(header::CONTENT_LENGTH) else {
            return Ok(Declared(None));
        };
        let length: u64 = value
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "bad Content-Length"))?;
        if length > MAX_FILE_BYTES {
            return Err(FileError::TooLarge {
                limit: MAX_FILE_BYTES,
            }
            .into());
        }
        Ok(Declared(Some(length)))
    }
}

/// The `{sha256}` of the path; anything but 64 lowercase hex digits is a 400 (for every caller alike).
fn hash_in(raw: &str) -> Result<FileHash, ApiError> {
    FileHash::parse(raw).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "ファイルのアドレスはSHA-256（小文字の16進数64桁）です (the address is a SHA-256: 64 lowercase hex digits)",
        )
    })
}

/// The facility is full: nothing more of it is kept, file or document.
fn over_quota(state: &AppState) -> ApiError {
    let mb = state.config.max_facility_bytes / (1024 * 1024);
    ApiError::new(
        StatusCode::INSUFFICIENT_STORAGE,
        format!(
            "施設の保存容量の上限（{mb} MB）を超えるため保存できません (the facility's storage limit of {mb} MB would be exceeded)"
        ),
    )
}

async fn upload(
    declared: Declared,
    State(state): State<AppState>,
    FileWriter { session, facility }: FileWriter,
    Path((_, raw)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<FileInfo>, ApiError> {
    let hash = hash_in(&raw)?;
    // The facility's room, documents and files together: the file may take at most what is left of it, so
    // a body that would overfill the facility is cut off while it streams, like an oversized one.
    let used = state.directory.facility_bytes(facility).await?;
    let room = state.config.max_facility_bytes.saturating_sub(used);
    if room == 0 || declared.0.is_some_and(|n| n > room) {
        return Err(over_quota(&state));
    }
    let limit = MAX_FILE_BYTES.min(room);
    let body = body
        .into_data_stream()
        .map_err(std::io::Error::other)
        .boxed();
    let deadline = std::time::Duration::from_secs(state.config.upload_seconds);
    let Ok(put) = tokio::time::timeout(deadline, state.files.put(hash, body, limit)).await else {
        // The upload was dropped where it stood: its temporary file goes with it.
        tracing::info!(%facility, %hash, "an upload took too long");
        return Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "アップロードに時間がかかりすぎました。もう一度送ってください (the upload took too long: send it again)",
        ));
    };
    let stored = match put {
        Ok(stored) => stored,
        Err(FileError::TooLarge { limit }) if limit < MAX_FILE_BYTES => {
            return Err(over_quota(&state));
        }
        Err(e) => {
            tracing::info!(%facility, %hash, error = %e, "an upload refused");
            return Err(e.into());
        }
    };
    let info = state
        .files
        .record(facility, &stored, session.person, now_ms())
        .await?;
    state
        .log
        .record(
            Event::new(Kind::FileUploaded)
                .by(session.person, &session.name)
                .at_facility(facility)
                .device(&device_of(&headers))
                .detail(described(&info)),
        )
        .await;
    Ok(Json(info))
}

/// A file for the access log: its hash, size and type.
fn described(info: &FileInfo) -> String {
    format!(
        "sha256 {} ({} bytes, {})",
        info.sha256, info.size, info.media_type
    )
}

/// The facility's record of a file, or the one answer for anything else.
async fn record_of(
    state: &AppState,
    facility: mamori_shared::model::FacilityId,
    raw: &str,
) -> Result<(FileHash, FileInfo, MediaType), ApiError> {
    let hash = hash_in(raw)?;
    let info = state
        .files
        .info(facility, hash)
        .await?
        .ok_or_else(no_such_file)?;
    let kind = MediaType::parse(&info.media_type).ok_or_else(|| {
        tracing::error!(%facility, %hash, media_type = %info.media_type, "a file's record names an unknown type");
        no_such_file()
    })?;
    Ok((hash, info, kind))
}

/// The headers of a file's answer: the sniffed type (never what was uploaded with it), `nosniff`, a download
/// (never shown in the page: a PDF viewer inside Mamori's origin is more surface than a clinic needs), and a
/// year's caching, private to the person's browser (the same address is always the same bytes).
fn file_headers(response: &mut Response, hash: FileHash, info: &FileInfo, kind: MediaType) {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(kind.as_str()),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(info.size));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let disposition = format!("attachment; filename=\"{}\"", hash.download_name(kind));
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).expect("hex and an extension are ASCII"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
}

async fn download(
    State(state): State<AppState>,
    FileReader { session, facility }: FileReader,
    Path((_, raw)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (hash, info, kind) = record_of(&state, facility, &raw).await?;
    let Some(opened) = state.files.open(hash).await? else {
        tracing::error!(%facility, %hash, "a recorded file has no bytes");
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "サーバーで問題が起きました (server error)",
        ));
    };
    if opened.size != info.size {
        tracing::error!(%facility, %hash, recorded = info.size, on_disk = opened.size, "a kept file's size changed");
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "サーバーで問題が起きました (server error)",
        ));
    }
    state
        .log
        .record(
            Event::new(Kind::FileDownloaded)
                .by(session.person, &session.name)
                .at_facility(facility)
                .device(&device_of(&headers))
                .detail(described(&info)),
        )
        .await;
    let mut response = Response::new(Body::from_stream(opened.body));
    file_headers(&mut response, hash, &info, kind);
    Ok(response)
}

/// What a download would answer, without the bytes (and without an access-log entry: nothing is read).
async fn head(
    State(state): State<AppState>,
    FileReader { facility, .. }: FileReader,
    Path((_, raw)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (hash, info, kind) = record_of(&state, facility, &raw).await?;
    let mut response = Response::new(Body::empty());
    file_headers(&mut response, hash, &info, kind);
    Ok(response)
}

async fn list(
    State(state): State<AppState>,
    FileReader { facility, .. }: FileReader,
) -> Result<Json<Vec<FileInfo>>, ApiError> {
    Ok(Json(state.files.list(facility).await?))
}
