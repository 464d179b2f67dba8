"""A smoke run of the benchmark command: it runs end to end and names every figure.

Benchmarks are not tests: nothing here looks at a timing.  The run uses the
smallest size, few repetitions and its own temporary folder for the generated
data, so it stays well under a minute.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FIGURES_AT_S_QUICK = (
    "store_write_ms_S",
    "store_write_fsyncs",
    "store_write_tinydb_ms_S",
    "store_write_raw_ms_S",
    "disk_fsync_ms_S",
    "store_write_vs_tinydb",
    "store_write_vs_raw",
    "store_read_ms_S",
    "store_read_tinydb_ms_S",
    "store_read_vs_tinydb",
    "status_engine_ms_XS",
    "status_engine_ms_S",
    "status_engine_S_over_XS",
    "status_engine_cold_ms_XS",
    "status_engine_cold_ms_S",
    "status_engine_after_write_ms_S",
    "status_chain_verify_ms_S",
    "dashboard_render_s_S",
    "dashboard_render_cold_s_S",
    "store_open_ms_S",
    "store_check_s_S",
    "store_rebuild_s_S",
    "store_checkpoint_ms_S",
    "log_import_sample_vs_pandas_100k",
    "log_import_sample_s_100k",
    "log_pandas_read_csv_s_100k",
    "log_import_peak_mb_100k",
    "log_pandas_peak_mb_100k",
    "pdf_inspect_vs_pypdf",
    "pdf_inspect_net_vs_pypdf",
    "pdf_inspect_ms",
    "pdf_pypdf_ms",
    "pdf_sandbox_fixed_ms",
    "pdf_sandbox_startup_ms",
    "app_cold_start_s",
    "app_health_s",
    "app_first_fetch_s",
    "app_frontend_s",
)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory) -> subprocess.CompletedProcess:
    out = tmp_path_factory.mktemp("bench-out")
    command = [sys.executable, "-m", "bench", "--size", "S", "--quick", "--json", "--out", str(out)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)


@pytest.mark.slow
def test_the_quick_run_prints_exactly_one_json_object(quick_run):
    assert quick_run.returncode == 0, quick_run.stderr[-3000:]
    report = json.loads(quick_run.stdout)  # fails on anything but a single JSON document
    assert report["size"] == "S" and report["quick"] is True


@pytest.mark.slow
def test_every_figure_is_a_number_or_says_why_it_was_not_measured(quick_run):
    figures = json.loads(quick_run.stdout)["figures"]
    assert set(FIGURES_AT_S_QUICK) <= set(figures)
    for name in FIGURES_AT_S_QUICK:
        figure = figures[name]
        measured = isinstance(figure["value"], int | float)
        assert measured or figure.get("not_measured", "").strip(), f"{name}: {figure}"


# figures that need nothing beyond the project's own packages: never "not measured"
ALWAYS_MEASURED = tuple(
    n for n in FIGURES_AT_S_QUICK if n.startswith(("store_", "status_", "dashboard_"))
)


@pytest.mark.slow
def test_the_store_status_dashboard_and_integrity_figures_are_always_measured(quick_run):
    figures = json.loads(quick_run.stdout)["figures"]
    for name in ALWAYS_MEASURED:
        assert isinstance(figures[name]["value"], int | float), f"{name}: {figures[name]}"


@pytest.mark.slow
def test_a_measured_figure_with_a_target_carries_its_verdict(quick_run):
    figure = json.loads(quick_run.stdout)["figures"]["store_write_vs_tinydb"]
    assert figure["target"] == "<= 0.2"
    if figure["value"] is not None:
        assert figure["pass"] is (figure["value"] <= 0.2)


PG_FIGURES_AT_S_QUICK = (
    "store_write_ms_S",
    "store_write_raw_pg_ms_S",
    "store_write_vs_raw_pg",
    "store_read_ms_S",
    "pg_copy_s_S",
    "status_engine_ms_XS",
    "status_engine_ms_S",
    "status_engine_S_over_XS",
    "status_engine_cold_ms_XS",
    "status_engine_cold_ms_S",
    "status_engine_after_write_ms_S",
    "status_chain_verify_ms_S",
    "dashboard_render_s_S",
    "dashboard_render_cold_s_S",
    "store_open_ms_S",
    "store_check_s_S",
)


@pytest.mark.slow
def test_the_postgres_run_measures_every_store_status_dashboard_and_integrity_figure(
    pg_server, tmp_path
):
    command = [sys.executable, "-m", "bench", "--backend", "postgres", "--pg-url", pg_server.url(),
               "--size", "S", "--quick", "--json", "--only", "store", "status", "dashboard",
               "integrity", "--out", str(tmp_path)]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["backend"] == "postgres"
    for name in PG_FIGURES_AT_S_QUICK:
        assert isinstance(report["figures"][name]["value"], int | float), report["figures"][name]
    assert report["figures"]["store_write_vs_raw_pg"]["target"] == "<= 2"
    assert report["figures"]["store_check_s_S"]["note"].endswith(" 0 differences")
    assert report["figures"]["store_rebuild_s_S"]["not_measured"].strip()
