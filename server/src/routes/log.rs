//! `/api/.../log`: the access log for a facility's 管理者 and the inspector — filtered by person, document,
//! kind and period; exported as CSV that Japanese Excel opens cleanly (UTF-8 with BOM, or Shift_JIS); the
//! monthly review mark; and the chain's head, which 管理者 devices keep and compare on each sync (someone
//! who rewrites the whole database can recompute the chain, but not what those devices already saw).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use mamori_shared::calendar::jst_timestamp;
use mamori_shared::export;
use mamori_shared::model::{DocumentId, FacilityId, PersonId};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::access_log::{Entry, Filter, Kind};
use crate::error::ApiError;
use crate::gate::http::{Admin, AdminSomewhere, SignedIn};
use crate::session::logged;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/facilities/{facility}/log", get(list))
        .route("/api/facilities/{facility}/log.csv", get(csv_export))
        .route("/api/facilities/{facility}/log/review", post(review))
        .route("/api/log/device-opens", post(device_opens))
        .route("/api/log/head", get(head))
        .route("/api/log/hash/{seq}", get(hash_at))
}

#[derive(Deserialize, Default)]
struct LogQuery {
    person: Option<PersonId>,
    document: Option<DocumentId>,
    kind: Option<String>,
    /// Unix milliseconds, inclusive.
    from: Option<i64>,
    /// Unix milliseconds, exclusive.
    to: Option<i64>,
    /// `utf8` (default, with BOM) or `sjis`.
    encoding: Option<String>,
}

impl LogQuery {
    fn filter(&self, facility: FacilityId) -> Result<Filter, ApiError> {
        let kind = match self.kind.as_deref().filter(|k| !k.is_empty()) {
            Some(k) => Some(Kind::parse(k).ok_or_else(|| {
                ApiError::new(StatusCode::BAD_REQUEST, format!("unknown kind {k:?}"))
            })?),
            None => None,
        };
        Ok(Filter {
            facility: Some(facility),
            person: self.person,
            document: self.document,
            kind,
            from: self.from,
            to: self.to,
            limit: None,
        })
    }
}

fn label(kind: &str) -> &str {
    Kind::parse(kind).map(Kind::label_ja).unwrap_or(kind)
}

fn as_json(e: &Entry) -> Value {
    json!({
        "seq": e.seq, "at": e.at, "device_at": e.device_at, "person_id": e.person, "name": e.name,
        "kind": e.kind, "kind_ja": label(&e.kind), "document": e.document, "detail": e.detail,
        "device": e.device, "hash": e.hash,
    })
}

async fn list(
    State(state): State<AppState>,
    _admin: Admin,
    Path(facility): Path<FacilityId>,
    Query(q): Query<LogQuery>,
) -> Result<Json<Value>, ApiError> {
    let entries = state.log.read(&q.filter(facility)?).await?;
    let reviewed = state
        .log
        .read(&Filter {
            facility: Some(facility),
            kind: Some(Kind::Reviewed),
            limit: Some(1),
            ..Filter::default()
        })
        .await?;
    let (seq, hash) = state.log.head().await?;
    Ok(Json(json!({
        "entries": entries.iter().map(as_json).collect::<Vec<_>>(),
        "head": { "seq": seq, "hash": hash },
        "last_review": reviewed.first().map(as_json),
        "kinds": Kind::ALL.iter().map(|k| json!({ "kind": k.as_str(), "label": k.label_ja() })).collect::<Vec<_>>(),
    })))
}

/// The CSV header row: the columns an inspector reads.
pub const CSV_HEADER: [&str; 10] = [
    "番号",
    "日時(JST)",
    "端末の時刻(JST)",
    "利用者",
    "操作",
    "文書",
    "内容",
    "端末",
    "ハッシュ",
    "直前のハッシュ",
];

/// The log as CSV text: one row per entry, oldest first, then a final row with the chain's head hash.
pub fn csv_text(entries: &[Entry], head: &str) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_HEADER)?;
    for e in entries.iter().rev() {
        // Names, details and devices come from people and their browsers: never a formula when the
        // file is opened (CSV injection, `mamori_shared::export`).
        w.write_record(export::row([
            e.seq.to_string().as_str(),
            &jst_timestamp(e.at),
            &e.device_at.map(jst_timestamp).unwrap_or_default(),
            &e.name,
            label(&e.kind),
            e.document.as_deref().unwrap_or_default(),
            &e.detail,
            &e.device,
            &e.hash,
            &e.prev_hash,
        ]))?;
    }
    w.write_record([
        "",
        "",
        "",
        "",
        "チェーンの先頭ハッシュ (head)",
        "",
        "",
        "",
        head,
        "",
    ])?;
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8(bytes).expect("the writer got strings"))
}

async fn csv_export(
    State(state): State<AppState>,
    Admin { session: by, .. }: Admin,
    Path(facility): Path<FacilityId>,
    Query(q): Query<LogQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let entries = state.log.read(&q.filter(facility)?).await?;
    let (_, head) = state.log.head().await?;
    let text = csv_text(&entries, &head)?;
    let sjis = q.encoding.as_deref() == Some("sjis");
    let (bytes, charset) = if sjis {
        // Characters Shift_JIS lacks become numeric references rather than failing the export.
        let (b, _, _) = encoding_rs::SHIFT_JIS.encode(&text);
        (b.into_owned(), "Shift_JIS")
    } else {
        // The BOM tells Excel the file is UTF-8.
        let mut b = "\u{feff}".as_bytes().to_vec();
        b.extend_from_slice(text.as_bytes());
        (b, "utf-8")
    };
    state
        .log
        .record(
            logged(Kind::Exported, &by, &headers)
                .at_facility(facility)
                .detail(format!("CSV ({charset}), {} 件", entries.len())),
        )
        .await;
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&format!("text/csv; charset={charset}")).expect("ascii"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"mamori-access-log.csv\""),
    );
    Ok(response)
}

async fn review(
    State(state): State<AppState>,
    Admin { session: by, .. }: Admin,
    Path(facility): Path<FacilityId>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let (seq, hash) = state.log.head().await?;
    state
        .log
        .record(
            logged(Kind::Reviewed, &by, &headers)
                .at_facility(facility)
                .detail(format!("第{seq}番までを確認 (head {hash})")),
        )
        .await;
    Ok(Json(json!({ "reviewed_through": seq })))
}

#[derive(Deserialize)]
struct DeviceOpens {
    /// Documents opened on the device while it could not reach the server, with the device's time.
    opens: Vec<DeviceOpen>,
}

#[derive(Deserialize)]
struct DeviceOpen {
    document: DocumentId,
    at: i64,
}

/// A device uploads the documents its person opened offline: each is logged with the device's time beside
/// the server's, for documents the person may open (others are ignored, not logged as theirs).
async fn device_opens(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    headers: HeaderMap,
    Json(req): Json<DeviceOpens>,
) -> Result<Json<Value>, ApiError> {
    if req.opens.len() > 1000 {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "at most 1000 opens at once",
        ));
    }
    let memberships = state.directory.memberships(session.person).await?;
    let mut count = 0;
    for open in req.opens {
        let Some(info) = state.directory.document(open.document).await? else {
            continue;
        };
        if !crate::gate::may_open(&memberships, &info) {
            continue;
        }
        state
            .log
            .record(
                logged(Kind::Open, &session, &headers)
                    .at_facility(info.facility)
                    .document(open.document)
                    .device_at(Some(open.at))
                    .detail("オフラインで閲覧 (opened offline)"),
            )
            .await;
        count += 1;
    }
    Ok(Json(json!({ "logged": count })))
}

/// The chain's head, for 管理者 devices (hashes only: nothing of anyone's entries).
async fn head(
    State(state): State<AppState>,
    _admin: AdminSomewhere,
) -> Result<Json<Value>, ApiError> {
    let (seq, hash) = state.log.head().await?;
    Ok(Json(json!({ "seq": seq, "hash": hash })))
}

async fn hash_at(
    State(state): State<AppState>,
    Path(seq): Path<i64>,
    _admin: AdminSomewhere,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({ "seq": seq, "hash": state.log.hash_at(seq).await? }),
    ))
}
