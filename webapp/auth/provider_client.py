"""The institution's OpenID Connect provider as Sésame's client (Authlib's Flask client), from SESAME_STAFF_OIDC_*:
its discovery read once and checked, and Sésame's own addresses the provider is told."""
from __future__ import annotations

from authlib.integrations.flask_client import OAuth
from flask import current_app, session

SCOPE = "openid profile"
# Sésame's addresses at the provider (registered there as the redirect URI, the post-logout redirect URI and
# the back-channel logout URI), under SESAME_PUBLIC_URL
RETURN_PATH = "/connexion/portail/retour"
SIGNED_OUT_PATH = "/connexion/portail/fin"
BACK_CHANNEL_PATH = "/connexion/portail/deconnexion"
# Signatures Sésame accepts on an ID or logout token: asymmetric only, whatever the provider's discovery lists
# (LemonLDAP::NG lists `none` and HS256 too: a token of `none` is no signature at all, and HS256 is signed with
# the client secret, which Sésame itself knows)
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
LEEWAY = 60                 # seconds of clock difference allowed on a token's times
TIMEOUT = 10                # seconds Sésame waits for the provider (discovery, keys, tokens)
_EXTENSION = "sesame_staff_provider"


class ProviderUnavailable(Exception):
    """The provider did not answer, or answered something that is not its discovery."""


def client_uris(public_url: str) -> dict[str, str]:
    """What the provider is told of Sésame at `public_url` (SESAME_PUBLIC_URL)."""
    base = public_url.rstrip("/")
    return {"redirect_uri": base + RETURN_PATH, "post_logout_uri": base + SIGNED_OUT_PATH,
            "back_channel_uri": base + BACK_CHANNEL_PATH}


def init_app(app) -> None:
    """Registers the provider when SESAME_STAFF_OIDC_ISSUER is set (its discovery is read at the first sign-in)."""
    config = app.config
    issuer = config["SESAME_STAFF_OIDC_ISSUER"].strip()
    if not issuer:
        if str(config["SESAME_STAFF_PASSWORD"]).strip().lower() == "off":
            raise RuntimeError("SESAME_STAFF_PASSWORD=off needs SESAME_STAFF_OIDC_ISSUER: staff would have no way "
                               "to sign in")
        return
    if not config["SESAME_STAFF_OIDC_CLIENT_ID"] or not config["SESAME_STAFF_OIDC_CLIENT_SECRET"]:
        raise RuntimeError("SESAME_STAFF_OIDC_ISSUER is set: set SESAME_STAFF_OIDC_CLIENT_ID and "
                           "SESAME_STAFF_OIDC_CLIENT_SECRET too (what the provider registered Sésame with)")
    oauth = OAuth(app)
    app.extensions[_EXTENSION] = oauth.register(
        "provider", client_id=config["SESAME_STAFF_OIDC_CLIENT_ID"],
        client_secret=config["SESAME_STAFF_OIDC_CLIENT_SECRET"],
        server_metadata_url=issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": SCOPE, "code_challenge_method": "S256", "default_timeout": TIMEOUT})


def configured() -> bool:
    return _EXTENSION in current_app.extensions


def started_here(state: str | None) -> bool:
    """Whether this session started the sign-in that `state` names (asked before anything of the provider)."""
    provider = current_app.extensions[_EXTENSION]
    return bool(state) and provider.framework.get_state_data(session, state) is not None


def client():
    """The provider's Authlib client, its discovery loaded and checked once: it must name the configured issuer
    (OpenID Connect Discovery), and only asymmetric signatures are kept. ProviderUnavailable otherwise."""
    import requests
    provider = current_app.extensions[_EXTENSION]
    try:
        metadata = provider.load_server_metadata()
    except (requests.RequestException, ValueError) as error:
        raise ProviderUnavailable(str(error)) from None
    if not metadata.get("_sesame_checked"):
        issuer = current_app.config["SESAME_STAFF_OIDC_ISSUER"].strip().rstrip("/")
        if str(metadata.get("issuer", "")).rstrip("/") != issuer or not metadata.get("jwks_uri"):
            provider.server_metadata.clear()           # read again next time
            raise ProviderUnavailable(f"the discovery at {issuer} does not name that issuer")
        offered = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        metadata["id_token_signing_alg_values_supported"] = [a for a in offered if a in SIGNING_ALGORITHMS]
        metadata["_sesame_checked"] = True
    return provider


def claims_options(provider) -> dict:
    """What an ID token must say besides its signature: this issuer, for this client (Authlib checks the audience
    only when told to), naming a subject."""
    return {"iss": {"essential": True, "values": [provider.server_metadata["issuer"]]},
            "aud": {"essential": True, "values": [provider.client_id]},
            "sub": {"essential": True}}


def public_url(path: str) -> str:
    return current_app.config["SESAME_PUBLIC_URL"].rstrip("/") + path
