"""Recherche des demandes."""
