-- 年次確認の確定: the server's Ed25519 signing key, kept in the database so backups and several instances
-- share it. One row; made on first use. pkcs8 is the private key (PKCS#8 v2, as ring makes it).
CREATE TABLE seal_keys (
    id TEXT PRIMARY KEY,
    pkcs8 BLOB NOT NULL,
    public_key BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
