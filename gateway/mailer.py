"""Sending e-mail through the SMTP server REGISTRY_SMTP_URL names, with the standard
library's smtplib in a thread (one connection per message: notifications are few).

    smtp://[user:password@]host[:port][?from=registry@example.com&starttls=on]
    smtps://...   (TLS from the first byte; port 465 by default)

A server's 4xx answers, lost connections and timeouts are retried (resolvers/deliveries.py);
5xx answers (no such mailbox, refused) are final.
"""
import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlparse

from resolvers.deliveries import Answer
from resolvers.mail import MailMessage


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    tls: bool  # TLS from the first byte (smtps://)
    starttls: bool
    user: str | None
    password: str | None
    mail_from: str

    @classmethod
    def from_url(cls, url: str) -> "SmtpSettings":
        parsed = urlparse(url)
        if parsed.scheme not in ("smtp", "smtps") or not parsed.hostname:
            raise ValueError("REGISTRY_SMTP_URL is smtp://[user:password@]host[:port][?from=...&starttls=on] "
                             "or smtps://...")
        options = dict(parse_qsl(parsed.query))
        return cls(host=parsed.hostname, port=parsed.port or (465 if parsed.scheme == "smtps" else 25),
                   tls=parsed.scheme == "smtps", starttls=options.get("starttls", "off").lower() in ("on", "true", "1"),
                   user=unquote(parsed.username) if parsed.username else None,
                   password=unquote(parsed.password) if parsed.password else None,
                   mail_from=options.get("from", "registry-gateway@localhost"))


def _server_said(code: int, reason: bytes | str) -> Answer:
    text = reason.decode(errors="replace") if isinstance(reason, bytes) else reason
    return Answer(error=f"SMTP {code}: {text}", final=code >= 500)


class SmtpSender:
    def __init__(self, settings: SmtpSettings, timeout_seconds: float):
        self.settings = settings
        self.timeout_seconds = timeout_seconds

    async def send(self, message: MailMessage) -> Answer:
        return await asyncio.to_thread(self._send, message)

    def _send(self, message: MailMessage) -> Answer:
        s = self.settings
        try:
            if s.tls:
                smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=self.timeout_seconds,
                                        context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=self.timeout_seconds)
            with smtp:
                if s.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if s.user:
                    smtp.login(s.user, s.password or "")
                smtp.send_message(message.email)
            return Answer(status=250)
        except smtplib.SMTPRecipientsRefused as refused:
            return _server_said(*next(iter(refused.recipients.values())))
        except smtplib.SMTPResponseException as error:
            return _server_said(error.smtp_code, error.smtp_error)
        except (OSError, smtplib.SMTPException) as error:
            return Answer(error=f"{type(error).__name__}: {error or 'the connection failed'}")
