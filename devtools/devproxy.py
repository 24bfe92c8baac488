"""A stand-in for the SSO reverse proxy, for trying support staff's sign-in locally (never in production).

`make sso-proxy` listens on http://127.0.0.1:$SESAME_DEV_SSO_PORT (5001) and forwards everything to the app on
$SESAME_PORT (5000, as `make run`), adding the user header (SESAME_DEV_SSO_USER, default support.lp) and the shared
secret, as CAS/SAML/OIDC in front of Sésame would once the person has signed in there.
"""
from __future__ import annotations

import http.client
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from webapp.config import from_environment

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "host", "content-length"}


def make_handler(upstream_port: int, user: str, secret: str, user_header: str, secret_header: str):
    class Handler(BaseHTTPRequestHandler):
        def _forward(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in HOP_BY_HOP | {user_header.lower(), secret_header.lower()}}
            headers[user_header] = user
            headers[secret_header] = secret
            upstream = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=60)
            upstream.request(self.command, self.path, body=body, headers=headers)
            answer = upstream.getresponse()
            payload = answer.read()
            self.send_response(answer.status, answer.reason)
            for key, value in answer.getheaders():
                if key.lower() not in HOP_BY_HOP:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            upstream.close()

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _forward

    return Handler


def main() -> None:
    config = from_environment()
    secrets_file = Path(os.environ.get("SESAME_INSTANCE", "instance")) / "secrets.json"
    secret = config["SESAME_SSO_SECRET"] or json.loads(secrets_file.read_text())["SESAME_SSO_SECRET"]
    user = os.environ.get("SESAME_DEV_SSO_USER", "support.lp")
    port = int(os.environ.get("SESAME_DEV_SSO_PORT", "5001"))
    upstream = int(os.environ.get("SESAME_PORT", "5000"))
    handler = make_handler(upstream, user, secret, config["SESAME_SSO_USER_HEADER"],
                           config["SESAME_SSO_SECRET_HEADER"])
    print(f"SSO stand-in: open http://127.0.0.1:{port}/connexion/sso to sign in as {user} "
          f"(forwarding to Sésame on port {upstream}: SESAME_PORT, as given to make run)")
    ThreadingHTTPServer(("127.0.0.1", port), handler).serve_forever()


if __name__ == "__main__":
    main()
