//! People in tests: each in their own headless Chromium with a DevTools virtual authenticator, talking to
//! the server's API from the app's origin, and their session cookie for native sync clients.

use mamori_shared::model::{DocumentId, FacilityId};
use serde_json::{Value, json};

use crate::{Browser, TestServer};

/// Page-side helpers: JSON calls to the API, and the two WebAuthn ceremonies using the browser's own JSON
/// conversions (WebAuthn Level 3).
const HELPERS: &str = r#"
const api = async (method, path, body) => {
  const r = await fetch(path, { method, headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, body: await r.json().catch(() => null) };
};
const register = async (startPath, startBody, finishPath) => {
  const s = await api('POST', startPath, startBody);
  if (s.status !== 200) return s;
  const cred = await navigator.credentials.create({
    publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(s.body.options.publicKey) });
  return api('POST', finishPath, { ceremony: s.body.ceremony, credential: cred.toJSON() });
};
const signIn = async (personId) => {
  const s = await api('POST', '/api/signin/start', { person_id: personId });
  if (s.status !== 200) return s;
  const cred = await navigator.credentials.get({
    publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(s.body.options.publicKey) });
  return api('POST', '/api/signin/finish', { ceremony: s.body.ceremony, credential: cred.toJSON() });
};
const reauth = async () => {
  const s = await api('POST', '/api/reauth/start', {});
  if (s.status !== 200) return s;
  const cred = await navigator.credentials.get({
    publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(s.body.options.publicKey) });
  return api('POST', '/api/reauth/finish', { ceremony: s.body.ceremony, credential: cred.toJSON() });
};
"#;

/// Runs `body` (an async function body with `api`, `register`, `signIn` and `reauth` in scope) in the page.
pub async fn run(b: &Browser, body: &str) -> Value {
    b.eval_async(&format!(
        "{HELPERS}\n(async () => {{ {body} }})().then(done, e => done({{ error: String(e) }}));"
    ))
    .await
}

/// POSTs `bytes` as the body to `path` from the page (with its cookie); returns `{ status, body }`.
pub async fn post_bytes(b: &Browser, path: &str, bytes: &[u8]) -> Value {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
    run(
        b,
        &format!(
            "const body = Uint8Array.from(atob('{b64}'), c => c.charCodeAt(0)); \
             const r = await fetch({path}, {{ method: 'POST', body }}); \
             return {{ status: r.status, body: await r.json().catch(() => null) }};",
            path = json!(path)
        ),
    )
    .await
}

/// A browser on the server's origin with its own passkey authenticator.
pub async fn browser_at(server: &TestServer) -> Browser {
    browser_at_url(&server.url).await
}

/// [`browser_at`] a server given by its URL (one running as its own process).
pub async fn browser_at_url(url: &str) -> Browser {
    let b = Browser::start().await;
    b.goto(url).await;
    b.add_virtual_authenticator().await;
    b
}

/// The HTTP status of a [`run`] result.
pub fn status(v: &Value) -> u64 {
    v["status"]
        .as_u64()
        .unwrap_or_else(|| panic!("no status in {v}"))
}

/// Registers a facility and its first administrator with a passkey; returns the API's answer.
pub async fn register_facility(
    b: &Browser,
    code: &str,
    facility: &str,
    facility_name: &str,
    index_doc: &str,
    person_name: &str,
) -> Value {
    run(
        b,
        &format!(
            "return register('/api/facilities/register/start', {}, '/api/facilities/register/finish');",
            json!({ "facility_id": facility, "facility_name": facility_name, "kind": "pharmacy",
                    "index_doc": index_doc, "person_name": person_name, "code": code })
        ),
    )
    .await
}

/// A facility registered by its 管理者 in a fresh browser, with one pharmacy checklist registered: the
/// browser, the facility id, and the checklist's document id.
pub async fn facility_with_checklist(server: &TestServer) -> (Browser, String, DocumentId) {
    let facility = FacilityId::generate().to_string();
    let (index, checklist) = (DocumentId::generate(), DocumentId::generate());
    let admin = browser_at(server).await;
    let r = register_facility(
        &admin,
        &server.registration_code().await,
        &facility,
        "みなと薬局",
        &index.to_string(),
        "佐藤 花子",
    )
    .await;
    assert_eq!(status(&r), 200, "{r}");
    let r = run(
        &admin,
        &format!(
            "return api('POST', '/api/facilities/{facility}/documents', {});",
            json!({ "doc_id": checklist.to_string(), "form": "pharmacy" })
        ),
    )
    .await;
    assert_eq!(status(&r), 200, "{r}");
    (admin, facility, checklist)
}

/// A facility registered through the API on the server at `url` (a process of its own: `code` from its
/// `registration_code`), with `checklists` pharmacy checklists registered; its 管理者's session cookie (the
/// browser is closed), the facility id and the checklists.
pub async fn facility_at_url(
    url: &str,
    code: &str,
    checklists: usize,
) -> (String, String, Vec<DocumentId>) {
    let admin = browser_at_url(url).await;
    let facility = FacilityId::generate().to_string();
    let r = register_facility(
        &admin,
        code,
        &facility,
        "みなと薬局",
        &DocumentId::generate().to_string(),
        "佐藤 花子",
    )
    .await;
    assert_eq!(status(&r), 200, "{r}");
    let docs = register_checklists(&admin, &facility, checklists).await;
    let cookie = session_cookie_at(&admin, url).await;
    admin.close().await;
    (cookie, facility, docs)
}

/// Registers `n` new pharmacy checklists at `facility` (as its signed-in 管理者 in `b`); returns their ids.
pub async fn register_checklists(b: &Browser, facility: &str, n: usize) -> Vec<DocumentId> {
    let docs: Vec<DocumentId> = (0..n).map(|_| DocumentId::generate()).collect();
    for doc in &docs {
        let r = run(
            b,
            &format!(
                "return api('POST', '/api/facilities/{facility}/documents', {});",
                json!({ "doc_id": doc.to_string(), "form": "pharmacy" })
            ),
        )
        .await;
        assert_eq!(status(&r), 200, "{r}");
    }
    docs
}

/// Issues an API token (as the signed-in 管理者 in `b`, within their re-authentication window) for 30 days;
/// returns `(token id, secret)`.
pub async fn issue_token(
    b: &Browser,
    facility: &str,
    name: &str,
    role: &str,
    vendor: Option<&str>,
) -> (String, String) {
    let r = run(
        b,
        &format!(
            "return api('POST', '/api/facilities/{facility}/tokens', {});",
            json!({ "name": name, "role": role, "vendor_id": vendor, "expires_in_days": 30 })
        ),
    )
    .await;
    assert_eq!(status(&r), 200, "{r}");
    (
        r["body"]["id"].as_str().unwrap().to_string(),
        r["body"]["token"].as_str().unwrap().to_string(),
    )
}

/// Invites someone (as the signed-in administrator in `b`); returns `(invitation id, token)`.
pub async fn invite(
    b: &Browser,
    facility: &str,
    role: &str,
    vendor: Option<&str>,
    name: &str,
) -> (String, String) {
    let v = run(
        b,
        &format!(
            "return api('POST', '/api/facilities/{facility}/invitations', {});",
            json!({ "role": role, "vendor_id": vendor, "name": name })
        ),
    )
    .await;
    assert_eq!(status(&v), 200, "{v}");
    (
        v["body"]["id"].as_str().unwrap().to_string(),
        v["body"]["token"].as_str().unwrap().to_string(),
    )
}

/// Joins with an invitation token and a new passkey; returns the API's answer.
pub async fn accept(b: &Browser, token: &str, name: &str) -> Value {
    run(
        b,
        &format!(
            "return register('/api/invitations/{token}/start', {}, '/api/invitations/{token}/finish');",
            json!({ "person_name": name })
        ),
    )
    .await
}

/// `mamori_session=…` as the browser holds it (HttpOnly: read through DevTools, as a native client would be
/// given a token), for a native sync client acting as the same person.
pub async fn session_cookie(b: &Browser, server: &TestServer) -> String {
    session_cookie_at(b, &server.url).await
}

/// [`session_cookie`] for a server given by its URL (one running as its own process).
pub async fn session_cookie_at(b: &Browser, url: &str) -> String {
    let cookies = b.cdp("Network.getCookies", json!({ "urls": [url] })).await;
    let value = cookies["cookies"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["name"] == "mamori_session")
        .and_then(|c| c["value"].as_str())
        .unwrap_or_else(|| panic!("no session cookie in {cookies}"))
        .to_string();
    format!("mamori_session={value}")
}

/// An administrator's browser: a facility set up on the device and registered on the server through the
/// app's own screens (サインイン), its documents synced.
pub async fn registered_admin(server: &TestServer, facility_name: &str, name: &str) -> Browser {
    registered_admin_in(Browser::start().await, server, facility_name, name).await
}

/// As [`registered_admin`], in a browser the test started (e.g. with its profile on a small disk).
pub async fn registered_admin_in(
    admin: Browser,
    server: &TestServer,
    facility_name: &str,
    name: &str,
) -> Browser {
    admin.add_virtual_authenticator().await;
    admin
        .set_up_facility(&server.url, facility_name, "pharmacy", name)
        .await;
    // The server's set-up link, as its operator would pass it on.
    let code = server.registration_code().await;
    admin
        .goto(&format!("{}/account?code={code}", server.url))
        .await;
    admin.wait(".register-facility").await;
    admin.fill(".person-name", name).await;
    admin.click(".register-facility").await;
    admin.wait(".me").await;
    admin.goto(&server.url).await;
    admin
        .wait(r#".checklist-row .sync-state[data-sync="synced"]"#)
        .await;
    admin
}

/// The first facility of the person signed in in `b`.
pub async fn my_facility(b: &Browser) -> String {
    let me = run(b, "return api('GET', '/api/me');").await;
    me["body"]["memberships"][0]["facility"]
        .as_str()
        .unwrap_or_else(|| panic!("no membership in {me}"))
        .to_string()
}

/// A person the administrator in `admin` invites with `role`, joined in their own browser through the
/// app's invitation screen; returns that browser (on the home screen, the facility's checklists listed)
/// and the person's id.
pub async fn joined(
    server: &TestServer,
    admin: &Browser,
    role: &str,
    name: &str,
) -> (Browser, String) {
    let facility = my_facility(admin).await;
    let (_, token) = invite(admin, &facility, role, None, name).await;
    let b = Browser::start().await;
    b.add_virtual_authenticator().await;
    b.goto(&format!("{}/invite/{token}", server.url)).await;
    b.wait(".accept-invitation").await;
    b.fill(".person-name", name).await;
    b.click(".accept-invitation").await;
    b.wait(".checklist-row").await;
    let me = run(&b, "return api('GET', '/api/me');").await;
    let id = me["body"]["person_id"]
        .as_str()
        .unwrap_or_else(|| panic!("not signed in: {me}"))
        .to_string();
    (b, id)
}
