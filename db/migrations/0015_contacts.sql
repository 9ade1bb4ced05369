-- 0015_contacts: the CRM's contacts (Pipedrive persons, Zoho Contacts) and organizations (Pipedrive organizations, Zoho
-- Accounts), for the customer card: every e-mail and phone of a contact as the CRM lists them ([{value, label, primary}]),
-- and an e-mail lookup kept by a trigger: each e-mail of a live contact trimmed and lower-cased, indexed.
CREATE TABLE crm.contact (
    instance_id  integer NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    id           bigint  NOT NULL,
    name         text,
    first_name   text,
    last_name    text,
    owner_id     bigint,
    org_id       bigint,
    emails       jsonb   NOT NULL DEFAULT '[]',
    phones       jsonb   NOT NULL DEFAULT '[]',
    add_time     timestamptz,
    update_time  timestamptz,
    is_deleted   boolean NOT NULL DEFAULT false,
    PRIMARY KEY (instance_id, id)
);

CREATE TABLE crm.organization (
    instance_id  integer NOT NULL REFERENCES etl.instance (id) ON DELETE CASCADE,
    id           bigint  NOT NULL,
    name         text,
    owner_id     bigint,
    address      text,
    add_time     timestamptz,
    update_time  timestamptz,
    is_deleted   boolean NOT NULL DEFAULT false,
    PRIMARY KEY (instance_id, id)
);

CREATE TABLE crm.contact_email (
    instance_id  integer NOT NULL,
    contact_id   bigint  NOT NULL,
    email        text    NOT NULL CHECK (email = lower(btrim(email)) AND email <> ''),
    PRIMARY KEY (instance_id, contact_id, email),
    FOREIGN KEY (instance_id, contact_id) REFERENCES crm.contact (instance_id, id) ON DELETE CASCADE
);
CREATE INDEX contact_email_lookup ON crm.contact_email (email, instance_id);

-- Deals are found by their contact on the card.
CREATE INDEX deal_person ON crm.deal (instance_id, person_id) WHERE person_id IS NOT NULL;
CREATE INDEX activity_open_deal ON crm.activity (instance_id, deal_id) WHERE NOT done AND NOT is_deleted;

CREATE FUNCTION crm.contact_email_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM crm.contact_email WHERE instance_id = NEW.instance_id AND contact_id = NEW.id;
    IF NOT NEW.is_deleted THEN
        INSERT INTO crm.contact_email (instance_id, contact_id, email)
        SELECT DISTINCT NEW.instance_id, NEW.id, lower(btrim(e ->> 'value'))
        FROM jsonb_array_elements(NEW.emails) e
        WHERE btrim(coalesce(e ->> 'value', '')) <> '';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER contact_email_sync AFTER INSERT OR UPDATE OF emails, is_deleted ON crm.contact
    FOR EACH ROW EXECUTE FUNCTION crm.contact_email_sync();
