"""Pre-filling answers from what the citizen told the collectivité once (profile and household)."""


def prefill_values(defn, citizen_data):
    """Initial answers ``{field id: value}`` for the fields with a `prefill` source (and defaults), read from a
    ``guichet.households.services.CitizenData`` (None for an anonymous citizen: defaults only)."""
    raise NotImplementedError
