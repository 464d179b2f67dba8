"""A real ``streamlit run`` of the app for the attack tests, and a raw client that speaks its protocol.

:class:`LiveApp` starts the app on a free loopback port over a private copy of
the demo folder, from the repository root, so the shipped
``.streamlit/config.toml`` applies.  :class:`RawClient` is what an attacker
without a browser uses: it takes the XSRF cookie from the index page, opens the
WebSocket (naming an existing session id if asked), runs the script, and sends
uploads or other messages; it reads back what the server sends.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect

from tracker.core.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveApp:
    """``streamlit run streamlit_app.py`` over a copy of ``demo_root`` in ``folder``."""

    def __init__(
        self,
        demo_root: Path,
        folder: Path,
        *,
        env: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
        script: str = "streamlit_app.py",
    ):
        shutil.copytree(demo_root, folder / "app", symlinks=True)
        self.settings = Settings.for_folder(folder / "app")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / "streamlit.log"
        self._env = dict(
            os.environ,
            TRACKER_DATA_DIR=str(self.settings.data_dir),
            TRACKER_EVIDENCE_DIR=str(self.settings.evidence_dir),
            TRACKER_TRUST_DIR=str(self.settings.trust_dir),
            **(env or {}),
        )
        self._command = [sys.executable, "-m", "streamlit", "run", script]
        self._command += ["--server.port", str(self.port), *args]
        self._proc: subprocess.Popen | None = None

    def __enter__(self) -> LiveApp:
        log = self.log_path.open("wb")
        self._proc = subprocess.Popen(
            self._command, cwd=ROOT, env=self._env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        self._wait_healthy()
        return self

    def __exit__(self, *exc) -> None:
        self._proc.terminate()
        try:
            self._proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def _wait_healthy(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise AssertionError(f"streamlit exited:\n{self.log()}")
            try:
                if requests.get(f"{self.base}/_stcore/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.3)
        raise AssertionError(f"streamlit did not start:\n{self.log()}")


class RawClient:
    """One browser-less client: its cookies, its WebSocket, the messages it received."""

    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()
        self.http.get(
            f"{base}/_stcore/health", timeout=10
        ).raise_for_status()  # sets the XSRF cookie
        self.xsrf = self.http.cookies.get("_streamlit_xsrf")
        self.ws = None
        self.received: list[ForwardMsg] = []
        self.session_id: str | None = None

    def open(self, existing_session_id: str | None = None) -> str:
        """Connect (resuming ``existing_session_id`` if the server lets it), run the script once,
        and return the session id the server gave."""
        protocols = ["streamlit", self.xsrf] + (
            [existing_session_id] if existing_session_id else []
        )
        cookies = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        self.ws = connect(
            self.base.replace("http", "ws") + "/_stcore/stream",
            subprotocols=protocols,
            additional_headers={"Origin": self.base, "Cookie": cookies},
            max_size=None,
            legacy=True,  # one connection held open across calls, not a context manager
        )
        self.send(BackMsg(rerun_script={"query_string": ""}))
        self.read_until_script_finished()
        return self.session_id

    def send(self, message: BackMsg) -> None:
        self.ws.send(message.SerializeToString())

    def read_until_script_finished(self, timeout: float = 60) -> list[ForwardMsg]:
        """Messages until the script run ends (``script_finished``)."""
        got = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = ForwardMsg()
            msg.ParseFromString(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            got.append(msg)
            if msg.WhichOneof("type") == "new_session":
                self.session_id = msg.new_session.initialize.session_id
            if msg.WhichOneof("type") == "script_finished":
                break
        self.received += got
        return got

    def text(self) -> str:
        """Everything received so far, as text (element protos)."""
        return "\n".join(str(m) for m in self.received)

    def put_file(self, data: bytes, file_id: str = "probe") -> requests.Response:
        """Upload ``data`` to this session as the browser's file uploader does."""
        url = f"{self.base}/_stcore/upload_file/{self.session_id}/{file_id}"
        return self.http.put(
            url,
            files={"file": ("big.pdf", data, "application/pdf")},
            headers={"X-Xsrftoken": self.xsrf, "Origin": self.base},
            timeout=60,
        )

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
