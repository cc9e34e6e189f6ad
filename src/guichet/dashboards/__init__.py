"""Tableaux de bord des élus."""
