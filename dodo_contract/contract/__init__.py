"""The contract as data: the JSON Schemas of each spec version, the prose-rule overlays, error codes, fixtures and the
overridable inferred facts. Lowest layer: imports nothing of dodo_contract but ``errors``."""
