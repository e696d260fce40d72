"""Hypothesis generators of valid and labelled invalid payloads (``dodo_contract.generation.strategies``)."""
