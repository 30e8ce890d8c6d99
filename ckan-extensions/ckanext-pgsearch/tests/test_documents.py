"""CKAN index documents become rows the way Solr would index them."""

from datetime import UTC, datetime

import pytest

from ckanext.pgsearch.documents import as_strings, row_from_document

DOC = {
    "id": "abc",
    "index_id": "idx",
    "site_id": "default",
    "name": "pegelstand-emden",
    "title": "Pegelstand Emden",
    "title_string": "Pegelstand Emden",
    "notes": "Wasserstand der Ems",
    "tags": ["wasser", "tide"],
    "res_format": ["CSV", "CSV", "JSON"],
    "organization": "stadt-emden",
    "private": False,
    "metadata_modified": "2026-01-02T03:04:05.123456Z",
    "extras_spatial": '{"type": "Point", "coordinates": [7.2, 53.3]}',
    "spatial_geom": ["POINT(7.2 53.3)"],
    "data_dict": "{}",
    "validated_data_dict": "{}",
}


def test_values_are_distinct_per_document_for_facet_counts():
    row = row_from_document(DOC, spatial_field="spatial_geom")
    assert row.fields["res_format"] == ["CSV", "JSON"]


def test_text_is_weighted_like_ckans_dismax_boosts():
    row = row_from_document(DOC, spatial_field="spatial_geom")
    assert "Pegelstand Emden" in row.text_a
    assert "wasser" in row.text_b and "stadt-emden" in row.text_b
    assert "Wasserstand der Ems" in row.text_c
    assert "Wasserstand" not in row.text_a


def test_blobs_are_stored_but_not_searchable():
    row = row_from_document(DOC, spatial_field="spatial_geom")
    assert "data_dict" not in row.fields and "validated_data_dict" not in row.doc
    assert row.validated_data_dict == "{}"


def test_dates_and_geometry():
    row = row_from_document(DOC, spatial_field="spatial_geom")
    assert row.metadata_modified == datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    assert row.geometries_wkt == ["POINT(7.2 53.3)"]


def test_solr_value_normalisation():
    assert as_strings([True, None, 3, ["a", ""]]) == ["true", "3", "a"]
    assert as_strings(datetime(2026, 1, 1, 12, tzinfo=UTC)) == ["2026-01-01T12:00:00Z"]


def test_document_without_identity_is_rejected():
    with pytest.raises(ValueError, match="index_id"):
        row_from_document({"id": "x", "site_id": "default"}, spatial_field="spatial_geom")
