"""Who may do what: one table from role to rights, asked by views, templates, tabs and the guide.
Support staff's limits (SPEC §6) are the rows they lack; delegations will add rows, not branches."""
from __future__ import annotations

import enum
import functools

from flask import abort
from flask_login import current_user, login_required

from directory.model import Role


class Right(enum.Enum):
    SEE_HOME = "see-home"
    SEE_STUDENTS = "see-students"              # « Élèves »
    SEE_EXTERNAL = "see-external"              # « Élèves extérieurs »
    SEE_GUARDIANS = "see-guardians"            # « Responsables »
    NOTIFY = "notify"                          # (re)notify, letters
    RESET = "reset"                            # reset passwords, a row's or a selection's
    LIST = "list"                              # lists of accounts
    OPEN_PROFILE = "open-profile"              # a student's full record (birth date, parents)
    TROUBLESHOOT = "troubleshoot"              # the dépannage table: provisional passwords and e-mails
    SEE_STATS = "see-stats"
    SEE_SETTINGS = "see-settings"
    SIGN_IN_THROUGH_SSO = "sso"                # the reverse proxy's single sign-on, with its second factor
    HEADS_GUIDE = "heads-guide"                # the guide's pages on searching, parents, notifying
    # « Alimentation » (issue 14): the identity team's registry imports and cross-establishment search
    IMPORT = "import"
    # « Paramétrage » and the journal (issue 16)
    DELEGATE = "delegate"                      # grant and end delegations
    CHANGE_LETTERS = "change-letters"          # the establishment's letter settings
    SEE_JOURNAL = "see-journal"                # « Journal des opérations » of the establishment
    COMPARE_ESTABLISHMENTS = "compare-establishments"   # « Statistiques » of every establishment side by side


_SETTINGS = frozenset({Right.SEE_SETTINGS, Right.DELEGATE, Right.CHANGE_LETTERS})   # « Paramétrage »
_HEAD = frozenset({Right.SEE_HOME, Right.SEE_STUDENTS, Right.SEE_EXTERNAL, Right.SEE_GUARDIANS, Right.NOTIFY,
                   Right.RESET, Right.LIST, Right.OPEN_PROFILE, Right.SEE_STATS, Right.HEADS_GUIDE,
                   Right.SEE_JOURNAL}) | _SETTINGS
# support staff help the establishment's own students: reset and list, never notify, no parents,
# no external students, no full record, never the journal (SPEC §6)
_SUPPORT = frozenset({Right.SEE_HOME, Right.SEE_STUDENTS, Right.RESET, Right.LIST, Right.TROUBLESHOOT,
                      Right.SIGN_IN_THROUGH_SSO})
RIGHTS: dict[Role, frozenset[Right]] = {
    Role.HEAD: _HEAD,
    # the identity team, in every establishment; and « Alimentation », every establishment side by side
    Role.ADMIN: _HEAD | {Right.IMPORT, Right.COMPARE_ESTABLISHMENTS},
    Role.SUPPORT: _SUPPORT,
    # the rows a delegation adds (« Paramétrage »): « Droits du chef d'établissement » is all a head may
    # do there but « Paramétrage » (so no delegating); « Dépannage » is what support staff may do
    Role.DELEGATED_HEAD: _HEAD - _SETTINGS,
    Role.DELEGATED_SUPPORT: _SUPPORT,
}


def may(role: Role, right: Right) -> bool:
    return right in RIGHTS.get(role, frozenset())


def init_app(app) -> None:
    """Templates ask the same table: `may(staff.role, Right.TROUBLESHOOT)`."""
    app.jinja_env.globals.update(may=may, Right=Right)


def requires(*rights: Right):
    """Refuse (403) a signed-in staff member who lacks any of `rights`."""
    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if not all(may(current_user.staff.role, r) for r in rights):    # the staff member signed in (access)
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorate


def guard(blueprint, *rights: Right) -> None:
    """Every URL of `blueprint`, fragments included: signed-in staff with all of `rights` only (403 for others)."""
    blueprint.before_request(login_required(requires(*rights)(lambda: None)))
