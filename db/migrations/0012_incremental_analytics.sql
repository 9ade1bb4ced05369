-- 0012_incremental_analytics: what lets the build after a sync redo only what the sync changed
-- (and, at the end, an index that reads the deals due for stage history in id order).
--   crm.replica_change             the deals (with their stage histories), activities and leads written since
--                                  the instance's last build; the replica store adds to it in the commit that
--                                  writes them (only once a build exists: the first build takes everything),
--                                  and the build takes the entries it applies in its own transaction
--   analytics.build.fixed_inputs   fingerprint of what the replica facts depend on besides the records
--                                  themselves: time zone, currencies, local date, filters, rates and the
--                                  reference data filters and stage events read (pipelines, stages, users, fields)
--   analytics.build.replica_version the replica version the facts reflect
--   analytics.build.config_inputs  fingerprint of the configuration the configured facts were built with
-- The deal-scoped fact tables get no index on deal_id: replacing a few deals' rows scans them once
-- (a hash semi-join), while an index would slow every full build, which writes millions of rows.
CREATE TABLE crm.replica_change (
    instance_id integer NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    entity      char(1) NOT NULL CHECK (entity IN ('d', 'a', 'l')),
    id          text NOT NULL,
    PRIMARY KEY (instance_id, entity, id)
);

ALTER TABLE analytics.build
    DROP COLUMN base_inputs,
    ADD COLUMN fixed_inputs text,
    ADD COLUMN replica_version bigint,
    ADD COLUMN config_inputs text;

-- How many facts (passes, activities, leads) each daily KPI row sums: a build after a sync adds and
-- takes back the changed records' share, and a row whose facts are all taken back goes.
ALTER TABLE analytics.kpi_daily ADD COLUMN facts bigint NOT NULL DEFAULT 0;

-- Deals due for stage history are read in id order, a page at a time: with the id in the index each
-- page is a range scan, not a sort of every due deal (which made a first sync's history quadratic).
DROP INDEX crm.deal_history_due;
CREATE INDEX deal_history_due ON crm.deal (instance_id, id) WHERE history_due;
