"""Files d'attente des agents."""
