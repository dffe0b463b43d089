"""sentimon: a sentiment-analysis API that ships its own observability."""

__version__ = "0.1.0"
