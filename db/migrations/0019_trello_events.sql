-- 0019_trello_events (issue 21): the outbox of deal events for Trello rules. A sync that writes a deal (or its stage
-- history) finds the events its rules ask for in the same transaction, each under a key (rule, deal, kind, the time of
-- the arrival, the win or the loss) so that a re-run, resync or recompute never finds one twice. Delivery claims an
-- event for a while (claimed_until), and marks it 'maybe_sent' before asking Trello for the card: a retry of such an
-- event first looks for the card on the list, where every card carries its event key.
CREATE TABLE etl.trello_event (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_key       text        NOT NULL UNIQUE,
    rule_id         integer     NOT NULL REFERENCES etl.trello_rule (id) ON DELETE CASCADE,
    instance_id     integer     NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    deal_id         bigint      NOT NULL,
    kind            text        NOT NULL CHECK (kind IN ('added', 'won', 'lost', 'moved_to')),
    happened_at     timestamptz NOT NULL,   -- the deal's add time, close time or arrival, as the CRM says
    found_at        timestamptz NOT NULL,
    status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
    attempts        integer     NOT NULL DEFAULT 0,   -- failed attempts so far (a 429 is a wait, not an attempt)
    next_attempt_at timestamptz NOT NULL,
    maybe_sent      boolean     NOT NULL DEFAULT false,
    claimed_by      text,
    claimed_until   timestamptz,
    last_error      text,
    card_id         text,
    card_url        text,
    delivered_at    timestamptz
);
CREATE INDEX trello_event_due ON etl.trello_event (next_attempt_at) WHERE status = 'pending';
CREATE INDEX trello_event_rule ON etl.trello_event (rule_id, status);
