"""LemonLDAP::NG's configuration for Sésame's directory: the lmConf, the local ini and nginx's server block."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from directory.migrations import sso_dn

DEPLOY = Path(__file__).resolve().parent.parent / "deploy" / "lemonldap"
PLUGIN_LIB = DEPLOY / "lib"                 # Sesame::LemonLDAP::FirstSignIn (PERL5LIB)
SKIN = DEPLOY / "skin" / "sesame"           # the portal's French words for Sésame's rules
# Sésame's plugins: a holder's first sign-in asks what Sésame asks; back-channel logout, which 2.16 does not send
PLUGINS = ("Sesame::LemonLDAP::FirstSignIn", "Sesame::LemonLDAP::BackChannelLogout")
DEBIAN_TEMPLATES = Path("/usr/share/lemonldap-ng/portal/templates")
DEBIAN_HTDOCS = Path("/usr/share/lemonldap-ng/portal/htdocs")
DEBIAN_JAVASCRIPT = Path("/usr/share/javascript")

# What a service is told about a holder: claim -> the session variable it comes from (README « Les services
# de l'établissement »). `sub` is the account id: stable for life, never given again, and what a parent's
# `enfants` name.
PROFILE_CLAIMS = {"name": "cn", "family_name": "sn", "given_name": "givenName", "preferred_username": "uid"}
SESAME_CLAIMS = {"role": "role", "etablissements": "etablissements;string;always", "classe": "classe",
                 "mef": "mef", "enfants": "enfants;string;always"}
SESAME_SCOPE = "sesame"
# The directory's attributes the engine reads (migration 0023 lets it read these and nothing else).
LDAP_VARIABLES = {"uid": "uid", "cn": "cn", "sn": "sn", "givenName": "givenName", "accountId": "sesameAccountId",
                  "uai": "sesameUAI", "externalUai": "sesameExternalUAI", "classe": "sesameClass",
                  "mef": "sesameMef", "children": "sesameChild"}
# Computed in the engine's Safe jail from those (multiple values are joined with "; ").
MACROS = {
    "role": '$_dn =~ /,ou=students,/i ? "élève" : "responsable"',
    "etablissements": 'join("; ", grep { $_ ne "" } split(/; /, $uai), split(/; /, $externalUai))',
    "enfants": 'join("; ", map { /^sesameAccountId=([0-9a-f]+),/i ? $1 : () } split(/; /, $children))',
}
# Who may sign in to what (rules of the engine, on the session's DN): the school's services are the holders'
# (students, parents); Sésame, and the part of it behind the engine's handler, are the staff's.
HOLDERS_ONLY = '$_dn !~ /,ou=staff,/i'
STAFF_ONLY = '$_dn =~ /,ou=staff,/i'
# The authentication level a sign-in reaches with its second factor (TOTP at the engine; a password alone is
# LDAP's 2): the ID token's `acr` says `loa-5`, and the handler asks for it in front of Sésame.
SECOND_FACTOR_LEVEL = 5
# What Sésame, as the staff's OpenID Connect client, is told: who (the directory's uid) and how the person signed
# in — `amr` (RFC 8176): `pwd`, plus `otp` and `mfa` once the second factor was given (`_2f` is the engine's
# record of it in the session). Released in the ID token itself (signed), under the `profile` scope.
STAFF_CLAIMS = {"preferred_username": "uid", "name": "cn", "given_name": "givenName", "family_name": "sn",
                "amr": "amr;string;always"}
STAFF_MACROS = {"amr": '$_2f ? "pwd; otp; mfa" : "pwd"'}
# Whom the engine signs in: holders (sesameAccount) and staff (sesameStaff), found by identifier.
PEOPLE_FILTER = "(&(uid=$user)(|(objectClass=sesameAccount)(objectClass=sesameStaff)))"
# SAML: attribute name -> (session variable, friendly name); CAS releases the same names.
SAML_ATTRIBUTES = {"uid": "uid", "sn": "sn", "givenName": "givenName", "cn": "cn", "sesameAccountId": "accountId",
                   "role": "role", "etablissements": "etablissements", "classe": "classe", "mef": "mef",
                   "enfants": "enfants"}


@dataclass(frozen=True)
class OidcService:
    """A school service that signs holders in with OpenID Connect (authorization code flow)."""
    key: str                        # the engine's name for it: letters and digits
    name: str                       # shown to people
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uris: tuple[str, ...] = ()


@dataclass(frozen=True)
class SamlService:
    """A SAML 2 service provider, from its metadata."""
    key: str
    metadata_xml: str


@dataclass(frozen=True)
class CasService:
    """A CAS service, by the address it gives as `service`."""
    key: str
    service_url: str


@dataclass(frozen=True)
class StaffConsole:
    """Sésame itself as the engine's OpenID Connect client for staff (issue 28): authorization code flow with
    PKCE; after the engine's logout, Sésame's back-channel logout address is sent a logout token."""
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str = ""          # Sésame's /connexion/portail/retour
    post_logout_uri: str = ""       # where the engine's logout sends the browser back
    back_channel_uri: str = ""      # where the engine posts the logout token
    key: str = "sesame"


@dataclass(frozen=True)
class GuardedConsole:
    """Sésame behind the engine's handler (nginx `auth_request`): the person signs in at the portal with their
    second factor, and nginx tells Sésame who they are in a header it sets itself (support staff's sign-in)."""
    host: str                       # the name people reach Sésame at, behind the handler (no port)
    upstream: str                   # where nginx forwards to Sésame: http://127.0.0.1:8000
    secret: str = field(repr=False)  # SESAME_SSO_SECRET, which nginx adds beside the person's identifier
    listen: str = "127.0.0.1:8081"  # nginx's `listen` for that server block (behind a TLS front in production)
    user_header: str = "X-Remote-User"
    secret_header: str = "X-Sesame-Proxy-Secret"


@dataclass(frozen=True)
class EngineSettings:
    portal_url: str                 # where holders reach the engine, ending with "/"
    ldap_url: str                   # the directory's provider: binds and password changes go there
    suffix: str
    sso_password: str = field(repr=False)
    signing_key_pem: str = field(repr=False)     # RSA: OIDC tokens and SAML assertions
    signing_cert_pem: str = ""
    sesame_url: str = ""            # the holders' own space in Sésame (e-mail address, recovery)
    services: tuple = ()            # OidcService | SamlService | CasService
    min_length: int = 8             # the directory's pwdMinLength, which Sésame's page also applies
    secure_cookies: bool = False
    session_hours: int = 8
    idle_minutes: int = 30
    staff_console: StaffConsole | None = None        # Sésame, signing staff in with OpenID Connect
    guarded_console: GuardedConsole | None = None    # Sésame behind the engine's handler
    # the portal's cookie goes to this domain and its hosts ("": the portal's own host only); the handler in front
    # of Sésame must receive it: its host under this domain (auth.example.org and sesame.example.org: example.org)
    cookie_domain: str = ""


@dataclass(frozen=True)
class EnginePaths:
    """Where the engine keeps its files (a private folder for tests and `make sso`; /var/lib in production)."""
    conf: Path
    sessions: Path
    cache: Path
    templates: Path                 # holds the skins: Debian's bootstrap and Sésame's own

    @classmethod
    def under(cls, root: Path) -> "EnginePaths":
        return cls(root / "conf", root / "sessions", root / "cache", root / "templates")


def lmconf(settings: EngineSettings, paths: EnginePaths, number: int = 1) -> dict:
    """The engine's whole configuration (lmConf-N.json); what is left out takes LemonLDAP::NG's defaults."""
    issuer = settings.portal_url.rstrip("/")
    conf = {
        "cfgNum": number, "cfgAuthor": "Sésame", "cfgDate": str(int(time.time())), "cfgVersion": "2.16.1",
        "cfgLog": "generated by sso/lemonldap.py",
        "portal": settings.portal_url, "domain": settings.cookie_domain or _host(settings.portal_url), "cookieName": "llngsesame", "securedCookie": int(settings.secure_cookies),
        "httpOnly": 1, "sameSite": "Lax", "timeout": settings.session_hours * 3600,
        "timeoutActivity": settings.idle_minutes * 60,
        "globalStorage": "Apache::Session::File",
        "globalStorageOptions": {"Directory": str(paths.sessions), "LockDirectory": str(paths.sessions / "lock"),
                                 "generateModule": "Lemonldap::NG::Common::Apache::Session::Generate::SHA256"},
        "localSessionStorage": "Cache::FileCache",
        "localSessionStorageOptions": {"cache_root": str(paths.cache), "cache_depth": 3, "default_expires_in": 600,
                                       "directory_umask": "007", "namespace": "lemonldap-ng-sessions"},
        # persistent sessions keep each person's registered second factors (`_2fDevices`), nothing else
        "disablePersistentStorage": 0, "loginHistoryEnabled": 0, "notification": 0, "portalCheckLogins": 0,
        # The directory counts failures (ppolicy): one lock whatever the door; no second count here.
        "bruteForceProtection": 0,
        # Holders (students, parents) and staff sign in (staff for Sésame only: each service's rule says whose it is)
        "authentication": "LDAP", "userDB": "Same", "passwordDB": "LDAP", "registerDB": "Null",
        "ldapServer": settings.ldap_url, "ldapBase": settings.suffix, "managerDn": sso_dn(settings.suffix),
        "managerPassword": settings.sso_password, "ldapTimeout": 10, "ldapVersion": 3, "ldapPwdEnc": "utf-8",
        "AuthLDAPFilter": PEOPLE_FILTER, "mailLDAPFilter": PEOPLE_FILTER,
        # ppolicy: a provisional password (pwdReset) must be changed first, a lock is said as such; the change
        # is made by the holder's own connection with the password-modify operation (slapd hashes it, argon2)
        "ldapPpolicyControl": 1, "ldapSetPassword": 1, "ldapChangePasswordAsUser": 1,
        "ldapUsePasswordResetAttribute": 0, "ldapAllowResetExpiredPassword": 0, "portalRequireOldPassword": 1,
        "hideOldPassword": 1, "passwordPolicyActivation": 1, "passwordPolicyMinSize": settings.min_length,
        "portalDisplayPasswordPolicy": 1, "portalDisplayResetPassword": 0, "portalDisplayRegister": 0,
        "portalDisplayChangePassword": "$_auth eq 'LDAP'", "portalDisplayGeneratePassword": 0,
        "portalDisplayAppslist": 0, "portalDisplayLoginHistory": 0, "portalDisplayOrder": "ChangePassword Logout",
        "ldapExportedVars": dict(LDAP_VARIABLES), "exportedVars": {}, "macros": dict(MACROS), "groups": {},
        "whatToTrace": "uid", "multiValuesSeparator": "; ",
        "portalSkin": "sesame", "requireToken": 1, "formTimeout": 900,
        "customPlugins": " ".join(PLUGINS), "captcha": "Sesame::LemonLDAP::NoCaptcha", "captcha_login_enabled": 0,
        "captcha_mail_enabled": 0, "captcha_register_enabled": 0,
        "customPluginsParams": {"sesameMinLength": str(settings.min_length), "sesameUrl": settings.sesame_url},
        "locationRules": {}, "exportedHeaders": {}, "vhostOptions": {}, "applicationList": {},
        # The second factor: TOTP, asked of whoever has a registered one (`has2f("TOTP")`). Registered by the
        # académie (`SsoEngine.register_totp`), never by the person at the portal: a stolen password must not be
        # able to register a second factor of its own.
        "totp2fActivation": 1, "totp2fSelfRegistration": 0, "totp2fUserCanRemoveKey": 0,
        "totp2fAuthnLevel": SECOND_FACTOR_LEVEL, "totp2fDigits": 6, "totp2fInterval": 30, "totp2fRange": 1,
        # OpenID Connect provider: the authorization code flow only, claims by scope
        "issuerDBOpenIDConnectActivation": 1, "oidcServiceMetaDataIssuer": issuer,
        "oidcServicePrivateKeySig": settings.signing_key_pem, "oidcServicePublicKeySig": public_key_pem(settings),
        "oidcServiceKeyIdSig": key_id(settings), "oidcServiceAllowAuthorizationCodeFlow": 1,
        "oidcServiceAllowImplicitFlow": 0, "oidcServiceAllowHybridFlow": 0, "oidcServiceAllowDynamicRegistration": 0,
        "oidcServiceIgnoreScopeForClaims": 0, "oidcServiceAllowOnlyDeclaredScopes": 1,
        "oidcRPMetaDataOptions": {}, "oidcRPMetaDataExportedVars": {}, "oidcRPMetaDataOptionsExtraClaims": {},
        "oidcRPMetaDataMacros": {},
        # SAML 2 identity provider and CAS server, for the services that speak them
        "issuerDBSAMLActivation": int(any(isinstance(s, SamlService) for s in settings.services)),
        "samlEntityID": f"{issuer}/saml/metadata", "samlOrganizationName": "Sésame",
        "samlOrganizationDisplayName": "Sésame", "samlOrganizationURL": settings.portal_url,
        "samlServicePrivateKeySig": settings.signing_key_pem,
        "samlServicePublicKeySig": settings.signing_cert_pem or public_key_pem(settings),
        "samlSPMetaDataXML": {}, "samlSPMetaDataExportedAttributes": {}, "samlSPMetaDataOptions": {},
        "issuerDBCASActivation": int(any(isinstance(s, CasService) for s in settings.services)),
        "casAccessControlPolicy": "error", "casAppMetaDataOptions": {}, "casAppMetaDataExportedVars": {},
    }
    for service in settings.services:
        if isinstance(service, OidcService):
            conf["oidcRPMetaDataOptions"][service.key] = {
                "oidcRPMetaDataOptionsClientID": service.client_id,
                "oidcRPMetaDataOptionsClientSecret": service.client_secret,
                "oidcRPMetaDataOptionsRedirectUris": " ".join(service.redirect_uris),
                "oidcRPMetaDataOptionsDisplayName": service.name,
                "oidcRPMetaDataOptionsBypassConsent": 1, "oidcRPMetaDataOptionsIDTokenSignAlg": "RS256",
                "oidcRPMetaDataOptionsUserIDAttr": "accountId", "oidcRPMetaDataOptionsPublic": 0,
                "oidcRPMetaDataOptionsRequirePKCE": 0, "oidcRPMetaDataOptionsIDTokenForceClaims": 0,
                "oidcRPMetaDataOptionsAccessTokenExpiration": 600, "oidcRPMetaDataOptionsRefreshToken": 0,
                "oidcRPMetaDataOptionsRule": HOLDERS_ONLY,
            }
            conf["oidcRPMetaDataExportedVars"][service.key] = {**PROFILE_CLAIMS, **SESAME_CLAIMS}
            conf["oidcRPMetaDataOptionsExtraClaims"][service.key] = {SESAME_SCOPE: " ".join(SESAME_CLAIMS)}
        elif isinstance(service, SamlService):
            conf["samlSPMetaDataXML"][service.key] = {"samlSPMetaDataXML": service.metadata_xml}
            # session variable -> "mandatory;name;format;friendly name"
            conf["samlSPMetaDataExportedAttributes"][service.key] = {
                variable: f"0;{name};urn:oasis:names:tc:SAML:2.0:attrname-format:basic;{name}"
                for name, variable in SAML_ATTRIBUTES.items()}
            conf["samlSPMetaDataOptions"][service.key] = {
                "samlSPMetaDataOptionsNameIDFormat": "persistent", "samlSPMetaDataOptionsSignSSOMessage": 1,
                "samlSPMetaDataOptionsCheckSSOMessageSignature": 0, "samlSPMetaDataOptionsEnableIDPInitiatedURL": 0,
                "samlSPMetaDataOptionsRule": HOLDERS_ONLY}
        elif isinstance(service, CasService):
            conf["casAppMetaDataOptions"][service.key] = {"casAppMetaDataOptionsService": service.service_url,
                                                          "casAppMetaDataOptionsRule": HOLDERS_ONLY}
            conf["casAppMetaDataExportedVars"][service.key] = dict(SAML_ATTRIBUTES)
    if settings.staff_console:
        _staff_console(conf, settings.staff_console)
    if settings.guarded_console:
        _guarded_console(conf, settings.guarded_console)
    return conf


def _staff_console(conf: dict, console: StaffConsole) -> None:
    """Sésame as the staff's OpenID Connect client: PKCE required, staff only, who and `amr` in the signed ID
    token; its logout sends the browser back without asking, and ends Sésame's session by the back channel."""
    conf["oidcRPMetaDataOptions"][console.key] = {
        "oidcRPMetaDataOptionsClientID": console.client_id,
        "oidcRPMetaDataOptionsClientSecret": console.client_secret,
        "oidcRPMetaDataOptionsRedirectUris": console.redirect_uri,
        "oidcRPMetaDataOptionsDisplayName": "Sésame", "oidcRPMetaDataOptionsBypassConsent": 1,
        "oidcRPMetaDataOptionsIDTokenSignAlg": "RS256", "oidcRPMetaDataOptionsUserIDAttr": "uid",
        "oidcRPMetaDataOptionsPublic": 0, "oidcRPMetaDataOptionsRequirePKCE": 1,
        "oidcRPMetaDataOptionsIDTokenForceClaims": 1, "oidcRPMetaDataOptionsIDTokenExpiration": 300,
        "oidcRPMetaDataOptionsAccessTokenExpiration": 300, "oidcRPMetaDataOptionsRefreshToken": 0,
        "oidcRPMetaDataOptionsRule": STAFF_ONLY,
        "oidcRPMetaDataOptionsPostLogoutRedirectUris": console.post_logout_uri,
        "oidcRPMetaDataOptionsLogoutBypassConfirm": 1,
        # `back`: the engine itself (2.16) leaves it aside; Sesame::LemonLDAP::BackChannelLogout sends it
        "oidcRPMetaDataOptionsLogoutType": "back", "oidcRPMetaDataOptionsLogoutUrl": console.back_channel_uri,
        "oidcRPMetaDataOptionsLogoutSessionRequired": 0,
    }
    conf["oidcRPMetaDataExportedVars"][console.key] = dict(STAFF_CLAIMS)
    conf["oidcRPMetaDataOptionsExtraClaims"][console.key] = {"profile": " ".join(STAFF_CLAIMS)}
    conf["oidcRPMetaDataMacros"][console.key] = dict(STAFF_MACROS)


def _guarded_console(conf: dict, console: GuardedConsole) -> None:
    """The handler in front of Sésame: staff only, with their second factor; it names the person to nginx,
    which hands the name to Sésame in `user_header` (nginx's server block: `guarded_server`)."""
    if console.host == _host(conf["portal"]):
        raise ValueError(f"Sésame behind the handler needs a name of its own: {console.host} is the portal's (the "
                         "handler would apply Sésame's rules to the portal's pages)")
    if not (console.host == conf["domain"] or console.host.endswith("." + conf["domain"])):
        raise ValueError(f"{console.host} is not under the portal's cookie domain {conf['domain']}: the handler "
                         "would never see the portal's session (set the cookie domain to their common parent)")
    conf["locationRules"][console.host] = {"default": STAFF_ONLY}
    conf["exportedHeaders"][console.host] = {console.user_header: "$uid"}
    conf["vhostOptions"][console.host] = {"vhostAuthnLevel": SECOND_FACTOR_LEVEL, "vhostPort": -1, "vhostHttps": -1,
                                          "vhostMaintenance": 0, "vhostAliases": "", "vhostType": "Main"}


def _host(url: str) -> str:
    """The cookie's domain: the portal's own host (its cookie goes to no other name)."""
    from urllib.parse import urlsplit
    return urlsplit(url).hostname or ""


def public_key_pem(settings: EngineSettings) -> str:
    from cryptography.hazmat.primitives import serialization
    key = serialization.load_pem_private_key(settings.signing_key_pem.encode(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def key_id(settings: EngineSettings) -> str:
    """The signing key's id in tokens and the JWKS: from the key itself, so that a client that kept the previous
    key's set fetches the new one (a new `kid`) rather than refusing every token signed with it."""
    import hashlib
    return "sesame-" + hashlib.sha256(public_key_pem(settings).encode()).hexdigest()[:16]


def signing_pair(common_name: str = "Sésame SSO") -> tuple[str, str]:
    """A new RSA key and a self-signed certificate for it (ten years): (key PEM, certificate PEM)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650)).sign(key, hashes.SHA256()))
    return (key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()).decode(),
            cert.public_bytes(serialization.Encoding.PEM).decode())


def ini(paths: EnginePaths, log_level: str = "warn") -> str:
    """lemonldap-ng.ini: where the configuration is kept (a File store), the templates, the logs (standard error)."""
    return f"""\
[all]
logLevel = {log_level}
logger = Lemonldap::NG::Common::Logger::Std
userLogger = Lemonldap::NG::Common::Logger::Std
checkTime = 1

[configuration]
type = File
dirName = {paths.conf}
localStorage = Cache::FileCache
localStorageOptions = {{ 'namespace' => 'lemonldap-ng-config', 'default_expires_in' => 600, \\
    'directory_umask' => '007', 'cache_root' => '{paths.cache}', 'cache_depth' => 3 }}

[portal]
staticPrefix = /static
templateDir = {paths.templates}
languages = fr

[handler]
status = 0
"""


def nginx_server(listen: str, server_name: str, fastcgi_socket: Path) -> str:
    """The portal's server block: static files from Debian's package, everything else to the FastCGI server."""
    return f"""\
server {{
    listen {listen};
    server_name {server_name};
    root {DEBIAN_HTDOCS};
    if ($uri !~ ^/((static|javascript|favicon).*|.*\\.psgi)) {{
        rewrite ^/(.*)$ /index.psgi/$1 break;
    }}
    location ~ ^(?<sc>/.*\\.psgi)(?:$|/) {{
        include /etc/nginx/fastcgi_params;
        fastcgi_pass unix:{fastcgi_socket};
        fastcgi_param HTTP_HOST $http_host;
        fastcgi_param LLTYPE psgi;
        fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
        fastcgi_split_path_info ^(.*\\.psgi)(/.*)$;
        fastcgi_param PATH_INFO $fastcgi_path_info;
        # the engine's administration interfaces stay closed
        location ~ ^/index.psgi/(adminSessions|proxy|sessions|config|notification) {{
            deny all;
        }}
    }}
    # Sésame's skin uses the package's own stylesheets and scripts
    location /static/sesame/ {{
        alias {DEBIAN_HTDOCS}/static/bootstrap/;
    }}
    location /static/ {{
        alias {DEBIAN_HTDOCS}/static/;
    }}
    location /javascript/ {{
        alias {DEBIAN_JAVASCRIPT}/;
    }}
}}
"""


# What nginx answers itself when the handler refuses (a holder, or a person the rule leaves out): in French.
_REFUSED_PAGE = ("<!doctype html><html lang=fr><meta charset=utf-8><title>Accès refusé</title>"
                 "<h1>Accès refusé</h1><p>Votre compte ne donne pas accès à Sésame. Adressez-vous au support de "
                 "votre académie.</p></html>")


def guarded_server(listen: str, console: GuardedConsole, fastcgi_socket: Path) -> str:
    """nginx's server block for Sésame behind the engine's handler: every request is first asked of the
    handler (`auth_request`), which sends a person without a session (or without their second factor) to the
    portal; then forwarded to Sésame with the person's identifier in `user_header` and the shared secret, both
    set by nginx — whatever a client sent under those names (or with `_` for `-`) never reaches Sésame."""
    user_variable = "$upstream_http_" + console.user_header.lower().replace("-", "_")
    return f"""\
server {{
    listen {listen};
    server_name {console.host};
    # a header whose name has `_` is dropped (the default, said here): it would reach Sésame as the same name
    underscores_in_headers off;
    ignore_invalid_headers on;
    location = /lmauth {{
        internal;
        include /etc/nginx/fastcgi_params;
        fastcgi_pass unix:{fastcgi_socket};
        fastcgi_pass_request_body off;
        fastcgi_param CONTENT_LENGTH "";
        fastcgi_param HTTP_HOST $http_host;
        fastcgi_param X_ORIGINAL_URI $original_uri;
    }}
    location @refused {{
        default_type "text/html; charset=utf-8";
        return 403 '{_REFUSED_PAGE}';
    }}
    location / {{
        set $original_uri $uri$is_args$args;
        auth_request /lmauth;
        auth_request_set $lmlocation $upstream_http_location;
        auth_request_set $sesame_user {user_variable};
        auth_request_set $lmcookie $upstream_http_cookie;
        error_page 401 $lmlocation;
        error_page 403 = @refused;
        proxy_set_header {console.user_header} $sesame_user;
        proxy_set_header {console.secret_header} "{console.secret}";
        # the engine's own cookie stays with the engine
        proxy_set_header Cookie $lmcookie;
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_pass {console.upstream};
    }}
}}
"""


def totp_device(uid: str, secret: str, name: str = "Application d'authentification") -> tuple[str, str]:
    """(file name, content) of `uid`'s persistent session holding one TOTP key, as LemonLDAP::NG's File store
    keeps it (JSON, named by the MD5 of the identifier; `_2fDevices` is itself JSON)."""
    import hashlib
    now = int(time.time())
    key = hashlib.md5(uid.encode()).hexdigest()
    devices = [{"type": "TOTP", "name": name, "_secret": secret, "epoch": now}]
    return key, json.dumps({"_session_id": key, "_session_kind": "Persistent", "_session_uid": uid, "_utime": now,
                            "_2fDevices": json.dumps(devices)})


def write_conf(settings: EngineSettings, paths: EnginePaths) -> Path:
    """The configuration as LemonLDAP::NG's File store keeps it: one lmConf-1.json, readable by the engine only."""
    paths.conf.mkdir(parents=True, exist_ok=True)
    path = paths.conf / "lmConf-1.json"
    path.write_text(json.dumps(lmconf(settings, paths), indent=1, ensure_ascii=False), encoding="utf-8")
    path.chmod(0o640)
    return path
