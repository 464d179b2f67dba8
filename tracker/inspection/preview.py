"""The reviewer's preview of an uploaded PDF: its first pages as PNG, within pixel and time limits.

The file is untrusted even after inspection: a 30000×30000 image inside an
ordinary-looking page took a renderer 14.7 s and a gigabyte.  So

* a file whose inspection found an image larger than :data:`MAX_IMAGE_PIXELS`
  (``largest_image_pixels``, declared in the image's dictionary and counted by
  the probe without decoding anything) is not rendered at all;
* every page is rendered to at most :data:`LONGEST_SIDE` pixels on its longer
  side, however large its page box claims to be (``pdftoppm -scale-to``);
* the renderer (poppler's ``pdftoppm``) runs in a child with limits on address
  space and CPU seconds, and is killed after :data:`WALL_S` seconds.

No preview is not an error: :class:`Preview` then says why, and the reviewer
downloads the file.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

MAX_IMAGE_PIXELS = 50_000_000  # 50 megapixels; an A4 page scanned at 600 dpi has 35
PAGES = 2
LONGEST_SIDE = 1400
MEMORY_MB = 768
CPU_S = 10
WALL_S = 15
_LIMITS = f'ulimit -v {MEMORY_MB * 1024}; ulimit -t {CPU_S}; ulimit -f 65536; exec "$@"'


@dataclass(frozen=True)
class Preview:
    """PNG images of the first pages, or none and ``note_zh`` saying why."""

    images: tuple[bytes, ...] = ()
    note_zh: str = ""


def render_preview(data: bytes, inspection: dict | None = None) -> Preview:
    """The first :data:`PAGES` pages of ``data`` as PNG, or a :class:`Preview` saying why not.

    ``inspection`` is the file's inspection report (``InspectionReport.to_dict()``);
    its ``largest_image_pixels`` decides whether rendering is tried at all.
    """
    pixels = int((inspection or {}).get("largest_image_pixels") or 0)
    if pixels > MAX_IMAGE_PIXELS:
        return Preview(
            note_zh=f"檔案含超大圖片（約 {pixels / 1e6:,.0f} 百萬像素），不產生預覽，請下載檔案檢視。"
        )
    exe = shutil.which("pdftoppm")
    if exe is None:
        return Preview(note_zh="伺服器未安裝 pdftoppm，無法產生預覽，請下載檔案檢視。")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.pdf"
        source.write_bytes(data)
        command = [exe, "-png", "-scale-to", str(LONGEST_SIDE), "-f", "1", "-l", str(PAGES)]
        command += [str(source), str(Path(tmp) / "page")]
        try:
            subprocess.run(
                ["/bin/sh", "-c", _LIMITS, "sh", *command],
                capture_output=True,
                timeout=WALL_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return Preview(note_zh=f"預覽超過 {WALL_S} 秒仍未完成，已停止，請下載檔案檢視。")
        images = tuple(p.read_bytes() for p in sorted(Path(tmp).glob("page*.png")))
    return Preview(images) if images else Preview(note_zh="無法產生預覽，請下載檔案檢視。")
