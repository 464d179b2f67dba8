"""Widgets every page uses the same way: the record chooser, confirmations that survive a rerun, forms
that clear only on purpose.

**Choosing a record.**  :func:`choose_record` is the one way a page lets a person pick a record: the
widget's value is the record's id (its label only formats it), it has a stable ``key``, and it starts
empty (``placeholder``), so a choice that disappears from the list becomes "nothing chosen", never the
first row.  Streamlit's browser side remembers a selectbox choice by its *label*; when an action changes
the label of the chosen record (its status is in the label), the browser would send a label the server
no longer knows and the server would fall back to the first option — the next action would land on
another person.  The chooser therefore re-asserts the chosen id whenever its label changed since the
last run, which makes Streamlit send the new label to the browser.

**Confirmations.**  A mutation ends with :func:`done` (a message naming what was recorded, then a rerun,
so every list on the page shows the change); :func:`show_flash` shows the message on the next run.

**Forms.**  ``st.form(..., clear_on_submit=False)`` keeps every input when validation fails; after a
successful save the page calls :func:`clear_form`, which gives the form a new key on the next run, so its
inputs start empty on purpose.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from app_pages._common import plain

PLACEHOLDER = "請選擇…"
_FLASH_KEY = "_flash_messages"
_PENDING_KEY = "_pending_choices"
_LABEL_SUFFIX = "__shown_label"
_FORM_SUFFIX = "__generation"


def choose_record(
    label: str,
    options: Mapping[str, str],
    *,
    key: str,
    placeholder: str = PLACEHOLDER,
    container=None,
    default: str | None = None,
    help: str | None = None,
) -> str | None:
    """A selectbox over ``options`` (record id → label) whose value is the chosen id, or ``None``.

    ``key`` must be stable for the page (not derived from a label or a position).  ``default`` is the id
    chosen the first time the widget is shown (``None``: nothing chosen).  The choice survives reruns and
    list changes; it becomes ``None`` only when its record leaves ``options``.
    """
    where = container or st
    ids = list(options)
    pending = st.session_state.get(_PENDING_KEY, {})
    if key in pending:
        st.session_state[key] = pending.pop(key)
        st.session_state.pop(key + _LABEL_SUFFIX, None)
    current = st.session_state.get(key)
    if current is None and default in options and key not in st.session_state:
        st.session_state[key] = default
        current = default
    if current in options:
        shown = st.session_state.get(key + _LABEL_SUFFIX)
        if shown is not None and shown != (current, options[current]):
            st.session_state[key] = current  # the label changed: send the browser the new one
        st.session_state[key + _LABEL_SUFFIX] = (current, options[current])
    return where.selectbox(
        label,
        ids,
        index=None,
        key=key,
        format_func=lambda record_id: options.get(record_id, str(record_id)),
        placeholder=placeholder,
        help=help,
    )


def set_choice(key: str, record_id: str | None) -> None:
    """Choose ``record_id`` in the chooser ``key`` from the next run on (on purpose, e.g. the record
    just created); safe to call after the widget was drawn in this run."""
    st.session_state.setdefault(_PENDING_KEY, {})[key] = record_id


def flash(message: str) -> None:
    """Keep ``message`` to show as a success on the next run of the page."""
    st.session_state.setdefault(_FLASH_KEY, []).append(message)


def show_flash() -> None:
    """Show (once) the confirmations kept by :func:`flash`, as plain text (they name records)."""
    for message in st.session_state.pop(_FLASH_KEY, []):
        st.success(plain(message), icon=":material/check_circle:")


def done(message: str, *, clear: str | None = None) -> None:
    """Confirm ``message`` and redraw the page (so every list shows the change); ``clear`` a form."""
    flash(message)
    if clear:
        clear_form(clear)
    st.rerun()


def form_key(name: str) -> str:
    """The current key of the form ``name`` (changes after :func:`clear_form`)."""
    return f"{name}-{st.session_state.get(name + _FORM_SUFFIX, 0)}"


def clear_form(name: str) -> None:
    """Start the form ``name`` empty on the next run (its widgets get new keys)."""
    st.session_state[name + _FORM_SUFFIX] = st.session_state.get(name + _FORM_SUFFIX, 0) + 1


def field_key(form: str, field: str) -> str:
    """A widget key inside the form ``form`` that follows the form's generation."""
    return f"{form_key(form)}-{field}"
