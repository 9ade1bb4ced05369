-- 0016_customer_card: what the helpdesk widget needs besides the replica.
--   etl.instance.web_url  the CRM's web address for page links (https://{company}.pipedrive.com, Zoho's
--                         https://crm.zoho.{dc}/crm/org{id}); read from the CRM once, when first needed
--   etl.widget_key        keys a helpdesk puts in the widget's iframe URL or a header: they read a company's
--                         customer cards and add contacts, nothing else. Only a SHA-256 of the key is kept; the
--                         prefix lets an admin tell keys apart. agents / agent_groups list who may use it (both
--                         empty: every agent of the helpdesk). A revoked key stays listed, refused.
ALTER TABLE etl.instance ADD COLUMN web_url text;

CREATE TABLE etl.widget_key (
    id            serial PRIMARY KEY,
    company       text   NOT NULL CHECK (btrim(company) <> ''),
    name          text   NOT NULL CHECK (btrim(name) <> ''),
    key_hash      bytea  NOT NULL UNIQUE,
    key_prefix    text   NOT NULL,
    agents        text[] NOT NULL DEFAULT '{}',
    agent_groups  text[] NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL,
    created_by    text,
    revoked_at    timestamptz
);
CREATE INDEX widget_key_company ON etl.widget_key (company);

-- A contact added from the widget, per instance and e-mail (the first one given, trimmed and lower-cased): the row is locked
-- while the CRM is searched and written, so that two presses (or two workers) never create two contacts, and says what came of it.
CREATE TABLE etl.contact_request (
    instance_id   integer NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    email         text    NOT NULL CHECK (email = lower(btrim(email)) AND email <> ''),
    contact_id    bigint,
    outcome       text    CHECK (outcome IN ('created', 'found')),
    requested_by  text,
    requested_at  timestamptz NOT NULL,
    done_at       timestamptz,
    PRIMARY KEY (instance_id, email)
);
