-- 期限 by e-mail. A person opts in with an address (nobody is mailed without one); only a facility's 管理者
-- are mailed. Each mail sent is recorded before the next is considered, so a restart does not resend:
-- kind 'weekly' keyed by the summary's date, kind 'overdue' keyed by what fell overdue and on which day.
ALTER TABLE people ADD COLUMN email TEXT;

CREATE TABLE reminder_mails (
    person_id TEXT NOT NULL REFERENCES people (id),
    facility_id TEXT NOT NULL REFERENCES facilities (id),
    kind TEXT NOT NULL CHECK (kind IN ('weekly', 'overdue')),
    key TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    PRIMARY KEY (person_id, facility_id, kind, key)
);
