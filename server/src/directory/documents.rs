//! The document registry: which facility (and, for a vendor's form, which vendor) each document belongs to.

use mamori_shared::access::DocumentInfo;
use mamori_shared::edition::FormKind;
use mamori_shared::model::{DocumentId, FacilityId, PersonId, VendorId};
use sqlx::Row;

use super::{Directory, DirectoryError, optional_vendor, parse};

impl Directory {
    /// Records which facility a new document belongs to (idempotent for the same facility).
    pub async fn register_document(
        &self,
        doc: DocumentId,
        info: &DocumentInfo,
        by: PersonId,
        now: i64,
    ) -> Result<(), DirectoryError> {
        if let Some(existing) = self.document(doc).await? {
            return if existing.facility == info.facility {
                Ok(())
            } else {
                Err(DirectoryError::DocumentElsewhere)
            };
        }
        sqlx::query(
            "INSERT INTO documents (doc_id, facility_id, form, vendor_id, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (doc_id) DO NOTHING",
        )
        .bind(doc.to_string())
        .bind(info.facility.to_string())
        .bind(info.form.map(|f| f.as_str()))
        .bind(info.vendor.map(|v| v.to_string()))
        .bind(by.to_string())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The documents a vendor may open at a facility: its 事業者確認用 there and what the facility shared with it.
    pub async fn documents_for_vendor(
        &self,
        facility: FacilityId,
        vendor: VendorId,
    ) -> Result<Vec<DocumentId>, DirectoryError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT doc_id FROM documents WHERE facility_id = ?1 AND (vendor_id = ?2 AND form = 'vendor' OR doc_id IN (SELECT doc_id FROM document_shares WHERE vendor_id = ?2)) ORDER BY created_at",
        )
        .bind(facility.to_string())
        .bind(vendor.to_string())
        .fetch_all(&self.pool)
        .await?;
        ids.iter()
            .map(|d| parse(d, "document id", DocumentId::parse))
            .collect()
    }

    /// What the server knows of a document; `None` if it was never registered.
    pub async fn document(&self, doc: DocumentId) -> Result<Option<DocumentInfo>, DirectoryError> {
        let row =
            sqlx::query("SELECT facility_id, form, vendor_id FROM documents WHERE doc_id = ?")
                .bind(doc.to_string())
                .fetch_optional(&self.pool)
                .await?;
        let Some(r) = row else { return Ok(None) };
        let shared: Vec<String> =
            sqlx::query_scalar("SELECT vendor_id FROM document_shares WHERE doc_id = ?")
                .bind(doc.to_string())
                .fetch_all(&self.pool)
                .await?;
        Ok(Some(DocumentInfo {
            facility: parse(r.get::<&str, _>(0), "facility id", FacilityId::parse)?,
            form: match r.get::<Option<&str>, _>(1) {
                Some(f) => Some(parse(f, "form", FormKind::parse)?),
                None => None,
            },
            vendor: optional_vendor(r.get::<Option<&str>, _>(2))?,
            shared_with: shared
                .iter()
                .map(|v| parse(v, "vendor id", VendorId::parse))
                .collect::<Result<_, _>>()?,
        }))
    }
}
