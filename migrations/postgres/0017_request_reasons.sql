-- Why a request for codes waits for a second admin, as kinds: one row a reason, in the
-- order the rule gave them. A rule reads the kind (an approver who made a contact change
-- may not approve a cool-off override), never a sentence; the sentence is made when shown.
-- Each kind carries exactly the values it names, which the checks below hold.
CREATE TABLE code_request_reasons (
    request_id      BIGINT NOT NULL REFERENCES code_requests(id),
    position        INTEGER NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('staff_target', 'cool_off_override', 'weak_check', 'agent_hour',
                        'agent_day', 'user_day', 'linked_to_staff', 'institution_rule', 'recorded')),
    until_at        BIGINT,
    identity_check  TEXT,
    count           BIGINT,
    max_count       BIGINT,
    staff_id        BIGINT,
    staff_username  TEXT,
    link_via        TEXT CHECK (link_via IN ('email', 'phone', 'explicit')),
    -- Only for 'recorded': a reason stored as a sentence before this table, kept as written.
    sentence        TEXT,
    PRIMARY KEY (request_id, position),
    CHECK ((kind = 'cool_off_override') = (until_at IS NOT NULL)),
    CHECK ((kind = 'weak_check') = (identity_check IS NOT NULL)),
    CHECK ((kind IN ('agent_hour', 'agent_day', 'user_day')) = (count IS NOT NULL AND max_count IS NOT NULL)),
    CHECK ((kind IN ('agent_hour', 'agent_day', 'user_day')) OR (count IS NULL AND max_count IS NULL)),
    CHECK ((kind = 'linked_to_staff') = (staff_id IS NOT NULL AND staff_username IS NOT NULL AND link_via IS NOT NULL)),
    CHECK ((kind = 'linked_to_staff') OR (staff_id IS NULL AND staff_username IS NULL AND link_via IS NULL)),
    CHECK ((kind = 'recorded') = (sentence IS NOT NULL))
);

-- What a request was asked for on is history: its reasons are never changed or removed.
CREATE FUNCTION code_request_reasons_stay() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the reasons of a request are never changed or removed';
END;
$$;
CREATE TRIGGER code_request_reasons_stay BEFORE UPDATE OR DELETE ON code_request_reasons
    FOR EACH ROW EXECUTE FUNCTION code_request_reasons_stay();

-- The requests made before: each stored line of `code_requests.reasons` becomes a row. A
-- cool-off override, the one reason a rule reads, becomes its kind with its end (the
-- sentence gave it to the minute); every other line is kept as the sentence it was. The
-- column is no longer written.
INSERT INTO code_request_reasons (request_id, position, kind, until_at, sentence)
SELECT id, n - 1,
       CASE WHEN until_at IS NULL THEN 'recorded' ELSE 'cool_off_override' END,
       until_at,
       CASE WHEN until_at IS NULL THEN line END
FROM (
    SELECT r.id, s.n, s.line,
           CASE WHEN s.line ~ '^overrides the contact-change cool-off \(until \d{4}-\d\d-\d\d \d\d:\d\d UTC\)$'
                THEN EXTRACT(EPOCH FROM (substr(s.line, 46, 16) || ':00+00')::timestamptz)::bigint END AS until_at
    FROM code_requests r, regexp_split_to_table(r.reasons, E'\n') WITH ORDINALITY AS s(line, n)
) lines
WHERE line <> '';
