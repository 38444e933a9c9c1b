//! Signing in and out, registering this device's facility on the server, and joining by invitation: each a
//! passkey ceremony against the server's API. People who signed in on this device are remembered (id and
//! name only) so a shared tablet offers them to choose from; the session itself is an HttpOnly cookie.

use mamori_shared::access::Role;
use mamori_shared::api::{
    Actors, AddPasskey, CeremonyFinish, CeremonyStart, InvitationStart, LogHash, LogHead,
    RecoveryCodeSignIn, RegisterFacility, Registered, SignInStart, SignedInWithCode,
};
use mamori_shared::model::{DocumentId, Facility, FacilityId, PersonId};
use serde::Serialize;

use crate::api::{self, Answer, NO_BODY};
use crate::error::AppError;
use crate::passkey;

pub use crate::settings::KnownPerson;
/// The signed-in person and their memberships, as `/api/me` answers.
pub use mamori_shared::api::{Me, MyMembership};

thread_local! {
    /// The server's last answer to `/api/me` on this page was 401 (no session).
    static ANSWERED_SIGNED_OUT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the app already knows this browser has no session: the server said so on this page, or said so
/// before and no one has signed in here since (`signed_out` in settings).
pub fn known_signed_out() -> bool {
    use leptos::prelude::WithUntracked;
    ANSWERED_SIGNED_OUT.with(|a| a.get())
        || crate::settings::use_settings().with_untracked(|s| s.signed_out)
}

/// Who is signed in: `Ok(None)` when no one (or the session ended), `Err` when the server is unreachable.
/// When the server said there is no session and no one signed in since, answers `None` without asking it
/// again (a call that could only fail).
pub async fn me() -> Result<Option<Me>, AppError> {
    use leptos::prelude::WithUntracked;
    if crate::settings::use_settings().with_untracked(|s| s.signed_out) {
        return Ok(None);
    }
    let a = api::call("GET", "/api/me", NO_BODY).await?;
    ANSWERED_SIGNED_OUT.with(|s| s.set(a.status == 401));
    if a.status == 401 {
        return Ok(None);
    }
    a.read().map(Some)
}

/// `start` → passkey → `finish`; the finish answer on success.
async fn ceremony(
    start: &str,
    body: &impl Serialize,
    finish: &str,
    sign_in: bool,
) -> Result<Answer, AppError> {
    let s: CeremonyStart = api::call("POST", start, Some(body)).await?.read()?;
    finish_ceremony(s, finish, sign_in).await
}

/// The browser's part of a started ceremony, then its `finish`; the finish answer on success.
async fn finish_ceremony(
    s: CeremonyStart,
    finish: &str,
    sign_in: bool,
) -> Result<Answer, AppError> {
    let credential = if sign_in {
        passkey::get(&s.options).await?
    } else {
        passkey::create(&s.options).await?
    };
    let body = CeremonyFinish {
        ceremony: s.ceremony,
        credential,
    };
    let f = api::call("POST", finish, Some(&body)).await?;
    if f.ok() { Ok(f) } else { Err(f.refused()) }
}

fn known_person(answer: &Answer, name: &str) -> Option<KnownPerson> {
    let registered: Registered = answer.read().ok()?;
    Some(KnownPerson {
        person_id: registered.person_id,
        name: name.to_string(),
    })
}

/// Registers this device's facility with the signed-up administrator and a new passkey.
pub async fn register_facility(
    facility: &Facility,
    index_doc: DocumentId,
    person_name: &str,
    code: &str,
) -> Result<Option<KnownPerson>, AppError> {
    let body = RegisterFacility {
        facility_id: facility.id,
        facility_name: facility.name.clone(),
        kind: facility.kind.as_str().to_string(),
        index_doc,
        person_name: person_name.to_string(),
        code: code.to_string(),
    };
    let a = ceremony(
        "/api/facilities/register/start",
        &body,
        "/api/facilities/register/finish",
        false,
    )
    .await?;
    Ok(known_person(&a, person_name))
}

/// Joins by invitation with a new passkey.
pub async fn accept_invitation(
    token: &str,
    person_name: &str,
) -> Result<Option<KnownPerson>, AppError> {
    let a = ceremony(
        &format!("/api/invitations/{token}/start"),
        &InvitationStart {
            person_name: person_name.to_string(),
        },
        &format!("/api/invitations/{token}/finish"),
        false,
    )
    .await?;
    Ok(known_person(&a, person_name))
}

/// Signs in with a passkey.
pub async fn sign_in(person: PersonId) -> Result<(), AppError> {
    ceremony(
        "/api/signin/start",
        &SignInStart { person_id: person },
        "/api/signin/finish",
        true,
    )
    .await
    .map(|_| ())
}

/// Proves a passkey again (the server asks before sensitive changes).
pub async fn reauthenticate() -> Result<(), AppError> {
    // The start takes no body; `{}` is what it has always been sent.
    let nothing = serde_json::Map::new();
    ceremony("/api/reauth/start", &nothing, "/api/reauth/finish", true)
        .await
        .map(|_| ())
}

/// Calls the API for a sensitive change: when the server wants a fresh passkey proof first, asks for it
/// and tries once more.
pub async fn sensitive<B: Serialize + ?Sized>(
    method: &str,
    path: &str,
    body: Option<&B>,
) -> Result<Answer, AppError> {
    let a = api::call(method, path, body).await?;
    if a.status == 403 && a.error_body().is_some_and(|e| e.reauth) {
        reauthenticate().await?;
        return api::call(method, path, body).await;
    }
    Ok(a)
}

/// Adds a passkey (this device's, or a security key) to the signed-in person.
pub async fn add_passkey(name: &str) -> Result<(), AppError> {
    // The start needs a recent proof; ask for it first if the server says so.
    let body = AddPasskey {
        name: name.to_string(),
    };
    let s: CeremonyStart = sensitive("POST", "/api/passkeys/start", Some(&body))
        .await?
        .read()?;
    finish_ceremony(s, "/api/passkeys/finish", false)
        .await
        .map(|_| ())
}

/// Signs in with a one-time recovery code; the person's id on success.
pub async fn sign_in_with_code(code: &str) -> Result<PersonId, AppError> {
    let body = RecoveryCodeSignIn {
        code: code.to_string(),
    };
    let a: SignedInWithCode = api::call("POST", "/api/signin/recovery", Some(&body))
        .await?
        .read()?;
    Ok(a.person_id)
}

pub async fn sign_out() -> Result<(), AppError> {
    api::call("POST", "/api/signout", NO_BODY).await.map(|_| ())
}

/// Remembers a person who signed up on this device (offered at the next sign-in) and records answers under
/// their name.
pub fn remember(person: Option<KnownPerson>) {
    use leptos::prelude::Update;
    if let Some(p) = person {
        crate::settings::use_settings().update(|s| {
            s.known_people.retain(|k| k.person_id != p.person_id);
            s.user_name = p.name.clone();
            s.known_people.insert(0, p);
        });
    }
}

/// The name typed for a new passkey, or the message to show when it is missing.
pub fn entered_name(raw: &str) -> Result<String, AppError> {
    let name = raw.trim();
    if name.is_empty() {
        Err(AppError::Invalid(
            "お名前を入力してください (enter your name)".into(),
        ))
    } else {
        Ok(name.to_string())
    }
}

thread_local! {
    /// Who is signed in, as the server last said (`None`: no one, or not known yet offline).
    static ME: std::cell::OnceCell<leptos::prelude::RwSignal<Option<Me>>> =
        const { std::cell::OnceCell::new() };
}

/// Creates the signed-in-person signal (in `App`, before any view reads it).
pub fn provide() {
    let me = leptos::prelude::RwSignal::new(None);
    ME.with(|m| {
        let _ = m.set(me);
    });
}

/// `person` is now signed in on this tab: when they are not the person last signed in here, the tab's
/// changes from here on carry a new actor id of theirs (one person's actor is never reused by another).
/// Called at once by every way in (passkey, registration, invitation, recovery code), before anything is
/// synced or edited as theirs, and again by [`refresh_me`] (a second call changes nothing).
pub fn now_signed_in(ws: crate::state::Workspace, person: PersonId) {
    use leptos::prelude::{Update, WithUntracked};
    let settings = crate::settings::use_settings();
    // Someone is signed in: the server may be asked again.
    ANSWERED_SIGNED_OUT.with(|s| s.set(false));
    if settings.with_untracked(|s| s.signed_out) {
        settings.update(|s| s.signed_out = false);
    }
    if settings.with_untracked(|s| s.last_person) == Some(person) {
        return;
    }
    // First the person, then the actor: the new actor is noted as theirs.
    settings.update(|s| s.last_person = Some(person));
    ws.new_actor();
}

/// Asks the server who is signed in, and with which roles. When a different person is now signed in on this
/// tab, its changes from here on carry a new actor id (one person's actor is never reused by another).
pub fn refresh_me(ws: crate::state::Workspace) {
    leptos::task::spawn_local(async move {
        let answer = me().await;
        take_me(ws, answer).await;
    });
}

/// Asks the server who is signed in, once, and takes the answer in the background; returns when the
/// answer is in (the sync client starts after it, so that a signed-out device asks `/api/me` only once).
pub async fn refresh_me_first(ws: crate::state::Workspace) {
    let answer = me().await;
    leptos::task::spawn_local(take_me(ws, answer));
}

/// What follows from `/api/me`'s answer: a new actor for a new person, a departed person's data handed
/// back and deleted, vendors' forms fetched, names of facilities and actors kept, the log head checked.
async fn take_me(ws: crate::state::Workspace, answer: Result<Option<Me>, AppError>) {
    use leptos::prelude::{Set, WithUntracked};
    {
        let Ok(now) = answer else {
            return; // Offline: keep what we knew.
        };
        // Only a device someone signed in on can have a person who left (and the call needs their
        // ended session); a device the server already called signed out was checked then.
        let settings = crate::settings::use_settings();
        if settings.with_untracked(|s| s.last_person.is_some() && !s.signed_out) {
            crate::departure::check(ws).await;
        }
        let signal = ME.with(|m| m.get().copied());
        let Some(signal) = signal else { return };
        if let Some(person) = now.as_ref().map(|m| m.person_id) {
            now_signed_in(ws, person);
        }
        // A vendor's user has no facility index to list its forms: fetch the ones the server lists.
        for m in now.iter().flat_map(|m| &m.memberships) {
            for doc in &m.documents {
                ws.want(*doc);
            }
        }
        let names: Vec<(String, String)> = now
            .iter()
            .flat_map(|m| &m.memberships)
            .filter_map(|m| Some((m.facility.to_string(), m.facility_name.clone()?)))
            .collect();
        if !names.is_empty() {
            use leptos::prelude::Update;
            crate::settings::use_settings().update(|s| s.facility_names.extend(names));
        }
        let facilities: Vec<FacilityId> = now
            .iter()
            .flat_map(|m| &m.memberships)
            .filter(|m| m.role != Role::Vendor)
            .map(|m| m.facility)
            .collect();
        for f in facilities {
            refresh_actor_names(f).await;
        }
        if now
            .iter()
            .flat_map(|m| &m.memberships)
            .any(|m| m.role == Role::Admin)
        {
            check_log_head().await;
        }
        signal.set(now);
    }
}

/// Asks the server who each of a facility's Automerge actors is, and keeps the names on the device (the
/// checklist shows who answered each item). Quietly nothing offline or without access.
pub async fn refresh_actor_names(facility: FacilityId) {
    use leptos::prelude::Update;
    let path = format!("/api/facilities/{facility}/actors");
    let Ok(Ok(a)) = api::call("GET", &path, NO_BODY)
        .await
        .map(|a| a.read::<Actors>())
    else {
        return;
    };
    let names: Vec<(String, String)> = a
        .actors
        .into_iter()
        .map(|(actor, owner)| (actor, owner.name))
        .collect();
    crate::settings::use_settings().update(|s| s.actor_names.extend(names));
}

/// On a 管理者 device: checks that the access-log entry this device saw last still has the hash it saw (a
/// rewritten chain would not), raising an alarm if not; then remembers the current head.
pub async fn check_log_head() {
    use leptos::prelude::{GetUntracked, Update};
    let settings = crate::settings::use_settings();
    if let Some((seq, hash)) = settings.get_untracked().log_head {
        let path = format!("/api/log/hash/{seq}");
        let Ok(Ok(a)) = api::call("GET", &path, NO_BODY)
            .await
            .map(|a| a.read::<LogHash>())
        else {
            return;
        };
        if a.hash.as_deref() != Some(hash.as_str()) {
            settings.update(|s| {
                s.log_alarm = Some(format!(
                    "アクセスログの第{seq}番の記録が、この端末が以前に確認したものと一致しません。ログが書き換えられた可能性があります。サーバーの管理者に連絡してください。                      (Access log entry {seq} no longer matches what this device saw: the log may have been rewritten.)"
                ));
            });
            return;
        }
    }
    let Ok(Ok(LogHead { seq, hash })) = api::call("GET", "/api/log/head", NO_BODY)
        .await
        .map(|a| a.read::<LogHead>())
    else {
        return;
    };
    if seq > 0 {
        settings.update(|s| s.log_head = Some((seq, hash)));
    }
}

/// The signed-in person, as the server last said (reactive; `None` offline before the first answer).
pub fn current() -> Option<Me> {
    use leptos::prelude::Get;
    ME.with(|m| m.get().and_then(|s| s.get()))
}

/// Accepts an invitation with the account signed in on this device (a vendor's user invited by another
/// facility keeps one account).
pub async fn accept_invitation_as_me(token: &str) -> Result<(), AppError> {
    let path = format!("/api/invitations/{token}/accept");
    let a = api::call("POST", &path, NO_BODY).await?;
    if a.ok() { Ok(()) } else { Err(a.refused()) }
}

/// The signed-in person's role at a facility (reactive).
pub fn role_at(facility: FacilityId) -> Option<Role> {
    use leptos::prelude::With;
    ME.with(|m| {
        m.get()
            .and_then(|s| s.with(|me| me.as_ref()?.role_at(facility)))
    })
}
