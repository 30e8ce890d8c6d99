-- Search index of ckanext-pgsearch: one row per indexed CKAN dataset (Solr document).
-- Idempotent: executed on first use by every process, under an advisory lock.
-- The table comment carries the schema version; schema.py drops an older table
-- (the index is derived data) and `ckan search-index rebuild` fills it again.

CREATE TABLE IF NOT EXISTS pgsearch_index (
    index_id             text PRIMARY KEY,        -- md5(id || site_id), Solr's uniqueKey
    id                   text NOT NULL,
    site_id              text NOT NULL,
    name                 text,
    title_string         text,
    metadata_modified    timestamptz,
    metadata_created     timestamptz,
    -- Typed copies of the fields CKAN filters and facets on in every search.
    state                text,
    capacity             text,
    dataset_type         text,
    entity_type          text,
    organization         text,
    owner_org            text,
    license_id           text,
    permission_labels    text[] NOT NULL DEFAULT '{}',
    groups               text[] NOT NULL DEFAULT '{}',
    tags                 text[] NOT NULL DEFAULT '{}',
    res_format           text[] NOT NULL DEFAULT '{}',
    fields               jsonb NOT NULL,          -- every searchable field as an array of strings
    doc                  jsonb NOT NULL,          -- the document as CKAN built it, for `fl`
    data_dict            text,
    validated_data_dict  text,
    search_vector        tsvector NOT NULL,       -- the catch-all `text` field, weighted
    geom                 geometry(Geometry, 4326),
    indexed_at           timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS pgsearch_index_id_idx ON pgsearch_index (id);
CREATE INDEX IF NOT EXISTS pgsearch_index_name_idx ON pgsearch_index (name);
CREATE INDEX IF NOT EXISTS pgsearch_index_modified_idx ON pgsearch_index (metadata_modified);
CREATE INDEX IF NOT EXISTS pgsearch_index_organization_idx ON pgsearch_index (organization);
CREATE INDEX IF NOT EXISTS pgsearch_index_owner_org_idx ON pgsearch_index (owner_org);
CREATE INDEX IF NOT EXISTS pgsearch_index_tags_idx ON pgsearch_index USING gin (tags);
CREATE INDEX IF NOT EXISTS pgsearch_index_res_format_idx ON pgsearch_index USING gin (res_format);
CREATE INDEX IF NOT EXISTS pgsearch_index_groups_idx ON pgsearch_index USING gin (groups);
CREATE INDEX IF NOT EXISTS pgsearch_index_fields_idx ON pgsearch_index USING gin (fields);
CREATE INDEX IF NOT EXISTS pgsearch_index_text_idx ON pgsearch_index USING gin (search_vector);
CREATE INDEX IF NOT EXISTS pgsearch_index_geom_idx ON pgsearch_index USING gist (geom);
CREATE INDEX IF NOT EXISTS pgsearch_index_name_trgm_idx
    ON pgsearch_index USING gin (name gin_trgm_ops);
CREATE INDEX IF NOT EXISTS pgsearch_index_title_trgm_idx
    ON pgsearch_index USING gin (title_string gin_trgm_ops);

-- Casts that return NULL instead of failing, so one odd value cannot break a range query.
CREATE OR REPLACE FUNCTION pgsearch_try_timestamptz(value text) RETURNS timestamptz
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN value::timestamptz;
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION pgsearch_try_numeric(value text) RETURNS numeric
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN value::numeric;
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;

-- Geometry from the WKT that ckanext-spatial indexes; NULL (not an error) when unreadable,
-- so a bad extent never blocks saving a dataset.
CREATE OR REPLACE FUNCTION pgsearch_try_geometry(wkt text) RETURNS geometry
    LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF wkt IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN ST_SetSRID(ST_GeomFromText(wkt), 4326);
EXCEPTION WHEN others THEN
    RAISE WARNING 'pgsearch: unreadable geometry not indexed: %', left(wkt, 100);
    RETURN NULL;
END $$;
