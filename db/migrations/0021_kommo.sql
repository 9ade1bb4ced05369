-- 0021_kommo: Kommo (amoCRM) instances.
-- Kommo's refresh token works once: every refresh answers the next one, and the old one dies. The
-- current pair lives here (encrypted), bound to the refresh token the admin stored with the instance
-- (seed_hash): re-authorising there starts the pair again. Rotations lock the row, so one worker of a
-- cluster refreshes at a time, and the new refresh token is committed before the access token is used.

ALTER TABLE etl.instance DROP CONSTRAINT IF EXISTS instance_kind_check;
ALTER TABLE etl.instance ADD CONSTRAINT instance_kind_check CHECK (kind IN ('pipedrive', 'zoho', 'kommo'));

CREATE TABLE etl.rotating_token (
    instance_id              integer PRIMARY KEY REFERENCES etl.instance (id) ON DELETE CASCADE,
    seed_hash                text        NOT NULL,
    refresh_token_protected  text        NOT NULL,
    refresh_issued_at        timestamptz NOT NULL,
    access_token_protected   text,
    access_expires_at        timestamptz,
    rotations                integer     NOT NULL DEFAULT 0,
    updated_at               timestamptz NOT NULL DEFAULT now()
);
