-- 0009_operations: what the worker needs to schedule, coalesce and recover runs.
-- A run is 'queued' when asked for (refresh now) and 'running' once a worker holds the instance;
-- at most one queued-or-running run per instance, so concurrent refresh requests share one run.
-- Credentials are stored encrypted (Data Protection) from now on; the application re-encrypts
-- plain tokens stored by earlier versions on its first start.

ALTER TABLE etl.instance
    -- Quartz cron (seconds minutes hours day-of-month month day-of-week), in the instance's time zone.
    ADD COLUMN schedule text NOT NULL DEFAULT '0 0 2 * * ?';

ALTER TABLE etl.sync_run DROP CONSTRAINT sync_run_status_check;
ALTER TABLE etl.sync_run
    ADD CONSTRAINT sync_run_status_check
        CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'budget_exhausted', 'auth_failed', 'cancelled')),
    -- what started it: schedule (the nightly fire), refresh (API or 'crmetl refresh'), command ('crmetl sync')
    ADD COLUMN requested_by text NOT NULL DEFAULT 'command' CHECK (requested_by IN ('schedule', 'refresh', 'command')),
    ADD COLUMN requested_at timestamptz NOT NULL DEFAULT now(),
    -- the worker (host and process) that ran it last; a run recovered from a stopped worker names the new one
    ADD COLUMN worker text,
    -- how many times a worker took the run up again after the one running it stopped
    ADD COLUMN resumed integer NOT NULL DEFAULT 0,
    -- the running attempt's counts so far (api_calls etc. hold those of finished attempts)
    ADD COLUMN progress_calls integer NOT NULL DEFAULT 0,
    ADD COLUMN progress_tokens integer NOT NULL DEFAULT 0,
    ADD COLUMN progress_read bigint NOT NULL DEFAULT 0,
    ADD COLUMN progress_written bigint NOT NULL DEFAULT 0;

CREATE UNIQUE INDEX sync_run_one_active ON etl.sync_run (instance_id) WHERE status IN ('queued', 'running');
CREATE INDEX sync_run_started ON etl.sync_run (started_at);

-- Reset: forgets everything an instance brought in (replica, sync state, mappings and other
-- per-instance configuration, analytics) but keeps the instance, its credentials and its run history.
-- Every table with an instance_id column in crm, config and analytics is cleared, so tables added
-- later are covered too.
CREATE FUNCTION etl.reset_instance(target integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE t record;
BEGIN
    FOR t IN SELECT c.table_schema, c.table_name FROM information_schema.columns c
             JOIN information_schema.tables tb USING (table_schema, table_name)
             WHERE c.column_name = 'instance_id' AND c.table_schema IN ('crm', 'config', 'analytics')
               AND tb.table_type = 'BASE TABLE'
             ORDER BY c.table_schema DESC, c.table_name
    LOOP
        EXECUTE format('DELETE FROM %I.%I WHERE instance_id = $1', t.table_schema, t.table_name) USING target;
    END LOOP;
    DELETE FROM etl.sync_state WHERE instance_id = target;
    UPDATE etl.instance SET replica_version = replica_version + 1, updated_at = now() WHERE id = target;
END $$;
