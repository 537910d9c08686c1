"""One module per route area; every router lives under API_PREFIX."""

API_PREFIX = "/api/v1"
