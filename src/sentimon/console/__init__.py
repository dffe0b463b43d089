"""The console: live charts of sentimon's headline signals for the native stack, without
Grafana. Its own process (`sentimon console`), read-only, running only predefined queries.
"""
