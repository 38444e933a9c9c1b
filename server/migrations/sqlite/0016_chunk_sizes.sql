-- Each chunk's length in bytes beside it, and in the index by document: the facility's storage quota is
-- summed on every incoming change, and summing length(data) read every chunk row of the facility (its data
-- inline) from the table — a third of the server's CPU under signed-in load. The index now answers the sum
-- alone. Written by the store with every chunk (store/sql.rs), never apart from its data.
ALTER TABLE chunks ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
UPDATE chunks SET size = length(data);
DROP INDEX chunks_by_doc;
CREATE INDEX chunks_by_doc ON chunks (doc_id, seq, size);
