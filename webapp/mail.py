"""Sending mail over SMTP (a local sink with the embedded default, a real relay in production)."""
from __future__ import annotations

import logging
import smtplib
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app

log = logging.getLogger(__name__)


_OUTBOX = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mail")


def send_later(to: str, subject: str, body: str) -> None:
    """Sent by a background thread: the page answers at once, the same whether a message goes or not,
    and a relay that is down costs the visitor nothing (it is logged)."""
    settings = {k: current_app.config[k] for k in ("SESAME_MAIL_FROM", "SESAME_SMTP_HOST", "SESAME_SMTP_PORT")}

    def deliver():
        try:
            _send(settings, to, subject, body)
        except Exception:   # noqa: BLE001 - nobody waits on it: say it in the log
            log.exception("mail not sent: %s", subject)
    _OUTBOX.submit(deliver)


def _send(config: dict, to: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="sesame.invalid")
    message["From"] = config["SESAME_MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(config["SESAME_SMTP_HOST"], config["SESAME_SMTP_PORT"], timeout=10) as smtp:
        smtp.send_message(message)
    log.info("mail sent: %s", subject)   # never the address's content nor the link
