"""Observability: owns every metric object and the logging setup."""
