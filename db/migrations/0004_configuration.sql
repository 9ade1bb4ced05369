-- 0004_configuration: what admins configure per company (group) and per instance: funnels and their
-- steps with markers, CRM stage -> step mappings, KPIs, dimension and people mappings, record filters,
-- targets, and exchange rates by date. Everything here is edited with 'crmetl config import' (CSV) or
-- 'crmetl mapping scaffold', validated as a whole, and replaced per company in one transaction.
-- Names are compared case-insensitively, as admins type them.

CREATE SCHEMA IF NOT EXISTS config;

CREATE TABLE config.company (
    name                text PRIMARY KEY,
    -- the currency of consolidated (group) views
    reporting_currency  text NOT NULL DEFAULT 'EUR',
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE config.funnel_step (
    company   text    NOT NULL REFERENCES config.company (name) ON DELETE CASCADE,
    funnel    text    NOT NULL,
    position  integer NOT NULL CHECK (position >= 1),
    step      text    NOT NULL,
    marker    text    CHECK (marker IN ('won', 'refused', 'return', 'pause')),
    PRIMARY KEY (company, funnel, position)
);
CREATE UNIQUE INDEX funnel_step_name ON config.funnel_step (company, lower(funnel), lower(step));
-- each marker on one step of a funnel at most
CREATE UNIQUE INDEX funnel_step_marker ON config.funnel_step (company, lower(funnel), marker) WHERE marker IS NOT NULL;

CREATE TABLE config.stage_mapping (
    instance_id  integer NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    stage_id     bigint  NOT NULL,
    company      text    NOT NULL,
    funnel       text    NOT NULL,
    position     integer NOT NULL,
    -- a stage is in one step of a funnel at most; several stages may share a step
    PRIMARY KEY (instance_id, funnel, stage_id),
    FOREIGN KEY (company, funnel, position) REFERENCES config.funnel_step (company, funnel, position) ON DELETE CASCADE
);

CREATE TABLE config.kpi (
    id              integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company         text    NOT NULL REFERENCES config.company (name) ON DELETE CASCADE,
    name            text    NOT NULL,
    kind            text    NOT NULL CHECK (kind IN ('stage', 'activity', 'lead', 'calculated')),
    funnel          text,
    position        integer,
    measure         text    NOT NULL DEFAULT 'count' CHECK (measure IN ('count', 'value')),
    activity_types  text[],
    lead_source     text,
    expression      text,
    FOREIGN KEY (company, funnel, position) REFERENCES config.funnel_step (company, funnel, position) ON DELETE CASCADE
);
CREATE UNIQUE INDEX kpi_name ON config.kpi (company, lower(name));

CREATE TABLE config.dimension (
    instance_id  integer NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    -- null: the instance's defaults, for its pipelines without a row of their own and for activities and leads
    pipeline_id  bigint,
    country      text,
    geo_area     text,
    product      text
);
CREATE UNIQUE INDEX dimension_key ON config.dimension (instance_id, coalesce(pipeline_id, -1));

CREATE TABLE config.person (
    instance_id  integer NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    user_id      bigint  NOT NULL,
    person       text    NOT NULL,
    team         text,
    PRIMARY KEY (instance_id, user_id)
);

CREATE TABLE config.record_filter (
    id           integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    instance_id  integer NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    entity       text    NOT NULL CHECK (entity IN ('deal', 'activity', 'lead')),
    mode         text    NOT NULL CHECK (mode IN ('include', 'exclude')),
    -- as the admin wrote it; parsed and compiled to parameterised SQL, never pasted
    condition    text    NOT NULL
);

CREATE TABLE config.target (
    kpi_id         integer NOT NULL REFERENCES config.kpi (id) ON DELETE CASCADE,
    period         text    NOT NULL CHECK (period IN ('day', 'week', 'month', 'quarter')),
    period_start   date    NOT NULL,
    assignee_kind  text    NOT NULL CHECK (assignee_kind IN ('person', 'team', 'country', 'activity_type', 'company')),
    assignee       text    NOT NULL,
    value          numeric NOT NULL CHECK (value >= 0),
    PRIMARY KEY (kpi_id, period, period_start, assignee_kind, assignee)
);

-- 1 unit of currency = rate units of reporting_currency, from valid_from until the next row
CREATE TABLE config.exchange_rate (
    currency            text    NOT NULL,
    reporting_currency  text    NOT NULL,
    valid_from          date    NOT NULL,
    rate                numeric NOT NULL CHECK (rate > 0),
    PRIMARY KEY (currency, reporting_currency, valid_from)
);
