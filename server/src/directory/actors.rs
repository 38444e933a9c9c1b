//! Automerge actor ids and who holds them: claimed by the first person whose change uses one, held for a
//! person (`held:<person>`) before they write; names for the checklist's "who answered".

use mamori_shared::model::{FacilityId, PersonId};
use sqlx::Row;

use super::{Directory, DirectoryError};

/// The owner of an actor that a shared device says belongs to someone other than the person whose session
/// relayed it: nobody's new changes under it are accepted until its own person claims it.
pub const HELD: &str = "held";

/// The owner of an actor held for `person` until they sign in on that device and take it (`held:<id>`).
/// Rows written before this was recorded say only [`HELD`]; anyone of the facility may take those.
pub fn held_for(person: PersonId) -> String {
    format!("{HELD}:{person}")
}

impl Directory {
    /// Registers the actors a device made, each with the person who was signed in on it when it was made
    /// (a shared tablet). Actors of the session's own person are claimed for them (taking over a held one);
    /// anyone else's are held, unless already owned, so that this session cannot take them over by relaying
    /// their changes. Returns the actors that belong to someone else than the one the device named.
    pub async fn register_actors(
        &self,
        me: PersonId,
        device: &str,
        actors: &[(String, PersonId)],
        now: i64,
    ) -> Result<Vec<String>, DirectoryError> {
        let mine = format!("person:{me}");
        let held_for_me = held_for(me);
        let mut conflicts = Vec::new();
        for (actor, person) in actors {
            // Someone else's actor is held *for them*: only they can take it over later.
            let owner = if *person == me {
                mine.clone()
            } else {
                held_for(*person)
            };
            sqlx::query(
                "INSERT INTO actor_owners (actor, owner, device, registered_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (actor) DO UPDATE SET owner = $2, device = $3, registered_at = $4 \
                 WHERE $2 = $6 AND (actor_owners.owner = $5 OR actor_owners.owner = $7)",
            )
            .bind(actor)
            .bind(&owner)
            .bind(device)
            .bind(now)
            .bind(&held_for_me)
            .bind(&mine)
            .bind(HELD)
            .execute(&self.pool)
            .await?;
            let holder: String =
                sqlx::query_scalar("SELECT owner FROM actor_owners WHERE actor = $1")
                    .bind(actor)
                    .fetch_one(&self.pool)
                    .await?;
            if *person == me && holder != mine {
                conflicts.push(actor.clone());
            }
        }
        Ok(conflicts)
    }

    /// Who an Automerge actor id belongs to (`person:<id>`, `token:<id>`, or [`HELD`]), if anyone.
    pub async fn actor_owner(&self, actor: &str) -> Result<Option<String>, DirectoryError> {
        Ok(
            sqlx::query_scalar("SELECT owner FROM actor_owners WHERE actor = $1")
                .bind(actor)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Who each actor that wrote for a facility belongs to: (actor hex, name, `true` for an API token). Covers
    /// everyone who is or was a member (so old answers stay attributed after someone leaves) and the
    /// facility's tokens.
    pub async fn actor_names(
        &self,
        facility: FacilityId,
    ) -> Result<Vec<(String, String, bool)>, DirectoryError> {
        let rows = sqlx::query(
            "SELECT a.actor, p.name, 0 FROM actor_owners a JOIN people p ON a.owner = 'person:' || p.id JOIN memberships m ON m.person_id = p.id WHERE m.facility_id = $1 \
             UNION ALL SELECT a.actor, t.name, 1 FROM actor_owners a JOIN api_tokens t ON a.owner = 'token:' || t.id WHERE t.facility_id = $1",
        )
        .bind(facility.to_string())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get::<i64, _>(2) == 1))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::SqlStore;

    #[tokio::test]
    async fn a_held_actor_is_taken_only_by_the_person_it_is_held_for() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open(dir.path()).await.unwrap();
        let directory = Directory::new(store.pool());
        let (relay, owner, stranger) = (
            PersonId::generate(),
            PersonId::generate(),
            PersonId::generate(),
        );
        let actor = "ab".repeat(16);
        // A shared tablet relays the actor its other person made: held for that person.
        let conflicts = directory
            .register_actors(relay, "tablet", &[(actor.clone(), owner)], 1)
            .await
            .unwrap();
        assert!(conflicts.is_empty());
        assert_eq!(
            directory.actor_owner(&actor).await.unwrap(),
            Some(held_for(owner))
        );
        // Someone else saying it is theirs does not take it, and is told so.
        let conflicts = directory
            .register_actors(stranger, "phone", &[(actor.clone(), stranger)], 2)
            .await
            .unwrap();
        assert_eq!(conflicts, vec![actor.clone()]);
        assert_eq!(
            directory.actor_owner(&actor).await.unwrap(),
            Some(held_for(owner))
        );
        // Nor does a relay re-holding it for someone else.
        directory
            .register_actors(stranger, "phone", &[(actor.clone(), relay)], 3)
            .await
            .unwrap();
        assert_eq!(
            directory.actor_owner(&actor).await.unwrap(),
            Some(held_for(owner))
        );
        // Its own person takes it.
        let conflicts = directory
            .register_actors(owner, "tablet", &[(actor.clone(), owner)], 4)
            .await
            .unwrap();
        assert!(conflicts.is_empty());
        assert_eq!(
            directory.actor_owner(&actor).await.unwrap(),
            Some(format!("person:{owner}"))
        );
    }
}
