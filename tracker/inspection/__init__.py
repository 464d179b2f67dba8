"""Inspection of untrusted uploads: PDF facts, signatures and the sandbox that reads them.

Owns the verdict on an upload (:mod:`~tracker.inspection.inspector`), the PDF
probe and signature validation run inside a resource-limited child process
(:mod:`~tracker.inspection.worker`, started and fed by
:mod:`~tracker.inspection.sandbox`, a pool with one job per user at a time),
and the reviewer's preview within pixel and time limits
(:mod:`~tracker.inspection.preview`).  Imports core, domain, documents (form numbers,
labels) and the catalogue of :mod:`tracker.compliance` (the texts each evidence kind must contain).
"""
