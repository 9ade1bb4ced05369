-- 0018_trello (issue 21): a company's Trello connection. The API key and the member's token are stored encrypted with
-- the Data Protection keys, like the CRM secrets; the member they belong to and the last test's outcome are kept.
CREATE TABLE etl.trello_connection (
    company      text        PRIMARY KEY,
    base_url     text        NOT NULL,   -- https://api.trello.com/1, or a sandbox's
    api_key      text        NOT NULL,   -- protected
    token        text        NOT NULL,   -- protected
    member       text,                   -- the member's username, as the last test saw it
    status       text        NOT NULL DEFAULT 'untested' CHECK (status IN ('untested', 'connected', 'unauthorized', 'error')),
    last_error   text,
    tested_at    timestamptz,
    updated_at   timestamptz NOT NULL,
    updated_by   text
);

-- Rules: when a deal of an instance is added, won or lost, or arrives at a stage, a card on a board's list. One rule per
-- board at a time: a new rule on a board ends the previous one ('replaced by rule N'); ended rules stay, as history.
CREATE TABLE etl.trello_rule (
    id           serial      PRIMARY KEY,
    company      text        NOT NULL,
    instance_id  integer     NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    board_id     text        NOT NULL,
    board_name   text        NOT NULL,
    list_id      text        NOT NULL,
    list_name    text        NOT NULL,
    kind         text        NOT NULL CHECK (kind IN ('added', 'won_or_lost', 'moved_to')),
    outcome      text        CHECK (outcome IN ('won', 'lost', 'both')),
    pipeline_id  bigint,
    stage_id     bigint,
    created_at   timestamptz NOT NULL,
    created_by   text,
    ended_at     timestamptz,
    ended_why    text,
    CHECK ((kind = 'won_or_lost') = (outcome IS NOT NULL)),
    CHECK ((kind = 'moved_to') = (stage_id IS NOT NULL))
);
CREATE UNIQUE INDEX trello_rule_one_per_board ON etl.trello_rule (board_id) WHERE ended_at IS NULL;
CREATE INDEX trello_rule_instance ON etl.trello_rule (instance_id) WHERE ended_at IS NULL;
