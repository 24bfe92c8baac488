"""A man in the middle between Sésame and its provider, for the forged-token tests: an HTTP forward proxy that passes
every request on as it is, except the provider's token answer, whose ID token it replaces with what the test
armed it with (a token signed with another key, for another audience, expired, replayed…). Sésame's HTTP client
goes through it while HTTP_PROXY names it (the test sets it for its own duration)."""
from __future__ import annotations

import http.client
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authorization", "te", "trailers",
               "transfer-encoding", "upgrade", "content-length"}


class TamperingProxy:
    def __init__(self):
        self.replace = None            # genuine ID token -> the one Sésame is given; None: pass it on
        self.seen: list[str] = []      # genuine ID tokens the provider answered, in order
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self):
                target = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                upstream = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=30)
                path = target.path + (f"?{target.query}" if target.query else "")
                upstream.request(self.command, path, body=body, headers=headers)
                answer = upstream.getresponse()
                payload = answer.read()
                if target.path.endswith("/oauth2/token") and answer.status == 200:
                    payload = proxy._tampered(payload)
                self.send_response(answer.status, answer.reason)
                for key, value in answer.getheaders():
                    if key.lower() not in _HOP_BY_HOP:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(payload)
                upstream.close()

            do_GET = do_POST = _forward

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def _tampered(self, payload: bytes) -> bytes:
        answer = json.loads(payload)
        if "id_token" in answer:
            self.seen.append(answer["id_token"])
            if self.replace is not None:
                answer["id_token"] = self.replace(answer["id_token"])
                if answer["id_token"] is None:
                    del answer["id_token"]
        return json.dumps(answer).encode()

    def __enter__(self) -> "TamperingProxy":
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
