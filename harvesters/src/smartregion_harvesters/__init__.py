"""Harvesters of the Smart Region Ostfriesland catalogue (issue #7).

gather → fetch → map (one module per source type, :mod:`.sources`) → complete and validate
(:mod:`.mapping`, :mod:`.validate`) → import through the CKAN Action API (:mod:`.catalogue`),
driven by the queue-free :mod:`.runner`; configuration in :mod:`.config`, job history in
:mod:`.history`.
"""
