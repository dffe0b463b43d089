"""Alert delivery: the webhook receiver Alertmanager notifies by default."""

# Where the receiver listens unless told otherwise: `sentimon alerts listen`, the native
# stack (SENTIMON_STACK_RECEIVER_PORT), Compose and the Kubernetes Service.
RECEIVER_PORT = 9095
