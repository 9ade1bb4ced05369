-- 0006_analytics_views: the stable views BI tools query (the contract: views only ever gain columns).
-- Per instance, each view carries instance and company; *_reporting amounts are in the instance's
-- reporting currency, *_group in the company's. Consolidated views (suffix _group) compute ratios from
-- the group's totals, never by averaging instance ratios. Dates are local to each instance.

CREATE VIEW analytics.dim_instance AS
SELECT i.id AS instance_id, i.name AS instance, i.kind, coalesce(i.company, i.name) AS company, i.time_zone,
       i.reporting_currency, coalesce(c.reporting_currency, i.reporting_currency) AS group_currency, i.enabled, i.status
FROM etl.instance i LEFT JOIN config.company c ON c.name = coalesce(i.company, i.name);

CREATE VIEW analytics.dim_funnel_step AS
SELECT company, funnel, position, step, marker FROM config.funnel_step;

CREATE VIEW analytics.dim_kpi AS
SELECT id AS kpi_id, company, name AS kpi, kind, measure, funnel, position, activity_types, lead_source, expression FROM config.kpi;

-- Every KPI per day, week (from Monday), month and quarter: per instance, and for the whole company
-- (instance null; amounts in the group currency).
CREATE VIEW analytics.kpi_by_period AS
SELECT p.company, p.instance_id, i.instance, k.kpi, k.kind, k.measure, p.grain, p.period_start, p.value, p.value_group
FROM analytics.kpi_period p
JOIN analytics.dim_kpi k ON k.kpi_id = p.kpi_id
LEFT JOIN analytics.dim_instance i ON i.instance_id = p.instance_id;

CREATE VIEW analytics.kpi_by_day AS SELECT * FROM analytics.kpi_by_period WHERE grain = 'day';
CREATE VIEW analytics.kpi_by_week AS SELECT * FROM analytics.kpi_by_period WHERE grain = 'week';
CREATE VIEW analytics.kpi_by_month AS SELECT * FROM analytics.kpi_by_period WHERE grain = 'month';
CREATE VIEW analytics.kpi_by_quarter AS SELECT * FROM analytics.kpi_by_period WHERE grain = 'quarter';

-- Base KPIs per day with every dimension they can be cut by: person, team, pipeline, country, product, activity type.
CREATE VIEW analytics.kpi_daily_detail AS
SELECT i.company, d.instance_id, i.instance, k.kpi, k.kind, d.day, dd.week_start, dd.month_start, dd.quarter_start,
       coalesce(pe.person, 'unassigned') AS person, pe.team, d.pipeline_id, pl.name AS pipeline,
       coalesce(pl.country, di.country) AS country, coalesce(pl.product, di.product) AS product, d.activity_type,
       d.value, d.value_group
FROM analytics.kpi_daily d
JOIN analytics.dim_kpi k ON k.kpi_id = d.kpi_id
JOIN analytics.dim_instance i ON i.instance_id = d.instance_id
JOIN analytics.dim_date dd ON dd.date = d.day
LEFT JOIN analytics.dim_person pe ON pe.instance_id = d.instance_id AND pe.user_id = d.owner_id
LEFT JOIN analytics.dim_pipeline pl ON pl.instance_id = d.instance_id AND pl.pipeline_id = d.pipeline_id
LEFT JOIN config.dimension di ON di.instance_id = d.instance_id AND di.pipeline_id IS NULL;

-- Targets against what happened, per target: actual in the period for its assignee, attainment = actual / target.
CREATE VIEW analytics.target_attainment AS
SELECT k.company, k.kpi, t.period, t.period_start,
       (t.period_start + CASE t.period WHEN 'day' THEN interval '1 day' WHEN 'week' THEN interval '7 days'
                                       WHEN 'month' THEN interval '1 month' ELSE interval '3 months' END)::date - 1 AS period_end,
       t.assignee_kind, t.assignee, t.value AS target, coalesce(a.actual, 0) AS actual,
       round(coalesce(a.actual, 0) / NULLIF(t.value, 0), 4) AS attainment
FROM config.target t
JOIN analytics.dim_kpi k ON k.kpi_id = t.kpi_id
LEFT JOIN LATERAL (
    SELECT CASE WHEN t.assignee_kind = 'company'
        THEN (SELECT sum(p.value_group) FROM analytics.kpi_period p
              WHERE p.company = k.company AND p.instance_id IS NULL AND p.kpi_id = t.kpi_id AND p.grain = t.period AND p.period_start = t.period_start)
        ELSE (SELECT sum(d.value_group) FROM analytics.kpi_daily_detail d
              WHERE d.company = k.company AND d.kpi = k.kpi
                AND d.day >= t.period_start
                AND d.day < (t.period_start + CASE t.period WHEN 'day' THEN interval '1 day' WHEN 'week' THEN interval '7 days'
                                                            WHEN 'month' THEN interval '1 month' ELSE interval '3 months' END)::date
                AND lower(CASE t.assignee_kind WHEN 'person' THEN d.person WHEN 'team' THEN d.team
                                               WHEN 'country' THEN d.country WHEN 'activity_type' THEN d.activity_type END) = lower(t.assignee))
        END AS actual
) a ON true;

-- Win rate over deals closed in a period: won / (won + refused), by count and (separately) by value.
-- Open and paused deals are not closed and stay out.
CREATE VIEW analytics.win_rate AS
SELECT o.company, o.instance_id, i.instance, o.funnel, o.pipeline_id, pl.name AS pipeline, pl.country, pl.product, g.grain,
       date_trunc(g.grain, o.closed_date)::date AS period_start,
       count(*) FILTER (WHERE o.closed_as = 'won') AS won,
       count(*) FILTER (WHERE o.closed_as = 'refused') AS refused,
       round(count(*) FILTER (WHERE o.closed_as = 'won')::numeric / NULLIF(count(*), 0), 4) AS win_rate,
       coalesce(sum(f.value_reporting) FILTER (WHERE o.closed_as = 'won'), 0) AS won_value_reporting,
       coalesce(sum(f.value_reporting) FILTER (WHERE o.closed_as = 'refused'), 0) AS refused_value_reporting,
       round(sum(f.value_reporting) FILTER (WHERE o.closed_as = 'won') / NULLIF(sum(f.value_reporting), 0), 4) AS value_win_rate,
       coalesce(sum(f.value_group) FILTER (WHERE o.closed_as = 'won'), 0) AS won_value_group,
       coalesce(sum(f.value_group) FILTER (WHERE o.closed_as = 'refused'), 0) AS refused_value_group
FROM analytics.fact_deal_outcome o
JOIN analytics.fact_deal f ON f.instance_id = o.instance_id AND f.deal_id = o.deal_id
JOIN analytics.dim_instance i ON i.instance_id = o.instance_id
LEFT JOIN analytics.dim_pipeline pl ON pl.instance_id = o.instance_id AND pl.pipeline_id = o.pipeline_id
CROSS JOIN (VALUES ('month'), ('quarter'), ('year')) g(grain)
WHERE o.closed_as IS NOT NULL
GROUP BY o.company, o.instance_id, i.instance, o.funnel, o.pipeline_id, pl.name, pl.country, pl.product, g.grain, date_trunc(g.grain, o.closed_date);

CREATE VIEW analytics.win_rate_group AS
SELECT company, funnel, grain, period_start, sum(won) AS won, sum(refused) AS refused,
       round(sum(won)::numeric / NULLIF(sum(won) + sum(refused), 0), 4) AS win_rate,
       sum(won_value_group) AS won_value_group, sum(refused_value_group) AS refused_value_group,
       round(sum(won_value_group) / NULLIF(sum(won_value_group) + sum(refused_value_group), 0), 4) AS value_win_rate
FROM analytics.win_rate GROUP BY company, funnel, grain, period_start;

-- The steps conversion runs through: ordinary steps and the Won step, in order (Refused, Return and
-- Pause are markers, not stages of progress), each with the step before it and the first step.
CREATE VIEW analytics.funnel_progress_step AS
SELECT company, funnel, position, step, marker,
       row_number() OVER w AS step_number,
       lag(position) OVER w AS previous_position,
       first_value(position) OVER w AS first_position
FROM config.funnel_step WHERE marker IS NULL OR marker = 'won'
WINDOW w AS (PARTITION BY company, funnel ORDER BY position);

-- Per cohort (deals created in a month) and step: how many passed it, and how many deals that are
-- paused now passed the previous (or first) step but not this one: they leave the denominators.
CREATE VIEW analytics.funnel_cohort_counts AS
SELECT o.company, o.instance_id, o.funnel, date_trunc('month', o.cohort_date)::date AS cohort_month,
       s.step_number, s.position, s.step,
       count(pk.deal_id) AS passed,
       count(*) FILTER (WHERE o.paused_now AND pk.deal_id IS NULL AND pp.deal_id IS NOT NULL) AS paused_after_previous,
       count(*) FILTER (WHERE o.paused_now AND pk.deal_id IS NULL AND pf.deal_id IS NOT NULL) AS paused_after_first
FROM analytics.fact_deal_outcome o
JOIN analytics.funnel_progress_step s ON s.company = o.company AND s.funnel = o.funnel
LEFT JOIN analytics.fact_funnel_pass pk ON pk.instance_id = o.instance_id AND pk.funnel = o.funnel AND pk.deal_id = o.deal_id AND pk.position = s.position
LEFT JOIN analytics.fact_funnel_pass pp ON pp.instance_id = o.instance_id AND pp.funnel = o.funnel AND pp.deal_id = o.deal_id AND pp.position = s.previous_position
LEFT JOIN analytics.fact_funnel_pass pf ON pf.instance_id = o.instance_id AND pf.funnel = o.funnel AND pf.deal_id = o.deal_id AND pf.position = s.first_position
GROUP BY o.company, o.instance_id, o.funnel, date_trunc('month', o.cohort_date), s.step_number, s.position, s.step;

-- Funnel conversion for a COHORT: deals created in a month, and how many of them ever passed each step.
-- step_conversion = passed(k) / passed(k-1); cumulative_conversion = passed(k) / passed(first step);
-- deals paused now are out of the denominators.
CREATE VIEW analytics.funnel_conversion_cohort AS
SELECT c.company, c.instance_id, i.instance, c.funnel, 'cohort: deals created in the month' AS population, c.cohort_month,
       c.step_number, c.position, c.step, c.passed,
       round(c.passed::numeric / NULLIF(lag(c.passed) OVER w - c.paused_after_previous, 0), 4) AS step_conversion,
       round(c.passed::numeric / NULLIF(first_value(c.passed) OVER w - c.paused_after_first, 0), 4) AS cumulative_conversion
FROM analytics.funnel_cohort_counts c JOIN analytics.dim_instance i ON i.instance_id = c.instance_id
WINDOW w AS (PARTITION BY c.company, c.instance_id, c.funnel, c.cohort_month ORDER BY c.step_number);

CREATE VIEW analytics.funnel_conversion_cohort_group AS
SELECT company, funnel, 'cohort: deals created in the month' AS population, cohort_month, step_number, position, step, passed,
       round(passed::numeric / NULLIF(lag(passed) OVER w - paused_after_previous, 0), 4) AS step_conversion,
       round(passed::numeric / NULLIF(first_value(passed) OVER w - paused_after_first, 0), 4) AS cumulative_conversion
FROM (SELECT company, funnel, cohort_month, step_number, position, step, sum(passed) AS passed,
             sum(paused_after_previous) AS paused_after_previous, sum(paused_after_first) AS paused_after_first
      FROM analytics.funnel_cohort_counts GROUP BY company, funnel, cohort_month, step_number, position, step) c
WINDOW w AS (PARTITION BY company, funnel, cohort_month ORDER BY step_number);

-- Funnel conversion as PERIOD FLOW: deals that reached each step in the month (whenever they were created).
CREATE VIEW analytics.funnel_conversion_flow AS
WITH counts AS (
    SELECT s.company, p.instance_id, s.funnel, date_trunc('month', p.passed_date)::date AS month, s.step_number, s.position, s.step,
           count(*) AS passed, count(*) FILTER (WHERE p.filled) AS filled
    FROM analytics.fact_funnel_pass p
    JOIN analytics.funnel_progress_step s ON s.company = p.company AND s.funnel = p.funnel AND s.position = p.position
    GROUP BY s.company, p.instance_id, s.funnel, date_trunc('month', p.passed_date), s.step_number, s.position, s.step
)
SELECT c.company, c.instance_id, i.instance, c.funnel, 'period flow: deals reaching the step in the month' AS population, c.month,
       c.step_number, c.position, c.step, c.passed, c.filled,
       round(c.passed::numeric / NULLIF(lag(c.passed) OVER w, 0), 4) AS step_conversion,
       round(c.passed::numeric / NULLIF(first_value(c.passed) OVER w, 0), 4) AS cumulative_conversion
FROM counts c JOIN analytics.dim_instance i ON i.instance_id = c.instance_id
WINDOW w AS (PARTITION BY c.company, c.instance_id, c.funnel, c.month ORDER BY c.step_number);

-- Every pass with its dimensions, actual or filled, for custom funnel reports.
CREATE VIEW analytics.funnel_passes AS
SELECT p.company, p.instance_id, i.instance, p.funnel, p.position, s.step, s.marker, p.deal_id, p.passed_at, p.passed_date, p.filled,
       CASE WHEN p.filled THEN 'filled' ELSE 'actual' END AS pass_kind, p.cohort_date,
       p.pipeline_id, pl.name AS pipeline, pl.country, pl.product, pe.person, pe.team, p.value_reporting, p.value_group
FROM analytics.fact_funnel_pass p
JOIN analytics.dim_instance i ON i.instance_id = p.instance_id
JOIN config.funnel_step s ON s.company = p.company AND s.funnel = p.funnel AND s.position = p.position
LEFT JOIN analytics.dim_pipeline pl ON pl.instance_id = p.instance_id AND pl.pipeline_id = p.pipeline_id
LEFT JOIN analytics.dim_person pe ON pe.instance_id = p.instance_id AND pe.user_id = p.owner_id;

-- Completed activities by the local day they were marked done (all-day ones by their date).
CREATE VIEW analytics.activities_completed AS
SELECT i.company, a.instance_id, i.instance, a.day, dd.week_start, dd.month_start, a.type,
       coalesce(t.name, a.type) AS type_name, coalesce(pe.person, 'unassigned') AS person, pe.team, count(*) AS completed
FROM analytics.fact_activity a
JOIN analytics.dim_instance i ON i.instance_id = a.instance_id
JOIN analytics.dim_date dd ON dd.date = a.day
LEFT JOIN crm.activity_type t ON t.instance_id = a.instance_id AND t.key_string = a.type
LEFT JOIN analytics.dim_person pe ON pe.instance_id = a.instance_id AND pe.user_id = a.owner_id
WHERE a.done
GROUP BY i.company, a.instance_id, i.instance, a.day, dd.week_start, dd.month_start, a.type, t.name, pe.person, pe.team;

-- Leads by the local day they were created, with source and where they stand.
CREATE VIEW analytics.leads_by_day AS
SELECT i.company, l.instance_id, i.instance, l.created_date AS day, dd.week_start, dd.month_start,
       coalesce(l.source, 'unknown') AS source, l.status, coalesce(pe.person, 'unassigned') AS person, pe.team, count(*) AS leads
FROM analytics.fact_lead l
JOIN analytics.dim_instance i ON i.instance_id = l.instance_id
JOIN analytics.dim_date dd ON dd.date = l.created_date
LEFT JOIN analytics.dim_person pe ON pe.instance_id = l.instance_id AND pe.user_id = l.owner_id
GROUP BY i.company, l.instance_id, i.instance, l.created_date, dd.week_start, dd.month_start, l.source, l.status, pe.person, pe.team;

-- Sales volume: won amounts on their won day, returns reversed on their return day; original
-- amount, currency and the rates used beside the converted amounts.
CREATE VIEW analytics.sales_volume AS
SELECT v.company, v.instance_id, i.instance, v.funnel, v.deal_id, v.kind, v.date, dd.month_start, dd.quarter_start,
       v.pipeline_id, pl.name AS pipeline, pl.country, pl.geo_area, pl.product, coalesce(pe.person, 'unassigned') AS person, pe.team,
       v.amount, v.currency, v.rate, v.amount_reporting, i.reporting_currency, v.group_rate, v.amount_group, i.group_currency
FROM analytics.fact_sales_volume v
JOIN analytics.dim_instance i ON i.instance_id = v.instance_id
JOIN analytics.dim_date dd ON dd.date = v.date
LEFT JOIN analytics.dim_pipeline pl ON pl.instance_id = v.instance_id AND pl.pipeline_id = v.pipeline_id
LEFT JOIN analytics.dim_person pe ON pe.instance_id = v.instance_id AND pe.user_id = v.owner_id;

-- Time in each CRM stage, over the visits that ended (the deal moved on, or was won or lost).
-- Time in a stage mapped to a Pause step is that stage's own and is in no other stage's duration.
CREATE VIEW analytics.stage_duration AS
SELECT i.company, e.instance_id, i.instance, e.pipeline_id, pl.name AS pipeline, e.stage_id, s.name AS stage, s.order_nr,
       count(*) AS visits, round(avg(e.days_in_stage), 2) AS avg_days,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY e.days_in_stage))::numeric, 2) AS median_days
FROM analytics.fact_stage_event e
JOIN analytics.dim_instance i ON i.instance_id = e.instance_id
LEFT JOIN analytics.dim_stage s ON s.instance_id = e.instance_id AND s.stage_id = e.stage_id
LEFT JOIN analytics.dim_pipeline pl ON pl.instance_id = e.instance_id AND pl.pipeline_id = e.pipeline_id
WHERE e.left_at IS NOT NULL
GROUP BY i.company, e.instance_id, i.instance, e.pipeline_id, pl.name, e.stage_id, s.name, s.order_nr;

CREATE VIEW analytics.pipeline_snapshot AS
SELECT s.snapshot_date, s.company, s.instance_id, i.instance, s.funnel, s.position, st.step, s.pipeline_id, pl.name AS pipeline,
       s.deals, s.value_reporting, s.value_group
FROM analytics.fact_pipeline_snapshot s
JOIN analytics.dim_instance i ON i.instance_id = s.instance_id
LEFT JOIN config.funnel_step st ON st.company = s.company AND st.funnel = s.funnel AND st.position = s.position
LEFT JOIN analytics.dim_pipeline pl ON pl.instance_id = s.instance_id AND pl.pipeline_id = s.pipeline_id;

CREATE VIEW analytics.data_problems AS
SELECT i.company, p.instance_id, i.instance, p.kind, p.detail, p.records
FROM analytics.problem p JOIN analytics.dim_instance i ON i.instance_id = p.instance_id;
