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

-- Records one change of an entity row. Only tenants with a subscription pay for it, so
-- writes of tenants nobody subscribes to cost one index probe. An attribute counts as
-- updated when its stored instances differ (every write stamps a new modifiedAt, so a
-- rewrite with the same value is an update, as NGSI-LD has it).
CREATE OR REPLACE FUNCTION ngsild_record_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    row_tenant text := CASE WHEN TG_OP = 'DELETE' THEN OLD.tenant ELSE NEW.tenant END;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM subscriptions WHERE tenant = row_tenant) THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO entity_changes (tenant, entity_id, kind, types, attrs, created)
        VALUES (NEW.tenant, NEW.id, 'created', NEW.types, NEW.attrs,
                ARRAY(SELECT jsonb_object_keys(NEW.attrs)));
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO entity_changes
            (tenant, entity_id, kind, types, attrs, previous, created, updated, deleted)
        VALUES (NEW.tenant, NEW.id, 'updated', NEW.types, NEW.attrs, OLD.attrs,
                ARRAY(SELECT k FROM jsonb_object_keys(NEW.attrs) k WHERE NOT OLD.attrs ? k),
                ARRAY(SELECT k FROM jsonb_object_keys(NEW.attrs) k
                      WHERE OLD.attrs ? k AND OLD.attrs -> k IS DISTINCT FROM NEW.attrs -> k),
                ARRAY(SELECT k FROM jsonb_object_keys(OLD.attrs) k WHERE NOT NEW.attrs ? k));
    ELSE
        INSERT INTO entity_changes (tenant, entity_id, kind, types, previous, deleted)
        VALUES (OLD.tenant, OLD.id, 'deleted', OLD.types, OLD.attrs,
                ARRAY(SELECT jsonb_object_keys(OLD.attrs)));
    END IF;
    PERFORM pg_notify('ngsild_changes', '');  -- one per transaction: equal payloads fold
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER entities_record_change AFTER INSERT OR UPDATE OR DELETE ON entities
    FOR EACH ROW EXECUTE FUNCTION ngsild_record_change();
