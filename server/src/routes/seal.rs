//! 年次確認の確定: a 管理者 with a fresh passkey proof closes a checklist's year; the server signs the
//! canonical text of the answers and heads it holds (`mamori_shared::seal`) with its key
//! ([`crate::seal::SealKey`]). The public key is served for anyone checking a seal elsewhere.

use automerge::AutoCommit;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use mamori_shared::api::{SealKeyInfo, Sealed};
use mamori_shared::edition::edition;
use mamori_shared::model::{DocumentId, FacilityId};
use mamori_shared::schema::checklist;
use mamori_shared::seal::{self, Sealing};

use crate::AppState;
use crate::access_log::Kind;
use crate::clock::now_ms;
use crate::error::ApiError;
use crate::gate::http::{SignedIn, VerifiedAdmin};
use crate::session::logged;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/facilities/{facility}/checklists/{doc}/seal",
            post(seal_checklist),
        )
        .route("/api/seal-key", get(key))
}

async fn key(State(state): State<AppState>, _: SignedIn) -> Json<SealKeyInfo> {
    let key = &state.seal_key;
    Json(SealKeyInfo {
        key_id: key.id.clone(),
        public_key: hex::encode(key.public_key()),
    })
}

async fn seal_checklist(
    State(state): State<AppState>,
    VerifiedAdmin { facility, session }: VerifiedAdmin,
    Path((_, doc)): Path<(FacilityId, DocumentId)>,
    headers: HeaderMap,
) -> Result<Json<Sealed>, ApiError> {
    let unknown = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "このチェックリストはサーバーにありません。同期してからもう一度お試しください (no such checklist on the server: sync first)",
        )
    };
    // Registered at this facility (another facility's document answers as an unknown one).
    let info = state.directory.document(doc).await?.ok_or_else(unknown)?;
    if info.facility != facility || info.form.is_none() {
        return Err(unknown());
    }
    let chunks = state.rooms.store().load(doc).await?.ok_or_else(unknown)?;
    let mut loaded = AutoCommit::load(&chunks.concat())?;
    let bad = |what: String| {
        tracing::error!(%doc, %what, "a stored checklist does not read");
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "このチェックリストは読み取れないため確定できません (the checklist cannot be read, so it cannot be sealed)",
        )
    };
    let meta = checklist::meta(&loaded).map_err(|e| bad(e.to_string()))?;
    let answers = checklist::answers(&loaded).map_err(|e| bad(e.to_string()))?;
    let ed = edition(&meta.edition).ok_or_else(|| bad(format!("edition {}", meta.edition)))?;
    let heads: Vec<String> = loaded.get_heads().iter().map(|h| h.to_string()).collect();
    let sealed_at_ms = now_ms();
    let text = seal::canonical(&Sealing {
        facility,
        checklist: doc,
        meta: &meta,
        edition: ed,
        answers: &answers,
        heads: &heads,
        sealed_at_ms,
    });
    let key = &state.seal_key;
    let signature = key.sign(&text);
    tracing::info!(%facility, %doc, "a checklist sealed");
    state
        .log
        .record(
            logged(Kind::Sealed, &session, &headers)
                .at_facility(facility)
                .document(doc)
                .detail(format!("鍵 {} ／ {}", key.id, meta.fiscal_year.label_ja())),
        )
        .await;
    Ok(Json(Sealed {
        printed: seal::printed(&text, &key.id, &signature),
        text,
        key_id: key.id.clone(),
        signature: hex::encode(&signature),
        sealed_at_ms,
    }))
}
