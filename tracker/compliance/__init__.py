"""Compliance: the regulation as data and what it says about the facts.

Owns the catalogue's records (:mod:`~tracker.compliance.catalogue`) and their
loading from ``checklists/`` (:mod:`~tracker.compliance.loader`), the status
engine (:mod:`~tracker.compliance.status`) with its results, the rules taken
from the regulation (:mod:`~tracker.compliance.rules`: pure functions citing
their point), evidence validity and the roll-ups.  Pure: imports core and
domain only; never storage, services, cli or app_pages.
"""
