"""Who is signed in, which establishment they are acting on, and what their role lets them open."""
from __future__ import annotations

from flask import abort, g, request, session
from flask_login import UserMixin, current_user

from directory.errors import DirectoryUnavailable, NotFound
from directory.model import Role, Staff
from directory.repository import PASSWORD_ROLES

from .extensions import directory, login_manager
from .proxy import still_vouches_for
from .rights import Right, may

TABS = (
    # endpoint, label, the right that shows it
    ("home.index", "Accueil", Right.SEE_HOME),
    ("students.index", "Élèves", Right.SEE_STUDENTS),
    ("guardians.index", "Responsables", Right.SEE_GUARDIANS),
    ("external.index", "Élèves extérieurs", Right.SEE_EXTERNAL),
    ("stats.index", "Statistiques", Right.SEE_STATS),
    ("settings.index", "Paramétrage", Right.SEE_SETTINGS),
    ("alimentation.index", "Alimentation", Right.IMPORT),
    ("doublons.index", "Doublons", Right.SEE_DUPLICATES),
)


class StaffUser(UserMixin):
    """Flask-Login's view of a staff member; the facts come from the directory on every request."""

    def __init__(self, staff: Staff):
        self.staff = staff

    def get_id(self) -> str:
        return self.staff.uid


# How a session was opened, kept in it at sign-in and checked at every request: what each way may open.
SIGNED_IN_BY = "signed_in_by"
PASSWORD, SSO = "password", "sso"
# Through the institution's OpenID Connect provider (auth/provider.py): with the provider's second factor (its
# `amr` or `acr` says so), or without (then Sésame's own second factor is asked, as after a password).
PROVIDER, PROVIDER_ONE_FACTOR = "provider", "provider-one-factor"
OPENS = {
    PASSWORD: lambda role: role in PASSWORD_ROLES,          # heads, the identity team, delegates
    SSO: lambda role: may(role, Right.SIGN_IN_THROUGH_SSO),  # support staff, through the proxy's second factor
    PROVIDER: lambda role: role in PASSWORD_ROLES or may(role, Right.SIGN_IN_THROUGH_SSO),
    PROVIDER_ONE_FACTOR: lambda role: role in PASSWORD_ROLES,
}
# Ways that gave no second factor of their own: Sésame's own is asked (auth/second_factor.py); support staff,
# who have none in Sésame, never sign in that way
ONE_FACTOR = (PASSWORD, PROVIDER_ONE_FACTOR)


def opened(member: Staff, opened_by: str) -> Staff | None:
    """What a session opened this way carries of `member`: support staff stay SSO-only (the proxy's, or the
    provider's with its second factor), whatever delegation they hold; None when nothing is left."""
    if opened_by in ONE_FACTOR and member.sso_only:
        return None
    return member.limited_to(OPENS[opened_by])


@login_manager.user_loader
def load_staff(uid: str):
    if g.get("directory_down") or g.get("service_down"):
        return None  # rendering the 503 page: shown signed out rather than failing a second time
    opened_by = session.get(SIGNED_IN_BY)
    if opened_by not in OPENS or (opened_by == SSO and not still_vouches_for(uid)):
        # a session that does not say how it was opened carries nothing; nor one the SSO proxy opened, once
        # the proxy no longer names the same person (signed out at the portal, or someone else signed in there)
        session.clear()
        return None
    try:
        member = directory.current.staff(uid)
        if member.password_version != session.get("staff_version"):
            # their password changed since this session began (here or with any other tool): it ends
            session.clear()
            return None
        # only what the way it was opened may open (support staff stay SSO-only, whatever delegation they hold);
        # rights follow the establishment being worked on, and delegations as they stand now (issue 16)
        member = opened(member, opened_by)
        if member is None:
            g.rights_ended = True
            return None
        return StaffUser(member.acting_on(session.get("uai")))
    except NotFound:
        g.rights_ended = True
        return None  # gone from the directory, or no longer any role: signed out
    except DirectoryUnavailable:
        g.directory_down = True
        raise


def staff() -> Staff:
    return current_user.staff


def current_uai() -> str:
    """The establishment being worked on: the one chosen in the switcher, if still allowed."""
    uais = staff().uais
    if not uais:
        abort(403)
    chosen = session.get("uai")
    return chosen if chosen in uais else uais[0]


def tabs_for(role: Role):
    return [(endpoint, label) for endpoint, label, right in TABS if may(role, right)]


# Screens that are not a tab's own blueprint, and the tab they belong to: the journal is « Paramétrage »'s.
TAB_OF = {"journal": "settings.index"}


def tab_here(tabs) -> str | None:
    """The tab the page being answered belongs to — whichever of its views answered (a refused form's post
    too): the tab of its blueprint."""
    blueprint = request.blueprint or ""
    wanted = TAB_OF.get(blueprint)
    for endpoint, _ in tabs:
        if endpoint == wanted or endpoint.split(".")[0] == blueprint:
            return endpoint
    return None
