"""« Créer un compte élève » (identity team): a pupil the registry does not bring, created by hand — after the
probable duplicates anywhere in the directory are shown, with the offer to match the existing account instead."""
from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for

from directory import creation
from directory.errors import ChangedMeanwhile, IdentifierTaken, NotFound
from directory.model import AccountState
from directory.texts import clean, text_problem

from ..access import staff
from ..edge import parse_day
from ..extensions import directory
from ..rights import Right, guard

bp = Blueprint("creation", __name__, url_prefix="/alimentation/creer")
guard(bp, Right.IMPORT)
INE_SHAPE = re.compile(r"[0-9A-Z]{10}[A-Z]")
FIELDS = ("etablissement", "nom", "prenom", "naissance", "ine", "classe")


def _read(form) -> tuple[creation.NewStudent | None, dict, list[str]]:
    """The new pupil as typed (cleaned), the values to show back, and what cannot be taken, in French."""
    typed = {name: (form.get(name) or "").strip()[:200] for name in FIELDS}
    problems = []
    uai = typed["etablissement"]
    if uai not in staff().uais:
        problems.append("Choisissez l'établissement dans la liste.")
    names = {}
    for name, label in (("nom", "Nom"), ("prenom", "Prénom")):
        raw = form.get(name) or ""
        problem = text_problem(label, raw, 64, required=True)
        if problem:
            problems.append(problem)
        names[name] = clean(raw)
    born = parse_day(typed["naissance"])
    if born is None or born > date.today() or born.year < 1950:
        problems.append("« Date de naissance » : une date passée, jj/mm/aaaa (ou aaaa-mm-jj).")
    number = "".join(typed["ine"].split()).upper()
    if number and not INE_SHAPE.fullmatch(number):
        problems.append("« INE » : onze caractères, dix chiffres ou lettres puis une lettre (ex. 1234567890A), ou rien.")
    if typed["classe"] and uai in staff().uais and typed["classe"] not in {c.code for c in directory.current.classes(uai)}:
        problems.append(f"« Classe » : {typed['classe'][:20]} n'est pas une classe de {uai} ; laissez vide si vous "
                        f"ne la connaissez pas.")
    if problems:
        return None, typed, problems
    return creation.NewStudent(uai, names["nom"], names["prenom"], born, number, typed["classe"]), typed, []


def _page(typed: dict, status: int = 200, problems=(), candidates=(), new=None):
    return render_template("alimentation/create.html", current_tab="alimentation.index", typed=typed,
                           problems=problems, candidates=candidates, new=new,
                           establishments=directory.current.establishments(),
                           names={e.uai: e.name for e in directory.current.establishments()},
                           states={s.value: s.label for s in AccountState},
                           shown=",".join(c.person.account_id for c in candidates)), status


@bp.route("")
def form():
    return _page({name: "" for name in FIELDS})


@bp.route("", methods=["POST"])
def create():
    new, typed, problems = _read(request.form)
    if new is None:
        return _page(typed, 400, problems)
    candidates = creation.probable_duplicates(directory.current, new)
    shown = set(filter(None, request.form.get("quand_meme", "").split(",")))
    if candidates and (any(c.same_ine for c in candidates) or {c.person.account_id for c in candidates} != shown):
        # said before anything is written: the account that exists may be this pupil
        return _page(typed, 200, candidates=candidates, new=new)
    try:
        account_id = creation.create(directory.current, new, staff().uid)
    except IdentifierTaken as taken:
        return _page(typed, 409, [str(taken)], creation.probable_duplicates(directory.current, new), new)
    flash(f"Compte créé : {new.name}, « Non notifié » (son identifiant viendra à sa première notification).", "info")
    return redirect(url_for("alimentation.account", account_id=account_id), 303)


@bp.route("/rattacher", methods=["POST"])
def match():
    """The existing account instead of a new one: only one the new pupil's probable duplicates name."""
    new, typed, problems = _read(request.form)
    if new is None:
        return _page(typed, 400, problems)
    wanted = request.form.get("compte", "")
    candidates = creation.probable_duplicates(directory.current, new)
    if wanted not in {c.person.account_id for c in candidates}:
        return _page(typed, 409, ["Ce compte n'est plus un doublon probable de cet élève : relisez la liste."],
                     candidates, new)
    try:
        found = creation.match(directory.current, wanted, new, staff().uid)
    except (ChangedMeanwhile, NotFound, IdentifierTaken):
        return _page(typed, 409, ["Ce compte a changé entre-temps : rien n'a été fait. Relisez la liste."],
                     creation.probable_duplicates(directory.current, new), new)
    flash(f"{found.name} ({found.identifier or 'jamais notifié'}) est rattaché à {new.uai} au lieu d'un nouveau "
          f"compte : son identifiant, son mot de passe et son statut sont gardés.", "info")
    return redirect(url_for("alimentation.account", account_id=wanted), 303)
