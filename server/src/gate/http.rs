//! Who is asking, for HTTP handlers: typed extractors that decide from the session cookie whether a request
//! may go on, so that a handler's signature says what it requires ([`SignedIn`], [`RecentlyVerified`],
//! [`Admin`], [`VerifiedAdmin`], [`FileReader`], [`FileWriter`]) and no handler checks by hand.

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use mamori_shared::access::{Access, Membership, files_access, may_manage_people};
use mamori_shared::model::FacilityId;

use crate::AppState;
use crate::clock::now_ms;
use crate::directory::Session;
use crate::error::{ApiError, bad};
use crate::session::signed_in;

/// Refuses a state-changing request (any method but GET, HEAD and OPTIONS) that a browser sent from another
/// site: `Sec-Fetch-Site` must be `same-origin` (or `none`), and an `Origin` must be this server's. The
/// session cookie is `SameSite=Strict` already; this is the second lock on the door (OWASP CSRF cheat
/// sheet: verify the origin with standard headers). Requests with neither header are not from a browser and
/// carry no one's cookie by accident.
pub async fn same_origin_writes(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::Method;
    use axum::response::IntoResponse;
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe {
        let headers = request.headers();
        let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
        let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
        let expected = super::public_origin(&state.config.public_url());
        let cross_site = site.is_some_and(|s| s != "same-origin" && s != "none")
            || origin.is_some_and(|o| o != expected);
        if cross_site {
            tracing::warn!(method = %request.method(), path = %request.uri().path(), ?site, ?origin, "cross-site request refused");
            return bad(
                StatusCode::FORBIDDEN,
                "別のサイトからの操作は受け付けません (cross-site requests are refused)",
            )
            .into_response();
        }
    }
    next.run(request).await
}

/// The signed-in person, if their session proved a passkey within the re-authentication window; 403 with
/// `reauth` otherwise (OWASP ASVS V3: re-authenticate before sensitive changes).
pub async fn recently_verified(state: &AppState, headers: &HeaderMap) -> Result<Session, ApiError> {
    let session = signed_in(state, headers).await?;
    fresh(state, session)
}

fn fresh(state: &AppState, session: Session) -> Result<Session, ApiError> {
    let window = state.config.reauth_seconds as i64 * 1000;
    if now_ms() - session.verified_at > window {
        return Err(ApiError {
            status: StatusCode::FORBIDDEN,
            message: "この操作の前に、もう一度パスキーで本人確認してください (confirm it is you with your passkey first)".into(),
            reauth: true,
            final_refusal: false,
        });
    }
    Ok(session)
}

/// [`administrator`], with a recent passkey proof (for roles, leaving, tokens).
pub async fn administrator_verified(
    state: &AppState,
    headers: &HeaderMap,
    facility: FacilityId,
) -> Result<Session, ApiError> {
    let session = administrator(state, headers, facility).await?;
    fresh(state, session)
}

/// The signed-in person, if they are an administrator of `facility`; 403 otherwise.
pub async fn administrator(
    state: &AppState,
    headers: &HeaderMap,
    facility: FacilityId,
) -> Result<Session, ApiError> {
    let session = signed_in(state, headers).await?;
    let memberships: Vec<Membership> = state.directory.memberships(session.person).await?;
    if !may_manage_people(&memberships, facility) {
        return Err(bad(
            StatusCode::FORBIDDEN,
            "この操作は管理者だけができます (administrators only)",
        ));
    }
    Ok(session)
}

/// The client behind a request, as limits count it: its address (behind a trusted proxy, the one the proxy
/// names), an IPv6 address by its /64 (one household, or one device's rotating privacy addresses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client(pub String);

/// `ip` as one client: IPv4 whole, IPv6 by its /64 prefix.
pub fn client_key(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

impl FromRequestParts<AppState> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0)
            .unwrap_or_else(|| ([0, 0, 0, 0], 0).into());
        Ok(Client(client_key(
            state.config.client_ip(peer, &parts.headers),
        )))
    }
}

/// Requests without a session that one client may make in five minutes: every endpoint anyone can call
/// (registration, invitations, sign-in, hand-back) counts against it. A person's sign-in takes two or three;
/// a clinic's tablets usually reach the server from one address (NAT), so this allows one a second on
/// average, and still bounds a flood.
pub const UNAUTHENTICATED_PER_WINDOW: u32 = 300;

/// A request that needs no session, from a client within its allowance (429 otherwise).
pub struct Limited(pub Client);

impl FromRequestParts<AppState> for Limited {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let client = Client::from_request_parts(parts, state).await?;
        if !state
            .attempts
            .allow_n(&format!("open:{}", client.0), UNAUTHENTICATED_PER_WINDOW)
        {
            tracing::warn!(client = %client.0, path = %parts.uri.path(), "unauthenticated requests rate-limited");
            return Err(bad(
                StatusCode::TOO_MANY_REQUESTS,
                "操作が多すぎます。5分ほど待ってください (too many requests: wait a few minutes)",
            ));
        }
        Ok(Limited(client))
    }
}

/// A signed-in person (401 otherwise).
pub struct SignedIn(pub Session);

/// A signed-in person whose session proved a passkey within the re-authentication window (403 with
/// `reauth` otherwise: the app asks for the passkey and retries).
pub struct RecentlyVerified(pub Session);

/// A 管理者 of the facility named by the path's `{facility}` (403 otherwise).
pub struct Admin {
    pub session: Session,
    pub facility: FacilityId,
}

/// A 管理者 of any facility (the log's chain head, which carries nothing of anyone's entries).
pub struct AdminSomewhere(pub Session);

impl FromRequestParts<AppState> for AdminSomewhere {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let session = signed_in(state, &parts.headers).await?;
        let memberships: Vec<Membership> = state.directory.memberships(session.person).await?;
        if memberships
            .iter()
            .any(|m| m.role == mamori_shared::access::Role::Admin)
        {
            Ok(AdminSomewhere(session))
        } else {
            Err(bad(
                StatusCode::FORBIDDEN,
                "この操作は管理者だけができます (administrators only)",
            ))
        }
    }
}

/// An [`Admin`] with a recent passkey proof (roles, leaving, tokens, new 管理者).
pub struct VerifiedAdmin {
    pub session: Session,
    pub facility: FacilityId,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        signed_in(state, &parts.headers).await.map(SignedIn)
    }
}

impl FromRequestParts<AppState> for RecentlyVerified {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        recently_verified(state, &parts.headers)
            .await
            .map(RecentlyVerified)
    }
}

/// The `{facility}` of the route's path.
async fn path_facility(parts: &mut Parts, state: &AppState) -> Result<FacilityId, ApiError> {
    let params = RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|_| bad(StatusCode::BAD_REQUEST, "no facility in the path"))?;
    params
        .iter()
        .find(|(name, _)| *name == "facility")
        .and_then(|(_, value)| FacilityId::parse(value))
        .ok_or_else(|| {
            bad(
                StatusCode::BAD_REQUEST,
                "施設IDが正しくありません (bad facility id)",
            )
        })
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let facility = path_facility(parts, state).await?;
        let session = administrator(state, &parts.headers, facility).await?;
        Ok(Admin { session, facility })
    }
}

impl Admin {
    /// This 管理者, if their passkey proof is recent (for actions decided by what the request asks, such as
    /// an invitation that makes a new 管理者); 403 with `reauth` otherwise.
    pub fn verified(self, state: &AppState) -> Result<VerifiedAdmin, ApiError> {
        Ok(VerifiedAdmin {
            session: fresh(state, self.session)?,
            facility: self.facility,
        })
    }
}

impl FromRequestParts<AppState> for VerifiedAdmin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let facility = path_facility(parts, state).await?;
        let session = administrator_verified(state, &parts.headers, facility).await?;
        Ok(VerifiedAdmin { session, facility })
    }
}

/// The answer to a file that is not there for whoever asks: a hash no one uploaded, another facility's file,
/// a facility the person has no standing at (a 事業者, another facility's person). One status and one body
/// for all of them, so no answer tells a file's existence to someone who may not read it.
pub fn no_such_file() -> ApiError {
    bad(
        StatusCode::NOT_FOUND,
        "ファイルが見つかりません (no such file)",
    )
}

/// A person who may read the evidence files of the facility in the path (`{facility}`): whoever may read its
/// ordinary documents ([`files_access`]). Anyone else signed in gets [`no_such_file`].
pub struct FileReader {
    pub session: Session,
    pub facility: FacilityId,
}

/// A person who may upload evidence files to the facility in the path: whoever may write its ordinary
/// documents (管理者, 担当者). A 閲覧者, who may read them anyway, is told why not (403); anyone else gets
/// [`no_such_file`], whatever the hash.
pub struct FileWriter {
    pub session: Session,
    pub facility: FacilityId,
}

/// The signed-in person and what they may do with the path's facility's files.
async fn file_standing(
    parts: &mut Parts,
    state: &AppState,
) -> Result<(Session, FacilityId, Access), ApiError> {
    let session = signed_in(state, &parts.headers).await?;
    // A malformed facility id is no facility of theirs: the same answer as any other.
    let facility = path_facility(parts, state)
        .await
        .map_err(|_| no_such_file())?;
    let memberships: Vec<Membership> = state.directory.memberships(session.person).await?;
    Ok((session, facility, files_access(&memberships, facility)))
}

impl FromRequestParts<AppState> for FileReader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match file_standing(parts, state).await? {
            (session, facility, Access::Read | Access::Write) => {
                Ok(FileReader { session, facility })
            }
            (_, _, Access::None) => Err(no_such_file()),
        }
    }
}

impl FromRequestParts<AppState> for FileWriter {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match file_standing(parts, state).await? {
            (session, facility, Access::Write) => Ok(FileWriter { session, facility }),
            (_, _, Access::Read) => Err(bad(
                StatusCode::FORBIDDEN,
                "閲覧者はファイルを登録できません (viewers cannot upload files)",
            )),
            (_, _, Access::None) => Err(no_such_file()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_an_ipv4_address_or_an_ipv6_slash_64() {
        let key = |s: &str| client_key(s.parse().unwrap());
        assert_eq!(key("192.0.2.7"), "192.0.2.7");
        assert_eq!(key("::ffff:192.0.2.7"), "192.0.2.7");
        // One household's (or one phone's rotating privacy) addresses are one client.
        assert_eq!(
            key("2001:db8:1:2:aaaa::1"),
            key("2001:db8:1:2:ffff:ffff:ffff:ffff")
        );
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
    }
}
