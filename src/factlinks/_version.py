"""The version of factlinks."""

__version__ = "0.1.0"
