"""The service: settings, store, outbox worker, routes and CLI wired together."""
