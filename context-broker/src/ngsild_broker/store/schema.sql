-- Storage of the NGSI-LD broker. Attribute names and types are stored EXPANDED (full IRIs),
-- so that clients with different @contexts see the same data; compaction happens per request.
-- Idempotent; executed at start-up under an advisory lock.

CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE IF NOT EXISTS tenants (
    name        text PRIMARY KEY,          -- '' is the default tenant (no NGSILD-Tenant header)
    created_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO tenants (name) VALUES ('') ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS entities (
    tenant      text NOT NULL REFERENCES tenants (name),
    id          text NOT NULL,
    types       text[] NOT NULL,           -- expanded type IRIs
    attrs       jsonb NOT NULL,            -- expanded attribute IRI -> normalized attribute(s)
    scope       jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    modified_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, id)
);
CREATE INDEX IF NOT EXISTS entities_types_idx ON entities USING gin (types);
-- What q's equality prefilter (query/q_language.py) searches: per attribute and instance only
-- the members an equality test compares (value, object, vocab, valueList; the type of a
-- LanguageProperty, which the prefilter lets through). Indexing the whole attrs document
-- put every createdAt/modifiedAt/observedAt/unitCode and every coordinate in the index:
-- five times the entries, and two thirds of the database's time of an adapter's batch
-- update went into them (bench/adapters.py). GeoProperty values stay out: geo-queries use
-- entity_geo, and no equality test matches a geometry. The function must stay IMMUTABLE and
-- unchanged: a changed body needs a new name (and index).
CREATE OR REPLACE FUNCTION ngsild_searchable(attrs jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(jsonb_object_agg(a.key, (
        SELECT jsonb_agg(
            CASE WHEN i ? 'value' AND i ->> 'type' IS DISTINCT FROM 'GeoProperty'
                 THEN jsonb_build_object('value', i -> 'value') ELSE '{}'::jsonb END
            || CASE WHEN i ? 'object' THEN jsonb_build_object('object', i -> 'object')
                    ELSE '{}'::jsonb END
            || CASE WHEN i ? 'vocab' THEN jsonb_build_object('vocab', i -> 'vocab')
                    ELSE '{}'::jsonb END
            || CASE WHEN i ? 'valueList' THEN jsonb_build_object('valueList', i -> 'valueList')
                    ELSE '{}'::jsonb END
            || CASE WHEN i ->> 'type' = 'LanguageProperty'
                    THEN '{"type": "LanguageProperty"}'::jsonb ELSE '{}'::jsonb END)
        FROM jsonb_array_elements(a.value) AS e(i))), '{}'::jsonb)
    FROM jsonb_each(attrs) AS a
    WHERE jsonb_typeof(a.value) = 'array'
$$;
DROP INDEX IF EXISTS entities_attrs_idx;  -- the whole-document index of earlier versions
CREATE INDEX IF NOT EXISTS entities_search_idx
    ON entities USING gin (ngsild_searchable(attrs) jsonb_path_ops);
-- GIN indexes collect new entries in a pending list that every query scans linearly until
-- it is merged (at 4 MB by default): right after heavy writes a q query took 40 ms instead
-- of 0.1 ms, and still 5-15 ms with a 256 kB list. Without the list every write updates
-- the index directly (batch upserts about a third slower) and queries stay fast.
ALTER INDEX entities_search_idx SET (fastupdate = off);
ALTER INDEX entities_types_idx SET (fastupdate = off);

-- One row per GeoProperty instance, so geo-queries use a GiST index on real geometries.
CREATE TABLE IF NOT EXISTS entity_geo (
    tenant      text NOT NULL,
    entity_id   text NOT NULL,
    attr        text NOT NULL,             -- expanded GeoProperty IRI
    dataset_id  text NOT NULL DEFAULT '',  -- '' = default instance
    geom        geometry(Geometry, 4326) NOT NULL,
    PRIMARY KEY (tenant, entity_id, attr, dataset_id),
    FOREIGN KEY (tenant, entity_id) REFERENCES entities (tenant, id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS entity_geo_geom_idx ON entity_geo USING gist (geom);
-- near;maxDistance measures in metres on the spheroid (geography): its own index.
CREATE INDEX IF NOT EXISTS entity_geo_geog_idx ON entity_geo USING gist ((geom::geography));

-- Attribute instances carry createdAt/modifiedAt (set by the broker on every write).
-- When a write overwrites an attribute, each new instance keeps the createdAt of the old
-- instance with the same datasetId: the attribute was modified, not created.
CREATE OR REPLACE FUNCTION ngsild_keep_created(old jsonb, new jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(jsonb_object_agg(a.key, (
        SELECT jsonb_agg(CASE WHEN o.created IS NULL THEN i.value
                              ELSE jsonb_set(i.value, '{createdAt}', o.created) END
                         ORDER BY i.n)
        FROM jsonb_array_elements(a.value) WITH ORDINALITY AS i(value, n)
        LEFT JOIN LATERAL (
            SELECT oi -> 'createdAt' AS created
            FROM jsonb_array_elements(CASE WHEN jsonb_typeof(old -> a.key) = 'array'
                                           THEN old -> a.key END) AS oi
            WHERE oi ? 'createdAt'
              AND coalesce(oi ->> 'datasetId', '') = coalesce(i.value ->> 'datasetId', '')
            LIMIT 1
        ) AS o ON true
    )), '{}'::jsonb)
    FROM jsonb_each(new) AS a
$$;
