//! Every `/api/` route (and `/healthz`) of a real server, called from browsers with virtual authenticators:
//! each request body is built from its shared type in `mamori_shared::api`, and each answer must decode as
//! the shared response type, so the app (which reads answers only through those types) and the server agree
//! on the wire. At least one refusal decodes as the shared `ErrorBody`. The routes called are recorded and
//! checked against the routers' source at the end: a new route without a call here fails this test.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use base64::Engine as _;
use mamori_shared::access::Role;
use mamori_shared::api::{
    Actors, ActorsRegistered, AddPasskey, CeremonyStart, DepartureStatus, DeviceActors, DeviceOpen,
    DeviceOpens, DocumentRegistered, EmailSet, ErrorBody, FileInfo, HandBackAccepted,
    HandBackDiscarded, HandBackSummary, HandedBack, Health, InvitationAccepted, InvitationInfo,
    InvitationStart, Invite, Invited, IssueToken, LogHash, LogHead, LogPage, Me, OpensLogged,
    PasskeyAdded, PasskeyRemoved, Passkeys, People, PersonRemoved, Quarantine, Reauthenticated,
    RecoveryCodeSignIn, RecoveryCodes, RecoveryCodesLeft, RegisterDocument, RegisterFacility,
    Registered, Reviewed, Revoked, RoleSet, SealKeyInfo, SessionEnded, Sessions, SetEmail, SetRole,
    SignInStart, SignedIn, SignedInWithCode, SignedOut, TokenIssued, Tokens,
};
use mamori_shared::calendar::FiscalYear;
use mamori_shared::edition::FormKind;
use mamori_shared::model::{DocumentId, FacilityId};
use mamori_shared::schema::checklist::{self, ChecklistMeta};
use mamori_tests::passkeys::{browser_at, post_bytes, run, status};
use mamori_tests::{Browser, TestServer};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sha2::Digest as _;

/// The routes called so far, as `METHOD /template`.
static CALLED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

fn note(method: &str, route: &str) {
    CALLED.lock().unwrap().insert(format!("{method} {route}"));
}

/// Calls `path` (an instance of `route`) from the page with `body` as JSON; returns `{status, body}`.
async fn call(
    b: &Browser,
    method: &str,
    route: &str,
    path: &str,
    body: Option<&impl Serialize>,
) -> Value {
    note(method, route);
    let body = match body {
        Some(body) => serde_json::to_string(body).unwrap(),
        None => "undefined".to_string(),
    };
    run(
        b,
        &format!("return api({}, {}, {body});", json!(method), json!(path)),
    )
    .await
}

/// [`call`] without a body.
async fn bare(b: &Browser, method: &str, route: &str, path: &str) -> Value {
    call(b, method, route, path, None::<&()>).await
}

/// A ceremony's start and finish (`create`: a new passkey, else a passkey proof), from the page: both
/// answers, `{start, finish}`.
async fn ceremony(
    b: &Browser,
    (start_route, start): (&str, &str),
    body: &impl Serialize,
    (finish_route, finish): (&str, &str),
    create: bool,
) -> (Value, Value) {
    note("POST", start_route);
    note("POST", finish_route);
    let (verb, parse) = if create {
        ("create", "parseCreationOptionsFromJSON")
    } else {
        ("get", "parseRequestOptionsFromJSON")
    };
    let r = run(
        b,
        &format!(
            "const s = await api('POST', {start}, {body});
             if (s.status !== 200) return {{ start: s }};
             const cred = await navigator.credentials.{verb}({{
               publicKey: PublicKeyCredential.{parse}(s.body.options.publicKey) }});
             const f = await api('POST', {finish}, {{ ceremony: s.body.ceremony, credential: cred.toJSON() }});
             return {{ start: s, finish: f }};",
            start = json!(start),
            finish = json!(finish),
            body = serde_json::to_string(body).unwrap(),
        ),
    )
    .await;
    (r["start"].clone(), r["finish"].clone())
}

/// A 200 answer's body as `T`.
#[track_caller]
fn ok<T: DeserializeOwned>(r: &Value) -> T {
    assert_eq!(status(r), 200, "{r}");
    serde_json::from_value(r["body"].clone()).unwrap_or_else(|e| {
        panic!(
            "{} does not decode as {}: {e}",
            r["body"],
            std::any::type_name::<T>()
        )
    })
}

/// A refusal with `code`, its body as the shared error type.
#[track_caller]
fn refused(r: &Value, code: u64) -> ErrorBody {
    assert_eq!(status(r), code, "{r}");
    serde_json::from_value(r["body"].clone())
        .unwrap_or_else(|e| panic!("{} does not decode as ErrorBody: {e}", r["body"]))
}

/// Every `METHOD /route` the routers declare under `/api/` and `/healthz`, read from `server/src/routes`.
fn declared_routes() -> BTreeSet<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../server/src/routes");
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for (at, _) in text.match_indices(".route(") {
            // The call's text, to its closing parenthesis.
            let rest = &text[at + ".route(".len()..];
            let mut depth = 1;
            let end = rest
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map(|(i, _)| i)
                .unwrap();
            let args = &rest[..end];
            let path = args.split('"').nth(1).unwrap();
            if !(path.starts_with("/api/") || path == "/healthz") {
                continue;
            }
            for method in ["get", "post", "delete", "put", "patch"] {
                for (i, _) in args.match_indices(&format!("{method}(")) {
                    let before = args[..i].chars().next_back();
                    if before.is_none_or(|c| !c.is_alphanumeric() && c != '_') {
                        out.insert(format!("{} {path}", method.to_uppercase()));
                    }
                }
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_in_its_shared_type() {
    let server = TestServer::start_signed_in().await;
    let admin = browser_at(&server).await;

    // Step 1: health, and a refusal before anyone signs in.
    let health = bare(&admin, "GET", "/healthz", "/healthz").await;
    let health: Health = ok(&health);
    assert!(health.sign_in_required);
    let me = bare(&admin, "GET", "/api/me", "/api/me").await;
    assert!(!refused(&me, 401).error.is_empty());

    // Step 2: the 管理者 registers a facility with a new passkey, and a document.
    let facility = FacilityId::generate();
    let index = DocumentId::generate();
    let register = RegisterFacility {
        facility_id: facility,
        facility_name: "みなと薬局".into(),
        kind: "pharmacy".into(),
        index_doc: index,
        person_name: "佐藤 花子".into(),
        code: server.registration_code().await,
    };
    let (start, finish) = ceremony(
        &admin,
        (
            "/api/facilities/register/start",
            "/api/facilities/register/start",
        ),
        &register,
        (
            "/api/facilities/register/finish",
            "/api/facilities/register/finish",
        ),
        true,
    )
    .await;
    let _: CeremonyStart = ok(&start);
    let admin_id = ok::<Registered>(&finish).person_id;
    let docs = "/api/facilities/{facility}/documents";
    let checklist_id = DocumentId::generate();
    let r = call(
        &admin,
        "POST",
        docs,
        &format!("/api/facilities/{facility}/documents"),
        Some(&RegisterDocument {
            doc_id: checklist_id,
            form: Some(FormKind::Pharmacy),
            kind: Some(mamori_shared::schema::DocKind::Checklist),
            vendor_id: None,
        }),
    )
    .await;
    assert_eq!(ok::<DocumentRegistered>(&r).doc_id, checklist_id);
    let me: Me = ok(&bare(&admin, "GET", "/api/me", "/api/me").await);
    assert_eq!(me.role_at(facility), Some(Role::Admin));
    assert_eq!(me.memberships[0].index_doc, Some(index));
    assert_eq!(me.email, None);
    // Reminder mails: an address kept (trimmed), a non-address refused in the shared error type.
    let set = SetEmail {
        email: Some(" kanri@clinic.example ".into()),
    };
    let r = call(&admin, "PUT", "/api/me/email", "/api/me/email", Some(&set)).await;
    assert_eq!(
        ok::<EmailSet>(&r).email.as_deref(),
        Some("kanri@clinic.example")
    );
    let bad = SetEmail {
        email: Some("not an address".into()),
    };
    let r = call(&admin, "PUT", "/api/me/email", "/api/me/email", Some(&bad)).await;
    assert!(!refused(&r, 422).error.is_empty());
    let me: Me = ok(&bare(&admin, "GET", "/api/me", "/api/me").await);
    assert_eq!(me.email.as_deref(), Some("kanri@clinic.example"));

    // Step 3: signing out and in again; the session of before stays listed until ended.
    let out: SignedOut = ok(&bare(&admin, "POST", "/api/signout", "/api/signout").await);
    assert!(out.signed_out);
    let (start, finish) = ceremony(
        &admin,
        ("/api/signin/start", "/api/signin/start"),
        &SignInStart {
            person_id: admin_id,
        },
        ("/api/signin/finish", "/api/signin/finish"),
        false,
    )
    .await;
    let _: CeremonyStart = ok(&start);
    assert_eq!(ok::<SignedIn>(&finish).person_id, admin_id);
    // A second sign-in (the first session is still live) to have one to end.
    let (_, finish) = ceremony(
        &admin,
        ("/api/signin/start", "/api/signin/start"),
        &SignInStart {
            person_id: admin_id,
        },
        ("/api/signin/finish", "/api/signin/finish"),
        false,
    )
    .await;
    let _: SignedIn = ok(&finish);
    let sessions: Sessions = ok(&bare(&admin, "GET", "/api/sessions", "/api/sessions").await);
    let other = sessions
        .sessions
        .iter()
        .find(|s| !s.current)
        .unwrap_or_else(|| panic!("an earlier session: {sessions:?}"))
        .id
        .clone();
    let r = bare(
        &admin,
        "DELETE",
        "/api/sessions/{id}",
        &format!("/api/sessions/{other}"),
    )
    .await;
    assert_eq!(ok::<SessionEnded>(&r).ended, other);

    // Step 4: a passkey proof, then the credentials' routes that need one.
    let (start, finish) = ceremony(
        &admin,
        ("/api/reauth/start", "/api/reauth/start"),
        &serde_json::Map::new(),
        ("/api/reauth/finish", "/api/reauth/finish"),
        false,
    )
    .await;
    let _: CeremonyStart = ok(&start);
    let _: Reauthenticated = ok(&finish);
    let passkeys: Passkeys = ok(&bare(&admin, "GET", "/api/passkeys", "/api/passkeys").await);
    assert_eq!(passkeys.passkeys.len(), 1);
    let codes: RecoveryCodes =
        ok(&bare(&admin, "POST", "/api/recovery-codes", "/api/recovery-codes").await);
    let left: RecoveryCodesLeft =
        ok(&bare(&admin, "GET", "/api/recovery-codes", "/api/recovery-codes").await);
    assert_eq!(left.remaining, codes.codes.len() as i64);

    // Step 5: invitations: one joined with a new passkey, one revoked, one accepted by an existing account
    // (the 管理者 of a second facility).
    let invitations = "/api/facilities/{facility}/invitations";
    let invite = |role: Role, name: &str| Invite {
        role,
        vendor_id: None,
        name: name.into(),
    };
    let r = call(
        &admin,
        "POST",
        invitations,
        &format!("/api/facilities/{facility}/invitations"),
        Some(&invite(Role::Staff, "田中 一郎")),
    )
    .await;
    let staff_invitation: Invited = ok(&r);
    let staff = browser_at(&server).await;
    let r = bare(
        &staff,
        "GET",
        "/api/invitations/{token}",
        &format!("/api/invitations/{}", staff_invitation.token),
    )
    .await;
    let info: InvitationInfo = ok(&r);
    assert_eq!(info.role, Role::Staff);
    let token = &staff_invitation.token;
    let (start, finish) = ceremony(
        &staff,
        (
            "/api/invitations/{token}/start",
            &format!("/api/invitations/{token}/start"),
        ),
        &InvitationStart {
            person_name: "田中 一郎".into(),
        },
        (
            "/api/invitations/{token}/finish",
            &format!("/api/invitations/{token}/finish"),
        ),
        true,
    )
    .await;
    let _: CeremonyStart = ok(&start);
    let staff_id = ok::<Registered>(&finish).person_id;
    let r = call(
        &admin,
        "POST",
        invitations,
        &format!("/api/facilities/{facility}/invitations"),
        Some(&invite(Role::Viewer, "取り消す人")),
    )
    .await;
    let revoked: Invited = ok(&r);
    let r = bare(
        &admin,
        "DELETE",
        "/api/facilities/{facility}/invitations/{id}",
        &format!("/api/facilities/{facility}/invitations/{}", revoked.id),
    )
    .await;
    assert_eq!(ok::<Revoked>(&r).revoked, revoked.id);
    let other = browser_at(&server).await;
    let (_, finish) = ceremony(
        &other,
        (
            "/api/facilities/register/start",
            "/api/facilities/register/start",
        ),
        &RegisterFacility {
            facility_id: FacilityId::generate(),
            facility_name: "さくら薬局".into(),
            index_doc: DocumentId::generate(),
            person_name: "高橋 次郎".into(),
            code: server.registration_code().await,
            ..register.clone()
        },
        (
            "/api/facilities/register/finish",
            "/api/facilities/register/finish",
        ),
        true,
    )
    .await;
    let other_id = ok::<Registered>(&finish).person_id;
    let r = call(
        &admin,
        "POST",
        invitations,
        &format!("/api/facilities/{facility}/invitations"),
        Some(&invite(Role::Viewer, "高橋 次郎")),
    )
    .await;
    let as_me: Invited = ok(&r);
    let r = bare(
        &other,
        "POST",
        "/api/invitations/{token}/accept",
        &format!("/api/invitations/{}/accept", as_me.token),
    )
    .await;
    let accepted: InvitationAccepted = ok(&r);
    assert_eq!(
        (accepted.person_id, accepted.facility),
        (other_id, facility)
    );
    other.close().await;

    // Step 6: people and roles (the proof of step 4 is still fresh).
    let people: People = ok(&bare(
        &admin,
        "GET",
        "/api/facilities/{facility}/people",
        &format!("/api/facilities/{facility}/people"),
    )
    .await);
    assert_eq!(people.people.len(), 3, "{people:?}");
    let r = call(
        &admin,
        "POST",
        "/api/facilities/{facility}/people/{person}/role",
        &format!("/api/facilities/{facility}/people/{other_id}/role"),
        Some(&SetRole {
            role: Role::Staff,
            vendor_id: None,
        }),
    )
    .await;
    assert_eq!(ok::<RoleSet>(&r).role, Role::Staff);
    // The seal key is served; sealing a checklist the server holds no bytes of is refused, typed.
    let key: SealKeyInfo = ok(&bare(&admin, "GET", "/api/seal-key", "/api/seal-key").await);
    assert_eq!(key.key_id.len(), 16);
    // No editions folder: none loaded, none skipped; an edition it lacks is refused, typed.
    let editions: mamori_shared::api::Editions =
        ok(&bare(&admin, "GET", "/api/editions", "/api/editions").await);
    assert!(editions.editions.is_empty() && editions.skipped.is_empty());
    let r = bare(&admin, "GET", "/api/editions/{id}", "/api/editions/r8").await;
    assert!(!refused(&r, 404).error.is_empty());
    let r = bare(
        &admin,
        "POST",
        "/api/facilities/{facility}/checklists/{doc}/seal",
        &format!("/api/facilities/{facility}/checklists/{checklist_id}/seal"),
    )
    .await;
    assert!(!refused(&r, 404).error.is_empty());

    // Step 7: actors, for who answered what.
    let actor = "00112233445566778899aabbccddeeff".to_string();
    let r = call(
        &admin,
        "POST",
        "/api/actors",
        "/api/actors",
        Some(&DeviceActors {
            actors: BTreeMap::from([(actor.clone(), admin_id)]),
        }),
    )
    .await;
    assert_eq!(ok::<ActorsRegistered>(&r).registered, 1);
    let actors: Actors = ok(&bare(
        &admin,
        "GET",
        "/api/facilities/{facility}/actors",
        &format!("/api/facilities/{facility}/actors"),
    )
    .await);
    assert_eq!(actors.actors[&actor].name, "佐藤 花子");

    // Step 8: API tokens.
    let tokens = "/api/facilities/{facility}/tokens";
    let r = call(
        &admin,
        "POST",
        tokens,
        &format!("/api/facilities/{facility}/tokens"),
        Some(&IssueToken {
            name: "受付システム".into(),
            role: Role::Viewer,
            vendor_id: None,
            expires_in_days: Some(30),
        }),
    )
    .await;
    let issued: TokenIssued = ok(&r);
    let listed: Tokens = ok(&bare(
        &admin,
        "GET",
        tokens,
        &format!("/api/facilities/{facility}/tokens"),
    )
    .await);
    assert_eq!(listed.tokens[0].role, Role::Viewer);
    let r = bare(
        &admin,
        "DELETE",
        "/api/facilities/{facility}/tokens/{id}",
        &format!("/api/facilities/{facility}/tokens/{}", issued.id),
    )
    .await;
    assert_eq!(ok::<Revoked>(&r).revoked, issued.id);

    // Step 9: the staff member leaves; their device hands back a checklist it made offline (accepted) and
    // a stray document (discarded).
    let r = bare(
        &admin,
        "POST",
        "/api/facilities/{facility}/people/{person}/remove",
        &format!("/api/facilities/{facility}/people/{staff_id}/remove"),
    )
    .await;
    assert_eq!(ok::<PersonRemoved>(&r).removed, staff_id);
    let departure = "/api/device/departure";
    let told: DepartureStatus = ok(&bare(&admin, "GET", departure, departure).await);
    assert!(!told.departed && told.departure.is_none());
    let told: DepartureStatus = ok(&bare(&staff, "GET", departure, departure).await);
    assert_eq!(told.departure.map(|d| d.facilities), Some(vec![facility]));
    let made_offline = checklist::create(&ChecklistMeta {
        facility_id: facility,
        form: FormKind::Pharmacy,
        edition: "r7".into(),
        fiscal_year: FiscalYear(2026),
        vendor_id: None,
        vendor_name: String::new(),
        created_at_ms: 0,
        copied_from: None,
        moved_from_edition: None,
    })
    .unwrap()
    .save();
    let mut stray = automerge::AutoCommit::new();
    automerge::transaction::Transactable::put(&mut stray, automerge::ROOT, "kind", "stray")
        .unwrap();
    let mut sets = Vec::new();
    for bytes in [made_offline, stray.save()] {
        note("POST", "/api/device/departure/{doc}");
        let doc = DocumentId::generate();
        let path = format!("/api/device/departure/{doc}?facility={facility}");
        let r = post_bytes(&staff, &path, &bytes).await;
        sets.push(ok::<HandedBack>(&r).id.expect("a quarantined set"));
    }
    let quarantine: Quarantine = ok(&bare(
        &admin,
        "GET",
        "/api/facilities/{facility}/quarantine",
        &format!("/api/facilities/{facility}/quarantine"),
    )
    .await);
    assert_eq!(quarantine.quarantine.len(), 2);
    assert!(
        quarantine
            .quarantine
            .iter()
            .any(|s| matches!(s.summary, Some(HandBackSummary::Checklist { .. })))
    );
    let r = bare(
        &admin,
        "POST",
        "/api/facilities/{facility}/quarantine/{id}/accept",
        &format!("/api/facilities/{facility}/quarantine/{}/accept", sets[0]),
    )
    .await;
    assert_eq!(ok::<HandBackAccepted>(&r).accepted, sets[0]);
    let r = bare(
        &admin,
        "POST",
        "/api/facilities/{facility}/quarantine/{id}/discard",
        &format!("/api/facilities/{facility}/quarantine/{}/discard", sets[1]),
    )
    .await;
    assert_eq!(ok::<HandBackDiscarded>(&r).discarded, sets[1]);

    // Step 10: the access log: opens made offline, the list, its review, the head and an entry's hash,
    // and the CSV (text, not JSON: only its query is a shared type).
    let r = call(
        &admin,
        "POST",
        "/api/log/device-opens",
        "/api/log/device-opens",
        Some(&DeviceOpens {
            opens: vec![DeviceOpen {
                document: checklist_id,
                at: 1_700_000_000_000,
            }],
        }),
    )
    .await;
    assert_eq!(ok::<OpensLogged>(&r).logged, 1);
    let page: LogPage = ok(&bare(
        &admin,
        "GET",
        "/api/facilities/{facility}/log",
        &format!("/api/facilities/{facility}/log?kind=open"),
    )
    .await);
    assert_eq!(page.entries.len(), 1);
    assert_eq!(page.entries[0].device_at, Some(1_700_000_000_000));
    let csv = bare(
        &admin,
        "GET",
        "/api/facilities/{facility}/log.csv",
        &format!("/api/facilities/{facility}/log.csv?encoding=utf8"),
    )
    .await;
    assert_eq!(status(&csv), 200, "{csv}");
    let reviewed: Reviewed = ok(&bare(
        &admin,
        "POST",
        "/api/facilities/{facility}/log/review",
        &format!("/api/facilities/{facility}/log/review"),
    )
    .await);
    let head: LogHead = ok(&bare(&admin, "GET", "/api/log/head", "/api/log/head").await);
    assert!(head.seq > reviewed.reviewed_through);
    let r = bare(
        &admin,
        "GET",
        "/api/log/hash/{seq}",
        &format!("/api/log/hash/{}", head.seq),
    )
    .await;
    assert_eq!(ok::<LogHash>(&r).hash, Some(head.hash));
    // The backups the server keeps (none yet: the first is taken an hour after start), with the schedule.
    let backups: mamori_shared::api::BackupRecords = ok(&bare(
        &admin,
        "GET",
        "/api/facilities/{facility}/backups",
        &format!("/api/facilities/{facility}/backups"),
    )
    .await);
    assert!(
        backups.records.is_empty() && backups.every_hours == 24,
        "{backups:?}"
    );
    // An evidence file: raw bytes up (answered as `FileInfo`), listed, read back as the bytes they are.
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n";
    let sha: String = sha2::Sha256::digest(pdf)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let file = format!("/api/facilities/{facility}/files/{sha}");
    note("PUT", "/api/facilities/{facility}/files/{sha256}");
    let r = run(
        &admin,
        &format!(
            "const body = Uint8Array.from(atob('{}'), c => c.charCodeAt(0)); \
             const r = await fetch({}, {{ method: 'PUT', body }}); \
             return {{ status: r.status, body: await r.json().catch(() => null) }};",
            base64::engine::general_purpose::STANDARD.encode(pdf),
            json!(file)
        ),
    )
    .await;
    let uploaded: FileInfo = ok(&r);
    assert_eq!(
        (uploaded.sha256.as_str(), uploaded.size),
        (sha.as_str(), pdf.len() as u64)
    );
    let listed: Vec<FileInfo> = ok(&bare(
        &admin,
        "GET",
        "/api/facilities/{facility}/files",
        &format!("/api/facilities/{facility}/files"),
    )
    .await);
    assert_eq!(listed, vec![uploaded]);
    note("GET", "/api/facilities/{facility}/files/{sha256}");
    let r = run(
        &admin,
        &format!(
            "const r = await fetch({}); const b = new Uint8Array(await r.arrayBuffer()); \
             return {{ status: r.status, type: r.headers.get('content-type'), size: b.length }};",
            json!(file)
        ),
    )
    .await;
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(r["type"], "application/pdf");
    assert_eq!(r["size"], pdf.len());

    // Step 11: the 管理者's tablet is lost: a recovery code on the staff member's old device (its
    // authenticator holds none of the 管理者's passkeys), a new passkey there, the old one removed.
    let r = call(
        &staff,
        "POST",
        "/api/signin/recovery",
        "/api/signin/recovery",
        Some(&RecoveryCodeSignIn {
            code: codes.codes[0].clone(),
        }),
    )
    .await;
    let recovered: SignedInWithCode = ok(&r);
    assert_eq!(recovered.person_id, admin_id);
    assert!(recovered.add_passkey);
    let (start, finish) = ceremony(
        &staff,
        ("/api/passkeys/start", "/api/passkeys/start"),
        &AddPasskey {
            name: "予備の端末".into(),
        },
        ("/api/passkeys/finish", "/api/passkeys/finish"),
        true,
    )
    .await;
    let _: CeremonyStart = ok(&start);
    assert_eq!(ok::<PasskeyAdded>(&finish).added, "予備の端末");
    let passkeys: Passkeys = ok(&bare(&staff, "GET", "/api/passkeys", "/api/passkeys").await);
    let old = &passkeys.passkeys[0].id;
    let r = bare(
        &staff,
        "DELETE",
        "/api/passkeys/{id}",
        &format!("/api/passkeys/{old}"),
    )
    .await;
    assert_eq!(&ok::<PasskeyRemoved>(&r).removed, old);
    // And the last one cannot go: refused, in the shared error type.
    let last = &ok::<Passkeys>(&bare(&staff, "GET", "/api/passkeys", "/api/passkeys").await)
        .passkeys[0]
        .id;
    let r = bare(
        &staff,
        "DELETE",
        "/api/passkeys/{id}",
        &format!("/api/passkeys/{last}"),
    )
    .await;
    let error = refused(&r, 409);
    assert!(!error.reauth && !error.hand_back_refused);

    // Step 12: the old tablet's session ended with the recovery; the server says so in the shared type.
    let r = bare(&admin, "GET", "/api/me", "/api/me").await;
    refused(&r, 401);

    // Every route the routers declare was called above.
    let declared = declared_routes();
    assert!(declared.len() > 40, "routes read: {declared:?}");
    let called = CALLED.lock().unwrap().clone();
    let missing: Vec<_> = declared.difference(&called).collect();
    assert!(missing.is_empty(), "routes not called: {missing:?}");
    let unknown: Vec<_> = called.difference(&declared).collect();
    assert!(unknown.is_empty(), "called but not declared: {unknown:?}");

    admin.close().await;
    staff.close().await;
}
