"""Réponses écrites aux usagers."""
