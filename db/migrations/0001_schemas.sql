-- 0001_schemas: the three schemas CrmEtl owns.
--   etl        instances, run log and per-stream sync state (operational data)
--   crm        the replica: CRM records as the CRM sends them, keyed by (instance, CRM id)
--   analytics  what BI tools query (filled by later migrations)
CREATE SCHEMA IF NOT EXISTS etl;
CREATE SCHEMA IF NOT EXISTS crm;
CREATE SCHEMA IF NOT EXISTS analytics;
