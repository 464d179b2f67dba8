"""Reminders and notices by e-mail (到期提醒、通知), each sent once.

This package owns who hears what and how it is sent:

- :mod:`~tracker.notify.addresses`: checking contact addresses and finding a
  vendor's or an agency role's addresses;
- :mod:`~tracker.notify.drafts`: a message before it is queued, and the reminder steps;
- :mod:`~tracker.notify.digests`: from the status engine's rows, what each
  recipient must hear on a day;
- :mod:`~tracker.notify.notices`: the notice an incident (8.3) or a
  not-legitimate finding (7.3) sends;
- :mod:`~tracker.notify.outbox`: drafts into outbox records with their keys,
  what is due to be sent, back-off, each attempt's outcome;
- :mod:`~tracker.notify.render`: the zh-TW subject and body (plain text and HTML);
- :mod:`~tracker.notify.smtp`: the ``TRACKER_SMTP_URL`` setting and the SMTP
  conversation;
- :mod:`~tracker.notify.delivery`: one sender at a time, sending queued
  messages and marking them sent only once accepted.

It may import tracker.core, tracker.domain, tracker.compliance,
tracker.documents and tracker.storage; never tracker.services, tracker.cli or
the pages.  The use cases (run, send now, contacts) are in
tracker.services.notifications and tracker.services.contacts.
"""
