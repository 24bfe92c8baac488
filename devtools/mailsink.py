"""A local SMTP sink for the embedded default and the tests: every message kept as a file, none sent."""
from __future__ import annotations

import email
import email.policy
import time
from pathlib import Path

from aiosmtpd.controller import Controller


class _Keep:
    def __init__(self, folder: Path, on_message=None):
        self.folder = folder
        self.on_message = on_message

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        path = self.folder / f"{time.strftime('%Y%m%d-%H%M%S')}-{time.monotonic_ns()}.eml"
        path.write_bytes(envelope.content)
        path.chmod(0o600)
        if self.on_message:
            self.on_message(message, path)
        return "250 Message accepted"


class MailSink:
    """`with MailSink(folder) as sink:` an SMTP server on 127.0.0.1:`sink.port`."""

    def __init__(self, folder: Path | str, port: int = 0, on_message=None):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        from .slapd import free_port
        self.port = port or free_port()
        self.controller = Controller(_Keep(self.folder, on_message), hostname="127.0.0.1", port=self.port)

    def start(self) -> "MailSink":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def messages(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                for p in sorted(self.folder.glob("*.eml"))]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
