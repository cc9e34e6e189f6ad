"""Exports de listes de demandes."""
