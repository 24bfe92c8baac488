"""What staff and holders' sign-in forms share: refusals that all take the same time, and the words
for a throttled identifier or a locked account (what happened, until when, what to do)."""
from __future__ import annotations

import time
from datetime import datetime, timedelta

from flask import current_app

from .formatting import PARIS
from .ratelimit import Verdict

REFUSAL = "Identifiant ou mot de passe incorrect."


def brake(failures, lock_of, holder: bool) -> tuple[int, str] | None:
    """Count this attempt (`failures`, at the directory's lock); when it may not be made, the status and the
    French words. Per identifier, the brake is the directory's own lock: an identifier Sésame stopped is let go
    as soon as the directory holds no lock on its account (the school's reset lifted it, or it lapsed), told
    it is locked and until when while it does, and an unknown identifier stopped reads exactly alike.
    `lock_of()` says (whether the account exists, when its lock ends: False none, None until lifted)."""
    verdict = failures.reserve()
    if not verdict.allowed and verdict.by_identifier:
        known, until = lock_of()
        if known and until is False:
            failures.forget_identifier()
            verdict = failures.reserve()
        elif known:
            return 401, locked(until, holder)
    if verdict.allowed:
        return None
    if verdict.by_identifier:
        return 401, locked(verdict.until, holder)
    return 429, throttled(verdict, holder)


def refuse_at(started: float, clock=time.monotonic, sleep=time.sleep) -> None:
    """A refused sign-in answers `SESAME_FAILED_SIGN_IN_DELAY` seconds after it began, whatever work
    it did: each failure costs a guesser time, and an unknown identifier answers exactly when a wrong
    password for a known one does (a fixed sleep after the work kept the difference of the work)."""
    remaining = started + current_app.config["SESAME_FAILED_SIGN_IN_DELAY"] - clock()
    if remaining > 0:
        sleep(remaining)


def _moment(value) -> str:
    if isinstance(value, (int, float)):
        value = datetime.fromtimestamp(value, PARIS)
    value = value.astimezone(PARIS)
    now = datetime.now(PARIS)
    if value.date() == now.date():
        return value.strftime("%H h %M")
    if value.date() == (now + timedelta(days=1)).date():
        return value.strftime("demain à %H h %M")
    return value.strftime("le %d/%m/%Y à %H h %M")


def throttled(verdict: Verdict, holder: bool, codes: bool = False) -> str:
    """Said alike for every identifier, known or not: the count is of what was typed (passwords, or
    the second factor's codes)."""
    until = _moment(verdict.until) if verdict.until else None
    if not verdict.by_identifier:
        return f"Trop de tentatives de connexion depuis votre réseau : réessayez à partir de {until}."
    if codes:
        return (f"Trop de codes incorrects pour cet identifiant : la saisie du code est suspendue jusqu'à {until}, "
                "pour protéger le compte. Vérifiez l'heure du téléphone, ou utilisez un code de secours ensuite ; "
                "sans téléphone ni code de secours, adressez-vous au support de votre académie.")
    help_ = ("Si vous avez oublié votre mot de passe, utilisez « Mot de passe oublié » (adresse mail confirmée) "
             "ou demandez à votre établissement de le réinitialiser."
             if holder else
             "Si vous avez oublié votre mot de passe, adressez-vous au support de votre académie.")
    return (f"Trop d'erreurs de mot de passe pour cet identifiant : les connexions sont suspendues jusqu'à "
            f"{until}, pour protéger le compte. {help_}")


def locked(until, holder: bool) -> str:
    """The directory itself locked the account (failures made elsewhere than Sésame)."""
    when = f"jusqu'à {_moment(until)}" if until else "jusqu'à ce qu'il soit déverrouillé"
    help_ = ("Utilisez « Mot de passe oublié » si vous avez confirmé une adresse mail, ou demandez à votre "
             "établissement de réinitialiser votre mot de passe."
             if holder else "Adressez-vous au support de votre académie si vous ne pouvez pas attendre.")
    return f"Votre compte est verrouillé après trop d'erreurs de mot de passe, {when}. {help_}"


def no_rights_now(ended, starts) -> str:
    """A staff member whose password is right but who holds no right today (their delegation ended)."""
    if starts is not None:
        return (f"Votre délégation dans Sésame commence le {starts:%d/%m/%Y} : vous pourrez vous connecter à partir "
                "de ce jour.")
    when = f" le {ended:%d/%m/%Y}" if ended else ""
    return (f"Vos droits dans Sésame ont pris fin{when} (fin de la délégation). Adressez-vous à votre chef "
            "d'établissement si vous en avez encore besoin.")
