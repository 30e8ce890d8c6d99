"""DCAT-AP.de for CKAN: a profile on top of ckanext-dcat's DCAT-AP 3 profile."""
