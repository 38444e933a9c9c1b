-- Who each Automerge actor id belongs to: a person ("person:<id>") or an API token ("token:<id>"). The first
-- new change the server accepts from an actor claims it for its sender; afterwards new changes carrying
-- that actor from anyone else are refused (impersonation). Replaces the unused `actors` table.
DROP TABLE actors;
CREATE TABLE actor_owners (
    actor TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    device TEXT NOT NULL,
    registered_at INTEGER NOT NULL
);
CREATE INDEX actor_owners_by_owner ON actor_owners (owner);
