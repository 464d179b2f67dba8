"""Use cases, named after what people do (``approve_evidence``, ``record_departure``).

Services take a :class:`tracker.storage.store.Store`, the acting user's name and plain
values; they validate input at this edge, raise domain exceptions with bilingual
messages, and write through the store so that every change is logged.
"""
