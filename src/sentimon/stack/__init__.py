"""The native stack: the API and its monitoring, run from installed binaries."""
