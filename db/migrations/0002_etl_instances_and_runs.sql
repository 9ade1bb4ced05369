-- 0002_etl_instances_and_runs: connected CRM accounts, the run log and per-stream sync state.
-- sync_state rows are written in the same transaction as the replica rows they describe,
-- so a cursor never moves past data that was not committed.

CREATE TABLE etl.instance (
    id                  integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                text        NOT NULL UNIQUE,
    kind                text        NOT NULL CHECK (kind IN ('pipedrive', 'zoho')),
    base_url            text        NOT NULL,
    -- {"api_token": "..."} or {"api_token_env": "VAR"}; encryption at rest comes with the operations work.
    credentials         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    time_zone           text        NOT NULL DEFAULT 'UTC',
    reporting_currency  text        NOT NULL DEFAULT 'EUR',
    company             text,
    enabled             boolean     NOT NULL DEFAULT true,
    status              text        NOT NULL DEFAULT 'connected'
                        CHECK (status IN ('connected', 'auth_failed', 'error', 'disabled')),
    last_error          text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE etl.sync_run (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    instance_id     integer     NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    mode            text        NOT NULL CHECK (mode IN ('full', 'incremental')),
    started_at      timestamptz NOT NULL DEFAULT now(),
    ended_at        timestamptz,
    status          text        NOT NULL DEFAULT 'running'
                    CHECK (status IN ('running', 'succeeded', 'failed', 'budget_exhausted', 'auth_failed', 'cancelled')),
    api_calls       integer     NOT NULL DEFAULT 0,
    tokens          integer     NOT NULL DEFAULT 0,
    rows_read       bigint      NOT NULL DEFAULT 0,
    rows_written    bigint      NOT NULL DEFAULT 0,
    -- per stream: {"deals": {"read": n, "written": n, "calls": n, "tokens": n}, ...}
    streams         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    error           text
);
CREATE INDEX sync_run_instance_started ON etl.sync_run (instance_id, started_at DESC);

CREATE TABLE etl.sync_state (
    instance_id     integer     NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    stream          text        NOT NULL,
    -- the stream's bookmark, e.g. the highest update_time it has committed
    cursor_value    timestamptz,
    -- stream-specific extra state (e.g. last reconciliation time)
    extra           jsonb       NOT NULL DEFAULT '{}'::jsonb,
    -- when the stream last completed a pass to the end of the source
    completed_at    timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (instance_id, stream)
);
