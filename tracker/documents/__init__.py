"""Documents the tool writes: PDFs and workbooks in zh-TW, and the labels they use.

Owns the PDF helpers and CJK font (:mod:`~tracker.documents.pdf`), the pre-filled
confidentiality pledge (:mod:`~tracker.documents.pledge`), the self-audit record
(:mod:`~tracker.documents.auditrecord`) and the zh-TW labels of stored values
(:mod:`~tracker.documents.labels`).  Imports core, domain and compliance.
"""
