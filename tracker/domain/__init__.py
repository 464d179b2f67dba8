"""Every record type: frozen dataclasses and enums, no I/O."""
