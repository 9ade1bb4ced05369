-- 0010_zoho: what Zoho CRM instances add.
-- Stages carry Zoho's forecast_type (Open, Closed Won, Closed Lost), which makes Closed Won and
-- Closed Lost the default Won and Refused steps. Leads carry their Lead_Status and, once converted,
-- the deal they became. OAuth access tokens are cached (encrypted) per instance, with the API domain
-- the token response named, so that runs and processes share a token instead of minting one each
-- (Zoho allows 10 per refresh token per 10 minutes).

ALTER TABLE crm.stage ADD COLUMN forecast_type text;

ALTER TABLE crm.lead
    ADD COLUMN status text,
    ADD COLUMN converted_deal_id bigint,
    ADD COLUMN converted_time timestamptz;

CREATE TABLE etl.oauth_token (
    instance_id             integer PRIMARY KEY REFERENCES etl.instance (id) ON DELETE CASCADE,
    -- hash of the accounts server, client id and refresh token the token was minted with:
    -- a token of earlier credentials is never used
    credentials_hash        text        NOT NULL,
    access_token_protected  text,
    expires_at              timestamptz,
    api_domain              text        NOT NULL,
    updated_at              timestamptz NOT NULL DEFAULT now()
);
