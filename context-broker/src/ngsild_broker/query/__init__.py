"""Query languages of GET /entities: NGSI-LD q and geo-queries, translated to SQL."""
