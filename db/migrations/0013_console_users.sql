-- 0013_console_users: who signs in to the web console ('crmetl users add', or an admin in the console).
-- A user belongs to one company (the company of instances, coalesce(instance.company, instance.name)) and
-- sees and changes only its instances and configuration; a viewer changes nothing.
--   password_hash    ASP.NET Core Identity's PasswordHasher (PBKDF2, salted, versioned)
--   failed_sign_ins  wrong passwords since the last good one; at Console:LockoutAfter the account is locked
--   locked_until     until then every sign-in is refused, right password or not
--   security_stamp   changes with the password or the role: sessions signed in before it are signed out
CREATE TABLE etl.console_user (
    id              serial PRIMARY KEY,
    email           text NOT NULL CHECK (email = lower(btrim(email)) AND email LIKE '%_@_%'),
    company         text NOT NULL CHECK (btrim(company) <> ''),
    role            text NOT NULL CHECK (role IN ('admin', 'viewer')),
    password_hash   text NOT NULL,
    failed_sign_ins integer NOT NULL DEFAULT 0,
    locked_until    timestamptz,
    security_stamp  uuid NOT NULL,
    created_at      timestamptz NOT NULL,
    last_sign_in    timestamptz
);
CREATE UNIQUE INDEX console_user_email ON etl.console_user (email);
