"""Requests too large are refused by Sésame itself, in French and with the security headers, under
gunicorn's own limits; HSTS when set."""
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support import worker_environment
from devtools.slapd import free_port, terminate

ROOT = Path(__file__).resolve().parents[2]


def test_a_too_long_address_gets_a_french_414_with_the_headers(client):
    answer = client.get("/connexion?q=" + "a" * 5000)
    assert answer.status_code == 414
    assert "Adresse trop longue" in answer.get_data(as_text=True)
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]


def test_a_too_large_header_gets_a_french_431_with_the_headers(client):
    answer = client.get("/connexion", headers={"X-Padding": "a" * 9000})
    assert answer.status_code == 431
    assert "Requête trop volumineuse" in answer.get_data(as_text=True)
    assert answer.headers["X-Frame-Options"] == "DENY"


def test_hsts_only_when_set(app, client):
    assert "Strict-Transport-Security" not in client.get("/connexion").headers
    app.config["SESAME_HSTS_SECONDS"] = 31536000
    assert client.get("/connexion").headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def _raw_get(port: int, target: str, headers: str = "") -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}Connection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


@pytest.fixture
def gunicorn(app_config, demo_directory):
    """The Procfile's web command, on a free port."""
    web = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    port = free_port()
    args = [a.replace("${PORT:-5000}", str(port)) for a in shlex.split(web[len("web:"):])]
    if "--workers" in args:
        args[args.index("--workers") + 1] = "1"     # one is enough here: the machine is shared
    process = subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, env=worker_environment(app_config),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    yield port
    terminate(process)


def test_behind_gunicorn_the_answers_are_sesame_s_own(gunicorn):
    long_uri = _raw_get(gunicorn, "/connexion?q=" + "a" * 5000)
    assert long_uri.startswith(b"HTTP/1.1 414") and "Adresse trop longue".encode() in long_uri
    assert b"Content-Security-Policy" in long_uri
    big_header = _raw_get(gunicorn, "/connexion", f"X-Padding: {'a' * 9000}\r\n")
    assert big_header.startswith(b"HTTP/1.1 431") and b"Content-Security-Policy" in big_header
