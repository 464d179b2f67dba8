"""Operations: backups, verification and restore, upgrades, retention and the auditor's package.

Owns the backup archive (create, verify against the backup key kept outside it,
restore checked against the activity log), the schema upgrade with its
verified backup first, the retention rules and purge (points 6.2, 7.1, 7.2) and
the auditor's package.  Imports every lower package (core … documents); never
services, cli or app_pages.
"""
