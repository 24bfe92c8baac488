"""Error pages in French, and the directory being down turned into a 503 rather than a stack trace."""
from __future__ import annotations

import logging

from flask import g
from flask_wtf.csrf import CSRFError
from redis.exceptions import RedisError

from directory.errors import DirectoryError, DirectoryUnavailable, NotFound, ProviderUnavailable

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Requête invalide", "La demande n'a pas pu être comprise."),
    403: ("Accès refusé", "Vous n'avez pas accès à cette page ou à cette action."),
    404: ("Page introuvable", "Cette page ou cette fiche n'existe pas, ou n'est pas de votre établissement."),
    405: ("Action non permise", "Cette action ne peut pas être faite de cette façon."),
    413: ("Fichier trop volumineux", "L'envoi dépasse la taille permise : rien n'a été lu ni modifié."),
    409: ("Modifié entre-temps", "Ce compte vient d'être modifié par quelqu'un d'autre : rechargez la page."),
    414: ("Adresse trop longue", "L'adresse demandée est trop longue : revenez à l'accueil et recommencez."),
    429: ("Trop de tentatives", "Trop de tentatives : réessayez dans quelques minutes."),
    431: ("Requête trop volumineuse", "La requête est trop volumineuse : videz les cookies de ce site et recommencez."),
    500: ("Erreur interne", "Une erreur inattendue s'est produite. L'équipe technique est prévenue."),
    503: ("Service momentanément indisponible",
          "L'annuaire ne répond pas pour le moment. Réessayez dans quelques instants."),
}
REDIS_DOWN = ("Le serveur des sessions et des opérations ne répond pas pour le moment. Réessayez dans quelques "
              "instants : votre session et vos opérations reprendront où elles en étaient.")

PROVIDER_DOWN = ("L'annuaire principal ne répond pas pour le moment : aucune modification n'a été faite. "
                 "Les recherches et les consultations restent possibles ; réessayez cette action dans quelques "
                 "instants.")


def render_error(code: int, detail: str | None = None):
    """The whole error page, or to an HTMX request only the message, shown in the page's message
    area rather than in place of what the request was to update."""
    from .rendering import page_or_fragment, wants_fragment
    title, message = MESSAGES.get(code, MESSAGES[500])
    response = page_or_fragment("errors/error.html", "errors/partial/error.html", code,
                                code=code, title=title, message=detail or message)
    if wants_fragment():
        response.headers["HX-Retarget"] = "#messages"
        response.headers["HX-Reswap"] = "innerHTML"
    return response


def _redis_down(error):
    g.service_down = True      # the page is drawn signed out: the session cannot be read
    log.warning("redis unavailable: %s", error)
    return render_error(503, REDIS_DOWN)


def _server_error(error):
    """Redis failing while the session is opened reaches Flask before any view, as a 500."""
    if isinstance(getattr(error, "original_exception", None), RedisError):
        return _redis_down(error.original_exception)
    return render_error(500)


def _own_words(error) -> str | None:
    """The French reason a view gave with `abort(code, "…")`; Werkzeug's own (English) description is never shown."""
    description = getattr(error, "description", None)
    return description if description and description != type(error).description else None


def init_app(app) -> None:
    for code in (400, 403, 404, 405, 413, 414, 429, 431):
        app.register_error_handler(code, lambda error, code=code: render_error(code, _own_words(error)))
    app.register_error_handler(500, _server_error)
    app.register_error_handler(RedisError, _redis_down)

    @app.errorhandler(CSRFError)
    def csrf_refused(error):
        return render_error(400, "Le formulaire a expiré ou n'est pas valide : rechargez la page et recommencez.")

    @app.errorhandler(DirectoryUnavailable)
    def directory_down(error):
        log.warning("directory unavailable: %s", error)
        return render_error(503)

    @app.errorhandler(ProviderUnavailable)
    def provider_down(error):
        log.warning("directory provider unavailable: %s", error)
        return render_error(503, PROVIDER_DOWN)

    @app.errorhandler(NotFound)
    def directory_not_found(error):
        return render_error(404)

    @app.errorhandler(DirectoryError)
    def directory_error(error):
        log.error("directory error: %s", error)
        return render_error(500)
