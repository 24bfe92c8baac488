"""Sésame's web application: the factory that builds it from settings, extensions and blueprints."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask

from . import config, errors, formatting, operations, redis_client, security, sessions
from .extensions import csrf, directory, htmx, login_manager, redis, server_sessions

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder="static")
    app.config.from_mapping(config.from_environment())
    if test_config:
        app.config.update(test_config)
    _derive_config(app)
    if app.config["SESAME_PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix
        hops = app.config["SESAME_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    security.init_app(app)          # first: an oversized request is refused before any other work
    sessions.init_lifetime(app)     # before the user loader runs: an old session never loads
    register_extensions(app)
    register_blueprints(app)
    register_job_kinds(app)
    register_chores(app)
    errors.init_app(app)
    formatting.init_app(app)
    operations.init_app(app)
    register_commands(app)
    from . import monitoring
    monitoring.init_app(app)        # last: it wraps the whole app, ProxyFix included
    return app


def _derive_config(app: Flask) -> None:
    settings = app.config
    if not settings.get("SECRET_KEY"):
        settings["SECRET_KEY"] = settings.get("SESAME_SECRET_KEY")
    _check_secrets(settings)
    settings.setdefault("SESSION_TYPE", "redis")
    settings.setdefault("SESSION_REDIS", redis_client.connect(settings))
    settings.setdefault("SESSION_KEY_PREFIX", "sesame:session:")
    settings.setdefault("SESSION_PERMANENT", True)
    # idle timeout, renewed at each request; the absolute lifetime (SESAME_SESSION_HOURS) is webapp.sessions'
    settings["PERMANENT_SESSION_LIFETIME"] = timedelta(minutes=min(settings["SESAME_SESSION_IDLE_MINUTES"],
                                                                   settings["SESAME_SESSION_HOURS"] * 60))
    settings["SESSION_COOKIE_NAME"] = "sesame"
    settings["SESSION_COOKIE_HTTPONLY"] = True
    settings["SESSION_COOKIE_SAMESITE"] = "Lax"
    settings["SESSION_COOKIE_SECURE"] = settings["SESAME_SECURE_COOKIES"]
    settings.setdefault("WTF_CSRF_TIME_LIMIT", None)   # the token lives as long as the session
    # the largest request is an upload of registry files: refused (413, in French) before it is read
    if not settings.get("MAX_CONTENT_LENGTH"):      # Flask's own default is None: no limit
        settings["MAX_CONTENT_LENGTH"] = settings["SESAME_IMPORT_MAX_MEGABYTES"] * 1024 * 1024
    files = Path(settings["SESAME_FILES_DIR"])
    settings["SESAME_FILES_DIR"] = str(files if files.is_absolute() else ROOT / files)


def _check_secrets(settings) -> None:
    """Every secret the app needs, checked at start-up: a missing one fails here with what to set,
    not at the first letter sealed or the first bind."""
    problems = []
    if not settings["SECRET_KEY"]:
        problems.append("SESAME_SECRET_KEY is not set")
    if not settings.get("SESAME_LDAP_BIND_PASSWORD"):
        problems.append("SESAME_LDAP_BIND_PASSWORD (the service identity's password) is not set")
    try:
        config.seal_key(settings)
    except (RuntimeError, ValueError):
        problems.append("SESAME_SEAL_KEY must be the base64 of 32 random bytes")
    if problems:
        raise RuntimeError("; ".join(problems) + " (deploy/sesame.env.example says how to make each; "
                                                 "make run sets them for the embedded default)")


def register_extensions(app: Flask) -> None:
    directory.init_app(app)
    redis.init_app(app)
    server_sessions.init_app(app)
    sessions.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Connectez-vous pour accéder à cette page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # sessions live server-side; ids are renewed at sign-in
    login_manager.unauthorized_handler(_unauthorized)
    from . import rights
    rights.init_app(app)
    from . import replicas
    replicas.init_app(app)


def _unauthorized():
    """Signed out (session expired): a page goes to the sign-in form; an HTMX request tells htmx to
    send the whole page there, rather than swap the form into a table."""
    from flask import flash, g, make_response, redirect, request, session, url_for
    from .rendering import wants_fragment
    if g.get("rights_ended"):
        # the rights this session carried ended meanwhile (a delegation ended or reached its term): said,
        # then signed out, whatever page was asked
        session.clear()
        flash("Vos droits dans Sésame ont pris fin (délégation terminée ou retirée) : vous avez été déconnecté. "
              "Adressez-vous à votre chef d'établissement si vous en avez encore besoin.", "info")
    back = request.full_path.rstrip("?")      # Werkzeug adds "?" to a path without a query
    target = url_for("auth.login", next=back if request.method == "GET" and not wants_fragment() else None)
    if wants_fragment():
        response = make_response("", 401)
        response.headers["HX-Redirect"] = url_for("auth.login")
        return response
    return redirect(target)


def register_blueprints(app: Flask) -> None:
    from .auth.views import bp as auth
    from .help import bp as help_bp
    from .holders.views import bp as holders
    from .home.views import bp as home
    from .jobs.views import bp as jobs
    from .account_jobs.reprint import bp as reprint
    from .students import actions  # noqa: F401 - its routes join the students blueprint
    from .students.views import BLUEPRINTS as populations
    from .alimentation.views import bp as alimentation
    from .alimentation.leavers import bp as leavers
    from .journal.views import bp as journal
    from .settings.views import bp as settings
    from .stats.views import bp as stats

    for blueprint in (auth, home, *populations.values(), jobs, reprint, help_bp, holders, alimentation, leavers,
                      settings, journal, stats):
        app.register_blueprint(blueprint)

    from . import access  # noqa: F401 - registers the user loader


def register_chores(app: Flask) -> None:
    """What the workers' sweeper does besides taking jobs up, each on its own daily turn."""
    from .alimentation.departures import depart_when_due
    from .jobs.worker import CHORES
    from .journal.purge import purge_when_due

    app.extensions[CHORES] = (purge_when_due, depart_when_due)


def register_job_kinds(app: Flask) -> None:
    """Every kind of job the app runs and shows: a new kind is its own module and one line here."""
    from .account_jobs.listing import Listing
    from .account_jobs.notify import Notify
    from .account_jobs.reprint import Reprint
    from .account_jobs.reset import Reset
    from .alimentation.job import Import
    from .alimentation.removal import Removal
    from .jobs.kind import register

    register(app, [
        Notify(),
        Reset(),
        Listing(),
        Reprint(),
        Import(),
        Removal(),
    ])


def register_commands(app: Flask) -> None:
    from .cli import directory_cli
    app.cli.add_command(directory_cli)
