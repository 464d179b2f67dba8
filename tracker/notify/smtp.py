"""The mail server from ``TRACKER_SMTP_URL``, and one SMTP conversation with it.

``smtp://host:port`` is a plain connection (add ``?starttls=1`` to upgrade it
with STARTTLS), ``smtps://host:port`` TLS from the first byte.  User and
password may be in the URL (percent-encoded) or the password in
``TRACKER_SMTP_PASSWORD``.  Further options: ``cafile=PATH`` (certificates to
trust instead of the system's) and ``timeout=SECONDS`` (default 20).
Certificates and host names are always checked; a password is sent only over
TLS, or to a relay on this machine's loopback address.

Two kinds of failure: :class:`ServerUnusable` (nothing more can be sent on
this connection: the server is down, dropped the connection, refused TLS or
the sign-in, or answered 421) and :class:`MessageRefused` (the server refused
this one message with a 4xx or 5xx answer and the next may still go).
"""

from __future__ import annotations

import contextlib
import ipaddress
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from tracker.core.errors import InvalidInput, TrackerError

DEFAULT_PORTS = {("smtp", False): 25, ("smtp", True): 587, ("smtps", False): 465}
DEFAULT_TIMEOUT = 20.0
_OPTIONS = {"starttls", "cafile", "timeout"}


class MailNotConfigured(TrackerError):
    """``TRACKER_SMTP_URL`` is not set: nothing can be sent."""


class ServerUnusable(TrackerError):
    """The mail server cannot be used now; nothing more is sent this time."""


class MessageRefused(Exception):
    """The server refused one message: ``code`` (e.g. 550) and its text."""

    def __init__(self, code: int, text: str):
        self.code, self.text = code, text
        super().__init__(f"{code} {text}")


@dataclass(frozen=True)
class SmtpConfig:
    scheme: str
    host: str
    port: int
    starttls: bool = False
    username: str = ""
    password: str = field(default="", repr=False)
    cafile: str | None = None
    timeout: float = DEFAULT_TIMEOUT

    @property
    def tls(self) -> bool:
        return self.scheme == "smtps" or self.starttls

    def display(self) -> str:
        """The server as people may read it: never the password."""
        user = f"{self.username}@" if self.username else ""
        return f"{self.scheme}://{user}{self.host}:{self.port}" + (
            "?starttls=1" if self.starttls else ""
        )


def _bad(zh: str, en: str) -> InvalidInput:
    return InvalidInput(f"TRACKER_SMTP_URL 設定錯誤：{zh}", f"TRACKER_SMTP_URL: {en}")


def parse_smtp_url(url: str, password: str = "") -> SmtpConfig:
    """The server ``url`` names; ``password`` (``TRACKER_SMTP_PASSWORD``) when the URL has none.

    Raises InvalidInput (naming the setting, never echoing a password) for a
    scheme other than smtp/smtps, a missing host, a bad port or option, or a
    password that would travel unencrypted to another machine.
    """
    parts = urlsplit((url or "").strip())
    if parts.scheme not in ("smtp", "smtps"):
        raise _bad("須以 smtp:// 或 smtps:// 開頭", "use smtp://host:port or smtps://host:port")
    options = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    unknown = set(options) - _OPTIONS
    if unknown:
        raise _bad(f"不明的選項 {', '.join(sorted(unknown))}", f"unknown option {sorted(unknown)}")
    starttls = options.get("starttls", "0") in ("1", "true", "yes")
    if starttls and parts.scheme == "smtps":
        raise _bad("smtps:// 已是 TLS，不可再加 starttls", "smtps:// is TLS already; drop starttls")
    try:
        host, port = parts.hostname, parts.port
        timeout = float(options.get("timeout") or DEFAULT_TIMEOUT)
    except ValueError:
        raise _bad("連接埠或逾時秒數不是數字", "the port or timeout is not a number") from None
    if not host or parts.path not in ("", "/") or timeout <= 0:
        raise _bad("須為 smtp://主機:連接埠", "expected smtp://host:port")
    config = SmtpConfig(
        scheme=parts.scheme,
        host=host,
        port=port or DEFAULT_PORTS[(parts.scheme, starttls)],
        starttls=starttls,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or "") or password,
        cafile=options.get("cafile") or None,
        timeout=timeout,
    )
    if config.password and not config.username:
        raise _bad("有密碼但未指定帳號", "a password without a user name")
    if config.username and not config.tls and not _loopback(config.host):
        raise _bad(
            "帳號密碼只能經 TLS 傳送：請用 smtps:// 或加上 ?starttls=1",
            "credentials only over TLS: use smtps:// or ?starttls=1",
        )
    return config


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Connection:
    """One SMTP session: ``with Connection(config) as conn: conn.send(mail, sender, to)``.

    Entering connects, upgrades to TLS and signs in; raises ServerUnusable
    with a one-line reason when any of that fails.
    """

    def __init__(self, config: SmtpConfig):
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Connection:
        c = self.config
        try:
            context = ssl.create_default_context(cafile=c.cafile)
        except OSError as exc:
            raise ServerUnusable(
                f"無法讀取憑證檔 {c.cafile}", f"cannot read cafile: {exc}"
            ) from exc
        name = socket.gethostname() or "localhost"  # no DNS lookup, unlike smtplib's default
        try:
            if c.scheme == "smtps":
                self.smtp = smtplib.SMTP_SSL(
                    c.host, c.port, local_hostname=name, timeout=c.timeout, context=context
                )
            else:
                self.smtp = smtplib.SMTP(c.host, c.port, local_hostname=name, timeout=c.timeout)
            self.smtp.ehlo()
            if c.starttls:
                self.smtp.starttls(context=context)
                self.smtp.ehlo()
            if c.username:
                self.smtp.login(c.username, c.password)
        except Exception as exc:
            self.close()
            raise self._unusable(exc) from exc
        return self

    def send(self, mail: EmailMessage, sender: str, to: tuple[str, ...]) -> tuple[str, ...]:
        """Send one message; the recipients the server refused while accepting it for the others.

        Raises MessageRefused when the server refused the message (every
        recipient, the sender or the data), ServerUnusable when the
        connection failed; in neither case did the server accept it.
        """
        try:
            refused = self.smtp.send_message(mail, from_addr=sender, to_addrs=list(to))
        except smtplib.SMTPRecipientsRefused as exc:
            answers = list(exc.recipients.values())
            code, text = next((a for a in answers if a[0] == 421), answers[0])
            raise self._refusal(code, text) from exc
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            raise self._refusal(exc.smtp_code, exc.smtp_error) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise self._unusable(exc) from exc
        return tuple(sorted(refused))

    def _refusal(self, code: int, text) -> Exception:
        message = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        message = " ".join(message.split())
        if code == 421:  # the server is closing the connection: nothing more goes this time
            self.close()
            return ServerUnusable(
                f"郵件伺服器暫停服務：{code} {message}", f"server closing: {code} {message}"
            )
        return MessageRefused(code, message)

    def _unusable(self, exc: BaseException) -> ServerUnusable:
        where = self.config.display()
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            zh, en = "郵件伺服器拒絕登入（帳號或密碼錯誤）", f"sign-in refused: {exc.smtp_code}"
        elif isinstance(exc, smtplib.SMTPConnectError | smtplib.SMTPHeloError):
            text = _text(exc.smtp_error)
            zh, en = (
                f"郵件伺服器拒絕連線：{exc.smtp_code} {text}",
                f"refused: {exc.smtp_code} {text}",
            )
        elif isinstance(exc, smtplib.SMTPNotSupportedError):
            zh, en = "郵件伺服器不支援 STARTTLS 或登入", f"not supported: {exc}"
        elif isinstance(exc, ssl.SSLError):
            zh, en = "與郵件伺服器的 TLS 連線失敗（憑證或加密設定）", f"TLS failed: {exc}"
        elif isinstance(exc, smtplib.SMTPServerDisconnected):
            zh, en = "郵件伺服器中斷連線", f"connection dropped: {exc}"
        elif isinstance(exc, TimeoutError | socket.timeout):
            zh, en = "連線郵件伺服器逾時", "timed out"
        elif isinstance(exc, OSError):
            zh, en = "無法連線至郵件伺服器", f"cannot connect: {exc.strerror or exc}"
        else:
            zh, en = "郵件伺服器回應錯誤", f"{type(exc).__name__}: {exc}"
        return ServerUnusable(f"{zh}（{where}）", f"{en} ({where})")

    def close(self) -> None:
        if self.smtp is not None:
            with contextlib.suppress(OSError):
                self.smtp.close()
            self.smtp = None

    def __exit__(self, *exc) -> bool:
        if self.smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.smtp.quit()
        self.close()
        return False


def _text(value) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return " ".join(text.split())
