"""The manager's dashboard rendered by Streamlit's ``AppTest``, signed in as ``manager``.

Runs in a child process pointed at a private copy of a generated folder
(``TRACKER_DATA_DIR``), the way ``streamlit run`` would be.  Signing in is
done the way the app records it: a token of the server-side session registry
(:mod:`tracker.services.sessions`) in ``st.session_state``
(``app_pages._session``).  Each repetition is a new
``AppTest`` (a new browser session); the first one also opens the store, so it
is reported as the cold render and the later ones as the render a manager
waits for.  AppTest runs the script and builds the page's elements; it does
not send them to a browser or draw them.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
import threading
from pathlib import Path

from bench.generate import working_copy
from bench.timing import Figure, median, timed

ROOT = Path(__file__).resolve().parent.parent
TITLE = "合規儀表板"


def run(
    folder: Path, work: Path, size: str, reps: int, profile_dir: Path | None = None
) -> list[Figure]:
    settings = working_copy(folder, work / "dashboard")
    env = os.environ | {
        "TRACKER_DATA_DIR": str(settings.data_dir),
        "TRACKER_EVIDENCE_DIR": str(settings.evidence_dir),
        "TRACKER_TRUST_DIR": str(settings.trust_dir),
    }
    command = [sys.executable, "-m", "bench.dashboard_bench", str(reps)]
    if profile_dir is not None:
        command.append(str(profile_dir / f"dashboard_{size}.txt"))
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"AppTest child failed: {done.stderr.strip().splitlines()[-1:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    note = f"{result['elements']} metrics; median of {reps} new sessions"
    return [
        Figure(f"dashboard_render_s_{size}", median(result["warm_s"]), "s", 3.0, note=note),
        Figure(
            f"dashboard_render_cold_s_{size}",
            result["cold_s"],
            "s",
            3.0,
            note="first session: opens the store",
        ),
    ]


def render(reps: int, profile: Path | None = None) -> dict:
    """In the child: one cold and ``reps`` warm renders, each checked for an exception and the title.

    With ``profile``, one more warm render runs under cProfile (not timed).
    """
    times, metrics = [], 0
    for _ in range(reps + 1):
        app = signed_in_app()
        times.append(timed(app.run))
        _check(app)
        metrics = len(app.metric)
    if profile is not None:
        profile_threads(signed_in_app().run, profile)
    return {"cold_s": times[0], "warm_s": times[1:], "elements": metrics}


def profile_threads(work, path: Path, limit: int = 40) -> None:
    """cProfile ``work`` and every thread it starts (AppTest runs the script in its own thread)."""
    profilers, original = [], threading.Thread.run

    def profiled_run(thread):
        profiler = cProfile.Profile()
        profilers.append(profiler)
        profiler.runcall(original, thread)

    threading.Thread.run = profiled_run
    try:
        work()
    finally:
        threading.Thread.run = original
    text = io.StringIO()
    stats = pstats.Stats(*profilers, stream=text).strip_dirs()
    for order in ("cumulative", "tottime"):
        stats.sort_stats(order).print_stats(limit)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.getvalue())


def _check(app) -> None:
    if app.exception or TITLE not in [t.value for t in app.title]:
        raise RuntimeError(f"the dashboard did not render: {list(app.exception)[:1]}")


def signed_in_app():
    from streamlit.testing.v1 import AppTest

    from app_pages._session import TOKEN_KEY
    from tracker.services.sessions import REGISTRY

    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=600)
    # a token of the server-side session registry, as signing in leaves one
    app.session_state[TOKEN_KEY] = REGISTRY.open("manager")
    return app


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    profile = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    print(json.dumps(render(int(sys.argv[1]), profile)))
