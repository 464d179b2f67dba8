"""Rules taken from the regulation: applicability predicates and fact checks.

Each function is pure: it looks only at the subject, its context and today's
date.  Predicates answer "does this obligation apply?"; checks answer "do the
recorded facts satisfy it?" with ``None`` for yes, or a :class:`Finding` naming
the status and the reason.  The catalogue refers to them by name
(``applies_when`` and ``check``); :data:`PREDICATES` and :data:`CHECKS` are the
registry the catalogue loader validates against.
"""

from tracker.compliance.rules.applicability import PREDICATES, departure_date
from tracker.compliance.rules.base import Finding
from tracker.compliance.rules.checks import CHECKS

__all__ = ["CHECKS", "PREDICATES", "Finding", "departure_date"]
