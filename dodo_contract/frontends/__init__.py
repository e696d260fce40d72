"""Front ends and their shared wiring: option resolution, the gate, the self-test, the pytest plugin, the CLI."""
