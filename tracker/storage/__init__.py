"""Storage: where records live and how they are named, behind one small contract.

Owns the storage contract (:mod:`~tracker.storage.contract`) and the folder
store that implements it (:mod:`~tracker.storage.store`, also in memory):
the activity log is its commit record and the table files its checkpoints
(:mod:`~tracker.storage.checkpoint`, :mod:`~tracker.storage.replay`,
:mod:`~tracker.storage.tables`), repaired or refused on opening
(:mod:`~tracker.storage.recovery`), rebuilt from the log
(:mod:`~tracker.storage.rebuild`), checked against it
(:mod:`~tracker.storage.check`); one transaction per use case
(:mod:`~tracker.storage.staging`); the durable values of redacted fields
(:mod:`~tracker.storage.secrets`); the purge's base snapshot
(:mod:`~tracker.storage.purging`); the lock; the codec (records ↔ JSON
documents); the evidence blob store (files by SHA-256, written once); schema
migrations; and the record registry (collections and partition naming — the
only place a partition name is spelled).  Imports core, domain, activitylog
and querylog (a query-log import's files commit with its record); never
services, cli or app_pages.  The data folder's layout is in
:mod:`~tracker.storage.store`.
"""
