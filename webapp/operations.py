"""How an operation reads to people, in the words of the screens: its action (the journal's table, where each kind
of job adds its own) and its options (its kind says them: webapp/jobs/kind.py), wherever an operation is shown —
« Mes opérations », the « Journal des opérations », « Accueil », an account's history — and in the summaries the
audit trail keeps."""
from __future__ import annotations

import re

from directory.journal import ACTION_LABELS

from .jobs.kind import kind_of

ROW = "row"          # a reset from one account's row (« Réinitialiser le mot de passe »), not a job
# a summary an older version wrote: « notify (language=en, layout=2, letters=True) : 3 fait(s)... »
_CODED = re.compile(r"^([a-z][a-z-]*) \(([^)]*)\)( : .*)?$", re.S)


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, "Opération")


def describe(action: str, options: dict | None = None, population: str = "students") -> str:
    """« (Re)notification des comptes — responsables (avec courrier, deux courriers par page, ...) », as its kind
    says it (an action that is no kind of job: its label)."""
    kind = kind_of(action)
    return kind.describe(options or {}, population) if kind else action_label(action)


def summary(action: str, options: dict, population: str, done: int, unchanged: int, refused: int, total: int) -> str:
    """What the audit trail keeps of a job once it ends."""
    return (f"{describe(action, options, population)} : {done} fait(s), {unchanged} inchangé(s), "
            f"{refused} non traité(s) sur {total}")


def _options_said(text: str) -> dict:
    options: dict = {}
    for part in text.split(","):
        if "=" not in part:
            if part.strip() == "une ligne":
                options[ROW] = True
            continue
        key, value = (p.strip() for p in part.split("=", 1))
        options[key] = {"True": True, "False": False}.get(value, int(value) if value.isdigit() else value)
    return options


def detail(summary_text: str) -> str:
    """A record's summary as people read it: one an older version wrote with the action's code and options
    (« reset (une ligne) : 1 fait(s) sur 1 ») is said in the words of the screens."""
    coded = _CODED.match(summary_text or "")
    if not coded or coded.group(1) not in ACTION_LABELS:
        return summary_text
    action, said, rest = coded.groups()
    return describe(action, _options_said(said)) + (rest or "")


def init_app(app) -> None:
    app.add_template_global(describe, "describe_operation")
    app.add_template_global(action_label, "action_label")
    app.add_template_filter(detail, "operation_detail")
