-- Names stored before the application refused hidden characters lose them here:
-- control characters, text-direction controls and zero-width characters (the list
-- of src/domain/text.rs; keep the two equal, and this file equal in effect to the
-- SQLite one). U+202E in a name shows "Alice<U+202E>exe.txt" as "Alicetxt.exe";
-- a zero-width space makes two names that look the same differ.
--
-- Cleaned: the people's display names (what is left trimmed; nothing left gives
-- "unnamed", as for a platform profile without a usable name), the logins and names
-- copied from the platforms' profiles (an empty login becomes the platform's
-- immutable id, an empty name none), the organizations' names and their search
-- copies (nothing left gives the slug) and the audit log's details, which quote
-- those names (only the hidden characters go: what people read stays the same).

CREATE FUNCTION pg_temp.has_hidden(value text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT value ~ '[\u0001-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF]'
$$;

-- Without its hidden characters, then trimmed of the white space Rust's str::trim
-- removes (the control characters among it are gone already).
CREATE FUNCTION pg_temp.without_hidden(value text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT btrim(
        regexp_replace(
            value,
            '[\u0001-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF]',
            '',
            'g'),
        U&' \00A0\1680\2000\2001\2002\2003\2004\2005\2006\2007\2008\2009\200A\2028\2029\202F\205F\3000')
$$;

UPDATE users
SET display_name = coalesce(nullif(pg_temp.without_hidden(display_name), ''), 'unnamed')
WHERE pg_temp.has_hidden(display_name);

UPDATE identities
SET login = coalesce(nullif(pg_temp.without_hidden(login), ''), platform_user_id)
WHERE pg_temp.has_hidden(login);

UPDATE identities
SET display_name = nullif(pg_temp.without_hidden(display_name), '')
WHERE pg_temp.has_hidden(display_name);

UPDATE organizations
SET name = coalesce(nullif(pg_temp.without_hidden(name), ''), slug),
    name_search = coalesce(nullif(pg_temp.without_hidden(name_search), ''), slug)
WHERE pg_temp.has_hidden(name);

UPDATE audit_events
SET details = pg_temp.without_hidden(details)
WHERE pg_temp.has_hidden(details);

DROP FUNCTION pg_temp.without_hidden(text);
DROP FUNCTION pg_temp.has_hidden(text);
