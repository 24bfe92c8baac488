"""How an operation reads to people, in the words of the screens: its action (directory/journal.py's table) and
its options (this one), wherever an operation is shown — « Mes opérations », the « Journal des opérations »,
« Accueil », an account's history — and in the summaries the audit trail keeps."""
from __future__ import annotations

import re

from directory.journal import ACTION_LABELS

from .documents.letter_options import KEPT_ON_ACCOUNT, LANGUAGES, layout_of

POPULATIONS = {"students": "élèves", "external": "élèves extérieurs", "guardians": "responsables"}
LIST_FORMATS = {"csv": "au format CSV", "pdf": "au format PDF"}
ROW = "row"          # a reset from one account's row (« Réinitialiser le mot de passe »), not a job
# a summary an older version wrote: « notify (language=en, layout=2, letters=True) : 3 fait(s)... »
_CODED = re.compile(r"^([a-z][a-z-]*) \(([^)]*)\)( : .*)?$", re.S)


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, "Opération")


def _letters(options: dict) -> list[str]:
    words = [layout_of(options.get("layout", 1)).label.lower()]
    language = options.get("language") or ""
    if language == KEPT_ON_ACCOUNT:
        words.append("dans la langue enregistrée de chaque responsable")
    elif language in LANGUAGES:
        words.append(f"en français et en {LANGUAGES[language].label.lower()}")
    else:
        words.append("en français seulement")
    if options.get("keep_language"):
        words.append("langue retenue pour ces responsables")
    return words


def option_words(action: str, options: dict) -> list[str]:
    """The options of an operation, each in the words of the form that chose it."""
    words: list[str] = []
    if action == "notify":
        words.append("avec courrier" if options.get("letters") else "sans courrier")
        if options.get("letters"):
            words += _letters(options)
        if options.get("reset"):
            words.append("mots de passe réinitialisés")
    elif action == "reprint":
        words += _letters(options)
    elif action == "list":
        words.append(LIST_FORMATS.get(str(options.get("format", "pdf")).lower(), "au format PDF"))
    elif action == "reset" and options.get(ROW):
        words.append("un compte, depuis sa ligne de la liste")
    elif action == "import" and options.get("uais"):
        words.append(", ".join(options["uais"]))
    return words


def describe(action: str, options: dict | None = None, population: str = "students") -> str:
    """« (Re)notification des comptes — responsables (avec courrier, deux courriers par page, ...) »."""
    title = action_label(action)
    if population in POPULATIONS and population != "students":
        title += f" — {POPULATIONS[population]}"
    words = option_words(action, options or {})
    return f"{title} ({', '.join(words)})" if words else title


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
