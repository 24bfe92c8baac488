"""Settings: defaults in code, overridden by SESAME_* environment variables."""
from __future__ import annotations

import base64
import os

# name: (default, parser). Every setting is documented in the README.
_INT = int
_STR = str


def _list(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def _bool(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


SETTINGS = {
    "SECRET_KEY": (None, _STR),
    "LDAP_URL": ("", _STR),
    "LDAP_READ_URLS": ((), _list),
    "LDAP_SUFFIX": ("dc=sesame,dc=local", _STR),
    "LDAP_BIND_DN": ("", _STR),                  # default: cn=sesame,ou=services,<suffix>
    "LDAP_BIND_PASSWORD": ("", _STR),
    "LDAP_TIMEOUT": (5.0, float),
    "LDAP_ADMIN_URL": ("", _STR),                # migrations: an identity that manages cn=config
    "LDAP_ADMIN_DN": ("", _STR),                 # empty: SASL EXTERNAL over the ldapi URL
    "LDAP_ADMIN_PASSWORD": ("", _STR),
    "LDAP_MIGRATOR_DN": ("", _STR),              # the DN slapd gives that identity (for ACLs)
    "LDAP_REPLICATOR_PASSWORD": ("", _STR),      # replication: what consumers bind to the provider with
    "LDAP_REPLICATE_FROM": ("", _STR),           # a consumer's migrations: the provider's URL
    "LDAP_SSO_PASSWORD": ("", _STR),             # the migrations: what the SSO engine (LemonLDAP::NG) binds with
    "FOLLOW_SECONDS": (5.0, float),              # the follower: how often it reads what changed in the directory
    "REDIS_URL": ("redis://127.0.0.1:6379/0", _STR),
    "REDIS_SENTINELS": ((), _list),              # host:port of each sentinel: the primary is asked of them
    "REDIS_MASTER": ("sesame", _STR),            # the name the sentinels monitor the primary under
    "REDIS_SENTINEL_PASSWORD": ("", _STR),       # the sentinels' own requirepass, if they have one
    "SEAL_KEY": ("", _STR),                      # base64 of 32 random bytes
    "ARGON2_TIME_COST": (2, _INT),
    "ARGON2_MEMORY_COST": (19456, _INT),         # KiB
    "ARGON2_PARALLELISM": (1, _INT),
    "SSO_USER_HEADER": ("X-Remote-User", _STR),
    "SSO_SECRET_HEADER": ("X-Sesame-Proxy-Secret", _STR),
    "SSO_SECRET": ("", _STR),                    # empty: SSO sign-in is off
    "SSO_TRUSTED_PROXIES": (("127.0.0.1", "::1"), _list),
    "LOGIN_ATTEMPTS": (5, _INT),                 # failed sign-ins per identifier from one address ...
    "LOGIN_ATTEMPTS_PER_IDENTIFIER": (8, _INT),  # ... from every address (kept under pwdMaxFailure) ...
    "LOGIN_ATTEMPTS_PER_ADDRESS": (100, _INT),   # ... and per address, any identifier (a school shares one)
    "LOGIN_WINDOW": (900, _INT),                 # ... counted until this many quiet seconds (≥ the policy's)
    "FAILED_SIGN_IN_DELAY": (1.0, float),        # seconds a refused sign-in waits before answering
    "STAFF_TOTP": ("required", _STR),            # heads' and identity team's second factor: required|optional|off
    "STAFF_PASSWORD": ("on", _STR),              # staff's password sign-in at /connexion: on|off (the provider only)
    # staff through the institution's OpenID Connect provider (webapp/auth/provider.py); no issuer: off
    "STAFF_OIDC_ISSUER": ("", _STR),
    "STAFF_OIDC_CLIENT_ID": ("", _STR),
    "STAFF_OIDC_CLIENT_SECRET": ("", _STR),
    "STAFF_OIDC_UID_CLAIM": ("preferred_username", _STR),   # the claim naming the directory's uid
    "STAFF_OIDC_SECOND_FACTOR_ACR": ((), _list),  # `acr` values that mean a second factor (beside `amr` « mfa »)
    "SSO_LOGOUT_URL": ("", _STR),                # where support staff signed in by the SSO proxy go once signed out
    "PROVISIONAL_DAYS": (90, _INT),              # a provisional password no longer signs in after this (0: never)
    "FIGURES_SECONDS": (60, _INT),               # « Accueil », « Statistiques »: an establishment's figures at most this old
    "FIGURES_OVERVIEW_SECONDS": (900, _INT),     # ... and on the identity team's all-establishments view
    "SESSION_HOURS": (8, _INT),                  # a session ends this long after sign-in, whatever the activity
    "SESSION_IDLE_MINUTES": (30, _INT),          # ... or after this long without a request
    "SECURE_COOKIES": (False, _bool),            # set true behind HTTPS
    "HSTS_SECONDS": (0, _INT),                   # > 0 behind HTTPS: Strict-Transport-Security max-age
    "PROXY_HOPS": (0, _INT),                     # reverse proxies in front (X-Forwarded-For trusted that deep)
    "PUBLIC_URL": ("http://127.0.0.1:5000", _STR),
    "FILES_DIR": ("instance/files", _STR),        # generated letters and lists, never served as static
    "FILE_MINUTES": (120, _INT),                  # then they are deleted
    "LETTER_ACTIVATION_URL": ("", _STR),          # default: SESAME_PUBLIC_URL
    "LETTER_CONTACT": ("le secrétariat de l'établissement", _STR),
    "LETTER_SIGNATURE": ("La cheffe ou le chef d'établissement", _STR),
    "SMTP_HOST": ("127.0.0.1", _STR),
    "SMTP_PORT": (8025, _INT),
    "MAIL_FROM": ("Sésame <ne-pas-repondre@sesame.invalid>", _STR),
    "HASH_THREADS": (0, _INT),                    # 0: one per core
    "JOB_HOLD_SECONDS": (30, _INT),               # a worker that stops renewing its hold this long is dead
    "JOB_SWEEP_SECONDS": (10, _INT),              # how often workers look for such jobs
    # « Alimentation »: a leaver's account keeps working this many days, is then deactivated, and
    # becomes removable this many days later (sophomorix's 30 / 60)
    "LEAVER_TOLERANCE_DAYS": (30, _INT),
    "LEAVER_REMOVAL_DAYS": (60, _INT),
    "IMPORT_MAX_MEGABYTES": (40, _INT),           # one upload of registry files, all files together
    "AUDIT_RETENTION_DAYS": (365, _INT),          # « Journal des opérations »: records older are purged
    "JOB_CHUNK": (500, _INT),                     # accounts per chunk of a job: the share one worker takes
    "JOB_SPREAD": (16, _INT),                     # at most this many workers share one job
    "PRINT_SECONDS": (60.0, float),               # wkhtmltopdf, pdfunite: a document of 120 letters (or rows) ends
                                                  # within this (a bigger one gets as much per 120), or is stopped
    "OPERATOR_TOKEN": ("", _STR),                 # /metrics and the readiness details: `Authorization: Bearer <it>`
    "METRICS_PORT": (0, _INT),                    # a worker host without a web node: its metrics on this port ...
    "METRICS_ADDRESS": ("127.0.0.1", _STR),       # ... on this address
    "SLAPD_CONFIG_DIR": ("/etc/ldap/slapd.d", _STR),   # backups: slapd's cn=config, read by slapcat on its host
}


def from_environment(environ=os.environ) -> dict:
    """Settings with SESAME_<NAME> taken from the environment where present."""
    config = {}
    for name, (default, parse) in SETTINGS.items():
        raw = environ.get(f"SESAME_{name}")
        config[f"SESAME_{name}"] = parse(raw) if raw not in (None, "") else default
    return config


def seal_key(config) -> bytes:
    raw = config.get("SESAME_SEAL_KEY") or ""
    key = base64.b64decode(raw) if raw else b""
    if len(key) != 32:
        raise RuntimeError("SESAME_SEAL_KEY must be the base64 of 32 random bytes")
    return key
