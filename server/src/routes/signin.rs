//! `/api/signin/...`, `/api/signout`, `/api/me`: passkey sign-in (rate-limited per person from a client
//! and per client), signing out, and who am I with my memberships.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use mamori_shared::access::Role;
use mamori_shared::api::{Me, MyMembership, SignInStart, SignedIn as SignedInAnswer, SignedOut};

use super::passkey::{
    AuthFinish, AuthStarted, expired_ceremony, prove_passkey, start_authentication,
};
use crate::AppState;
use crate::access_log::{Event, Kind};
use crate::ceremonies::{MAX_ATTEMPTS_PER_CLIENT, Pending};
use crate::clock::now_ms;
use crate::error::{ApiError, bad};
use crate::gate::Subject;
use crate::gate::http::{Client, Limited, SignedIn};
use crate::session::{clear_session_cookie, device_of, logged, session_token, with_session_cookie};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/signin/start", post(signin_start))
        .route("/api/signin/finish", post(signin_finish))
        .route("/api/signout", post(signout))
        .route("/api/me", get(me))
}

async fn signin_start(
    State(state): State<AppState>,
    Limited(Client(client)): Limited,
    Json(req): Json<SignInStart>,
) -> Result<Json<AuthStarted>, ApiError> {
    // Counted per person *from this client*, and per client: a stranger elsewhere cannot use up a person's
    // attempts and lock them out (a passkey cannot be guessed anyway; this bounds the work).
    let by_account = state
        .sign_in_attempts
        .allow(&format!("person:{}@{client}", req.person_id))
        .await?;
    let by_address = state
        .sign_in_attempts
        .allow_n(&format!("address:{client}"), MAX_ATTEMPTS_PER_CLIENT)
        .await?;
    if !(by_account && by_address) {
        tracing::warn!(person = %req.person_id, %client, "sign-in attempts rate-limited");
        state
            .log
            .record_failure(
                &client,
                Event::new(Kind::SignInFailed)
                    .by(req.person_id, "")
                    .device(&client)
                    .detail("試行回数の上限 (rate limited)"),
            )
            .await;
        return Err(bad(
            StatusCode::TOO_MANY_REQUESTS,
            "サインインの試行が多すぎます。5分ほど待ってください (too many attempts: wait a few minutes)",
        ));
    }
    let passkeys = state.directory.passkeys(req.person_id).await?;
    // The same answer for an unknown person and one without passkeys: nothing to learn by probing.
    if passkeys.is_empty() {
        return Err(bad(
            StatusCode::BAD_REQUEST,
            "この端末の利用者として登録されていません (unknown person)",
        ));
    }
    let person = req.person_id;
    start_authentication(&state, &client, &passkeys, |auth| Pending::SignIn {
        person,
        state: auth,
    })
    .await
}

async fn signin_finish(
    State(state): State<AppState>,
    Limited(Client(client)): Limited,
    headers: HeaderMap,
    Json(req): Json<AuthFinish>,
) -> Result<Response, ApiError> {
    let Some(Pending::SignIn {
        person,
        state: auth,
    }) = state.ceremonies.take(&req.ceremony).await?
    else {
        return Err(expired_ceremony());
    };
    let name = state
        .directory
        .person_name(person)
        .await?
        .unwrap_or_default();
    let event = |kind| {
        Event::new(kind)
            .by(person, &name)
            .device(&device_of(&headers))
    };
    if let Err(e) = prove_passkey(&state, person, &req.credential, &auth).await {
        state
            .log
            .record_failure(
                &client,
                event(Kind::SignInFailed).detail("パスキーを確認できない (passkey check failed)"),
            )
            .await;
        return Err(e);
    }
    let now = now_ms();
    if state.directory.memberships(person).await?.is_empty() {
        state
            .log
            .record_failure(
                &client,
                event(Kind::SignInFailed).detail("無効なアカウント (disabled account)"),
            )
            .await;
        return Err(bad(
            StatusCode::FORBIDDEN,
            "このアカウントは無効です (this account is disabled)",
        ));
    }
    let token = state
        .directory
        .start_session(person, &device_of(&headers), now)
        .await?;
    state.log.record(event(Kind::SignIn)).await;
    Ok(with_session_cookie(
        &state,
        &token,
        SignedInAnswer { person_id: person },
    ))
}

async fn signout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Some(token) = session_token(&state, &headers)
        && let Some(session) = state
            .directory
            .session(&token, state.config.session_limits(), now_ms())
            .await?
    {
        state.directory.end_session(&token, now_ms()).await?;
        // Its sync connections end too.
        state.announce(Subject::Person(session.person)).await;
        state
            .log
            .record(logged(Kind::SignOut, &session, &headers))
            .await;
    }
    let mut response = Json(SignedOut { signed_out: true }).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, clear_session_cookie(&state));
    Ok(response)
}

async fn me(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
) -> Result<Json<Me>, ApiError> {
    let memberships = state.directory.memberships(session.person).await?;
    let mut listed = Vec::new();
    for m in memberships {
        // A vendor's user never sees the facility index (it lists every document): it gets the list of
        // documents it may open there instead.
        let (index, documents) = match (m.role, m.vendor) {
            (Role::Vendor, Some(vendor)) => {
                let mut open = Vec::new();
                for doc in state
                    .directory
                    .documents_for_vendor(m.facility, vendor)
                    .await?
                {
                    // The rules decide, as when the document is opened on a socket.
                    let info = state.directory.document(doc).await?;
                    if info.is_some_and(|i| crate::gate::may_open(std::slice::from_ref(&m), &i)) {
                        open.push(doc);
                    }
                }
                (None, open)
            }
            _ => (
                state.directory.facility_index(m.facility).await?,
                Vec::new(),
            ),
        };
        listed.push(MyMembership {
            facility: m.facility,
            role: m.role,
            vendor: m.vendor,
            facility_name: state.directory.facility_name(m.facility).await?,
            index_doc: index,
            documents,
        });
    }
    Ok(Json(Me {
        person_id: session.person,
        name: session.name,
        memberships: listed,
        email: state.directory.email_of(session.person).await?,
    }))
}
