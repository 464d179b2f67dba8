"""Demo data for the README's first command: not part of the runtime package."""
