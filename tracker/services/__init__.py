"""Use cases, named after what people do (``review_evidence``, ``record_departure``, ``open_audit``).

Services take a :class:`tracker.storage.store.Store`, the acting user's name and
plain values; they validate input at this edge, raise domain exceptions with
bilingual messages, and write through the store so that every change is logged.
They may import every lower layer (core, domain, compliance, storage,
activitylog, querylog, inspection, documents, ops), never ``cli`` or ``app_pages``.

The modules, by what people do:

- vendors: agencies, vendors, contracts, staff, dedicated PCs, incidents (point 八);
- evidence: uploads, inspection, review, issued pledge forms;
- account_register / account_application / account_departure / account_changes:
  the NIA account register of point 五 — the application with the unit head's
  first review (初審) and the account manager's second review (複審), the
  holder leaving (5.3), cancellation, IP addresses (6.4), proxy authorisations
  (5.6) and the account manager (5.4), each step kept as history;
- log_imports / audit_sampling / audit_findings / audits: the self-audits of
  point 七 — importing NIA query logs, drawing the 7.2 sample, findings,
  cases and closing;
- compliance / dashboard / exports / reports: the status report, the manager's
  tables and their workbook and PDF;
- users / passwords / sign_in / sessions / sso / demo_accounts: web accounts and
  roles, Argon2id behind a concurrency gate, signing in and the lock-out, the
  server-side session registry (6.3's idle time-out), single sign-on bindings,
  and the demo accounts a demo folder must shed before real use.
"""
