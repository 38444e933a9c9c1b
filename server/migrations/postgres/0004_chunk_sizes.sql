-- As ../sqlite/0016_chunk_sizes.sql: each chunk's length beside it and in the index by document, so the
-- facility's quota is summed from the index.
ALTER TABLE chunks ADD COLUMN size BIGINT NOT NULL DEFAULT 0;
UPDATE chunks SET size = length(data);
DROP INDEX chunks_by_doc;
CREATE INDEX chunks_by_doc ON chunks (doc_id, seq, size);
