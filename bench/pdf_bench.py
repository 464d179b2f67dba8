"""Evidence inspection of a typical two-page pledge against pypdf's own text extraction.

Contenders, interleaved in one process:

* ``inspect``: ``inspect_pdf(data, kind="staff_pledge", expect=[name, vendor])``,
  which parses the file in a worker of the sandbox's zygote (started before
  timing: its start-up is reported on its own);
* ``pypdf``: ``PdfReader(BytesIO(data))`` and ``extract_text()`` of every page,
  in this process, with no limits;
* ``noop``: the sandbox round trip of a job that does nothing, as timed by
  ``tracker.inspection.sandbox.sandbox_fixed_cost`` (which leaves a short pause before
  each job, as uploads come): the fixed cost per file.

The ratio is given as measured and with the fixed cost taken off the inspection.
"""

from __future__ import annotations

from datetime import date
from io import BytesIO

from pypdf import PdfReader, PdfWriter

from bench.timing import Figure, interleave, median
from tracker.documents.pledge import new_form_number, render_pledge_form
from tracker.inspection.inspector import inspect_pdf
from tracker.inspection.sandbox import default_sandbox, sandbox_fixed_cost

STAFF, VENDOR = "王志明", "北辰資訊股份有限公司"


def pledge_pdf() -> bytes:
    """A pledge as the IT office hands it out: two pages (a blank second page is added if it has one)."""
    data = render_pledge_form(
        form_number=new_form_number(),
        staff_name=STAFF,
        vendor_name=VENDOR,
        contract_title="社會福利資訊系統維運案",
        issued_on=date.today(),
    )
    reader = PdfReader(BytesIO(data))
    if len(reader.pages) >= 2:
        return data
    writer = PdfWriter(clone_from=reader)
    writer.add_blank_page()
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pypdf_text(data: bytes) -> str:
    reader = PdfReader(BytesIO(data))
    return "".join(page.extract_text() for page in reader.pages)


def run(reps: int) -> list[Figure]:
    data = pledge_pdf()
    sandbox = default_sandbox()
    startup = sandbox_fixed_cost(rounds=3, sandbox=sandbox)["startup_s"]
    verdict = inspect_pdf(data, kind="staff_pledge", expect=[STAFF, VENDOR]).verdict
    noops: list[
        float
    ] = []  # the hook's own timing: it sleeps a little before each job, as uploads come
    contenders = {
        "inspect": lambda i: inspect_pdf(data, kind="staff_pledge", expect=[STAFF, VENDOR]),
        "pypdf": lambda i: pypdf_text(data),
        "noop": lambda i: noops.append(sandbox_fixed_cost(rounds=1, sandbox=sandbox)["noop_s"]),
    }
    times = interleave(contenders, reps, warmup=2)
    inspect, pypdf, noop = median(times["inspect"]), median(times["pypdf"]), median(noops[2:])
    note = (
        f"{len(data) // 1024} KiB, {len(PdfReader(BytesIO(data)).pages)} pages, verdict {verdict}"
    )
    return [
        Figure("pdf_inspect_vs_pypdf", inspect / pypdf, "x", 1.3, note=note),
        Figure(
            "pdf_inspect_net_vs_pypdf",
            (inspect - noop) / pypdf,
            "x",
            1.3,
            note="sandbox fixed cost subtracted",
        ),
        Figure("pdf_inspect_ms", inspect * 1e3, "ms", note=f"median of {reps}"),
        Figure("pdf_pypdf_ms", pypdf * 1e3, "ms"),
        Figure("pdf_sandbox_fixed_ms", noop * 1e3, "ms", note="round trip of a no-op job"),
        Figure(
            "pdf_sandbox_startup_ms", startup * 1e3, "ms", note="zygote start, once per process"
        ),
    ]
