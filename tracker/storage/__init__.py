"""Storage: where records live and how they are named, behind one small contract.

Owns the store (:mod:`~tracker.storage.store`, the embedded TinyDB folder),
its tables, lock, codec (records ↔ JSON documents), the evidence blob store
(files by SHA-256, written once), schema migrations, and the record registry
(collections and partition naming — the only place a partition name is spelled).
Imports core, domain and activitylog; never services, cli or app_pages.

Layout of the data folder::

    meta.json                        schema version and flags (demo data…)
    tables/<collection>/<part>.json  one TinyDB file per partition of a collection
    .lock                            the cross-process write lock
    activity-log.jsonl               the hash-chained activity log (tracker.activitylog)

Why partitions: TinyDB rewrites a whole file on every write and its table code
converts every document of the table on each change, so a write costs in
proportion to the table.  Each collection is split by vendor or agency
(:mod:`~tracker.storage.registry`), so recording one evidence decision
rewrites only that vendor's evidence file.
"""
