"""Text normalisation for matching what a PDF says against what we expect.

Text pulled out of a PDF is noisy in ways that do not change what a reader
sees: full-width letters and digits (ＰＬＧ－１１５), a NUL before every
character (pypdf's output for some CJK fonts with two-byte codes), and spaces
or line breaks between CJK characters where the layout put glyphs apart.
:func:`normalize_text` removes that noise for display; :func:`match_key` goes
further (no whitespace at all, case folded) so that a phrase is found however
the layout split it.  :func:`garbled_ratio` measures what normalisation
cannot fix (replacement characters, private-use glyphs, control characters),
which means the text layer cannot be trusted and a person must read the file.
:func:`format_characters` finds the invisible characters that change how other
text is shown (right-to-left overrides, zero-width joiners and spaces): names
and text fields refuse them (:func:`tracker.services.vendors.clean_text`).
"""

from __future__ import annotations

import re
import unicodedata

# Ideographs, kana, hangul, CJK punctuation and full-width forms: between two of
# these a space is a layout artefact, not a word break.
_CJK = (
    r"\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3190-\u31ff"
    r"\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
)
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HORIZONTAL_SPACE = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_ANY_SPACE = re.compile(r"\s+")
_NUL_ARTEFACT = re.compile(r"\x00(?=[^\x00])")
_UNREADABLE = re.compile("[\ufffd\ue000-\uf8ff\U000f0000-\U0010ffff\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalize_text(text: str) -> str:
    """Return ``text`` cleaned for display and searching.

    NFKC (full-width to ASCII, compatibility ideographs to their unified form),
    NULs and other control characters removed, runs of spaces collapsed, blank
    lines squeezed, and whitespace between two CJK characters dropped.  Line
    breaks between Latin words are kept.
    """
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub("", text)
    text = _SPACE_BETWEEN_CJK.sub("", text)
    text = _HORIZONTAL_SPACE.sub(" ", text)
    text = _BLANK_LINES.sub("\n", text)
    return "\n".join(line.strip() for line in text.split("\n")).strip()


def match_key(text: str) -> str:
    """Return the form of ``text`` used for containment tests.

    Normalised as :func:`normalize_text`, then case folded and stripped of all
    whitespace, so ``"保 密\\n切結書"`` and ``"保密切結書"`` compare equal.
    """
    return _ANY_SPACE.sub("", normalize_text(text)).casefold()


def contains(haystack_key: str, needle: str) -> bool:
    """Whether ``needle`` occurs in a text already reduced by :func:`match_key`.

    An empty needle (after normalisation) is never "found": an expectation
    that says nothing cannot be satisfied by accident.
    """
    key = match_key(needle)
    return bool(key) and key in haystack_key


def garbled_ratio(raw: str) -> float:
    """Share of visible characters in raw extracted text that are unreadable.

    Counts U+FFFD replacement characters, private-use code points (glyphs
    without a Unicode mapping) and control characters other than tab/newline.
    A NUL right before a printable character is not counted: that is the
    known, harmless pypdf artefact for two-byte fonts.  Returns 0.0 for text
    with no visible characters.
    """
    text = _NUL_ARTEFACT.sub("", raw)
    visible = len(_ANY_SPACE.sub("", text))
    return len(_UNREADABLE.findall(text)) / visible if visible else 0.0


def visible_length(text: str) -> int:
    """Number of characters in ``text`` that are not whitespace or control."""
    return len(_ANY_SPACE.sub("", _CONTROL.sub("", text)))


# Unicode format characters (category Cf: bidi overrides and isolates, zero-width
# space/joiners, the BOM, soft hyphen…) and the line/paragraph separators: none
# belongs in a name or a note, and each can make text read differently from what
# it is ("evil\u202egpj.pdf" shows as "evilfdp.jpg").
_SEPARATORS = {"Cf", "Zl", "Zp"}


def format_characters(text: str) -> list[str]:
    """The distinct invisible format characters in ``text``, as ``U+XXXX`` in order of appearance."""
    found = dict.fromkeys(
        f"U+{ord(ch):04X}" for ch in text or "" if unicodedata.category(ch) in _SEPARATORS
    )
    return list(found)
