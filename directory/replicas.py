"""Reads spread over the consumers, writes on the provider, and read-your-writes between them.

A person who has just changed something is given a *mark*: the provider's contextCSN right after
their change. While no consumer's contextCSN has reached the mark, what they read comes from the
provider; once one has, from that consumer. Others read from the consumers all along and see the
change a moment later. The mark is kept by the caller (the web app keeps it in the session): this
module only says, at the start of a unit of work (a request), where to read, and at its end,
which mark to keep.
"""
from __future__ import annotations

import contextvars
import dataclasses
import threading
import time
from dataclasses import dataclass, field

import ldap3

from .connection import ConnectionPool, DirectorySettings
from .errors import DirectoryUnavailable

CONTEXT_CSN = "contextCSN"
# A consumer that did not answer is left alone this long before it is asked again.
SKIP_SECONDS = 10.0


def _by_server(csns) -> dict[str, str]:
    """contextCSN values by the id of the server that made them (the third field of a CSN,
    `20261201101500.123456Z#000000#000#000000`); CSNs of one server compare as strings."""
    latest: dict[str, str] = {}
    for csn in csns or ():
        parts = str(csn).split("#")
        server = parts[2] if len(parts) > 2 else ""
        if str(csn) > latest.get(server, ""):
            latest[server] = str(csn)
    return latest


def combined(*marks: str | None) -> str | None:
    """One mark holding every change each of `marks` holds (the latest CSN of each server)."""
    latest: dict[str, str] = {}
    for mark in marks:
        for server, csn in _by_server((mark or "").split()).items():
            latest[server] = max(latest.get(server, ""), csn)
    return " ".join(sorted(latest.values())) or None


def has_reached(state: str | None, mark: str | None) -> bool:
    """True when a server whose contextCSN is `state` holds every change up to `mark` (both as kept:
    space-separated CSNs)."""
    if not mark:
        return True
    have = _by_server((state or "").split())
    return all(have.get(server, "") >= csn for server, csn in _by_server(mark.split()).items())


@dataclass
class _Work:
    """What one unit of work (a request) reads from, and whether it wrote."""
    mark: str | None
    consumers: list[ConnectionPool] = field(default_factory=list)   # those that hold the mark
    wrote: bool = False


_current: contextvars.ContextVar[_Work | None] = contextvars.ContextVar("sesame_directory_work", default=None)


def note_write() -> None:
    """Called by the provider's pool after a write: this unit of work now reads from the provider,
    and ends with a new mark."""
    work = _current.get()
    if work is not None:
        work.wrote = True


class Reads:
    """Where reads go: a consumer (in turn, skipping one that stopped answering), the provider when
    there is none, when none answers, or when this unit of work must see a write no consumer has yet.
    Same `run` as a ConnectionPool, so the repository reads through it as through a pool."""

    def __init__(self, settings: DirectorySettings, provider: ConnectionPool):
        self.provider = provider
        self.consumers = [ConnectionPool(dataclasses.replace(settings, url=url, read_urls=()))
                          for url in settings.read_urls]
        self._skipped_until = {id(pool): 0.0 for pool in self.consumers}
        self._turn = 0
        self._lock = threading.Lock()

    # --- a unit of work --------------------------------------------------------------------------

    def begin(self, mark: str | None = None) -> contextvars.Token:
        """Start a unit of work for someone whose last change has `mark` (None: no change pending)."""
        work = _Work(mark)
        if mark and self.consumers:
            work.consumers = [pool for pool in self._answering() if self._holds(pool, mark)]
        return _current.set(work)

    def end(self, token: contextvars.Token) -> str | None:
        """Finish the unit of work; the mark to keep for the next one (None: nothing pending)."""
        work = _current.get()
        _current.reset(token)
        if work is None or not self.consumers:
            return None
        if work.wrote:
            try:
                return self._context_csn(self.provider)
            except DirectoryUnavailable:
                return work.mark    # the write's answer came, the provider went since: keep the old one
        return work.mark if work.mark and not work.consumers else None

    def refresh(self) -> None:
        """Within a unit of work: from now on read from the provider and end with its current mark
        (something this person started elsewhere, a job, has written meanwhile)."""
        work = _current.get()
        if work is not None:
            work.wrote = True

    def pending(self) -> bool:
        """True when this unit of work reads from the provider to see its person's changes."""
        work = _current.get()
        return bool(work and self.consumers and (work.wrote or (work.mark and not work.consumers)))

    # --- reading ---------------------------------------------------------------------------------

    def run(self, operation):
        work = _current.get()
        if not self.consumers:
            return self.provider.run(operation)
        if self.pending():
            try:
                return self.provider.run(operation)
            except DirectoryUnavailable:
                pass    # the provider went: an answer a moment old beats none
        chosen = work.consumers if (work and work.mark and work.consumers and not work.wrote) else self._answering()
        for pool in chosen:
            try:
                return pool.run(operation)
            except DirectoryUnavailable:
                self._skip(pool)
        return self.provider.run(operation)

    def _answering(self) -> list[ConnectionPool]:
        """The consumers not skipped, starting with the next one's turn."""
        now = time.monotonic()
        with self._lock:
            self._turn += 1
            start = self._turn
        count = len(self.consumers)
        ordered = [self.consumers[(start + i) % count] for i in range(count)]
        return [pool for pool in ordered if self._skipped_until[id(pool)] <= now]

    def _skip(self, pool: ConnectionPool) -> None:
        self._skipped_until[id(pool)] = time.monotonic() + SKIP_SECONDS

    def _holds(self, pool: ConnectionPool, mark: str) -> bool:
        try:
            return has_reached(self._context_csn(pool), mark)
        except DirectoryUnavailable:
            return False

    def _context_csn(self, pool: ConnectionPool) -> str:
        """The contextCSN of the server behind `pool`, as kept (space-separated)."""
        suffix = pool.settings.suffix

        def operation(conn):
            conn.search(suffix, "(objectClass=*)", ldap3.BASE, attributes=[CONTEXT_CSN])
            found = [e for e in conn.response if e.get("type") == "searchResEntry"]
            return " ".join(sorted(str(v) for v in (found[0]["attributes"].get(CONTEXT_CSN) or []))) if found else ""
        try:
            return pool.run(operation)
        except DirectoryUnavailable:
            if pool is not self.provider:
                self._skip(pool)
            raise

    def consumer_states(self) -> list[str | None]:
        """Each consumer's contextCSN (None: not answering), for the tests and the curious."""
        states = []
        for pool in self.consumers:
            try:
                states.append(self._context_csn(pool))
            except DirectoryUnavailable:
                states.append(None)
        return states

    def provider_state(self) -> str:
        return self._context_csn(self.provider)

    def close(self) -> None:
        for pool in self.consumers:
            pool.close()
