-- 0007_rebuild_inputs: what lets a rebuild after a configuration change skip the work it does not need.
--   etl.instance.replica_version  bumped by every replica commit that wrote rows
--   analytics.build.base_inputs    fingerprint of what the replica facts (deals, stage events,
--                                  activities, leads) were built from: replica version, time zone,
--                                  currencies, filters, rates and the local date (open deals convert
--                                  at today's rate); a mapping change leaves it, and them, as they are
-- The big fact tables lose their per-row foreign-key check on etl.instance (it cost more than the
-- insert itself); removing an instance clears its analytics through one trigger instead. Those the
-- builder refills in full lose their primary key too, for an index on instance_id alone: each row is
-- unique by construction (one per key, from GROUP BY or a key of the replica), and checking the
-- uniqueness of 4M rows per rebuild against the rows just deleted tripled the cost of inserting them.
ALTER TABLE etl.instance ADD COLUMN replica_version bigint NOT NULL DEFAULT 0;
ALTER TABLE analytics.build ADD COLUMN base_inputs text;

ALTER TABLE analytics.fact_deal DROP CONSTRAINT fact_deal_instance_id_fkey;
ALTER TABLE analytics.fact_stage_event DROP CONSTRAINT fact_stage_event_instance_id_fkey;
ALTER TABLE analytics.fact_funnel_pass DROP CONSTRAINT fact_funnel_pass_instance_id_fkey;
ALTER TABLE analytics.fact_deal_outcome DROP CONSTRAINT fact_deal_outcome_instance_id_fkey;
ALTER TABLE analytics.fact_sales_volume DROP CONSTRAINT fact_sales_volume_instance_id_fkey;
ALTER TABLE analytics.fact_activity DROP CONSTRAINT fact_activity_instance_id_fkey;
ALTER TABLE analytics.fact_lead DROP CONSTRAINT fact_lead_instance_id_fkey;
ALTER TABLE analytics.kpi_daily DROP CONSTRAINT kpi_daily_instance_id_fkey;
ALTER TABLE analytics.kpi_period DROP CONSTRAINT kpi_period_instance_id_fkey;

ALTER TABLE analytics.fact_stage_event DROP CONSTRAINT fact_stage_event_pkey;
ALTER TABLE analytics.fact_funnel_pass DROP CONSTRAINT fact_funnel_pass_pkey;
ALTER TABLE analytics.fact_deal_outcome DROP CONSTRAINT fact_deal_outcome_pkey;
ALTER TABLE analytics.fact_sales_volume DROP CONSTRAINT fact_sales_volume_pkey;
ALTER TABLE analytics.fact_activity DROP CONSTRAINT fact_activity_pkey;
CREATE INDEX fact_stage_event_instance ON analytics.fact_stage_event (instance_id);
CREATE INDEX fact_funnel_pass_instance ON analytics.fact_funnel_pass (instance_id);
CREATE INDEX fact_deal_outcome_instance ON analytics.fact_deal_outcome (instance_id);
CREATE INDEX fact_sales_volume_instance ON analytics.fact_sales_volume (instance_id);
CREATE INDEX fact_activity_instance ON analytics.fact_activity (instance_id);

CREATE FUNCTION analytics.forget_instance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM analytics.fact_deal WHERE instance_id = OLD.id;
    DELETE FROM analytics.fact_stage_event WHERE instance_id = OLD.id;
    DELETE FROM analytics.fact_funnel_pass WHERE instance_id = OLD.id;
    DELETE FROM analytics.fact_deal_outcome WHERE instance_id = OLD.id;
    DELETE FROM analytics.fact_sales_volume WHERE instance_id = OLD.id;
    DELETE FROM analytics.fact_activity WHERE instance_id = OLD.id;
    DELETE FROM analytics.fact_lead WHERE instance_id = OLD.id;
    DELETE FROM analytics.kpi_daily WHERE instance_id = OLD.id;
    DELETE FROM analytics.kpi_period WHERE instance_id = OLD.id;
    RETURN OLD;
END $$;
CREATE TRIGGER forget_analytics AFTER DELETE ON etl.instance FOR EACH ROW EXECUTE FUNCTION analytics.forget_instance();

-- the builder joins a small table of rate periods instead of calling this once per deal
DROP FUNCTION config.rate_on(text, text, date);

-- the deal's latest stage, marked once when its stage events are built instead of sorted out at every rebuild
ALTER TABLE analytics.fact_stage_event ADD COLUMN is_last boolean NOT NULL DEFAULT false;
