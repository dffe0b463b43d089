"""The model's quality as Prometheus signals: drift against the model card, estimated accuracy."""
