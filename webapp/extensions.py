"""Extension objects, bare here and bound to the app in the factory."""
from __future__ import annotations

import redis as redis_lib
from flask import current_app
from flask_htmx import HTMX
from flask_login import LoginManager
from flask_session import Session
from flask_wtf.csrf import CSRFProtect

from directory.connection import DirectorySettings
from directory.repository import Directory

csrf = CSRFProtect()
htmx = HTMX()
login_manager = LoginManager()
server_sessions = Session()


class DirectoryExtension:
    """Holds one `Directory` per app (and per process: pools are opened lazily, after a fork)."""

    key = "sesame.directory"

    def init_app(self, app) -> None:
        config = app.config
        suffix = config["SESAME_LDAP_SUFFIX"]
        settings = DirectorySettings(
            url=config["SESAME_LDAP_URL"],
            suffix=suffix,
            bind_dn=config["SESAME_LDAP_BIND_DN"] or service_dn(suffix),
            bind_password=config["SESAME_LDAP_BIND_PASSWORD"],
            read_urls=tuple(config["SESAME_LDAP_READ_URLS"]),
            timeout=float(config["SESAME_LDAP_TIMEOUT"]),
        )
        app.extensions[self.key] = Directory(settings)

    @property
    def current(self) -> Directory:
        return current_app.extensions[self.key]


class RedisExtension:
    key = "sesame.redis"

    def init_app(self, app) -> None:
        from .redis_client import connect
        app.extensions[self.key] = connect(app.config)

    @property
    def current(self) -> redis_lib.Redis:
        return current_app.extensions[self.key]


def service_dn(suffix: str) -> str:
    return f"cn=sesame,ou=services,{suffix}"


directory = DirectoryExtension()
redis = RedisExtension()
