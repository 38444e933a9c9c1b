//! `/api/.../log`: the access log for a facility's 管理者 and the inspector — filtered by person, document,
//! kind and period; exported as CSV that Japanese Excel opens cleanly (UTF-8 with BOM, or Shift_JIS); the
//! monthly review mark; and the chain's head, which 管理者 devices keep and compare on each sync (someone
//! who rewrites the whole database can recompute the chain, but not what those devices already saw).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use mamori_shared::api::{
    LogEntry, LogHash, LogHead, LogKind, LogPage, LogQuery, OpensLogged, Reviewed,
};
use mamori_shared::calendar::jst_timestamp;
use mamori_shared::export;
use mamori_shared::model::FacilityId;

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

/// The log's filter for a query at `facility` (an unknown kind is a 400).
fn filter(q: &LogQuery, facility: FacilityId) -> Result<Filter, ApiError> {
    let kind = match q.kind.as_deref().filter(|k| !k.is_empty()) {
        Some(k) => Some(Kind::parse(k).ok_or_else(|| {
            ApiError::new(StatusCode::BAD_REQUEST, format!("unknown kind {k:?}"))
        })?),
        None => None,
    };
    Ok(Filter {
        facility: Some(facility),
        person: q.person,
        document: q.document,
        kind,
        from: q.from,
        to: q.to,
        limit: None,
    })
}

fn label(kind: &str) -> &str {
    Kind::parse(kind).map(Kind::label_ja).unwrap_or(kind)
}

fn listed(e: &Entry) -> LogEntry {
    LogEntry {
        seq: e.seq,
        at: e.at,
        device_at: e.device_at,
        person_id: e.person.clone(),
        name: e.name.clone(),
        kind: e.kind.clone(),
        kind_ja: label(&e.kind).to_string(),
        document: e.document.clone(),
        detail: e.detail.clone(),
        device: e.device.clone(),
        hash: e.hash.clone(),
    }
}

async fn list(
    State(state): State<AppState>,
    _admin: Admin,
    Path(facility): Path<FacilityId>,
    Query(q): Query<LogQuery>,
) -> Result<Json<LogPage>, ApiError> {
    let entries = state.log.read(&filter(&q, facility)?).await?;
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
    let facility_since = state.directory.facility_created_at(facility).await?;
    Ok(Json(LogPage {
        facility_since,
        entries: entries.iter().map(listed).collect(),
        head: LogHead { seq, hash },
        last_review: reviewed.first().map(listed),
        kinds: Kind::ALL
            .iter()
            .map(|k| LogKind {
                kind: k.as_str().to_string(),
                label: k.label_ja().to_string(),
            })
            .collect(),
    }))
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
    let entries = state.log.read(&filter(&q, facility)?).await?;
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
) -> Result<Json<Reviewed>, ApiError> {
    let (seq, hash) = state.log.head().await?;
    state
        .log
        .record(
            logged(Kind::Reviewed, &by, &headers)
                .at_facility(facility)
                .detail(format!("第{seq}番までを確認 (head {hash})")),
        )
        .await;
    Ok(Json(Reviewed {
        reviewed_through: seq,
    }))
}

/// A device uploads the documents its person opened offline: each is logged with the device's time beside
/// the server's, for documents the person may open (others are ignored, not logged as theirs).
async fn device_opens(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    headers: HeaderMap,
    Json(req): Json<mamori_shared::api::DeviceOpens>,
) -> Result<Json<OpensLogged>, ApiError> {
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
    Ok(Json(OpensLogged { logged: count }))
}

/// The chain's head, for 管理者 devices (hashes only: nothing of anyone's entries).
async fn head(
    State(state): State<AppState>,
    _admin: AdminSomewhere,
) -> Result<Json<LogHead>, ApiError> {
    let (seq, hash) = state.log.head().await?;
    Ok(Json(LogHead { seq, hash }))
}

async fn hash_at(
    State(state): State<AppState>,
    Path(seq): Path<i64>,
    _admin: AdminSomewhere,
) -> Result<Json<LogHash>, ApiError> {
    Ok(Json(LogHash {
        seq,
        hash: state.log.hash_at(seq).await?,
    }))
}
