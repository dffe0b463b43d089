"""Errors the model runtime raises; the API maps them to status codes."""


class ModelError(Exception):
    """Base class for every error the model runtime raises."""


class ModelLoadError(ModelError):
    """The artifact is missing, corrupt, or fails its probe inference."""


class InvalidInputError(ModelError, ValueError):
    """The caller's input cannot be classified as given (empty, too long, too many)."""
