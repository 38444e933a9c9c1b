//! Facilities: registering one with its first 管理者 (the registration code spent in the same transaction),
//! its index document, and what it holds (for the quotas).

use mamori_shared::access::Role;
use mamori_shared::model::{DocumentId, FacilityId, PersonId};
use webauthn_rs::prelude::Passkey;

use super::people::{insert_membership, insert_person};
use super::registration;
use super::{Directory, DirectoryError, parse};

/// A facility as the device registers it.
pub struct NewFacility<'a> {
    pub id: FacilityId,
    pub name: &'a str,
    pub kind: &'a str,
    pub index_doc: DocumentId,
}

impl Directory {
    /// Registers a facility set up on a device, its first administrator and their first passkey, and the
    /// facility index document, in one transaction.
    pub async fn register_facility(
        &self,
        facility: &NewFacility<'_>,
        code: &str,
        admin: PersonId,
        admin_name: &str,
        passkey: &Passkey,
        now: i64,
    ) -> Result<(), DirectoryError> {
        let mut tx = crate::db::write_tx(&self.pool).await?;
        registration::spend(&mut tx, code, facility.id, now).await?;
        let exists: Option<String> = sqlx::query_scalar("SELECT id FROM facilities WHERE id = $1")
            .bind(facility.id.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_some() {
            return Err(DirectoryError::FacilityExists);
        }
        sqlx::query(
            "INSERT INTO facilities (id, name, kind, index_doc, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(facility.id.to_string())
        .bind(facility.name)
        .bind(facility.kind)
        .bind(facility.index_doc.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        insert_person(&mut tx, admin, admin_name, passkey, now).await?;
        insert_membership(&mut tx, admin, facility.id, Role::Admin, None).await?;
        sqlx::query(
            "INSERT INTO documents (doc_id, facility_id, form, vendor_id, created_by, created_at) VALUES ($1, $2, NULL, NULL, $3, $4)",
        )
        .bind(facility.index_doc.to_string())
        .bind(facility.id.to_string())
        .bind(admin.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(d) if d.is_unique_violation() => DirectoryError::DocumentElsewhere,
            e => e.into(),
        })?;
        tx.commit().await?;
        Ok(())
    }

    /// The facility's index document (what a device opens to see the facility).
    pub async fn facility_index(
        &self,
        id: FacilityId,
    ) -> Result<Option<DocumentId>, DirectoryError> {
        let doc: Option<String> =
            sqlx::query_scalar("SELECT index_doc FROM facilities WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?;
        doc.map(|d| parse(&d, "document id", DocumentId::parse))
            .transpose()
    }

    /// The facility's name.
    pub async fn facility_name(&self, id: FacilityId) -> Result<Option<String>, DirectoryError> {
        Ok(
            sqlx::query_scalar("SELECT name FROM facilities WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// When the facility was registered on this server (Unix ms): its access log starts then, so the
    /// monthly review is not expected for earlier months.
    pub async fn facility_created_at(&self, id: FacilityId) -> Result<Option<i64>, DirectoryError> {
        Ok(
            sqlx::query_scalar("SELECT created_at FROM facilities WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The bytes a facility's documents and evidence files take (for its quota, which both count against:
    /// a facility full of files can sync no more changes, and the other way round). A file two facilities
    /// uploaded is stored once but counts for each.
    pub async fn facility_bytes(&self, facility: FacilityId) -> Result<u64, DirectoryError> {
        let bytes: i64 = sqlx::query_scalar(
            // CAST: PostgreSQL sums BIGINTs into NUMERIC, which the pool shared by both engines cannot read.
            // `size`, not length(data): the index by document holds it, so no chunk row is read.
            "SELECT CAST((SELECT COALESCE(SUM(c.size), 0) FROM chunks c JOIN documents d ON d.doc_id = c.doc_id WHERE d.facility_id = $1) \
             + (SELECT COALESCE(SUM(size), 0) FROM files WHERE facility_id = $1) AS BIGINT)",
        )
        .bind(facility.to_string())
        .fetch_one(&self.pool)
        .await?;
        Ok(bytes.max(0) as u64)
    }

    /// How many documents a facility has registered (for its quota).
    pub async fn facility_documents(&self, facility: FacilityId) -> Result<u64, DirectoryError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM documents WHERE facility_id = $1")
            .bind(facility.to_string())
            .fetch_one(&self.pool)
            .await?;
        Ok(n.max(0) as u64)
    }
}
