-- API tokens get a life cycle: each expires (at most a year after it is issued; tokens issued before this
-- migration get a year from their issue), and none carries the 管理者 role any more (those are revoked: a
-- token is for a program that syncs, and managing people needs a person with a passkey).
ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER;
UPDATE api_tokens SET expires_at = created_at + 365 * 24 * 3600 * 1000 WHERE expires_at IS NULL;
UPDATE api_tokens SET revoked_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000
    WHERE role = 'admin' AND revoked_at IS NULL;
