"""Avis des usagers et réouvertures."""
