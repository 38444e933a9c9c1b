//! What the device does around each sync connection, apart from syncing: before anything syncs, it tells
//! the server which documents this facility has (made here, perhaps offline) and whose each of this
//! device's Automerge actors is, sends the documents opened offline to the access log, lets a 管理者's device
//! compare the access log's head, and offers set-aside copies again; when the upgrade is refused, it finds
//! out whether for want of a session (and whether this person has left the facility). The sync client calls
//! this through [`Session`] and knows nothing of accounts.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::rc::Rc;

use leptos::prelude::*;
use mamori_shared::model::{DocumentId, PersonId};

use crate::settings::use_settings;
use crate::state::Workspace;
use crate::sync::{LocalFuture, Refusal, Session, SyncHandle};

/// The session work of one page, for every connection it makes.
struct Connect {
    ws: Workspace,
    /// Documents the server has confirmed it knows (registration is asked once per page, not per reconnect).
    registered: RefCell<BTreeSet<DocumentId>>,
    /// The server refused a registration since this connection opened (signed out, or not allowed): do not
    /// ask again on every change.
    unregistrable: Cell<bool>,
}

/// Gives the sync client this page's session work.
pub fn start(ws: Workspace, sync: SyncHandle) {
    sync.set_session(Rc::new(Connect {
        ws,
        registered: RefCell::default(),
        unregistrable: Cell::new(false),
    }));
}

impl Session for Connect {
    fn opened(self: Rc<Self>) -> LocalFuture<Option<PersonId>> {
        let this = self;
        Box::pin(async move {
            this.unregistrable.set(false);
            // New checklist editions first, so a checklist moved to one opens when it arrives.
            crate::editions::refresh(this.ws).await;
            this.register_documents().await;
            let person = register_actors().await;
            if let Some(person) = person {
                upload_offline_opens().await;
                // A 管理者 device compares the access log's head on every connection.
                let admin = crate::account::current().is_some_and(|me| {
                    me.memberships
                        .iter()
                        .any(|m| m.role == mamori_shared::access::Role::Admin)
                });
                if admin {
                    crate::account::check_log_head().await;
                }
                this.ws.retry_set_aside(person).await;
            }
            person
        })
    }

    fn changed(self: Rc<Self>) -> Option<LocalFuture<Vec<DocumentId>>> {
        if !self.has_unregistered() {
            return None;
        }
        let this = self;
        Some(Box::pin(async move { this.register_documents().await }))
    }

    fn reconnecting(self: Rc<Self>) {
        crate::account::refresh_me(self.ws);
    }

    fn upgrade_failed(self: Rc<Self>) -> LocalFuture<Option<Refusal>> {
        let ws = self.ws;
        Box::pin(async move {
            let refusal = refusal().await;
            if refusal == Some(Refusal::SignInNeeded) {
                // Said once: until someone signs in here, no socket or `/api/me` that can only fail.
                use_settings().update(|s| s.signed_out = true);
                // Perhaps because this person left the facility: hand back, then delete.
                if use_settings().with_untracked(|s| s.last_person.is_some()) {
                    crate::departure::check(ws).await;
                }
            }
            refusal
        })
    }
}

impl Connect {
    /// Whether the facility index lists a document not registered during this page's life (and the server
    /// has not refused registrations on this connection).
    fn has_unregistered(&self) -> bool {
        if self.unregistrable.get() {
            return false;
        }
        let Some(index) = self.ws.index_untracked() else {
            return false;
        };
        let registered = self.registered.borrow();
        index
            .documents
            .values()
            .any(|e| !registered.contains(&e.id))
    }

    /// Registers every document of this device's facility with the server (idempotent), skipping those it
    /// already confirmed during this page's life. Without a session (a server that does not require
    /// sign-in, or signed out) the server answers 401 and nothing changes.
    async fn register_documents(&self) -> Vec<DocumentId> {
        let mut newly = Vec::new();
        let Some(index) = self.ws.index_untracked() else {
            return newly;
        };
        let facility = index.facility.id;
        for entry in index.documents.values() {
            if self.registered.borrow().contains(&entry.id) {
                continue;
            }
            let body = mamori_shared::api::RegisterDocument {
                doc_id: entry.id,
                form: entry.checklist.as_ref().map(|c| c.form),
                kind: match &entry.checklist {
                    Some(_) => Some(mamori_shared::schema::DocKind::Checklist),
                    None => entry
                        .kind
                        .as_deref()
                        .and_then(mamori_shared::schema::DocKind::parse),
                },
                vendor_id: entry
                    .checklist
                    .as_ref()
                    .and_then(|c| c.vendor_id)
                    .or(entry.vendor_id),
            };
            match crate::api::call(
                "POST",
                &format!("/api/facilities/{facility}/documents"),
                Some(&body),
            )
            .await
            {
                Ok(a) if a.status == 401 || a.status == 403 => {
                    self.unregistrable.set(true);
                    return newly;
                }
                Ok(a) if a.ok() => {
                    self.registered.borrow_mut().insert(entry.id);
                    newly.push(entry.id);
                }
                _ => {}
            }
        }
        newly
    }
}

/// Tells the server whose each of this device's actors is (see `Directory::register_actors`); returns the
/// person signed in, or `None` without a session.
async fn register_actors() -> Option<PersonId> {
    let body = mamori_shared::api::DeviceActors {
        actors: use_settings()
            .with_untracked(|s| s.actor_people.clone())
            .into_iter()
            .collect(),
    };
    let a = crate::api::call("POST", "/api/actors", Some(&body))
        .await
        .ok()?;
    a.read::<mamori_shared::api::ActorsRegistered>()
        .ok()
        .map(|r| r.person_id)
}

/// Sends the documents opened offline to the access log; forgets them once the server has them.
async fn upload_offline_opens() {
    let opens = use_settings().with_untracked(|s| s.offline_opens.clone());
    if opens.is_empty() {
        return;
    }
    let body = mamori_shared::api::DeviceOpens {
        opens: opens
            .iter()
            .map(|&(document, at)| mamori_shared::api::DeviceOpen { document, at })
            .collect(),
    };
    if let Ok(a) = crate::api::call("POST", "/api/log/device-opens", Some(&body)).await
        && a.ok()
    {
        use_settings().update(|s| s.offline_opens.retain(|o| !opens.contains(o)));
    }
}

/// Why the server refused the sync upgrade: this page's address is not the server's public one, or the
/// server requires sign-in and this browser has no live session (`/api/me` is asked only when the app does
/// not know that already). `None` when the server cannot be reached or the reason is not one of these.
async fn refusal() -> Option<Refusal> {
    let health = crate::api::call("GET", "/healthz", crate::api::NO_BODY)
        .await
        .ok()?
        .read::<mamori_shared::api::Health>()
        .ok()?;
    let here = window().location().origin().unwrap_or_default();
    if !health.public_origin.is_empty() && health.public_origin != here {
        return Some(Refusal::OtherOrigin {
            here,
            expected: health.public_origin,
        });
    }
    if !health.sign_in_required {
        return None;
    }
    let signed_out =
        crate::account::known_signed_out() || matches!(crate::account::me().await, Ok(None));
    signed_out.then_some(Refusal::SignInNeeded)
}
