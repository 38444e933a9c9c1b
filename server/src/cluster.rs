//! Several instances on one PostgreSQL database: what one instance learns, the others hear through the
//! database (`LISTEN/NOTIFY`), never through a side channel of their own.
//!
//! - `mamori_doc` (payload: a document id, the new chunk's place and, when small, its bytes) is sent by the
//!   store in the transaction that appends chunks, so it arrives only once they are committed; an instance
//!   holding that document and not that chunk takes it in from the notice, or loads the chunks it lacks
//!   ([`crate::rooms::Rooms::catch_up_to`]), and tells its subscribers. Instances hold only the documents
//!   their own clients have open; a notification for any other is ignored, and so is one for a chunk the
//!   instance holds (it wrote it).
//! - `mamori_people` (payload: `person:<id>` or `token:<id>`) is sent when a person's or token's records
//!   change (removed, role changed, signed out, revoked): every instance re-checks the open sockets of that
//!   subject at once, as the instance that made the change does ([`crate::state::AppState::announce`]).
//!
//! A notification lost while the listening connection was down is made good when it comes back: every loaded
//! document catches up, and every open socket re-checks its standing.

use std::time::Duration;

use mamori_shared::model::PersonId;
use sqlx::postgres::PgListener;

use std::sync::Arc;

use tokio::sync::broadcast;

use crate::gate::Subject;
use crate::rooms::Rooms;
use crate::store::sql::{CHANGED_CHANNEL, parse_notice};

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

/// How often every loaded document is caught up whatever was heard: a safety net for notices lost in ways
/// the listening connection cannot tell (a firewall that silently drops an idle connection).
const SAFETY_NET: Duration = Duration::from_secs(60);

/// Listens for the other instances until the server stops. Runs only on PostgreSQL.
pub async fn listen(url: String, state: Here) {
    let net = {
        let state = state.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(SAFETY_NET).await;
                for id in state.rooms.loaded_ids() {
                    if state.rooms.catch_up(id).await.is_err() {
                        break;
                    }
                }
            }
        })
    };
    let _stop_net = AbortOnDrop(net);
    let mut listener = reconnect(&url).await;
    loop {
        match listener.try_recv().await {
            Ok(Some(n)) if n.channel() == CHANGED_CHANNEL => {
                let Some(notice) = parse_notice(n.payload()) else {
                    continue;
                };
                let id = notice.id;
                if let Err(e) = state.rooms.catch_up_to(id, notice.seq, notice.data).await {
                    tracing::warn!(document = %id, error = %e, "could not load another instance's changes");
                }
            }
            Ok(Some(n)) => {
                if let Some(s) = subject(n.payload()) {
                    let _ = state.people_changed.send(s);
                }
            }
            // The connection was lost: whatever was said meanwhile is unknown. Listen again first, then
            // catch every loaded document up and have every socket check again (in that order, so nothing
            // committed between the two is missed).
            Ok(None) | Err(_) => {
                tracing::warn!(
                    "lost the database's notifications: listening again, then catching up"
                );
                drop(listener);
                listener = reconnect(&url).await;
                catch_up_everything(&state).await;
            }
        }
    }
}

/// Aborts a task when dropped (the safety net stops with the listener).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A listening connection, retried every second until the database answers.
async fn reconnect(url: &str) -> PgListener {
    loop {
        match connect(url).await {
            Ok(l) => return l,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for other instances yet: retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
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
        // The database gone again: the next reconnect catches up anew (not one timeout per document).
        if state.rooms.catch_up(id).await.is_err() {
            break;
        }
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

    #[test]
    fn a_chunk_notice_goes_through_a_payload_and_back() {
        use crate::store::sql::{Notice, notice};
        use mamori_shared::model::DocumentId;
        let id = DocumentId::generate();
        let small = vec![7u8; 300];
        let said = |seq, data: Option<Vec<u8>>| Some(Notice { id, seq, data });
        assert_eq!(parse_notice(&notice(id, 42, None)), said(Some(42), None));
        assert_eq!(
            parse_notice(&notice(id, 42, Some(&small))),
            said(Some(42), Some(small))
        );
        // Too large for a payload (8,000 bytes at most): the place only.
        let large = notice(id, 43, Some(&[1u8; 6_000]));
        assert!(large.len() < 8_000);
        assert_eq!(parse_notice(&large), said(Some(43), None));
        let largest = notice(id, i64::MAX, Some(&[1u8; 5_600]));
        assert!(largest.len() < 8_000, "{}", largest.len());
        assert_eq!(parse_notice(&id.to_string()), said(None, None));
        assert_eq!(parse_notice(&format!("{id} x")), None);
        assert_eq!(parse_notice(&format!("{id} 1 !!")), None);
        assert_eq!(parse_notice("nothing"), None);
    }
}
