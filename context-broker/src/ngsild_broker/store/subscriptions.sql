-- Subscriptions (clause 5.8) and the durable path from an entity change to a notification.
-- Idempotent; executed at start-up after schema.sql under the schema advisory lock.
--
-- entity_changes: written by a trigger on entities in the writer's own transaction, so a
--   change is recorded exactly when it commits; the writer neither matches nor delivers.
-- notification_outbox: one row per (subscription, change) that matched; filled and the
--   change rows removed in one transaction by the notifier, removed again once delivered
--   (or given up after the maximum age). A crash anywhere loses nothing.

CREATE TABLE IF NOT EXISTS subscriptions (
    tenant            text NOT NULL,
    id                text NOT NULL,
    body              jsonb NOT NULL,       -- the subscription, attribute names/types expanded
    context           jsonb,                -- the @context it was created with (null = core)
    is_active         boolean NOT NULL DEFAULT true,
    expires_at        timestamptz,
    time_interval     double precision,     -- periodic subscriptions (seconds)
    throttling        double precision,
    times_sent        bigint NOT NULL DEFAULT 0,
    times_failed      bigint NOT NULL DEFAULT 0,
    last_notification timestamptz,
    last_success      timestamptz,
    last_failure      timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    modified_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, id)
);

CREATE TABLE IF NOT EXISTS entity_changes (
    seq         bigserial PRIMARY KEY,
    tenant      text NOT NULL,
    entity_id   text NOT NULL,
    kind        text NOT NULL,              -- created | updated | deleted
    types       text[] NOT NULL,
    attrs       jsonb,                      -- after the change (null when deleted)
    previous    jsonb,                      -- before the change (null when created)
    created     text[] NOT NULL DEFAULT '{}',  -- attribute IRIs added
    updated     text[] NOT NULL DEFAULT '{}',  -- attribute IRIs whose instances changed
    deleted     text[] NOT NULL DEFAULT '{}',  -- attribute IRIs removed
    changed_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE IF NOT EXISTS notification_outbox (
    id              bigserial PRIMARY KEY,  -- also the delivery order per subscription
    tenant          text NOT NULL,
    subscription_id text NOT NULL,
    seq             bigint NOT NULL,        -- entity_changes.seq (0 for periodic ones)
    kind            text NOT NULL,          -- created | updated | deleted | periodic
    entity_id       text NOT NULL,
    types           text[] NOT NULL,
    attrs           jsonb,
    previous        jsonb,
    changed_at      timestamptz NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt    timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant, subscription_id) REFERENCES subscriptions (tenant, id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS notification_outbox_sub_idx
    ON notification_outbox (tenant, subscription_id, id);

-- Records the changes of one write statement, one row per entity. Only tenants with a
-- subscription pay for it. An attribute counts as updated when its stored instances differ
-- (every write stamps a new modifiedAt, so a rewrite with the same value is an update, as
-- NGSI-LD has it). Statement-level (transition tables), like the history triggers: a
-- row-level trigger ran its subscription check as a query of its own for every entity of a
-- batch, a twentieth of a batch update's time in the database.
CREATE OR REPLACE FUNCTION ngsild_record_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO entity_changes (tenant, entity_id, kind, types, attrs, created)
        SELECT n.tenant, n.id, 'created', n.types, n.attrs,
               ARRAY(SELECT jsonb_object_keys(n.attrs))
        FROM new_rows AS n
        WHERE EXISTS (SELECT 1 FROM subscriptions AS s WHERE s.tenant = n.tenant);
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO entity_changes
            (tenant, entity_id, kind, types, attrs, previous, created, updated, deleted)
        SELECT n.tenant, n.id, 'updated', n.types, n.attrs, o.attrs,
               ARRAY(SELECT k FROM jsonb_object_keys(n.attrs) k WHERE NOT o.attrs ? k),
               ARRAY(SELECT k FROM jsonb_object_keys(n.attrs) k
                     WHERE o.attrs ? k AND o.attrs -> k IS DISTINCT FROM n.attrs -> k),
               ARRAY(SELECT k FROM jsonb_object_keys(o.attrs) k WHERE NOT n.attrs ? k)
        FROM new_rows AS n
        JOIN old_rows AS o ON o.tenant = n.tenant AND o.id = n.id
        WHERE EXISTS (SELECT 1 FROM subscriptions AS s WHERE s.tenant = n.tenant);
    ELSE
        INSERT INTO entity_changes (tenant, entity_id, kind, types, previous, deleted)
        SELECT o.tenant, o.id, 'deleted', o.types, o.attrs,
               ARRAY(SELECT jsonb_object_keys(o.attrs))
        FROM old_rows AS o
        WHERE EXISTS (SELECT 1 FROM subscriptions AS s WHERE s.tenant = o.tenant);
    END IF;
    IF FOUND THEN
        PERFORM pg_notify('ngsild_changes', '');  -- one per transaction: equal payloads fold
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS entities_record_change ON entities;  -- the row-level one of before
DROP FUNCTION IF EXISTS ngsild_record_change();
CREATE OR REPLACE TRIGGER entities_changes_insert
    AFTER INSERT ON entities REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ngsild_record_changes();
CREATE OR REPLACE TRIGGER entities_changes_update
    AFTER UPDATE ON entities REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ngsild_record_changes();
CREATE OR REPLACE TRIGGER entities_changes_delete
    AFTER DELETE ON entities REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ngsild_record_changes();
