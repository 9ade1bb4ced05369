-- 0011_lead_funnels: lead funnels. A CRM's lead statuses (Zoho's Lead_Status picklist) are kept as the
-- stages of a pipeline of their own (crm.stage.forecast_type = 'Lead status'), so that the mapping
-- places them in funnel steps like deal stages. A lead passes the step of its current status (dated
-- at its creation: the status history is not known); a converted lead passes the Won step at its
-- conversion and, like a won deal, every earlier step its statuses map to (filled).

CREATE TABLE analytics.fact_lead_pass (
    instance_id  integer NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    company      text    NOT NULL,
    funnel       text    NOT NULL,
    position     integer NOT NULL,
    lead_id      text    NOT NULL,
    passed_at    timestamptz NOT NULL,
    passed_date  date    NOT NULL,
    filled       boolean NOT NULL,
    owner_id     bigint,
    PRIMARY KEY (instance_id, funnel, position, lead_id)
);

-- Lead passes, as funnel_passes shows deal passes (docs/BI.md).
CREATE VIEW analytics.lead_funnel_passes AS
SELECT p.company, p.instance_id, i.instance, p.funnel, p.position, s.step, s.marker, p.lead_id, p.passed_at, p.passed_date, p.filled,
       CASE WHEN p.filled THEN 'filled' ELSE 'actual' END AS pass_kind, pe.person, pe.team
FROM analytics.fact_lead_pass p
JOIN analytics.dim_instance i ON i.instance_id = p.instance_id
JOIN config.funnel_step s ON s.company = p.company AND s.funnel = p.funnel AND s.position = p.position
LEFT JOIN analytics.dim_person pe ON pe.instance_id = p.instance_id AND pe.user_id = p.owner_id;
