-- 0005_analytics: the star schema BI tools query. Fact and dimension tables are rebuilt per instance
-- from the replica and the configuration, in one transaction (readers see the previous complete
-- numbers until it commits); the pipeline snapshot is appended at each sync and never rebuilt.
-- Dates are calendar dates in the instance's time zone; *_reporting amounts are in the instance's
-- reporting currency, *_group amounts in its company's. The stable views for BI tools are in 0006.

CREATE SCHEMA IF NOT EXISTS analytics;

-- The rate of 1 unit of currency in reporting currency on a date: exactly 1 for the same currency,
-- else the latest rate from on or before that date; null when there is none (never a silent 1.0).
CREATE FUNCTION config.rate_on(currency text, reporting_currency text, on_date date) RETURNS numeric
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN currency = reporting_currency THEN 1::numeric ELSE (
        SELECT r.rate FROM config.exchange_rate r
        WHERE r.currency = rate_on.currency AND r.reporting_currency = rate_on.reporting_currency AND r.valid_from <= on_date
        ORDER BY r.valid_from DESC LIMIT 1) END
$$;

-- Calendar 2000..2045: one row per day with the periods it belongs to (weeks start on Monday).
CREATE TABLE analytics.dim_date (
    date           date PRIMARY KEY,
    year           integer NOT NULL,
    quarter        integer NOT NULL,
    month          integer NOT NULL,
    iso_year       integer NOT NULL,
    iso_week       integer NOT NULL,
    day_of_week    integer NOT NULL,
    week_start     date    NOT NULL,
    month_start    date    NOT NULL,
    quarter_start  date    NOT NULL
);
INSERT INTO analytics.dim_date
SELECT d::date, extract(year FROM d), extract(quarter FROM d), extract(month FROM d),
       extract(isoyear FROM d), extract(week FROM d), extract(isodow FROM d),
       date_trunc('week', d)::date, date_trunc('month', d)::date, date_trunc('quarter', d)::date
FROM generate_series('2000-01-01'::date, '2045-12-31'::date, interval '1 day') AS d;

-- When each instance's analytics were last built, and what was wrong with the data (e.g. missing rates).
CREATE TABLE analytics.build (
    instance_id  integer PRIMARY KEY REFERENCES etl.instance (id) ON DELETE CASCADE,
    built_at     timestamptz NOT NULL,
    seconds      numeric     NOT NULL,
    deals        bigint      NOT NULL,
    passes       bigint      NOT NULL,
    activities   bigint      NOT NULL,
    leads        bigint      NOT NULL
);

CREATE TABLE analytics.problem (
    instance_id  integer NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    kind         text    NOT NULL,
    detail       text    NOT NULL,
    records      bigint  NOT NULL
);

CREATE TABLE analytics.dim_pipeline (
    instance_id  integer NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    pipeline_id  bigint  NOT NULL,
    name         text    NOT NULL,
    country      text,
    geo_area     text,
    product      text,
    PRIMARY KEY (instance_id, pipeline_id)
);

CREATE TABLE analytics.dim_stage (
    instance_id  integer NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    stage_id     bigint  NOT NULL,
    pipeline_id  bigint  NOT NULL,
    name         text    NOT NULL,
    order_nr     integer,
    PRIMARY KEY (instance_id, stage_id)
);

CREATE TABLE analytics.dim_person (
    instance_id  integer NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    user_id      bigint  NOT NULL,
    user_name    text    NOT NULL,
    -- the company's person and team; the CRM user's name when not mapped
    person       text    NOT NULL,
    team         text,
    PRIMARY KEY (instance_id, user_id)
);

-- Deals that count: not deleted, passing the instance's filters.
CREATE TABLE analytics.fact_deal (
    instance_id      integer NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    deal_id          bigint  NOT NULL,
    title            text,
    pipeline_id      bigint,
    stage_id         bigint,
    owner_id         bigint,
    status           text    NOT NULL,
    is_archived      boolean NOT NULL,
    created_at       timestamptz NOT NULL,
    created_date     date    NOT NULL,
    won_at           timestamptz,
    won_date         date,
    lost_at          timestamptz,
    lost_date        date,
    value            numeric,
    currency         text,
    -- won deals at the rate of their won date, lost ones of their lost date, open ones at the latest rate;
    -- null when no rate is known (see analytics.problem)
    rate             numeric,
    value_reporting  numeric,
    group_rate       numeric,
    value_group      numeric,
    PRIMARY KEY (instance_id, deal_id)
);

CREATE TABLE analytics.fact_stage_event (
    instance_id    integer NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    deal_id        bigint  NOT NULL,
    ord            integer NOT NULL,
    stage_id       bigint  NOT NULL,
    pipeline_id    bigint,
    entered_at     timestamptz NOT NULL,
    entered_date   date    NOT NULL,
    -- when the deal left the stage; null while it is there
    left_at        timestamptz,
    days_in_stage  numeric,
    PRIMARY KEY (instance_id, deal_id, ord)
);

-- A deal's first arrival at a funnel step (actual), or a step it skipped on its way to Won (filled).
CREATE TABLE analytics.fact_funnel_pass (
    instance_id      integer NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    company          text    NOT NULL,
    funnel           text    NOT NULL,
    position         integer NOT NULL,
    deal_id          bigint  NOT NULL,
    passed_at        timestamptz NOT NULL,
    passed_date      date    NOT NULL,
    filled           boolean NOT NULL,
    cohort_date      date    NOT NULL,
    pipeline_id      bigint,
    owner_id         bigint,
    value_reporting  numeric,
    value_group      numeric,
    PRIMARY KEY (instance_id, funnel, position, deal_id)
);

-- How each deal of a funnel stands: won, refused, returned, paused.
CREATE TABLE analytics.fact_deal_outcome (
    instance_id    integer NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    company        text    NOT NULL,
    funnel         text    NOT NULL,
    deal_id        bigint  NOT NULL,
    pipeline_id    bigint,
    owner_id       bigint,
    cohort_date    date    NOT NULL,
    won_at         timestamptz,
    won_date       date,
    refused_at     timestamptz,
    refused_date   date,
    returned_at    timestamptz,
    returned_date  date,
    -- 'won' or 'refused' (the later of the two), null while open
    closed_as      text,
    closed_date    date,
    paused_now     boolean NOT NULL,
    PRIMARY KEY (instance_id, funnel, deal_id)
);

-- Sales volume: + the deal's value on its won date, - the same amount on its return date.
CREATE TABLE analytics.fact_sales_volume (
    instance_id       integer NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    company           text    NOT NULL,
    funnel            text    NOT NULL,
    deal_id           bigint  NOT NULL,
    kind              text    NOT NULL CHECK (kind IN ('won', 'return')),
    date              date    NOT NULL,
    pipeline_id       bigint,
    owner_id          bigint,
    amount            numeric,
    currency          text,
    rate              numeric,
    amount_reporting  numeric,
    group_rate        numeric,
    amount_group      numeric,
    PRIMARY KEY (instance_id, funnel, deal_id, kind)
);

CREATE TABLE analytics.fact_activity (
    instance_id   integer NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    activity_id   bigint  NOT NULL,
    type          text,
    owner_id      bigint,
    deal_id       bigint,
    done          boolean NOT NULL,
    all_day       boolean NOT NULL,
    -- completed: the local day it was marked done; planned: the local day it is due; all-day: its date
    day           date,
    PRIMARY KEY (instance_id, activity_id)
);

CREATE TABLE analytics.fact_lead (
    instance_id    integer NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    lead_id        text    NOT NULL,
    source         text,
    owner_id       bigint,
    created_date   date    NOT NULL,
    -- 'converted' (became a deal), 'archived' or 'open'
    status         text    NOT NULL,
    PRIMARY KEY (instance_id, lead_id)
);

-- Open deals by funnel step each day a sync ran: history that cannot be rebuilt later.
CREATE TABLE analytics.fact_pipeline_snapshot (
    snapshot_date    date    NOT NULL,
    instance_id      integer NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    company          text    NOT NULL,
    funnel           text    NOT NULL,
    position         integer NOT NULL,
    pipeline_id      bigint  NOT NULL,
    deals            bigint  NOT NULL,
    value_reporting  numeric,
    value_group      numeric,
    taken_at         timestamptz NOT NULL,
    PRIMARY KEY (snapshot_date, instance_id, funnel, position, pipeline_id)
);

-- Base KPIs (stage, activity, lead) per local day and owner; the grain targets are compared at.
CREATE TABLE analytics.kpi_daily (
    instance_id    integer NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    kpi_id         integer NOT NULL,
    day            date    NOT NULL,
    owner_id       bigint,
    pipeline_id    bigint,
    activity_type  text,
    value          numeric NOT NULL,
    value_group    numeric
);
CREATE INDEX kpi_daily_instance ON analytics.kpi_daily (instance_id, kpi_id, day);

-- Every KPI (calculated ones too) per period, per instance and (instance_id null) for the whole company.
-- Calculated KPIs are computed from the period's totals, not summed from days.
CREATE TABLE analytics.kpi_period (
    company       text    NOT NULL,
    instance_id   integer REFERENCES etl.instance (id) ON DELETE CASCADE,
    kpi_id        integer NOT NULL,
    grain         text    NOT NULL CHECK (grain IN ('day', 'week', 'month', 'quarter')),
    period_start  date    NOT NULL,
    value         numeric,
    value_group   numeric
);
CREATE INDEX kpi_period_key ON analytics.kpi_period (company, instance_id, kpi_id, grain, period_start);
