"""`sentimon logs`: the service's JSON log lines, from its files or from Loki, filtered by
request id, trace id, level, route and time (docs/logging.md)."""
