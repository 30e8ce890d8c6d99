"""NGSI-LD adapters: each live source is a small :class:`~smartregion_adapters.base.Adapter`
(fetch → map → validate), and one shared sink pushes what they produce to any NGSI-LD broker
(``smartregion_adapters.sink``). Terms, types, units, partners and entity ids come from
``smartregion_schemas.live``; no adapter declares its own."""
