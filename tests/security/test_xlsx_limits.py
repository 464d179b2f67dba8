"""Issue 15, finding 8: an XLSX import is read in a limited child process, within limits.

The attack: a small XLSX holding a million rows (minutes of openpyxl and
hundreds of megabytes in the app's own process before), and a ZIP member that
inflates to far more than it weighs.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.audit.exports import log_rows, xlsx_bytes
from tracker.core.errors import InvalidInput
from tracker.domain.vendors import Agency
from tracker.querylog.isolated import MAX_ROWS, read_export_isolated
from tracker.services import log_imports
from tracker.storage.blobs import BlobStore
from tracker.storage.store import Store

ROOT = Path(__file__).resolve().parents[2]
HEADER = ("查詢時間", "使用者帳號", "查詢項目", "查詢對象證號")
_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    b'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxml'
    b'formats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    b'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml"'
    b' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    b"</Types>"
)
_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.'
    b'org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats'
    b'.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    b"</Relationships>"
)
_BOOK = (
    b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    b'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships"><sheets><sheet name="s" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_BOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.'
    b'org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats'
    b'.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    b"</Relationships>"
)


def row_bomb(path: Path, rows: int = 1_000_000) -> Path:
    """A real XLSX (written XML by XML, as a bomb would be) with ``rows`` one-cell rows."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in (
            ("[Content_Types].xml", _TYPES),
            ("_rels/.rels", _RELS),
            ("xl/workbook.xml", _BOOK),
            ("xl/_rels/workbook.xml.rels", _BOOK_RELS),
        ):
            zf.writestr(name, data)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
                b'openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
            )
            for n, name in enumerate(HEADER):
                cell = f'<c r="{"ABCD"[n]}1" t="inlineStr"><is><t>{name}</t></is></c>'
                sheet.write(cell.encode())
            sheet.write(b"</row>")
            for start in range(2, rows + 2, 10_000):
                block = "".join(
                    f'<row r="{n}"><c r="A{n}"><v>1</v></c></row>'
                    for n in range(start, min(start + 10_000, rows + 2))
                )
                sheet.write(block.encode())
            sheet.write(b"</sheetData></worksheet>")
    return path


@pytest.fixture
def store(settings) -> Store:
    store = Store.open(settings)
    store.put(Agency("ag-sw", "臺北市政府社會局"), actor="seed", action="seed")
    return store


def import_file(store, settings, data: bytes):
    return log_imports.import_query_log(
        store,
        log_imports.log_store(settings),
        BlobStore(settings.evidence_dir),
        "admin",
        agency_id="ag-sw",
        data=data,
        filename="export.xlsx",
    )


def test_a_million_row_xlsx_is_refused_by_its_row_count_and_nothing_is_kept(
    store, settings, tmp_path
):
    bomb = row_bomb(tmp_path / "bomb.xlsx").read_bytes()
    assert len(bomb) < 8 * 1024 * 1024  # small enough to upload
    with pytest.raises(InvalidInput, match=f"超過 {MAX_ROWS:,} 列.*CSV"):
        import_file(store, settings, bomb)
    assert log_imports.list_imports(store, "ag-sw") == []
    assert not [p for p in settings.evidence_dir.rglob("*") if p.is_file()]


def test_a_member_that_inflates_past_the_limit_is_refused_before_any_reader_runs(tmp_path):
    path = tmp_path / "inflates.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _TYPES)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            for _ in range(200):
                member.write(b" " * (1 << 20))  # 200 MB of blanks, about 200 KB stored
    with pytest.raises(InvalidInput, match="解壓縮後 200 MB"):
        read_export_isolated(path.read_bytes())


def test_an_ordinary_xlsx_is_read_in_the_child_and_its_rows_come_back(store, settings):
    record = import_file(store, settings, xlsx_bytes(log_rows(500)))
    assert record.rows == 500 and record.format == "xlsx"


def test_the_importing_process_never_loads_the_xlsx_parser(tmp_path):
    path = tmp_path / "ok.xlsx"
    path.write_bytes(xlsx_bytes(log_rows(50)))
    code = (
        "import sys\n"
        "from tracker.querylog.isolated import open_export_isolated\n"
        f"log = open_export_isolated({str(path)!r})\n"
        "print(log.population, 'openpyxl' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.stdout.split() == ["50", "False"], done.stderr
