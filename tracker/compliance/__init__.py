"""The obligation catalogue, the status engine, the rules and roll-ups."""
