-- 0003_crm_replica: the replica of each instance's CRM data, one table per entity, keyed by
-- (instance_id, CRM id). Rows are never deleted by a sync: deleted and archived records stay,
-- flagged, so they remain traceable. Custom fields are kept as the CRM sends them (jsonb),
-- resolvable through crm.deal_field. Timestamps are UTC.

CREATE TABLE crm.pipeline (
    instance_id  integer NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    id           bigint  NOT NULL,
    name         text    NOT NULL,
    order_nr     integer,
    is_deleted   boolean NOT NULL DEFAULT false,
    add_time     timestamptz,
    update_time  timestamptz,
    PRIMARY KEY (instance_id, id)
);

CREATE TABLE crm.stage (
    instance_id       integer NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    id                bigint  NOT NULL,
    pipeline_id       bigint  NOT NULL,
    name              text    NOT NULL,
    order_nr          integer,
    deal_probability  integer,
    is_deleted        boolean NOT NULL DEFAULT false,
    add_time          timestamptz,
    update_time       timestamptz,
    PRIMARY KEY (instance_id, id)
);

CREATE TABLE crm.crm_user (
    instance_id       integer NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    id                bigint  NOT NULL,
    name              text    NOT NULL,
    email             text,
    active            boolean NOT NULL DEFAULT true,
    time_zone         text,
    default_currency  text,
    PRIMARY KEY (instance_id, id)
);

CREATE TABLE crm.currency (
    instance_id     integer NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    code            text    NOT NULL,
    name            text,
    decimal_points  integer,
    symbol          text,
    active          boolean NOT NULL DEFAULT true,
    PRIMARY KEY (instance_id, code)
);

CREATE TABLE crm.activity_type (
    instance_id  integer NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    id           bigint  NOT NULL,
    name         text    NOT NULL,
    key_string   text    NOT NULL,
    order_nr     integer,
    active       boolean NOT NULL DEFAULT true,
    PRIMARY KEY (instance_id, id)
);

CREATE TABLE crm.deal_field (
    instance_id      integer NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    field_code       text    NOT NULL,
    field_name       text    NOT NULL,
    field_type       text    NOT NULL,
    is_custom_field  boolean NOT NULL,
    options          jsonb,
    PRIMARY KEY (instance_id, field_code)
);

CREATE TABLE crm.deal (
    instance_id          integer NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    id                   bigint  NOT NULL,
    title                text,
    value                numeric,
    currency             text,
    status               text    NOT NULL,
    pipeline_id          bigint,
    stage_id             bigint,
    owner_id             bigint,
    person_id            bigint,
    org_id               bigint,
    add_time             timestamptz NOT NULL,
    update_time          timestamptz NOT NULL,
    stage_change_time    timestamptz,
    won_time             timestamptz,
    lost_time            timestamptz,
    close_time           timestamptz,
    expected_close_date  date,
    probability          numeric,
    lost_reason          text,
    is_deleted           boolean NOT NULL DEFAULT false,
    is_archived          boolean NOT NULL DEFAULT false,
    archive_time         timestamptz,
    origin               text,
    channel              integer,
    source_lead_id       text,
    label_ids            bigint[],
    custom_fields        jsonb,
    -- stage_change_time as of the last stage-history fetch; history is due when they differ
    history_fetched_for  timestamptz,
    history_due          boolean NOT NULL DEFAULT true,
    PRIMARY KEY (instance_id, id)
);
CREATE INDEX deal_history_due ON crm.deal (instance_id) WHERE history_due;

-- One row per arrival of a deal in a stage: its creation stage (ord 0, at add_time) and every
-- stage change after that, in order. Replaced whole for a deal whenever its history is fetched.
CREATE TABLE crm.deal_stage_history (
    instance_id  integer     NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    deal_id      bigint      NOT NULL,
    ord          integer     NOT NULL,
    stage_id     bigint      NOT NULL,
    from_stage_id bigint,
    entered_at   timestamptz NOT NULL,
    PRIMARY KEY (instance_id, deal_id, ord)
);

CREATE TABLE crm.activity (
    instance_id          integer NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    id                   bigint  NOT NULL,
    subject              text,
    type                 text,
    owner_id             bigint,
    deal_id              bigint,
    lead_id              text,
    person_id            bigint,
    org_id               bigint,
    due_date             date,
    due_time             time,
    duration             interval,
    done                 boolean NOT NULL DEFAULT false,
    marked_as_done_time  timestamptz,
    add_time             timestamptz,
    update_time          timestamptz,
    is_deleted           boolean NOT NULL DEFAULT false,
    PRIMARY KEY (instance_id, id)
);

CREATE TABLE crm.lead (
    instance_id          integer NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    id                   text    NOT NULL,
    title                text,
    owner_id             bigint,
    person_id            bigint,
    organization_id      bigint,
    source_name          text,
    origin               text,
    value_amount         numeric,
    value_currency       text,
    expected_close_date  date,
    is_archived          boolean NOT NULL DEFAULT false,
    source_deal_id       bigint,
    add_time             timestamptz,
    update_time          timestamptz,
    is_deleted           boolean NOT NULL DEFAULT false,
    PRIMARY KEY (instance_id, id)
);
