//! Several instances on one PostgreSQL database: what one instance learns, the others hear through the
//! database (`LISTEN/NOTIFY`), never through a side channel of their own.
//!
//! - `mamori_doc` (payload: a document id) is sent by the store in the transaction that appends chunks, so it
//!   arrives only once they are committed; an instance holding that document loads the chunks it lacks
//!   ([`crate::rooms::Rooms::catch_up`]) and tells its subscribers. Instances hold only the documents their
//!   own clients have open; a notification for any other is ignored.
//! - `mamori_people` (payload: `person:<id>` or `token:<id>`) is sent when a person's or token's records
//!   change (removed, role changed, signed out, revoked): every instance re-checks the open sockets of that
//!   subject at once, as the instance that made the change does ([`crate::state::AppState::announce`]).
//!
//! A notification lost while the listening connection was down is made good when it comes back: every loaded
//! document catches up, and every open socket re-checks its standing.

use std::time::Duration;

use mamori_shared::model::{DocumentId, PersonId};
use sqlx::postgres::PgListener;

use std::sync::Arc;

use tokio::sync::broadcast;

use crate::gate::Subject;
use crate::rooms::Rooms;
use crate::store::sql::CHANGED_CHANNEL;

/// The channel of changed people and tokens.
pub const PEOPLE_CHANNEL: &str = "mamori_people";

/// A subject as a notification's payload.
pub fn payload(subject: &Subject) -> String {
    match subject {
        Subject::Person(p) => format!("person:{p}"),
        Subject::Token(t) => format!("token:{t}"),
        Subject::Everyone => "everyone".into(),
    }
}

fn subject(payload: &str) -> Option<Subject> {
    if payload == "everyone" {
        return Some(Subject::Everyone);
    }
    if let Some(p) = payload.strip_prefix("person:") {
        return PersonId::parse(p).map(Subject::Person);
    }
    payload
        .strip_prefix("token:")
        .map(|t| Subject::Token(t.to_string()))
}

/// What a notice reaches on this instance: its loaded documents, and its open sockets' re-checks.
#[derive(Clone)]
pub struct Here {
    pub rooms: Arc<Rooms>,
    pub people_changed: broadcast::Sender<Subject>,
}

/// Listens for the other instances until the server stops. Runs only on PostgreSQL.
pub async fn listen(url: String, state: Here) {
    let mut listener = loop {
        match connect(&url).await {
            Ok(l) => break l,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for other instances yet: retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    loop {
        match listener.try_recv().await {
            Ok(Some(n)) if n.channel() == CHANGED_CHANNEL => {
                let Some(id) = DocumentId::parse(n.payload()) else {
                    continue;
                };
                if let Err(e) = state.rooms.catch_up(id).await {
                    tracing::warn!(document = %id, error = %e, "could not load another instance's changes");
                }
            }
            Ok(Some(n)) => {
                if let Some(s) = subject(n.payload()) {
                    let _ = state.people_changed.send(s);
                }
            }
            // The connection was lost and is made again on the next call: whatever was said meanwhile is
            // unknown, so every loaded document catches up and every socket checks again.
            Ok(None) => {
                tracing::warn!("lost the database's notifications for a moment: catching up");
                catch_up_everything(&state).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "listening for other instances failed: retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                catch_up_everything(&state).await;
            }
        }
    }
}

async fn connect(url: &str) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener
        .listen_all([CHANGED_CHANNEL, PEOPLE_CHANNEL])
        .await?;
    Ok(listener)
}

async fn catch_up_everything(state: &Here) {
    for id in state.rooms.loaded_ids() {
        let _ = state.rooms.catch_up(id).await;
    }
    let _ = state.people_changed.send(Subject::Everyone);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_go_through_a_payload_and_back() {
        let p = PersonId::generate();
        for s in [
            Subject::Person(p),
            Subject::Token("t-1".into()),
            Subject::Everyone,
        ] {
            assert_eq!(subject(&payload(&s)), Some(s));
        }
        assert_eq!(subject("person:not-an-id"), None);
        assert_eq!(subject("anything"), None);
    }
}
