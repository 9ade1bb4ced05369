-- 0022_forms (issue 23): web forms into the CRM. A form module (per company, reached by its public key) says what a
-- submission creates in its instance's CRM and how duplicates are found. A submission is accepted at once and queued
-- here: a worker claims it for a while (claimed_until), takes the person's lock (one submission of an e-mail or phone of
-- a company at a time, across workers), and records each CRM write as it is made (progress), with the write it is about
-- to make first (pending_step): a retry after a crash looks that record up in the CRM before it writes it again.
CREATE TABLE config.form_module (
    id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company     text        NOT NULL,
    name        text        NOT NULL,
    module_key  text        NOT NULL UNIQUE,
    instance_id integer     NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    settings    jsonb       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (company, name)
);

CREATE TABLE etl.form_submission (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    module_id       integer     NOT NULL REFERENCES config.form_module (id) ON DELETE CASCADE,
    idempotency_key text        NOT NULL,
    fields          jsonb       NOT NULL,   -- the form's parameters as posted
    email           text,                   -- trimmed, lower-case
    phone           text,                   -- E.164
    client_address  text,
    received_at     timestamptz NOT NULL,
    status          text        NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'done', 'skipped', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    claimed_by      text,
    claimed_until   timestamptz,
    progress        jsonb       NOT NULL DEFAULT '{}',  -- the CRM records written so far, by step
    pending_step    text,                               -- the write being made: looked up before it is made again
    outcome         text,                               -- created, found, updated, moved, skipped
    result          jsonb,                              -- the CRM ids and links
    last_error      text,
    finished_at     timestamptz,
    UNIQUE (module_id, idempotency_key)
);
CREATE INDEX form_submission_due ON etl.form_submission (next_attempt_at) WHERE status = 'queued';
CREATE INDEX form_submission_module ON etl.form_submission (module_id, received_at DESC);
