"""Connections to the directory: a small pool of service-bound connections, and LDAP errors translated."""
from __future__ import annotations

import contextlib
import queue
import time
from dataclasses import dataclass, field

import ldap3
from ldap3.core import exceptions as lx

from . import observe
from .entries import lean
from .errors import (AlreadyExists, ChangedMeanwhile, DirectoryError, DirectoryUnavailable, IdentifierTaken,
                     InsufficientRights, InvalidCredentials, NotFound, PageOutOfRange, RefusedByPolicy,
                     ValidationFailed, WriteOutcomeUnknown)
from .sorting import VLV_ERROR


@dataclass(frozen=True)
class DirectorySettings:
    url: str                                # the provider: every write goes there
    suffix: str
    bind_dn: str
    bind_password: str = field(repr=False)
    read_urls: tuple[str, ...] = ()         # consumers (syncrepl replicas) for reads; none: the provider
    timeout: float = 5.0
    pool_size: int = 8


_UNAVAILABLE = (lx.LDAPSocketOpenError, lx.LDAPSocketReceiveError, lx.LDAPSocketSendError,
                lx.LDAPSessionTerminatedByServerError, lx.LDAPCommunicationError,
                lx.LDAPSocketCloseError, lx.LDAPResponseTimeoutError, lx.LDAPServerPoolExhaustedError,
                lx.LDAPBusyResult, lx.LDAPUnavailableResult, lx.LDAPUnwillingToPerformResult,
                lx.LDAPStartTLSError)


# the answers to add, modify, delete, rename and extended operations (password modify)
_WRITE_ANSWERS = {"addResponse", "modifyResponse", "delResponse", "modDNResponse", "extendedResp"}


def translate(error: Exception) -> DirectoryError:
    """Turn any LDAP client error into the project's own exception."""
    if isinstance(error, DirectoryError):
        return error
    if isinstance(error, (lx.LDAPInvalidCredentialsResult, lx.LDAPSASLPrepError)):
        # a password with control or bidirectional characters is refused by ldap3 before any bind:
        # the same answer as a wrong one
        return InvalidCredentials(str(error))
    if isinstance(error, lx.LDAPInsufficientAccessRightsResult):
        return InsufficientRights(str(error))
    if isinstance(error, lx.LDAPNoSuchObjectResult):
        return NotFound(str(error))
    if isinstance(error, lx.LDAPEntryAlreadyExistsResult):
        return AlreadyExists(str(error))
    if isinstance(error, (lx.LDAPAssertionFailedResult,
                          lx.LDAPNoSuchAttributeResult, lx.LDAPAttributeOrValueExistsResult)):
        # a value a conditional modify deletes is gone, or one it adds is there: changed meanwhile
        return ChangedMeanwhile(str(error))
    if isinstance(error, lx.LDAPConstraintViolationResult):
        # the unique overlay and ppolicy both answer this way; only the message tells them apart
        if "non-unique" in str(error):
            return IdentifierTaken(str(error))
        return RefusedByPolicy(str(error))
    if isinstance(error, lx.LDAPOperationResult) and error.result == VLV_ERROR:
        return PageOutOfRange(str(error))
    if isinstance(error, (lx.LDAPInvalidDnError, lx.LDAPInvalidFilterError,
                          lx.LDAPObjectClassViolationResult, lx.LDAPInvalidAttributeSyntaxResult,
                          lx.LDAPUndefinedAttributeTypeResult, lx.LDAPInvalidDNSyntaxResult,
                          lx.LDAPNamingViolationResult)):
        return ValidationFailed([str(error)])
    if isinstance(error, _UNAVAILABLE) or isinstance(error, OSError):
        return DirectoryUnavailable(str(error) or type(error).__name__)
    return DirectoryError(f"{type(error).__name__}: {error}")


@contextlib.contextmanager
def translated():
    try:
        yield
    except (lx.LDAPException, OSError) as error:
        raise translate(error) from error


def make_server(url: str, timeout: float) -> ldap3.Server:
    if url.lower().startswith("ldapi://"):
        # ldap3 sets the connect timeout with a TCP-only socket option: not for a Unix socket
        return ldap3.Server(url, get_info=ldap3.NONE)
    return ldap3.Server(url, connect_timeout=timeout, get_info=ldap3.NONE)


def open_connection(url: str, user: str | None, password: str | None, timeout: float,
                    *, sasl_external: bool = False) -> ldap3.Connection:
    """A bound connection, or the project's exception saying why not."""
    server = make_server(url, timeout)
    options = dict(raise_exceptions=True, return_empty_attributes=False)
    if not url.lower().startswith("ldapi://"):
        options["receive_timeout"] = max(1, round(timeout))  # ldap3 packs it as an integer
    if sasl_external:
        options.update(authentication=ldap3.SASL, sasl_mechanism=ldap3.EXTERNAL, sasl_credentials="")
    else:
        options.update(user=user, password=password)
    started = time.perf_counter()
    try:
        with translated():
            conn = ldap3.Connection(server, **options)
            lean(conn)
            conn.bind()
    except DirectoryError as error:
        observe.ldap_operation(url, "bind", time.perf_counter() - started, observe.failure(error))
        raise
    observe.ldap_operation(url, "bind", time.perf_counter() - started)
    return conn


class ConnectionPool:
    """Service-bound connections handed to one thread at a time; a broken one is replaced.

    Each connection uses ldap3's plain synchronous strategy and is only ever used by the thread that
    borrowed it, which is what makes the pool thread-safe. When slapd restarts, the first operation on
    a stale connection fails with a socket error: the pool drops it and retries once on a new one.
    """

    def __init__(self, settings: DirectorySettings, *, on_write=None, down=DirectoryUnavailable):
        self.settings = settings    # the pool's server is settings.url (consumers: directory.replicas)
        self.on_write = on_write    # called after an operation that ended with a write
        self.down = down            # what is raised when the server does not answer
        self._idle: queue.LifoQueue[ldap3.Connection] = queue.LifoQueue()

    def _new(self) -> ldap3.Connection:
        try:
            return open_connection(self.settings.url, self.settings.bind_dn, self.settings.bind_password,
                                   self.settings.timeout)
        except InvalidCredentials as error:
            # the service identity refused: for the people using Sésame the directory is unusable
            raise DirectoryUnavailable(f"the service identity cannot bind: {error}") from error

    def _drain(self) -> None:
        """Close every idle connection: after one broke, the others are likely broken too."""
        while True:
            try:
                _close_quietly(self._idle.get_nowait())
            except queue.Empty:
                return

    def _take(self) -> ldap3.Connection:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            return self._new()

    def _give_back(self, conn: ldap3.Connection) -> None:
        if not getattr(conn, "sesame_retire", False) and self._idle.qsize() < self.settings.pool_size:
            self._idle.put(conn)
        else:
            _close_quietly(conn)

    def run(self, operation):
        """Call `operation(connection)` and return its result, LDAP errors translated. A broken
        connection is replaced and the operation tried once more: only for reads, and for writes
        whose second sending cannot apply twice (an add of a fixed name)."""
        return self._call(operation, resend=True)

    def ping(self) -> None:
        """A read of the suffix's entry alone on this pool's server: it answers, or DirectoryUnavailable."""
        self.run(lambda conn: conn.search(self.settings.suffix, "(objectClass=*)", ldap3.BASE, attributes=["1.1"]))

    def write(self, operation):
        """Call a write that must never be sent twice blindly. If the connection breaks after it
        left, slapd may or may not have applied it: `WriteOutcomeUnknown` tells the caller to read
        the entry back and decide from what it holds."""
        return self._call(operation, resend=False)

    def _call(self, operation, *, resend: bool):
        try:
            return self._attempt(operation, resend=resend)
        except WriteOutcomeUnknown:
            raise
        except DirectoryUnavailable as error:
            if self.down is DirectoryUnavailable or isinstance(error, self.down):
                raise
            raise self.down(str(error)) from error

    def _attempt(self, operation, *, resend: bool):
        for attempt in (1, 2):
            conn = self._take() if attempt == 1 else self._new()
            started = time.perf_counter()
            try:
                result = operation(conn)
            except (lx.LDAPException, OSError) as error:
                observe.ldap_operation(self.settings.url, _kind(conn), time.perf_counter() - started,
                                       observe.failure(translate(error)))
                broken = isinstance(translate(error), DirectoryUnavailable)
                if broken:
                    _close_quietly(conn)
                    self._drain()
                    if attempt == 1 and resend:
                        continue
                    if not resend:
                        self._noted(None)      # it may have applied
                        raise WriteOutcomeUnknown(str(error) or type(error).__name__) from error
                else:
                    self._give_back(conn)
                raise translate(error) from error
            observe.ldap_operation(self.settings.url, _kind(conn), time.perf_counter() - started)
            self._noted(conn)
            self._give_back(conn)
            return result
        raise AssertionError("unreachable")

    def _noted(self, conn) -> None:
        """Tell `on_write` when the operation's last exchange was a write (or may have been one)."""
        if self.on_write is not None and (conn is None or (conn.result or {}).get("type") in _WRITE_ANSWERS):
            self.on_write()

    def close(self) -> None:
        self._drain()


_KINDS = {"searchResDone": "search", "modifyResponse": "modify", "addResponse": "add", "delResponse": "delete",
          "modDNResponse": "rename", "extendedResp": "extended", "bindResponse": "bind", "compareResponse": "compare"}


def _kind(conn: ldap3.Connection) -> str:
    """What the operation's last exchange was (a search, a modify...), from ldap3's record of it."""
    return _KINDS.get((conn.result or {}).get("type"), "other")


def _close_quietly(conn: ldap3.Connection) -> None:
    try:
        conn.unbind()
    except Exception:  # noqa: BLE001 - a dead socket may fail to close; nothing to do about it
        pass
