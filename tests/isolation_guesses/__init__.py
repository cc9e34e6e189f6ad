"""Builders and GUESSES entries of `tests/test_tenant_isolation.py` for the apps of issue 6 (citizen records,
contact centre, knowledge base, directory, mail room), kept apart so that the main file stays readable."""
