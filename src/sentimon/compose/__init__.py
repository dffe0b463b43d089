"""`sentimon compose`: deploy/compose.yaml brought up for real, with Docker where its
engine runs and with podman otherwise, from distribution packages where no image
registry answers (docs/compose.md)."""
