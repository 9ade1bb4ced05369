-- 0014_company_rates: exchange rates belong to a company, like the rest of its configuration, so that an admin
-- changes only the rates their own numbers use ('crmetl config import --company', or the console's Rates table).
-- Rates saved before were everyone's: every company of an instance gets a copy of them.
ALTER TABLE config.exchange_rate ADD COLUMN company text;
INSERT INTO config.exchange_rate (company, currency, reporting_currency, valid_from, rate)
SELECT c.company, r.currency, r.reporting_currency, r.valid_from, r.rate
FROM config.exchange_rate r
CROSS JOIN (SELECT DISTINCT coalesce(i.company, i.name) AS company FROM etl.instance i) c
WHERE r.company IS NULL;
DELETE FROM config.exchange_rate WHERE company IS NULL;
ALTER TABLE config.exchange_rate
    ALTER COLUMN company SET NOT NULL,
    DROP CONSTRAINT exchange_rate_pkey,
    ADD PRIMARY KEY (company, currency, reporting_currency, valid_from);
