"""Core: what every other package may use — clock and dates, errors, configuration, files, ids, text.

Owns the Taipei clock (:mod:`~tracker.core.clock`), ISO and ROC dates with the
one day parser (:mod:`~tracker.core.dates`), the bilingual errors
(:mod:`~tracker.core.errors`), :class:`~tracker.core.config.Settings`, the one
atomic file write (:mod:`~tracker.core.fileio`), national-ID and 統一編號
checks and masking (:mod:`~tracker.core.idnumbers`) and text normalisation
(:mod:`~tracker.core.text`).  Imports nothing else of the project.
"""
