-- Fresh customer cards (issue 20): what a card read from the CRM just now, kept a short while for the next agents
-- opening the same customer, and the API units such reads spent per instance and UTC day (a configured share of the
-- CRM's daily budget, never more).
CREATE TABLE etl.card_read (
    instance_id integer     NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    emails      text[]      NOT NULL,   -- the customer's e-mails, trimmed, lower-case, sorted
    read_at     timestamptz NOT NULL,
    reading     jsonb       NOT NULL,   -- the contacts, deals and planned activities as the card shows them
    PRIMARY KEY (instance_id, emails)
);
CREATE INDEX card_read_emails ON etl.card_read USING gin (emails);

CREATE TABLE etl.card_budget (
    instance_id integer NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    day         date    NOT NULL,
    spent       integer NOT NULL DEFAULT 0,
    PRIMARY KEY (instance_id, day)
);
