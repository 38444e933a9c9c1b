//! The document registry: which facility each document belongs to, what it is (its form, its kind) and, for a
//! vendor's form or contribution to the 機器台帳, which vendor.

use mamori_shared::access::DocumentInfo;
use mamori_shared::edition::FormKind;
use mamori_shared::model::{DocumentId, FacilityId, PersonId, VendorId};
use mamori_shared::schema::DocKind;
use sqlx::Row;

use super::{Directory, DirectoryError, optional_vendor, parse};

impl Directory {
    /// Records which facility a new document belongs to (idempotent for the same facility). The first
    /// registration stands: registering a document again never changes its form, kind or vendor, so no
    /// later registration can turn the 機器台帳 into some vendor's contribution.
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
            "INSERT INTO documents (doc_id, facility_id, form, kind, vendor_id, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (doc_id) DO NOTHING",
        )
        .bind(doc.to_string())
        .bind(info.facility.to_string())
        .bind(info.form.map(|f| f.as_str()))
        .bind(info.kind.map(|k| k.as_str()))
        .bind(info.vendor.map(|v| v.to_string()))
        .bind(by.to_string())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The documents at a facility that name a vendor (its 事業者確認用, its contribution to the 機器台帳, and
    /// anything else registered with its id) or are shared with it: the candidates the gate's rules then
    /// choose from (`gate::may_open`).
    pub async fn documents_for_vendor(
        &self,
        facility: FacilityId,
        vendor: VendorId,
    ) -> Result<Vec<DocumentId>, DirectoryError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT doc_id FROM documents WHERE facility_id = $1 AND (vendor_id = $2 OR doc_id IN (SELECT doc_id FROM document_shares WHERE vendor_id = $2)) ORDER BY created_at",
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
        let row = sqlx::query(
            "SELECT facility_id, form, vendor_id, kind FROM documents WHERE doc_id = $1",
        )
        .bind(doc.to_string())
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let shared: Vec<String> =
            sqlx::query_scalar("SELECT vendor_id FROM document_shares WHERE doc_id = $1")
                .bind(doc.to_string())
                .fetch_all(&self.pool)
                .await?;
        Ok(Some(DocumentInfo {
            facility: parse(r.get::<&str, _>(0), "facility id", FacilityId::parse)?,
            form: match r.get::<Option<&str>, _>(1) {
                Some(f) => Some(parse(f, "form", FormKind::parse)?),
                None => None,
            },
            kind: match r.get::<Option<&str>, _>(3) {
                Some(k) => Some(parse(k, "kind", DocKind::parse)?),
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
