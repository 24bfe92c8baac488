"""A TCP proxy in front of slapd that can lose the answer to a modify, as a broken network does, or hold
every answer back for a while, as a slow link does."""
from __future__ import annotations

import socket
import threading

MODIFY_REQUEST = 0x66           # [APPLICATION 6]: a modify
MODIFY_RESPONSE = 0x67          # [APPLICATION 7]: slapd's answer to a modify
ADD_REQUEST = 0x68              # [APPLICATION 8]: an add


def _read_message(sock: socket.socket) -> bytes | None:
    """One whole LDAPMessage (BER: SEQUENCE tag, length, content), or None once the peer closed."""
    def exactly(n: int) -> bytes | None:
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                return None
            data += chunk
        return data
    head = exactly(2)
    if head is None:
        return None
    length, extra = head[1], b""
    if length & 0x80:
        extra = exactly(length & 0x7F)
        if extra is None:
            return None
        length = int.from_bytes(extra, "big")
    body = exactly(length)
    return None if body is None else head + extra + body


def _length(data: bytes, index: int) -> tuple[int, int]:
    """A BER length at `index`: (length, index of the content)."""
    first = data[index]
    if not first & 0x80:
        return first, index + 1
    count = first & 0x7F
    return int.from_bytes(data[index + 1:index + 1 + count], "big"), index + 1 + count


def _operation(message: bytes) -> tuple[int, int]:
    """The protocolOp tag of an LDAPMessage (after the SEQUENCE header and the messageID), and
    where its content starts."""
    _, index = _length(message, 1)
    id_length, index = _length(message, index + 1)
    tag = message[index + id_length]
    _, content = _length(message, index + id_length + 1)
    return tag, content


def _message_id(message: bytes) -> int:
    _, index = _length(message, 1)
    id_length, start = _length(message, index + 1)
    return int.from_bytes(message[start:start + id_length], "big")


def _result_code(message: bytes) -> int:
    """The resultCode of an answer (the ENUMERATED that opens its LDAPResult)."""
    _, content = _operation(message)
    return message[content + 2]


def _modified_dn(message: bytes) -> str | None:
    tag, _ = _operation(message)
    return _written_dn(message) if tag == MODIFY_REQUEST else None


def _written_dn(message: bytes) -> str | None:
    """The DN a modify or an add names (their first element, an OCTET STRING)."""
    tag, content = _operation(message)
    if tag not in (MODIFY_REQUEST, ADD_REQUEST):
        return None
    length, start = _length(message, content + 1)
    return message[start:start + length].decode("utf-8")


class LdapProxy:
    """Listens on a free loopback port and forwards to slapd. `lose(n)` is asked for the n-th answer
    to a modify (counting from 1, over every connection): when it says yes, the proxy closes both
    sides instead of passing the answer on — slapd has applied the modify, the client never hears."""

    def __init__(self, upstream_port: int, lose=lambda n: False, before_add=None):
        self.upstream_port = upstream_port
        self.lose = lose
        # `before_add(dn)`, asked before an add goes to slapd: when it says yes, the add is never sent and both
        # sides are closed (it may have stopped slapd meanwhile, as a machine that dies between two writes)
        self.before_add = before_add
        self.modify_answers = 0
        self.lost = 0
        self.modifies: dict[str, int] = {}      # modify requests per entry
        self.applied: dict[str, int] = {}       # modifies slapd answered « success » per entry
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._closing = False
        self._flowing = threading.Event()
        self._flowing.set()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._closing:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError:
                client.close()
                continue
            pending: dict[int, str] = {}      # this connection's modifies awaiting their answer
            threading.Thread(target=self._requests, args=(client, server, pending), daemon=True).start()
            threading.Thread(target=self._answers, args=(server, client, pending), daemon=True).start()

    def _requests(self, client: socket.socket, server: socket.socket, pending: dict) -> None:
        try:
            while (message := _read_message(client)) is not None:
                if self.before_add is not None and _operation(message)[0] == ADD_REQUEST and \
                        self.before_add(_written_dn(message)):
                    return
                dn = _modified_dn(message)
                if dn is not None:
                    with self._lock:
                        self.modifies[dn] = self.modifies.get(dn, 0) + 1
                        pending[_message_id(message)] = dn
                server.sendall(message)
        except OSError:
            pass
        finally:
            _close(client, server)

    def _answers(self, server: socket.socket, client: socket.socket, pending: dict) -> None:
        try:
            while (message := _read_message(server)) is not None:
                if _operation(message)[0] == MODIFY_RESPONSE:
                    with self._lock:
                        dn = pending.pop(_message_id(message), None)
                        if dn is not None and _result_code(message) == 0:
                            self.applied[dn] = self.applied.get(dn, 0) + 1
                        self.modify_answers += 1
                        drop = self.lose(self.modify_answers)
                        self.lost += drop
                    if drop:
                        return
                self._flowing.wait()
                client.sendall(message)
        except OSError:
            pass
        finally:
            _close(server, client)

    def hold(self) -> None:
        """Keep slapd's answers here from now on: the client waits, as behind a stalled link."""
        self._flowing.clear()

    def release(self) -> None:
        """Pass on what was held, and everything after it."""
        self._flowing.set()

    def close(self) -> None:
        self._closing = True
        self._flowing.set()
        self._listener.close()


def _close(*sockets: socket.socket) -> None:
    for sock in sockets:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()
