//! Leaving a facility: what a departed person's device may still do (hand back its unsynced changes), and
//! the quarantine those changes wait in until a 管理者 accepts or discards them.

use mamori_shared::access::{Membership, Role};
use mamori_shared::model::{DocumentId, FacilityId, PersonId, VendorId};
use sqlx::Row;

use super::{Directory, DirectoryError, hash_secret, parse};

/// A person who left facilities, as seen from one of their (now ended) sessions.
#[derive(Debug, Clone, PartialEq)]
pub struct Departure {
    pub person: PersonId,
    /// Disabled (退職): every facility is gone. Otherwise only the facilities listed ended their membership.
    pub disabled: bool,
    /// Each membership that ended, as it stood then (the role decides what may be handed back), and when.
    pub left: Vec<(Membership, i64)>,
}

impl Departure {
    pub fn facilities(&self) -> Vec<FacilityId> {
        self.left.iter().map(|(m, _)| m.facility).collect()
    }
}

/// One handed-back set of changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Quarantined {
    pub id: String,
    pub doc: DocumentId,
    pub person: PersonId,
    pub person_name: String,
    pub device: String,
    pub received_at: i64,
    pub change_count: i64,
    pub summary: String,
    pub decision: Option<String>,
}

/// What to store for one handed-back document.
pub struct HandBack<'a> {
    pub facility: FacilityId,
    pub doc: DocumentId,
    pub person: PersonId,
    pub device: &'a str,
    pub changes: &'a [u8],
    pub change_count: usize,
    pub summary: &'a str,
}

impl Directory {
    /// The facilities a session's person has left, found from the session token even after the session
    /// ended (disabling a person ends their sessions; the device still holds that cookie). `None` when the
    /// token is unknown or its person left nothing.
    pub async fn departure(&self, token: &str) -> Result<Option<Departure>, DirectoryError> {
        let row = sqlx::query(
            "SELECT s.person_id, CASE WHEN p.disabled_at IS NOT NULL THEN 1 ELSE 0 END FROM sessions s JOIN people p ON p.id = s.person_id WHERE s.token_hash = $1",
        )
        .bind(hash_secret(token))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let person = parse(row.get::<&str, _>(0), "person id", PersonId::parse)?;
        // 0 or 1: a truth value reads as an integer on SQLite and a boolean on PostgreSQL, a number as both.
        let disabled = row.get::<i64, _>(1) != 0;
        // When each membership ended: its own end, or the person's disabling for those still open then.
        let rows = sqlx::query(
            "SELECT m.facility_id, m.role, m.vendor_id, COALESCE(m.ended_at, p.disabled_at) FROM memberships m JOIN people p ON p.id = m.person_id WHERE m.person_id = $1 AND COALESCE(m.ended_at, p.disabled_at) IS NOT NULL",
        )
        .bind(person.to_string())
        .fetch_all(&self.pool)
        .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        let left = rows
            .iter()
            .map(|r| {
                Ok((
                    Membership {
                        facility: parse(r.get::<&str, _>(0), "facility id", FacilityId::parse)?,
                        role: parse(r.get::<&str, _>(1), "role", Role::parse)?,
                        vendor: r
                            .get::<Option<&str>, _>(2)
                            .map(|v| parse(v, "vendor id", VendorId::parse))
                            .transpose()?,
                    },
                    r.get::<i64, _>(3),
                ))
            })
            .collect::<Result<_, DirectoryError>>()?;
        Ok(Some(Departure {
            person,
            disabled,
            left,
        }))
    }

    /// Stores a handed-back set of changes, undecided; returns its id. The same set handed back again (a
    /// device retrying after a lost answer) is stored once.
    pub async fn quarantine(&self, h: &HandBack<'_>, now: i64) -> Result<String, DirectoryError> {
        let same: Option<String> = sqlx::query_scalar(
            "SELECT id FROM quarantine WHERE doc_id = $1 AND person_id = $2 AND changes = $3 AND decision IS NULL",
        )
        .bind(h.doc.to_string())
        .bind(h.person.to_string())
        .bind(h.changes)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(id) = same {
            return Ok(id);
        }
        let id = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO quarantine (id, facility_id, doc_id, person_id, device, received_at, changes, change_count, summary) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(h.facility.to_string())
        .bind(h.doc.to_string())
        .bind(h.person.to_string())
        .bind(h.device)
        .bind(now)
        .bind(h.changes)
        .bind(h.change_count as i64)
        .bind(h.summary)
        .execute(&self.pool)
        .await?;
        Ok(id)
    }

    /// A facility's quarantine, newest first: undecided sets and, below them, the decided ones.
    pub async fn quarantined(
        &self,
        facility: FacilityId,
    ) -> Result<Vec<Quarantined>, DirectoryError> {
        let rows = sqlx::query(
            "SELECT q.id, q.doc_id, q.person_id, p.name, q.device, q.received_at, q.change_count, q.summary, q.decision FROM quarantine q JOIN people p ON p.id = q.person_id WHERE q.facility_id = $1 ORDER BY q.decision IS NOT NULL, q.received_at DESC",
        )
        .bind(facility.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Quarantined {
                    id: r.get(0),
                    doc: parse(r.get::<&str, _>(1), "document id", DocumentId::parse)?,
                    person: parse(r.get::<&str, _>(2), "person id", PersonId::parse)?,
                    person_name: r.get(3),
                    device: r.get(4),
                    received_at: r.get(5),
                    change_count: r.get(6),
                    summary: r.get(7),
                    decision: r.get(8),
                })
            })
            .collect()
    }

    /// An undecided set's document and changes.
    pub async fn quarantined_changes(
        &self,
        facility: FacilityId,
        id: &str,
    ) -> Result<Option<(DocumentId, Vec<u8>)>, DirectoryError> {
        let row = sqlx::query(
            "SELECT doc_id, changes FROM quarantine WHERE id = $1 AND facility_id = $2 AND decision IS NULL",
        )
        .bind(id)
        .bind(facility.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok((
                parse(r.get::<&str, _>(0), "document id", DocumentId::parse)?,
                r.get(1),
            ))
        })
        .transpose()
    }

    /// Records a 管理者's decision on an undecided set; `false` when there is none by that id.
    pub async fn decide_quarantined(
        &self,
        facility: FacilityId,
        id: &str,
        accepted: bool,
        by: PersonId,
        now: i64,
    ) -> Result<bool, DirectoryError> {
        let done = sqlx::query(
            "UPDATE quarantine SET decision = $1, decided_by = $2, decided_at = $3 WHERE id = $4 AND facility_id = $5 AND decision IS NULL",
        )
        .bind(if accepted { "accepted" } else { "discarded" })
        .bind(by.to_string())
        .bind(now)
        .bind(id)
        .bind(facility.to_string())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
