-- The kind a document was registered as (facility_index, checklist, device_ledger, vendor_devices …). Access
-- is decided by it only for a vendor's contribution to the 機器台帳 (`vendor_devices` with its vendor_id):
-- that vendor writes it. Documents registered before this column have none and grant no vendor anything.
ALTER TABLE documents ADD COLUMN kind TEXT;
