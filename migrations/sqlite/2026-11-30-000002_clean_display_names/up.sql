-- Names stored before the application refused hidden characters lose them here:
-- control characters, text-direction controls and zero-width characters (the list
-- of src/domain/text.rs; keep the two equal, and this file equal in effect to the
-- PostgreSQL one). U+202E in a name shows "Alice<U+202E>exe.txt" as "Alicetxt.exe";
-- a zero-width space makes two names that look the same differ.
--
-- Cleaned: the people's display names (what is left trimmed; nothing left gives
-- "unnamed", as for a platform profile without a usable name), the logins and names
-- copied from the platforms' profiles (an empty login becomes the platform's
-- immutable id, an empty name none), the organizations' names and their search
-- copies (nothing left gives the slug) and the audit log's details, which quote
-- those names (only the hidden characters go: what people read stays the same).
--
-- SQLite has no regular expressions: each hidden character is one row of a
-- temporary table, and a recursive query replaces them one after the other in the
-- values that hold any of them. U+0000 is left out: SQLite's text functions stop
-- at it, and no form can send it.

CREATE TEMP TABLE hidden_ranges (lo INTEGER NOT NULL, hi INTEGER NOT NULL);
INSERT INTO hidden_ranges (lo, hi) VALUES
    (0x0001, 0x001F), (0x007F, 0x009F),  -- control characters
    (0x00AD, 0x00AD),                    -- soft hyphen
    (0x061C, 0x061C),                    -- Arabic letter mark
    (0x180E, 0x180E),                    -- Mongolian vowel separator
    (0x200B, 0x200F),                    -- zero-width space, non-joiner, joiner; LRM, RLM
    (0x202A, 0x202E),                    -- embeddings and overrides
    (0x2060, 0x2064),                    -- word joiner, invisible operators
    (0x2066, 0x206F),                    -- isolates, deprecated format characters
    (0xFEFF, 0xFEFF);                    -- zero-width no-break space

CREATE TEMP TABLE hidden_chars (n INTEGER PRIMARY KEY, c TEXT NOT NULL);
INSERT INTO hidden_chars (c)
    WITH RECURSIVE code_points (cp, hi) AS (
        SELECT lo, hi FROM hidden_ranges
        UNION ALL
        SELECT cp + 1, hi FROM code_points WHERE cp < hi
    )
    SELECT char(cp) FROM code_points ORDER BY cp;

-- The values to clean: (which column, row id, value).
CREATE TEMP TABLE dirty (what TEXT NOT NULL, id INTEGER NOT NULL, value TEXT NOT NULL);
INSERT INTO dirty SELECT 'user name', id, display_name FROM users
    WHERE EXISTS (SELECT 1 FROM hidden_chars h WHERE instr(display_name, h.c) > 0);
INSERT INTO dirty SELECT 'identity login', id, login FROM identities
    WHERE EXISTS (SELECT 1 FROM hidden_chars h WHERE instr(login, h.c) > 0);
INSERT INTO dirty SELECT 'identity name', id, display_name FROM identities
    WHERE display_name IS NOT NULL
      AND EXISTS (SELECT 1 FROM hidden_chars h WHERE instr(display_name, h.c) > 0);
INSERT INTO dirty SELECT 'organization name', id, name FROM organizations
    WHERE EXISTS (SELECT 1 FROM hidden_chars h WHERE instr(name, h.c) > 0);
INSERT INTO dirty SELECT 'organization search', id, name_search FROM organizations
    WHERE EXISTS (SELECT 1 FROM hidden_chars h WHERE instr(name, h.c) > 0);
INSERT INTO dirty SELECT 'audit details', id, details FROM audit_events
    WHERE EXISTS (SELECT 1 FROM hidden_chars h WHERE instr(details, h.c) > 0);

-- Each value without its hidden characters, then trimmed of the white space Rust's
-- str::trim removes (the control characters among it are gone already).
CREATE TEMP TABLE cleaned AS
    WITH RECURSIVE steps (what, id, n, value) AS (
        SELECT what, id, 0, value FROM dirty
        UNION ALL
        SELECT steps.what, steps.id, steps.n + 1, replace(steps.value, h.c, '')
        FROM steps JOIN hidden_chars h ON h.n = steps.n + 1
    )
    SELECT what, id,
           trim(value, ' ' || char(0x00A0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005,
                                   0x2006, 0x2007, 0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F,
                                   0x205F, 0x3000)) AS value
    FROM steps
    WHERE n = (SELECT max(n) FROM hidden_chars);

UPDATE users
SET display_name = coalesce(
    nullif((SELECT value FROM cleaned WHERE what = 'user name' AND cleaned.id = users.id), ''),
    'unnamed')
WHERE id IN (SELECT id FROM cleaned WHERE what = 'user name');

UPDATE identities
SET login = coalesce(
    nullif((SELECT value FROM cleaned WHERE what = 'identity login' AND cleaned.id = identities.id), ''),
    platform_user_id)
WHERE id IN (SELECT id FROM cleaned WHERE what = 'identity login');

UPDATE identities
SET display_name =
    nullif((SELECT value FROM cleaned WHERE what = 'identity name' AND cleaned.id = identities.id), '')
WHERE id IN (SELECT id FROM cleaned WHERE what = 'identity name');

UPDATE organizations
SET name = coalesce(
        nullif((SELECT value FROM cleaned WHERE what = 'organization name' AND cleaned.id = organizations.id), ''),
        slug),
    name_search = coalesce(
        nullif((SELECT value FROM cleaned WHERE what = 'organization search' AND cleaned.id = organizations.id), ''),
        slug)
WHERE id IN (SELECT id FROM cleaned WHERE what = 'organization name');

UPDATE audit_events
SET details = (SELECT value FROM cleaned WHERE what = 'audit details' AND cleaned.id = audit_events.id)
WHERE id IN (SELECT id FROM cleaned WHERE what = 'audit details');

DROP TABLE cleaned;
DROP TABLE dirty;
DROP TABLE hidden_chars;
DROP TABLE hidden_ranges;
