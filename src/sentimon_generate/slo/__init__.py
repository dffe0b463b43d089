"""Service level objectives: deploy/slo/slos.yml turned into Prometheus rules (burn-rate
alerts over several windows, SLI ratios, error budget remaining)."""
