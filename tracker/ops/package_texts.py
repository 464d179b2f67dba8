"""The auditor's package's own texts: README.txt and activity-log/verify_chain.py.

README.txt tells an inspector, in zh-TW then English, how to check the package
without this software; verify_chain.py checks the activity-log extract's hash
chain with the Python standard library only, applying the canonical-JSON rules
copied from :mod:`tracker.activitylog.canonical` (one text, so the two cannot
drift apart).
"""

from __future__ import annotations

from pathlib import Path

from tracker.activitylog import canonical
from tracker.ops.package_selection import Period


def readme(period: Period, agency_id, vendor_id, meta: dict) -> str:
    scope_zh = (
        f"機關 {agency_id}" if agency_id else f"廠商 {vendor_id}" if vendor_id else "全部機關與廠商"
    )
    scope_en = (
        f"agency {agency_id}"
        if agency_id
        else f"vendor {vendor_id}"
        if vendor_id
        else "all agencies and vendors"
    )
    return README_TEMPLATE.format(
        start=period.start.isoformat(),
        end=period.end.isoformat(),
        scope_zh=scope_zh,
        scope_en=scope_en,
        created=meta["created"],
        evidence=meta["evidence"],
        audit_records=meta["audit_records"],
        log_lines=meta["log_lines"],
        problems=meta["file_problems"],
    ).replace("\n", "\r\n")


README_TEMPLATE = """\
稽核資料包（臺北市政府社會局暨所屬機關應用移民資訊管理要點）
================================================================

期間：{start} 至 {end}（含首尾兩日）
範圍：{scope_zh}
製作時間：{created}
內容：佐證資料 {evidence} 件、抽查紀錄 {audit_records} 件、操作日誌 {log_lines} 行；
      無法取得的檔案 {problems} 件（見 decisions.csv 的 file_problem 欄）。

一、如何驗證（不需要本系統）
1. 解壓縮整個資料包，於解壓後的資料夾中執行：
       sha256sum -c SHA256SUMS
   每一行都應顯示「OK」（英文介面為 OK）。任何一個位元被更動，該檔即顯示 FAILED。
   Windows 可用 PowerShell：Get-FileHash -Algorithm SHA256 檔名，與 SHA256SUMS 對照。
2. 操作日誌的雜湊鏈（選用，需 Python 3）：
       python3 activity-log/verify_chain.py
   每一行的 hash 是該行其餘欄位以本系統的標準 JSON 格式（鍵排序、無空白、數字格式固定，規則寫在
   verify_chain.py 中）編碼後之 SHA-256，prev_hash 為前一行之 hash。
   第一行的 prev_hash 必須等於 activity-log/chain.txt 的 hash_before_first_line，
   最後一行的 hash 必須等於 last_hash。
3. decisions.csv 的 sha256 欄為各佐證檔案內容的 SHA-256，可用 sha256sum 對照檔案本身。

二、各檔案說明
- README.txt：本說明。
- SHA256SUMS：除本檔外每個檔案的 SHA-256（sha256sum -c 格式）。
- package.json：期間、範圍、製作時間與件數（機器可讀）。
- decisions.csv：每件佐證一列（UTF-8 含 BOM，可直接以 Excel 開啟）。欄位：
  evidence_id 佐證編號、subject 適用對象（種類:代碼）、obligation 應辦事項（要點項次）、
  kind 佐證種類、file_name 上傳時的原始檔名、sha256 檔案雜湊、uploaded_at 上傳時間、
  effective 文件日期、state 審查狀態（submitted 待審查／approved 通過／rejected 退件／
  superseded 已被取代）、reviewer 審查人、reviewed_at 審查時間、reason 退件理由、
  package_file 本資料包內的檔名、file_problem 檔案問題（missing 遺失、sha256_mismatch 內容不符）。
  日期時間皆為 ISO 8601（含 +08:00 時區）。以 = + - @ 開頭的文字前加上 ' 以免被試算表當成公式。
- evidence/：範圍內、期間中有效或於期間中上傳／審查之佐證檔案，檔名為佐證編號。
- audit-records/：期間內自主稽核的抽查紀錄（PDF 與 XLSX，要點第七點第二款，保存五年）。
- activity-log/extract.jsonl：期間內的操作日誌原文（要點第七點第一款），逐行未經更動；
  為維持雜湊鏈完整，未依機關或廠商篩選。
- activity-log/chain.txt：節錄前一行的雜湊、最後一行的雜湊與製作時的鏈頭。
- activity-log/verify_chain.py：只用 Python 標準函式庫的雜湊鏈檢查程式。

----------------------------------------------------------------
Auditor's package (Taipei City Department of Social Welfare, rules on using NIA information)

Period {start} to {end} (both days included); scope: {scope_en}; created {created}.
{evidence} evidence files, {audit_records} audit records, {log_lines} activity-log lines;
{problems} files could not be included (see the file_problem column of decisions.csv).

To verify without this software, unzip everything and run `sha256sum -c SHA256SUMS` in the
unzipped folder: every line must say OK, and a single changed byte makes that file FAILED.
`python3 activity-log/verify_chain.py` checks the activity log's hash chain: each line's
hash is the SHA-256 of its other fields in the application's canonical JSON (sorted keys, no
spaces, a fixed number format; the rules are written out in verify_chain.py), prev_hash is
the hash of the line before, the first line chains onto hash_before_first_line in
activity-log/chain.txt and the last ends at last_hash.  decisions.csv (UTF-8 with BOM) lists
every evidence file with its review decision and the uploader's original file name; dates are
ISO 8601.  evidence/ and audit-records/ hold the files as stored, named by evidence id.
"""


def _canonical_rules() -> str:
    """The canonical-JSON rules exactly as :mod:`tracker.activitylog.canonical` applies them."""
    source = Path(canonical.__file__).read_text(encoding="utf-8")
    begin = source.index("# --- the rules:")
    end = source.index("# --- end of the rules ---")
    return source[begin:end].rstrip() + "\n"


VERIFY_CHAIN_HEAD = '''\
#!/usr/bin/env python3
"""Check the hash chain of extract.jsonl against chain.txt, with the standard library only.

Usage: python3 verify_chain.py [extract.jsonl] [chain.txt]   (default: beside this script)
Each line's "hash" is the SHA-256 of the UTF-8 bytes of the line's other fields
in the application's canonical JSON (the rules below: keys sorted, no spaces,
strings escaped only where JSON requires, numbers in a fixed form) and
"prev_hash" the hash of the line before.  Exit 0 when the chain holds.
"""
import hashlib
import json
import math
import re
import sys
from pathlib import Path


'''

VERIFY_CHAIN_MAIN = """

def canonical(value):
    return canonical_text(value)


def main(argv):
    here = Path(__file__).resolve().parent
    extract = Path(argv[1]) if len(argv) > 1 else here / "extract.jsonl"
    chain = Path(argv[2]) if len(argv) > 2 else here / "chain.txt"
    fields = dict(line.split(": ", 1) for line in chain.read_text("utf-8").splitlines() if ": " in line)
    prev = fields["hash_before_first_line"].strip()
    count = 0
    for count, raw in enumerate(extract.read_bytes().splitlines(), start=1):
        entry = json.loads(raw)
        body = {k: v for k, v in entry.items() if k != "hash"}
        digest = hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()
        if digest != entry.get("hash"):
            print(f"line {count}: content does not match its hash / 內容與雜湊不符")
            return 1
        if entry.get("prev_hash") != prev:
            print(f"line {count}: prev_hash does not match / 前一筆雜湊不符")
            return 1
        prev = entry["hash"]
    if prev != fields["last_hash"].strip():
        print("the last line does not end at last_hash / 最後一行與 last_hash 不符")
        return 1
    print(f"OK: {count} lines chained / 雜湊鏈完整")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
"""

VERIFY_CHAIN_SCRIPT = VERIFY_CHAIN_HEAD + _canonical_rules() + VERIFY_CHAIN_MAIN
