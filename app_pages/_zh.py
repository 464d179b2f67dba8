"""Streamlit's own widget texts in zh-TW, where Streamlit lets a page change them.

Streamlit has no translations.  Some texts take a parameter (a selectbox's ``placeholder``, an empty
dataframe cell's ``placeholder``: :mod:`app_pages._widgets`, :func:`app_pages._common.show_table`);
the file picker's button (Upload) and limit line (200MB per file • PDF), and the hints under text
fields (Press Enter to submit form), take none.  :func:`zh_widget_texts` replaces those by one style
sheet, sent with every run: the English text is sized to nothing and zh-TW text is drawn in its place
(the hint, which has three wordings, is hidden; a field's character counter stays).  The selectors are
Streamlit 1.67's ``data-testid`` names; a test in a real browser checks that no English is left.
"""

from __future__ import annotations

import streamlit as st

_CSS = """
[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"] p {{ font-size: 0; }}
[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"] p::after {{
  content: "選擇檔案"; font-size: 0.875rem;
}}
[data-testid="stFileUploaderDropzoneInstructions"] span {{ font-size: 0; }}
[data-testid="stFileUploaderDropzoneInstructions"] span::after {{
  content: "可拖放檔案至此，每個檔案上限 {mb} MB"; font-size: 0.875rem;
}}
[data-testid="InputInstructions"] > span:first-child:not(:last-child) {{ display: none; }}
[data-testid="stTextInput"]:not(:has(input[maxlength])) [data-testid="InputInstructions"],
[data-testid="stTextArea"]:not(:has(textarea[maxlength])) [data-testid="InputInstructions"] {{
  display: none;
}}
"""


def zh_widget_texts(max_upload_mb: int) -> None:
    """Send the style sheet that draws Streamlit's fixed widget texts in zh-TW."""
    st.html(f"<style>{_CSS.format(mb=int(max_upload_mb))}</style>")
