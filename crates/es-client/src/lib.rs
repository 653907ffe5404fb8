//! An async Elasticsearch client: transport, auth, TLS, retries, typed APIs and a bulk indexer.
