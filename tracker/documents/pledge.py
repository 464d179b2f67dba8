"""The pre-filled 專案作業人員保密切結書 (staff pledge) handed to vendor staff.

Point 8.6 and 8.8 require every vendor staff member who may touch sensitive
data to sign a pledge in their own name; 8.9 says what it binds them to.  The
IT office sets the form (point 十); this module prints one per person with the
names filled in and a unique form number in the header and footer, so that
the signed copy uploaded later (a scan with a text layer, or the PDF signed
digitally) is matched back to the person by :func:`find_form_numbers`.

fpdf2 writes the PDF because it embeds a subset of a CJK font (Noto CJK from
Debian's ``fonts-noto-cjk``), which keeps the file small and gives pypdf a text
layer to read back.  fpdf2 is imported only when a form is rendered: the
rest of this module is used by inspection and must stay light to import.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from datetime import date
from functools import cache
from pathlib import Path

from tracker.core.dates import roc_date, roc_year
from tracker.core.errors import TrackerError
from tracker.core.text import normalize_text

FORM_NUMBER_RE = re.compile(r"(?<![A-Za-z0-9])PLG-(\d{2,3})-([0-9A-F]{8})(?![A-Za-z0-9])")
"""A pledge form number, ``PLG-<ROC year>-<8 upper-case hex digits>``."""

DEFAULT_AGENCY = "臺北市政府社會局"
FONT_ENV = "TRACKER_CJK_FONT"
FONT_CANDIDATES = (
    # AR PL UMing first: TrueType outlines, which fpdf2 loads and subsets in about
    # a third of the time Noto CJK's CFF outlines take (0.2 s against 0.6 s a page).
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/ukai.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)

PLEDGE_TITLE = "專案作業人員保密切結書"
PLEDGE_ARTICLES = (
    "本人因執行本案作業而知悉或持有之機關資料、民眾個人資料及其他機敏性資訊（包括移民資訊），"
    "僅於執行本案作業之目的範圍內使用，不得洩漏、交付、複製或以任何方式提供予第三人，"
    "亦不得作為其他用途。",
    "本人辦理系統維護及測試作業，應依委託案契約之保密規定辦理，並遵守個人資料保護法、"
    "資通安全管理法及機關相關資訊安全規定。",
    "本人維運管理民眾個人資料等機敏資訊時，僅使用機關指定之專用電腦設備，不與其他專案共用，"
    "不連接網際網路，亦不安裝未經合法授權之應用軟體。",
    "本人知悉資通安全事件或違反本切結書之情事時，應立即通知所屬廠商及機關。",
    "本人因職務異動、合約終止或離職時，應將所持有之相關資料全數返還或依機關指示銷毀，"
    "並配合停用或刪除帳號；本切結書之保密義務於離職或契約終止後仍繼續有效。",
    "本人如違反本切結書，致機關或第三人受有損害，願負民事、刑事及行政責任，"
    "並同意機關依契約罰則及相關法令辦理；涉有刑責者，由機關依職權告發。",
)
_NUMERALS = "一二三四五六七八九十"
APPENDIX_TITLE = "附錄：法令依據（摘錄）"
APPENDIX_SOURCE = "臺北市政府社會局暨所屬機關應用移民資訊管理要點　第八點"
REGULATION_EXCERPT = (  # verbatim, 109 年 12 月 31 日修正
    "（六）委外廠商人員所執行之作業，如有接觸機敏性資訊之必要，須以個人身分簽署專案作業人員保密切結書，"
    "廠商須監督所有員工遵守相關法令，以避免人員違反法令規定或處理民眾個人資料不當而產生爭議或相關法律訴訟事件。",
    "（八）委外廠商及其派遣至本局工作之人員應簽訂保密與責任條款及專案作業人員保密切結書。",
    "（九）委外廠商應依委託案契約之保密規定辦理系統維護及測試作業，其處理之個人資料不得作為其他用途，"
    "違反將依契約書中相關罰則處置，並依個人資料保護法及相關法令追究民事責任；涉有刑責者，本局將依職權告發。",
    "（十）委外廠商之專案作業人員若因職務異動、合約終止、離職等狀況時，應停用或刪除帳號，"
    "以確認各帳號之權限符合職務所需。",
    "（十一）委外廠商維運管理民眾個人資料等相關機敏資訊時，需透過專用電腦設備且不得與其他專案共用，"
    "專用電腦禁止連接網際網路以確保資訊安全並不得安裝未合法授權之應用軟體。",
)


def new_form_number(today: date | None = None) -> str:
    """A fresh, unguessable form number such as ``PLG-115-0A1B2C3D``."""
    year = roc_year(today or date.today())
    return f"PLG-{year}-{secrets.token_hex(4).upper()}"


def find_form_numbers(text: str) -> list[str]:
    """Form numbers printed in ``text`` (e.g. a PDF's text layer), first seen first.

    The text is normalised first (full-width forms, NULs), and duplicates are
    dropped: the number is printed in both header and footer of every page.
    """
    numbers = (m.group(0) for m in FORM_NUMBER_RE.finditer(normalize_text(text)))
    return list(dict.fromkeys(numbers))


def render_pledge_form(
    *,
    form_number: str,
    staff_name: str,
    vendor_name: str,
    contract_title: str,
    agency_name: str = DEFAULT_AGENCY,
    issued_on: date,
) -> bytes:
    """Return a two-page A4 PDF: the pledge with blanks to sign, then the rules it rests on.

    Raises TrackerError if no CJK font is installed (see :func:`find_cjk_font`)
    and ValueError for a ``form_number`` that does not match FORM_NUMBER_RE.
    """
    if not FORM_NUMBER_RE.fullmatch(form_number):
        raise ValueError(f"malformed form number {form_number!r}")
    pdf = _new_document(form_number, issued_on)
    pdf.add_page()
    _write_body(pdf, staff_name, vendor_name, contract_title, agency_name)
    pdf.add_page()
    _write_appendix(pdf)
    return bytes(pdf.output())


def find_cjk_font() -> tuple[Path, int]:
    """Path of a font with Traditional Chinese glyphs and its index in a collection.

    ``$TRACKER_CJK_FONT`` wins when set; otherwise the usual Debian paths are
    searched.  In a ``.ttc`` collection the Traditional Chinese face (TC/TW) is
    chosen.  Raises TrackerError naming the packages to install.
    """
    override = os.environ.get(FONT_ENV)
    if override:
        path = Path(override)
        if not path.is_file():
            raise TrackerError(
                f"找不到 {FONT_ENV} 指定的字型：{path}", f"{FONT_ENV} font not found: {path}"
            )
        return path, _collection_index(str(path))
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate), _collection_index(candidate)
    raise TrackerError(
        "找不到中文字型，請安裝 fonts-noto-cjk 或 fonts-arphic-uming",
        "no CJK font found: apt-get install fonts-noto-cjk (or fonts-arphic-uming), "
        f"or point {FONT_ENV} at a .ttf/.otf/.ttc font",
    )


@cache
def _collection_index(path: str) -> int:
    """Index of the Traditional Chinese face in a font collection (0 otherwise)."""
    if not path.lower().endswith(".ttc"):
        return 0
    from fontTools.ttLib import TTCollection  # installed with fpdf2

    collection = TTCollection(path, lazy=True)
    for index, face in enumerate(collection.fonts):
        name = face["name"].getDebugName(1) or ""
        if re.search(r"\b(TC|TW)\b", name):
            return index
    return 0


def _new_document(form_number: str, issued_on: date):
    from tracker.documents.cjkfont import CjkPdf  # lazy: fpdf2 takes 0.3 s to import

    # fontTools warns on stderr that it drops uming.ttc's bitmap (BDF) table when
    # subsetting; that is expected and must not clutter the CLI's output.
    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)

    class PledgePdf(CjkPdf):
        def header(self):
            self.set_font("cjk", size=9)
            self.cell(0, 6, f"表單編號：{form_number}", align="R", new_x="LMARGIN", new_y="NEXT")
            self.ln(2)

        def footer(self):
            self.set_y(-15)
            self.set_font("cjk", size=9)
            footer = f"表單編號 {form_number}　製表日期 {roc_date(issued_on)}　第 {self.page_no()} 頁／共 {{nb}} 頁"
            self.cell(0, 6, footer, align="C")

    path, index = find_cjk_font()
    pdf = PledgePdf(format="A4")
    pdf.set_margins(22, 18, 22)
    pdf.set_auto_page_break(True, margin=22)
    pdf.add_cjk_font("cjk", path, index)
    pdf.set_title(f"{PLEDGE_TITLE} {form_number}")
    pdf.set_creator("nia-compliance-tracker")
    return pdf


def _write_body(pdf, staff: str, vendor: str, contract: str, agency: str) -> None:
    pdf.set_font("cjk", size=20)
    pdf.cell(0, 14, PLEDGE_TITLE, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("cjk", size=12)
    intro = (
        f"立切結書人 {staff}（以下簡稱本人）受 {vendor}（以下簡稱廠商）指派，"
        f"執行 {agency}（以下簡稱機關）委託案「{contract}」之專案作業，"
        "茲以個人身分切結遵守下列事項："
    )
    _paragraph(pdf, intro)
    for numeral, article in zip(_NUMERALS, PLEDGE_ARTICLES, strict=False):
        _paragraph(pdf, f"{numeral}、{article}", gap=1.5)
    pdf.ln(2)
    _paragraph(pdf, f"此致　{agency}")
    pdf.ln(6)
    for label, value in _signature_block(staff, vendor, contract):
        _paragraph(pdf, f"{label}：{value}")


def _write_appendix(pdf) -> None:
    pdf.set_font("cjk", size=14)
    pdf.cell(0, 10, APPENDIX_TITLE, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=11)
    pdf.cell(0, 8, APPENDIX_SOURCE, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for item in REGULATION_EXCERPT:
        _paragraph(pdf, item, gap=2)


def _signature_block(staff: str, vendor: str, contract: str) -> tuple[tuple[str, str], ...]:
    blank = "＿" * 14
    return (
        ("立切結書人姓名", staff),
        ("立切結書人簽章", blank),
        ("所屬廠商", vendor),
        ("委託案名稱", contract),
        ("簽署日期", "中華民國＿＿＿年＿＿＿月＿＿＿日"),
    )


def _paragraph(pdf, text: str, *, gap: float = 3) -> None:
    pdf.multi_cell(0, 8, text, wrapmode="CHAR", align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(gap)
