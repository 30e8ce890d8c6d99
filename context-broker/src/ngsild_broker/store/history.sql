-- Attribute history of the NGSI-LD temporal API (clause 5.7.3/5.7.4, 6.18-6.21).
-- Every change of every attribute instance is kept as one row. Idempotent; runs at start-up
-- after schema.sql under the broker's advisory lock.
--
-- Partitioning: by month on observed_at, with a DEFAULT partition. The write path never runs
-- DDL: a partition created inside the trigger would take an exclusive lock on the parent in
-- the middle of a batch write, and two batches crossing a month boundary could deadlock
-- (one holding entity row locks and waiting for the parent, the other the reverse).
-- Instead ngsild_history_maintain() (start-up and the broker's periodic task) creates the
-- partitions of the past month, this month and the next two, and turns rows that landed in
-- the default partition (back-filled or far-future observedAt) into their own monthly
-- partitions. Old months are dropped whole by ngsild_history_prune() when every tenant's
-- retention has passed them, which is the cheap way to forget millions of rows.

CREATE TABLE IF NOT EXISTS attribute_history (
    tenant       text NOT NULL,
    entity_id    text NOT NULL,
    attr         text NOT NULL,              -- expanded attribute IRI
    dataset_id   text NOT NULL DEFAULT '',   -- '' = default instance
    observed_at  timestamptz NOT NULL,       -- observedAt, or modifiedAt when absent
    modified_at  timestamptz NOT NULL,
    created_at   timestamptz NOT NULL,       -- when this instance entered the history
    instance_id  uuid NOT NULL DEFAULT gen_random_uuid(),
    instance     jsonb NOT NULL              -- the stored (normalized, expanded) instance
) PARTITION BY RANGE (observed_at);

CREATE TABLE IF NOT EXISTS attribute_history_default
    PARTITION OF attribute_history DEFAULT;

CREATE INDEX IF NOT EXISTS attribute_history_time_brin
    ON attribute_history USING brin (observed_at);
CREATE INDEX IF NOT EXISTS attribute_history_key_idx
    ON attribute_history (tenant, entity_id, attr, observed_at);
-- No index on instance_id: an instance is always addressed with its entity and attribute,
-- which the composite index finds; one btree less to maintain on every write.
DROP INDEX IF EXISTS attribute_history_instance_idx;

-- Entities the history knows, with their types: the temporal API still answers for an entity
-- deleted through /entities (its history is kept), and selects it by type.
CREATE TABLE IF NOT EXISTS history_entities (
    tenant  text NOT NULL,
    id      text NOT NULL,
    types   text[] NOT NULL,
    PRIMARY KEY (tenant, id)
);

-- Retention per tenant; tenants without a row keep BROKER_HISTORY_RETENTION_DAYS.
CREATE TABLE IF NOT EXISTS history_retention (
    tenant  text PRIMARY KEY,
    keep    interval NOT NULL CHECK (keep > interval '0')
);

-- The instances in `these` that `other` does not have: none of the attribute with the same
-- datasetId (and, with same_time, the same modifiedAt). Changed instances are the new
-- attributes' unmatched ones with same_time (new, or modifiedAt moved), deleted ones the old
-- attributes' unmatched ones without (the attribute deleted, or replaced without it).
CREATE OR REPLACE FUNCTION ngsild_unmatched_instances(these jsonb, other jsonb,
                                                      same_time boolean)
RETURNS TABLE (attr text, dataset_id text, instance jsonb)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT a.key, coalesce(i.value ->> 'datasetId', ''), i.value
    FROM jsonb_each(these) AS a
    CROSS JOIN LATERAL jsonb_array_elements(
        CASE WHEN jsonb_typeof(a.value) = 'array' THEN a.value ELSE '[]'::jsonb END) AS i(value)
    -- an attribute whose instances are all unchanged has no unmatched instance: skip it
    -- without unpacking it (most attributes of a partial update or merge)
    WHERE other -> a.key IS DISTINCT FROM a.value
      AND NOT EXISTS (
        SELECT 1 FROM jsonb_array_elements(
            CASE WHEN jsonb_typeof(other -> a.key) = 'array' THEN other -> a.key
                 ELSE '[]'::jsonb END) AS o(value)
        WHERE coalesce(o.value ->> 'datasetId', '') = coalesce(i.value ->> 'datasetId', '')
          AND (NOT same_time
               OR o.value -> 'modifiedAt' IS NOT DISTINCT FROM i.value -> 'modifiedAt')
    )
$$;

-- What the history records when an instance is deleted (clause 4.5.7): an instance of the
-- same type and datasetId whose value is NGSI-LD Null, with deletedAt.
CREATE OR REPLACE FUNCTION ngsild_deletion_of(instance jsonb, deleted timestamptz)
RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'type', coalesce(instance ->> 'type', 'Property'),
        CASE instance ->> 'type' WHEN 'Relationship' THEN 'object'
             WHEN 'LanguageProperty' THEN 'languageMap' WHEN 'ListProperty' THEN 'valueList'
             WHEN 'VocabProperty' THEN 'vocab' ELSE 'value' END,
        CASE instance ->> 'type' WHEN 'LanguageProperty' THEN '{"@none": "urn:ngsi-ld:null"}'
             WHEN 'ListProperty' THEN '["urn:ngsi-ld:null"]'
             ELSE '"urn:ngsi-ld:null"' END::jsonb,
        'datasetId', instance -> 'datasetId',
        'createdAt', instance -> 'createdAt',
        'modifiedAt', to_char(deleted AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'deletedAt', to_char(deleted AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')))
$$;

-- observedAt/modifiedAt as timestamptz; NULL when absent or in an ISO 8601 form PostgreSQL
-- does not read (basic format, week dates, comma fractions, hour only): the history then
-- uses modifiedAt, and the write never fails because of its history. A pattern instead of
-- an exception block, which would cost a subtransaction per instance.
CREATE OR REPLACE FUNCTION ngsild_history_time(value text) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN value ~ '^[0-9]{4}-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9](:[0-6][0-9](\.[0-9]{1,9})?)?(Z|[+-][0-2][0-9](:?[0-5][0-9])?)?$'
                THEN value::timestamptz END
$$;

-- The history rows of one entity row's changed instances: each instance's time is its
-- observedAt, else its modifiedAt, else the row's; modified is its modifiedAt, else the row's.
CREATE OR REPLACE FUNCTION ngsild_history_instances(new jsonb, old jsonb,
                                                    row_modified timestamptz)
RETURNS TABLE (attr text, dataset_id text, observed_at timestamptz, modified_at timestamptz,
               instance jsonb)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT c.attr, c.dataset_id,
           coalesce(ngsild_history_time(c.instance ->> 'observedAt'), m.modified),
           m.modified, c.instance
    FROM ngsild_unmatched_instances(new, old, true) AS c
    -- modifiedAt is the broker's own stamp (always YYYY-MM-DDTHH:MM:SS.ffffffZ): cast
    -- directly; the pattern test of ngsild_history_time was a tenth of a write's cost
    CROSS JOIN LATERAL (SELECT coalesce((c.instance ->> 'modifiedAt')::timestamptz,
                                        row_modified) AS modified) AS m
$$;

-- Statement-level: one INSERT … SELECT per write statement, so a batch of 100 entities costs
-- one history statement, in the writing transaction (nothing is ever half-written).
CREATE OR REPLACE FUNCTION ngsild_record_history() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO attribute_history (tenant, entity_id, attr, dataset_id, observed_at,
                                       modified_at, created_at, instance)
        SELECT n.tenant, n.id, h.attr, h.dataset_id, h.observed_at, h.modified_at,
               h.modified_at, h.instance
        FROM new_rows AS n
        CROSS JOIN LATERAL ngsild_history_instances(n.attrs, '{}'::jsonb, n.modified_at) AS h;
    ELSE
        INSERT INTO attribute_history (tenant, entity_id, attr, dataset_id, observed_at,
                                       modified_at, created_at, instance)
        SELECT n.tenant, n.id, h.attr, h.dataset_id, h.observed_at, h.modified_at,
               h.modified_at, h.instance
        FROM new_rows AS n
        JOIN old_rows AS o ON o.tenant = n.tenant AND o.id = n.id
        CROSS JOIN LATERAL ngsild_history_instances(n.attrs, o.attrs, n.modified_at) AS h
        UNION ALL
        SELECT n.tenant, n.id, d.attr, d.dataset_id, n.modified_at, n.modified_at,
               n.modified_at, ngsild_deletion_of(d.instance, n.modified_at)
        FROM new_rows AS n
        JOIN old_rows AS o ON o.tenant = n.tenant AND o.id = n.id
        CROSS JOIN LATERAL ngsild_unmatched_instances(o.attrs, n.attrs, false) AS d;
    END IF;
    -- Only new entities or changed types: ON CONFLICT alone would lock (and so write) the
    -- existing row of every entity of the batch even when nothing changes.
    INSERT INTO history_entities AS h (tenant, id, types)
    SELECT n.tenant, n.id, n.types FROM new_rows AS n
    WHERE NOT EXISTS (SELECT 1 FROM history_entities AS k
                      WHERE k.tenant = n.tenant AND k.id = n.id AND k.types = n.types)
    ON CONFLICT (tenant, id) DO UPDATE SET types = EXCLUDED.types
    WHERE h.types IS DISTINCT FROM EXCLUDED.types;
    RETURN NULL;
END
$$;

-- A deleted entity keeps its history; every instance it had gets its deletion recorded.
CREATE OR REPLACE FUNCTION ngsild_record_deletion() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO attribute_history (tenant, entity_id, attr, dataset_id, observed_at,
                                   modified_at, created_at, instance)
    SELECT o.tenant, o.id, d.attr, d.dataset_id, now(), now(), now(),
           ngsild_deletion_of(d.instance, now())
    FROM old_rows AS o
    CROSS JOIN LATERAL ngsild_unmatched_instances(o.attrs, '{}'::jsonb, false) AS d;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER entities_history_delete
    AFTER DELETE ON entities REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ngsild_record_deletion();
CREATE OR REPLACE TRIGGER entities_history_insert
    AFTER INSERT ON entities REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ngsild_record_history();
CREATE OR REPLACE TRIGGER entities_history_update
    AFTER UPDATE ON entities REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ngsild_record_history();

-- Monthly partitions: [first of month, first of next month), named attribute_history_YYYYMM.
-- Rows of that month already in the default partition are moved into the new partition in
-- the same transaction (a partition cannot be attached while the default holds its rows).
CREATE OR REPLACE FUNCTION ngsild_history_partition(month timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    low  timestamptz := date_trunc('month', month AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    high timestamptz := low + interval '1 month';
    name text := 'attribute_history_' || to_char(low AT TIME ZONE 'UTC', 'YYYYMM');
BEGIN
    IF to_regclass(name) IS NOT NULL THEN
        RETURN;
    END IF;
    LOCK TABLE attribute_history_default IN SHARE ROW EXCLUSIVE MODE;
    EXECUTE format('CREATE TABLE %I (LIKE attribute_history INCLUDING DEFAULTS)', name);
    EXECUTE format('WITH moved AS (DELETE FROM attribute_history_default '
                   'WHERE observed_at >= %L AND observed_at < %L RETURNING *) '
                   'INSERT INTO %I SELECT * FROM moved', low, high, name);
    EXECUTE format('ALTER TABLE attribute_history ATTACH PARTITION %I '
                   'FOR VALUES FROM (%L) TO (%L)', name, low, high);
END
$$;

-- Partitions for last month .. two months ahead, and for every month found in the default
-- partition. Serialised by an advisory lock so that several brokers can call it.
CREATE OR REPLACE FUNCTION ngsild_history_maintain() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    month timestamptz;
BEGIN
    PERFORM pg_advisory_xact_lock(7236311);  -- 'nhm'
    FOR month IN SELECT generate_series(date_trunc('month', now()) - interval '1 month',
                                        date_trunc('month', now()) + interval '2 months',
                                        interval '1 month')
    LOOP
        PERFORM ngsild_history_partition(month);
    END LOOP;
    FOR month IN SELECT DISTINCT date_trunc('month', observed_at AT TIME ZONE 'UTC')
                                 AT TIME ZONE 'UTC'
                 FROM attribute_history_default
    LOOP
        PERFORM ngsild_history_partition(month);
    END LOOP;
END
$$;

-- Forget instances older than each tenant's retention (default_keep for tenants without a
-- row; NULL = keep forever). Months older than every retention are dropped as partitions.
-- Returns the number of rows deleted row by row (dropped partitions are not counted).
CREATE OR REPLACE FUNCTION ngsild_history_prune(default_keep interval) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    deleted bigint := 0;
    n bigint;
    longest interval;
    part record;
BEGIN
    PERFORM pg_advisory_xact_lock(7236311);
    IF default_keep IS NOT NULL THEN
        DELETE FROM attribute_history h
        WHERE h.observed_at < now() - default_keep
          AND NOT EXISTS (SELECT 1 FROM history_retention r WHERE r.tenant = h.tenant);
        GET DIAGNOSTICS n = ROW_COUNT;
        deleted := deleted + n;
    END IF;
    DELETE FROM attribute_history h USING history_retention r
    WHERE r.tenant = h.tenant AND h.observed_at < now() - r.keep;
    GET DIAGNOSTICS n = ROW_COUNT;
    deleted := deleted + n;
    IF default_keep IS NOT NULL THEN
        SELECT greatest(default_keep, max(keep)) INTO longest FROM history_retention;
        longest := coalesce(longest, default_keep);
        FOR part IN
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'attribute_history'::regclass
              AND c.relname ~ '^attribute_history_[0-9]{6}$'
              AND to_date(substr(c.relname, 19), 'YYYYMM')::timestamp AT TIME ZONE 'UTC'
                  + interval '1 month' < now() - longest
        LOOP
            EXECUTE format('DROP TABLE %I', part.relname);
        END LOOP;
    END IF;
    RETURN deleted;
END
$$;

-- Once per database: entities written before the history existed get their current state
-- as first instances, so the temporal API answers for them too.
CREATE TABLE IF NOT EXISTS history_state (
    one            boolean PRIMARY KEY DEFAULT true CHECK (one),
    backfilled_at  timestamptz
);
INSERT INTO history_state DEFAULT VALUES ON CONFLICT DO NOTHING;
DO $$
BEGIN
    IF (SELECT backfilled_at FROM history_state) IS NULL THEN
        INSERT INTO attribute_history (tenant, entity_id, attr, dataset_id, observed_at,
                                       modified_at, created_at, instance)
        SELECT e.tenant, e.id, h.attr, h.dataset_id, h.observed_at, h.modified_at,
               h.modified_at, h.instance
        FROM entities AS e
        CROSS JOIN LATERAL ngsild_history_instances(e.attrs, '{}'::jsonb, e.modified_at) AS h
        WHERE NOT EXISTS (SELECT 1 FROM history_entities h
                          WHERE h.tenant = e.tenant AND h.id = e.id);
        INSERT INTO history_entities (tenant, id, types)
        SELECT tenant, id, types FROM entities ON CONFLICT DO NOTHING;
        UPDATE history_state SET backfilled_at = now();
    END IF;
END
$$;

-- Replaced by ngsild_unmatched_instances (after the triggers above stopped calling them).
DROP FUNCTION IF EXISTS ngsild_changed_instances(jsonb, jsonb);
DROP FUNCTION IF EXISTS ngsild_deleted_instances(jsonb, jsonb);

SELECT ngsild_history_maintain();
