"""Sending mail over SMTP (a local sink with the embedded default, a real relay in production)."""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

log = logging.getLogger(__name__)


def send(to: str, subject: str, body: str) -> None:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["SESAME_MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(config["SESAME_SMTP_HOST"], config["SESAME_SMTP_PORT"], timeout=10) as smtp:
        smtp.send_message(message)
    log.info("mail sent: %s", subject)   # never the address's content nor the link
