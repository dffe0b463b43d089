"""Alert delivery: the webhook receiver Alertmanager notifies by default."""
