"""Real SMTP servers on 127.0.0.1 for the mail tests (aiosmtpd), each on an ephemeral port.

:class:`MailServer` runs aiosmtpd's SMTP protocol in an asyncio loop of its
own thread: plain, STARTTLS or TLS from the first byte (a self-signed
certificate made with ``cryptography``), with or without AUTH.  Its handler
records what it accepted and can be told to answer RCPT or DATA with a 4xx or
5xx, to refuse one address, or to drop the connection during DATA.
:class:`SlamServer` accepts a connection and closes it at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, signed by its own key: (cert.pem, key.pem)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=default)

    @property
    def key(self) -> str:
        return str(self.message["X-Tracker-Key"])


@dataclass
class Recorder:
    """The handler: records accepted messages; ``rcpt_answer``/``data_answer`` replace the 250."""

    received: list[Received] = field(default_factory=list)
    rcpt_answer: str | None = None
    data_answer: str | None = None
    refuse: set[str] = field(default_factory=set)
    drop_at_data: bool = False
    data_attempts: int = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        if self.rcpt_answer:
            return self.rcpt_answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_attempts += 1
        if self.drop_at_data:
            server.transport.close()
            return "250 never heard"
        if self.data_answer:
            return self.data_answer
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
        )
        return "250 2.0.0 queued"


class MailServer:
    """An SMTP server on 127.0.0.1; ``url`` is what TRACKER_SMTP_URL should say.

    ``tls``: ``None`` (plain), ``"starttls"`` or ``"implicit"``; ``users``
    (login → password) turns AUTH on and requires it.
    """

    def __init__(
        self,
        *,
        tls: str | None = None,
        context: ssl.SSLContext | None = None,
        users: dict[str, str] | None = None,
    ):
        self.recorder = Recorder()
        self.tls, self.context, self.users = tls, context, users
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.port = 0

    def _protocol(self):
        kwargs = {"hostname": "mail.test", "loop": self.loop}
        if self.tls == "starttls":
            kwargs.update(tls_context=self.context, require_starttls=True)
        if self.users is not None:
            kwargs.update(
                authenticator=self._authenticate,
                auth_required=True,
                auth_require_tls=self.tls is not None,
            )
        return SMTP(self.recorder, **kwargs)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and self.users.get(auth_data.login.decode()) == auth_data.password.decode()
        )
        return AuthResult(success=ok, handled=False)  # let aiosmtpd answer 235 or 535

    async def _start(self) -> int:
        ssl_context = self.context if self.tls == "implicit" else None
        self.server = await self.loop.create_server(self._protocol, "127.0.0.1", 0, ssl=ssl_context)
        return self.server.sockets[0].getsockname()[1]

    def start(self) -> MailServer:
        self.thread.start()
        self.port = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)
        return self

    def stop(self) -> None:
        async def close():
            self.server.close()
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in others:  # sessions still open: end them so the loop closes cleanly
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)
            await self.server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    @property
    def received(self) -> list[Received]:
        return self.recorder.received

    def url(self, *, user: str = "", password: str = "", **options) -> str:
        scheme = "smtps" if self.tls == "implicit" else "smtp"
        if self.tls == "starttls":
            options.setdefault("starttls", "1")
        cred = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        query = "&".join(f"{k}={v}" for k, v in options.items())
        return f"{scheme}://{cred}127.0.0.1:{self.port}" + (f"?{query}" if query else "")


class SlamServer:
    """Accepts a TCP connection and closes it before saying anything."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def stop(self):
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() on Linux
        self.sock.close()
        self.thread.join(5)


def unused_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound once, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
