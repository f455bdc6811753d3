"""The families' one error type, apart from `spec` so that the fitters can raise it
without importing the module that picks them (which imports the fitters)."""

from __future__ import annotations


class FamilyError(ValueError):
    """An unknown family, or data the family cannot be fitted on; the message says which."""
