//! `/api/facilities/{facility}/tokens`: API tokens for a facility, issued with a role and an expiry by a
//! 管理者 with a fresh passkey proof, listed, and revoked.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use mamori_shared::access::{Membership, Role};
use mamori_shared::api::{IssueToken, Revoked, TokenInfo, TokenIssued, Tokens};
use mamori_shared::model::FacilityId;

use crate::AppState;
use crate::access_log::Kind;
use crate::clock::now_ms;
use crate::error::ApiError;
use crate::gate::Subject;
use crate::gate::http::{Admin, VerifiedAdmin};
use crate::session::logged;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/facilities/{facility}/tokens",
            get(tokens).post(issue_token),
        )
        .route(
            "/api/facilities/{facility}/tokens/{id}",
            axum::routing::delete(revoke_token),
        )
}

/// The longest a token may live: a year (the annual check is the latest anyone looks at it again).
const MAX_TOKEN_DAYS: u32 = 365;

/// A token for a non-browser client (an integration, a test client): scoped to this facility and a role
/// (never 管理者: managing people needs a person with a passkey), and expiring.
async fn issue_token(
    State(state): State<AppState>,
    VerifiedAdmin { session: by, .. }: VerifiedAdmin,
    Path(facility): Path<FacilityId>,
    headers: HeaderMap,
    Json(req): Json<IssueToken>,
) -> Result<Json<TokenIssued>, ApiError> {
    if (req.role == Role::Vendor) != req.vendor_id.is_some() || req.name.trim().is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "名前と、事業者の役割なら事業者を指定してください (a name, and the vendor for the vendor role)",
        ));
    }
    if req.role == Role::Admin {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "管理者のトークンは発行できません (no token carries the administrator role)",
        ));
    }
    let days = req
        .expires_in_days
        .filter(|d| (1..=MAX_TOKEN_DAYS).contains(d))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "有効期限を1〜365日で指定してください (expires_in_days: 1 to 365)",
            )
        })?;
    let membership = Membership {
        facility,
        role: req.role,
        vendor: req.vendor_id,
    };
    let now = now_ms();
    let expires_at = now + i64::from(days) * 24 * 3600 * 1000;
    let (id, token) = state
        .directory
        .issue_token(&membership, req.name.trim(), by.person, expires_at, now)
        .await?;
    tracing::info!(%facility, by = %by.person, token = %id, role = req.role.as_str(), days, "API token issued");
    state
        .log
        .record(
            logged(Kind::TokenIssued, &by, &headers)
                .at_facility(facility)
                .detail(format!(
                    "{} ({}, {id}, {days} 日間)",
                    req.name.trim(),
                    req.role.label_ja()
                )),
        )
        .await;
    Ok(Json(TokenIssued {
        id,
        token,
        expires_at,
    }))
}

/// The facility's live tokens (never their secrets), for 利用者の管理.
async fn tokens(
    State(state): State<AppState>,
    _admin: Admin,
    Path(facility): Path<FacilityId>,
) -> Result<Json<Tokens>, ApiError> {
    let tokens = state
        .directory
        .tokens_of(facility, now_ms())
        .await?
        .into_iter()
        .map(|t| TokenInfo {
            id: t.id,
            name: t.name,
            role: t.role,
            vendor_id: t.vendor,
            issued_by: t.issued_by,
            created_at: t.created_at,
            expires_at: t.expires_at,
        })
        .collect();
    Ok(Json(Tokens { tokens }))
}

async fn revoke_token(
    State(state): State<AppState>,
    Admin { session: by, .. }: Admin,
    Path((facility, id)): Path<(FacilityId, String)>,
    headers: HeaderMap,
) -> Result<Json<Revoked>, ApiError> {
    if !state
        .directory
        .revoke_token(facility, &id, now_ms())
        .await?
    {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "有効なトークンがありません (no live token with this id)",
        ));
    }
    tracing::info!(%facility, by = %by.person, token = %id, "API token revoked");
    state
        .log
        .record(
            logged(Kind::TokenRevoked, &by, &headers)
                .at_facility(facility)
                .detail(id.clone()),
        )
        .await;
    state.announce(Subject::Token(id.clone())).await;
    Ok(Json(Revoked { revoked: id }))
}
