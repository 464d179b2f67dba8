"""Untrusted uploads: the PDF probe, signatures, the sandbox."""
