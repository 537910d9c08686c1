"""Search engines: the engine protocol, French analysis, the embedded and Elasticsearch engines."""
