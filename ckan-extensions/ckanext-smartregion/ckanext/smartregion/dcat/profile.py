"""The ``dcatap_de`` RDF profile: DCAT-AP.de 2.0/3.0 on top of ckanext-dcat's DCAT-AP 3.

Composition, not copies: every DCAT-AP 3 property is mapped by
``EuropeanDCATAP3Profile``; this class only adds what DCAT-AP.de and GovData's
conventions add, in both directions (RDF → CKAN for harvesting, CKAN → RDF for
publishing). Enable with ``ckanext.dcat.rdf.profiles = dcatap_de``.
"""

from __future__ import annotations

from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from ckanext.dcat.profiles import DCAT, DCT, FOAF, RDF
from ckanext.dcat.profiles.euro_dcat_ap_3 import EuropeanDCATAP3Profile
from ckanext.dcat.utils import dataset_uri, publisher_uri_organization_fallback, resource_uri

from . import catalog_record, spatial, vocabulary
from .enrich import Lookups, enrich_for_output
from .namespaces import (
    CONTRIBUTORS_BASE,
    DCATAP,
    DCATDE,
    DCATDE_LEGACY,
    FILE_TYPE_BASE,
    GEODCATAP,
    IANA_MEDIA_TYPES,
)

#: Dataset fields holding a list of URIs, and their DCAT-AP.de property.
_URI_LISTS = (
    ("political_geocoding_uri", DCATDE.politicalGeocodingURI),
    ("quality_process_uri", DCATDE.qualityProcessURI),
    ("references", DCT.references),
)
#: Dataset fields holding one literal.
_LITERALS = (
    ("geocoding_description", DCATDE.geocodingDescription),
    ("legal_basis", DCATDE.legalBasis),
)
#: Agents of DCAT-AP.de 2.0 (dcatde:) and their DCAT-AP.de 3.0 successors (GeoDCAT-AP).
_AGENTS = (
    ("maintainer", DCATDE.maintainer, GEODCATAP.custodian),
    ("originator", DCATDE.originator, GEODCATAP.originator),
)


class DcatApDeProfile(EuropeanDCATAP3Profile):
    """DCAT-AP.de: contributor ID, political geocoding, attribution text, DE agents."""

    # -- CKAN → RDF --------------------------------------------------------------------

    def graph_from_dataset(self, dataset_dict: dict[str, Any], dataset_ref: Node) -> None:
        enriched = enrich_for_output(dataset_dict, dataset_uri(dataset_dict), self._lookups())
        self._bind_namespaces()
        super().graph_from_dataset(enriched, dataset_ref)
        self._identifier_as_literal(dataset_ref)
        for location in list(self.g.objects(dataset_ref, DCT.spatial)):
            spatial.replace_geometry_with_bbox(self.g, location)
        self._add_contributor_ids(enriched, dataset_ref)
        self._add_geocoding(enriched, dataset_ref)
        for field, predicate in _LITERALS:
            if enriched.get(field):
                self.g.add((dataset_ref, predicate, Literal(enriched[field])))
        if enriched.get("availability"):
            self.g.add((dataset_ref, DCATAP.availability, URIRef(enriched["availability"])))
        if "://" in (enriched.get("license_id") or ""):
            self.g.add((dataset_ref, DCT.license, URIRef(enriched["license_id"])))
        for field, legacy, successor in _AGENTS:
            self._add_agent(enriched, field, dataset_ref, (legacy, successor))
        if enriched.get("contributor"):
            self._add_agents(dataset_ref, enriched, "contributor", DCT.contributor)
        self._add_distribution_extras(enriched)

    def graph_from_catalog(self, catalog_dict: dict[str, Any] | None, catalog_ref: Node) -> None:
        self._bind_namespaces()
        super().graph_from_catalog(catalog_dict, catalog_ref)
        catalog_record.add_region_description(self.g, catalog_ref, self._lookups())

    def _bind_namespaces(self) -> None:
        """Readable prefixes in Turtle (dcatde:contributorID, not ns1:contributorID)."""
        for prefix, namespace in (("dcatde", DCATDE), ("dcatap", DCATAP), ("geodcatap", GEODCATAP)):
            self.g.bind(prefix, namespace, replace=True)

    def _identifier_as_literal(self, dataset_ref: Node) -> None:
        """dct:identifier is a literal in DCAT-AP.de, even when it is the dataset's URI."""
        for value in list(self.g.objects(dataset_ref, DCT.identifier)):
            if isinstance(value, URIRef):
                self.g.remove((dataset_ref, DCT.identifier, value))
                self.g.add((dataset_ref, DCT.identifier, Literal(str(value))))

    def _add_contributor_ids(self, dataset: dict[str, Any], dataset_ref: Node) -> None:
        """K12/K13: exactly one dcat-ap.de contributor ID, ours, after any foreign ones."""
        own = vocabulary.contributor_id()
        for value in _as_list(dataset.get("contributor_id")):
            if not str(value).startswith(CONTRIBUTORS_BASE):
                self.g.add((dataset_ref, DCATDE.contributorID, _uri_or_literal(value)))
        self.g.add((dataset_ref, DCATDE.contributorID, URIRef(own)))

    def _add_geocoding(self, dataset: dict[str, Any], dataset_ref: Node) -> None:
        """K08/K11: politicalGeocodingURI, mirrored in dct:spatial."""
        for field, predicate in _URI_LISTS:
            for value in _as_list(dataset.get(field)):
                self.g.add((dataset_ref, predicate, URIRef(value)))
                if predicate == DCATDE.politicalGeocodingURI:
                    self.g.add((dataset_ref, DCT.spatial, URIRef(value)))
                    self.g.add((URIRef(value), RDF.type, DCT.Location))
        level = dataset.get("political_geocoding_level_uri")
        if level:
            self.g.add((dataset_ref, DCATDE.politicalGeocodingLevelURI, URIRef(level)))

    def _add_agent(
        self, dataset: dict[str, Any], field: str, dataset_ref: Node, predicates: tuple
    ) -> None:
        name = dataset.get(field)
        if not name:
            return
        agent = BNode()
        self.g.add((agent, RDF.type, FOAF.Agent))
        self.g.add((agent, FOAF.name, Literal(name)))
        email = dataset.get(f"{field}_email")
        if email:
            self.g.add((agent, FOAF.mbox, URIRef(self._add_mailto(email))))
        for predicate in predicates:
            self.g.add((dataset_ref, predicate, agent))

    def _add_distribution_extras(self, dataset: dict[str, Any]) -> None:
        """K35 attribution text, and dataset availability for distributions without one."""
        for resource in dataset.get("resources", []):
            distribution = self._distribution_ref(resource)
            if distribution is None:
                continue
            text = resource.get("license_attribution_by_text")
            if text:
                self.g.add((distribution, DCATDE.licenseAttributionByText, Literal(text)))
            # dcat:byteSize: GovData's 2.0 shapes demand xsd:decimal, the 3.0 shapes
            # xsd:nonNegativeInteger; no literal satisfies both, and it is optional.
            self.g.remove((distribution, DCAT.byteSize, None))
            has_availability = (distribution, DCATAP.availability, None) in self.g
            if resource.get("availability") and not has_availability:
                self.g.add((distribution, DCATAP.availability, URIRef(resource["availability"])))

    def _distribution_ref(self, resource: dict[str, Any]) -> Node | None:
        wanted = URIRef(resource_uri(resource))
        if (None, DCAT.distribution, wanted) in self.g:
            return wanted
        return None

    def _lookups(self) -> Lookups:
        # One cache per serialiser run: ckanext-dcat's own ``_org_cache`` is a class
        # attribute that lives as long as the process and would hide later changes.
        if getattr(self, "_smartregion_lookups", None) is None:
            self._smartregion_lookups = vocabulary.lookups({}, publisher_uri_organization_fallback)
        return self._smartregion_lookups

    # -- RDF → CKAN --------------------------------------------------------------------

    def parse_dataset(self, dataset_dict: dict[str, Any], dataset_ref: Node) -> dict[str, Any]:
        dataset_dict = super().parse_dataset(dataset_dict, dataset_ref)
        contributor_ids = self._values(dataset_ref, "contributorID")
        if contributor_ids:
            dataset_dict["contributor_id"] = contributor_ids
        geocoding = self._values(dataset_ref, "politicalGeocodingURI")
        if geocoding:
            dataset_dict["political_geocoding_uri"] = geocoding
        level = self._values(dataset_ref, "politicalGeocodingLevelURI")
        if level:
            dataset_dict["political_geocoding_level_uri"] = level[0]
        for field, predicate in _URI_LISTS[1:]:
            values = [str(v) for v in self.g.objects(dataset_ref, predicate)]
            if values:
                dataset_dict[field] = values
        for field, predicate in _LITERALS:
            value = self._object_value(dataset_ref, predicate)
            if value:
                dataset_dict[field] = value
        availability = self._object_value(dataset_ref, DCATAP.availability)
        if availability:
            dataset_dict["availability"] = availability
        for field, legacy, successor in _AGENTS:
            self._parse_agent(dataset_dict, field, dataset_ref, (legacy, successor))
        contributors = self._agents_details(dataset_ref, DCT.contributor)
        if contributors:
            dataset_dict["contributor"] = contributors
        self._parse_distribution_extras(dataset_dict, dataset_ref)
        self._parse_license(dataset_dict, dataset_ref)
        return dataset_dict

    def _parse_license(self, dataset: dict[str, Any], dataset_ref: Node) -> None:
        """The dataset licence: its own dct:license, else the one its distributions share."""
        if dataset.get("license_id"):
            return
        own = self._object_value(dataset_ref, DCT.license)
        if own:
            dataset["license_id"] = own
            return
        found = [r.get("license") for r in dataset.get("resources", []) if r.get("license")]
        if found:
            dataset["license_id"] = max(set(found), key=found.count)

    def _values(self, subject: Node, local_name: str) -> list[str]:
        """Values of a dcatde: property, also under the legacy DCAT-AP.de namespaces."""
        found: list[str] = []
        for namespace in (DCATDE, *DCATDE_LEGACY):
            found.extend(str(v) for v in self.g.objects(subject, namespace[local_name]))
        return list(dict.fromkeys(found))

    def _parse_agent(
        self, dataset: dict[str, Any], field: str, dataset_ref: Node, predicates: tuple
    ) -> None:
        for predicate in predicates:
            for agent in self.g.objects(dataset_ref, predicate):
                name = self._object_value(agent, FOAF.name)
                if name:
                    dataset[field] = name
                    mbox = self._object_value(agent, FOAF.mbox)
                    if mbox:
                        dataset[f"{field}_email"] = mbox.replace("mailto:", "", 1)
                    return

    def _parse_distribution_extras(self, dataset: dict[str, Any], dataset_ref: Node) -> None:
        by_uri = {str(r.get("uri")): r for r in dataset.get("resources", []) if r.get("uri")}
        for distribution in self.g.objects(dataset_ref, DCAT.distribution):
            resource = by_uri.get(str(distribution))
            if resource is None:
                continue
            text = self._object_value(distribution, DCATDE.licenseAttributionByText)
            if text:
                resource["license_attribution_by_text"] = text
            if not resource.get("mimetype"):
                # The official DCAT-AP.de examples write dcterms:mediaType.
                media = self._object_value(distribution, DCT.mediaType)
                if media:
                    resource["mimetype"] = media
            fmt = resource.get("format") or ""
            if fmt.startswith(FILE_TYPE_BASE):
                resource["format"] = fmt[len(FILE_TYPE_BASE) :]
            mimetype = resource.get("mimetype") or ""
            if mimetype.startswith(IANA_MEDIA_TYPES):
                resource["mimetype"] = mimetype[len(IANA_MEDIA_TYPES) :]


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def _uri_or_literal(value: Any) -> Node:
    text = str(value)
    return URIRef(text) if "://" in text else Literal(text)
