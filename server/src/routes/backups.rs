//! `GET /api/facilities/{facility}/backups`: the backups the server keeps (each covers every facility), for
//! a facility's 管理者 and the readiness view (3-②): when, how big, whether the offline copy was written.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use mamori_shared::api::BackupRecords;
use mamori_shared::model::FacilityId;

use crate::AppState;
use crate::error::ApiError;
use crate::gate::http::Admin;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/facilities/{facility}/backups", get(list))
}

async fn list(
    State(state): State<AppState>,
    _admin: Admin,
    Path(_facility): Path<FacilityId>,
) -> Result<Json<BackupRecords>, ApiError> {
    let records = crate::backups::records(&state.directory.pool())
        .await
        .map_err(crate::directory::DirectoryError::from)?;
    let c = &state.config;
    Ok(Json(BackupRecords {
        records,
        every_hours: c.backup_every_hours,
        keep_daily: c.backup_keep_daily,
        keep_weekly: c.backup_keep_weekly,
        offline_location: c.backup_offline_dir.is_some(),
    }))
}
