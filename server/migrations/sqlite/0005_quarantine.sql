-- Leaving a facility. A membership a facility ended for a person who still serves other facilities (a
-- vendor's user) is kept with its end time, so that person's device can still hand back what it holds for
-- that facility.
ALTER TABLE memberships ADD COLUMN ended_at INTEGER;

-- Changes a departed person's device handed back on its next connect: never merged on arrival. A 管理者
-- accepts (merged into the document) or discards each set. `changes` holds Automerge change chunks, only
-- those the server did not have when they arrived.
CREATE TABLE quarantine (
    id TEXT PRIMARY KEY,
    facility_id TEXT NOT NULL REFERENCES facilities (id),
    doc_id TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES people (id),
    device TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    changes BLOB NOT NULL,
    change_count INTEGER NOT NULL,
    -- What the changes touch, for the reviewer (JSON: a title and the checklist items whose answers differ).
    summary TEXT NOT NULL,
    decision TEXT CHECK (decision IN ('accepted', 'discarded')),
    decided_by TEXT,
    decided_at INTEGER
);
CREATE INDEX quarantine_by_facility ON quarantine (facility_id, decision);
