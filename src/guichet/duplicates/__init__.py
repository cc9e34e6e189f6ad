"""Doublons et problèmes récurrents."""
