"""Complaint classifier: intent and category from taxonomy.md, with a confidence and a triage flag."""

from .model import Classification, Classifier

__all__ = ["Classification", "Classifier"]
