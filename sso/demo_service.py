"""The « service de démonstration »: a school service as the SSO engine sees one, an OpenID Connect client
(Authlib) that signs holders in through LemonLDAP::NG and shows what it was told about them."""
from __future__ import annotations

import secrets
import threading

from authlib.integrations.flask_client import OAuth
from flask import Flask, jsonify, redirect, render_template_string, session, url_for

SCOPE = "openid profile sesame"
# What each released claim means (README « Les services de l'établissement »)
MEANINGS = [
    ("sub", "Numéro de compte : stable pour toujours, jamais redonné"),
    ("preferred_username", "Identifiant (celui du courrier)"),
    ("given_name", "Prénom"), ("family_name", "Nom"), ("name", "Prénom et nom"),
    ("role", "Profil : élève ou responsable"),
    ("etablissements", "Établissement(s) (UAI) : de rattachement, puis des cours partagés ; d'un parent, ceux de ses enfants"),
    ("classe", "Classe (élève)"), ("mef", "MEF (élève)"),
    ("enfants", "Numéros de compte des enfants (responsable)"),
]

PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Service de démonstration</title>
<style>body{font-family:sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse}td,th{border:1px solid #999;padding:.3rem .6rem;text-align:left}
a.button{display:inline-block;background:#000091;color:#fff;padding:.6rem 1rem;text-decoration:none}</style></head>
<body><h1>Service de démonstration</h1>
{% if claims %}
<p>Bonjour {{ claims.get('given_name', '') }} {{ claims.get('family_name', '') }} : vous êtes connecté au service
avec votre compte de l'établissement.</p>
<h2>Ce que le service a reçu</h2>
<table><thead><tr><th>Information</th><th>Signification</th><th>Valeur</th></tr></thead><tbody>
{% for name, meaning in meanings %}<tr><td><code>{{ name }}</code></td><td>{{ meaning }}</td>
<td>{{ value(claims.get(name)) }}</td></tr>{% endfor %}
</tbody></table>
<p><a href="{{ url_for('sign_out') }}">Se déconnecter du service</a></p>
{% else %}
<p>Ce service de démonstration tient la place d'un service numérique de l'établissement (ENT, Moodle…). Il
vous connecte avec le compte de votre courrier, par le service d'authentification de l'établissement.</p>
<p><a class="button" href="{{ url_for('sign_in') }}">Se connecter avec mon compte de l'établissement</a></p>
{% endif %}
</body></html>"""


def create_app(portal_url: str, client_id: str, client_secret: str) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY=secrets.token_urlsafe(32), SESSION_COOKIE_NAME="service_demo",
                      SESSION_COOKIE_SAMESITE="Lax")
    oauth = OAuth(app)
    oauth.register("sesame", client_id=client_id, client_secret=client_secret,
                   server_metadata_url=f"{portal_url.rstrip('/')}/.well-known/openid-configuration",
                   client_kwargs={"scope": SCOPE})

    def value(claim):
        if claim is None or claim == [] or claim == "":
            return "—"
        return ", ".join(claim) if isinstance(claim, list) else claim

    @app.route("/")
    def home():
        return render_template_string(PAGE, claims=session.get("claims"), meanings=MEANINGS, value=value)

    @app.route("/connexion")
    def sign_in():
        return oauth.sesame.authorize_redirect(url_for("back", _external=True))

    @app.route("/retour")
    def back():
        token = oauth.sesame.authorize_access_token()          # the ID token's signature and nonce checked
        claims = dict(token.get("userinfo") or {})
        claims.update(oauth.sesame.userinfo(token=token))      # the claims of the scopes asked
        session.clear()
        session["claims"] = claims
        return redirect(url_for("home"))

    @app.route("/moi.json")
    def me():
        return jsonify(session.get("claims") or {})

    @app.route("/deconnexion")
    def sign_out():
        session.clear()
        return redirect(url_for("home"))

    return app


class DemoService:
    """The demo service served on loopback by a thread of this process (werkzeug's threaded server)."""

    def __init__(self, portal_url: str, client_id: str, client_secret: str, port: int, host: str = "127.0.0.1"):
        from werkzeug.serving import make_server
        self.url = f"http://{host}:{port}/"
        self.redirect_uri = f"{self.url}retour"
        self.server = make_server(host, port, create_app(portal_url, client_id, client_secret), threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "DemoService":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
