-- 0020_webhooks (issue 21): an instance's webhook subscription in its CRM (Pipedrive), so that a change syncs within a
-- minute. The receiver checks the basic-auth user and password it made (the password stored encrypted); a received event
-- sets sync_due_at (now + Webhooks:Debounce, unless already set), and a worker asks for one incremental run when it is due.
CREATE TABLE etl.webhook (
    instance_id      integer     PRIMARY KEY REFERENCES etl.instance (id) ON DELETE CASCADE,
    crm_webhook_id   text        NOT NULL,
    subscription_url text        NOT NULL,
    auth_user        text        NOT NULL,
    auth_password    text        NOT NULL,   -- protected
    created_at       timestamptz NOT NULL,
    created_by       text,
    received         bigint      NOT NULL DEFAULT 0,
    last_received_at timestamptz,
    sync_due_at      timestamptz,
    last_run_id      bigint
);
CREATE INDEX webhook_sync_due ON etl.webhook (sync_due_at) WHERE sync_due_at IS NOT NULL;
