"""What a headless Chromium page saw of its session id (the browser: tests/security/conftest.py)."""

from __future__ import annotations

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg


def watch_session_ids(page) -> list[str]:
    """The session ids the server gives this page (the newest last), read off its WebSocket."""
    ids: list[str] = []

    def on_frame(payload) -> None:
        if isinstance(payload, bytes):
            msg = ForwardMsg()
            try:
                msg.ParseFromString(payload)
            except Exception:  # noqa: BLE001 - not every frame is one message we know
                return
            if msg.WhichOneof("type") == "new_session":
                session_id = msg.new_session.initialize.session_id
                if not ids or ids[-1] != session_id:
                    ids.append(session_id)

    page.on("websocket", lambda ws: ws.on("framereceived", on_frame))
    return ids
