"""Validation of a workflow definition: every problem, in French, with its location.

    validate_workflow(defn) -> [Problem(location, message), …]      # empty: the workflow is valid

A location is a JSON path into the definition (``statuses[1].buttons[0].actions[2].status``) so that the editor
and the JSON import can point at the faulty part. `is_publishable(defn)` is what procedure publication asks.
"""

import re
from typing import NamedTuple

from django.utils.translation import gettext as _

STATUS_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
ROLES = ("agent", "manager", "admin")
MAX_STATUSES = 100
MAX_ACTIONS = 30
MAX_DAYS = 36500


class Problem(NamedTuple):
    location: str
    message: str


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def statuses_of(defn):
    """The status dicts of a definition (tolerant of broken definitions)."""
    if not isinstance(defn, dict) or not isinstance(defn.get("statuses"), list):
        return []
    return [status for status in defn["statuses"] if isinstance(status, dict)]


def status_ids(defn):
    return [status.get("id") for status in statuses_of(defn) if isinstance(status.get("id"), str)]


def _list(value):
    return value if isinstance(value, list) else []


def action_targets(action):
    """The statuses an action may lead to."""
    if not isinstance(action, dict):
        return []
    if action.get("type") == "goto" and isinstance(action.get("status"), str):
        return [action["status"]]
    if action.get("type") == "request_info" and isinstance(action.get("then"), str):
        return [action["then"]]
    return []


class Transition(NamedTuple):
    source: str
    target: str
    kind: str  # button | timer | on_enter | request_info
    label: str


def transitions(defn):
    """Every way from one status to another (or to itself), with what triggers it."""
    result = []
    for status in statuses_of(defn):
        source = status.get("id")
        if not isinstance(source, str):
            continue
        for action in _list(status.get("on_enter")):
            for target in action_targets(action):
                kind = "request_info" if action.get("type") == "request_info" else "on_enter"
                result.append(Transition(source, target, kind, _("automatique") if kind == "on_enter" else
                                         _("après le complément")))
        for button in _list(status.get("buttons")):
            if not isinstance(button, dict):
                continue
            for action in _list(button.get("actions")):
                for target in action_targets(action):
                    label = str(button.get("label") or button.get("id") or "")
                    if action.get("type") == "request_info":
                        label = _("%(label)s, puis après le complément") % {"label": label}
                    result.append(Transition(source, target, "button", label))
        for timer in _list(status.get("timers")):
            if isinstance(timer, dict) and isinstance(timer.get("goto"), str):
                if timer.get("on_deadline"):
                    label = _("à la date limite")
                else:
                    label = _("après %(n)s jours") % {"n": timer.get("after_days")}
                result.append(Transition(source, timer["goto"], "timer", label))
    return result


def reachable(defn):
    """Status ids reachable from the initial status."""
    known = set(status_ids(defn))
    initial = defn.get("initial") if isinstance(defn, dict) else None
    if not isinstance(initial, str) or initial not in known:
        return set()
    edges = {}
    for transition in transitions(defn):
        edges.setdefault(transition.source, []).append(transition.target)
    seen = {initial}
    queue = [initial]
    while queue:
        current = queue.pop(0)
        for target in edges.get(current, []):
            if target in known and target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


class _Checker:
    def __init__(self, defn):
        self.defn = defn
        self.problems = []
        self.ids = set(status_ids(defn))

    def add(self, location, message):
        self.problems.append(Problem(location, message))

    def status_ref(self, location, value, what=None):
        if not isinstance(value, str) or not value:
            self.add(location, what or _("Indiquez un statut."))
        elif value not in self.ids:
            self.add(location, _("Le statut « %(id)s » n'existe pas dans ce circuit.") % {"id": value})

    def positive_days(self, location, value):
        if not _is_int(value) or not 1 <= value <= MAX_DAYS:
            self.add(location, _("Indiquez un nombre entier de jours entre 1 et %(max)s.") % {"max": MAX_DAYS})

    def text(self, location, value, required=False, max_length=5000):
        if value is None or value == "":
            if required:
                self.add(location, _("Ce texte est obligatoire."))
            return
        if not isinstance(value, str):
            self.add(location, _("Ce doit être un texte."))
        elif len(value) > max_length:
            self.add(location, _("Ce texte est trop long : %(max)s caractères au plus.") % {"max": max_length})

    # --- actions ----------------------------------------------------------------------------------

    def action(self, location, action, *, in_button):
        from .actions import ACTIONS

        if not isinstance(action, dict):
            self.add(location, _("Une action doit être un objet JSON."))
            return
        kind = action.get("type")
        if kind not in ACTIONS:
            self.add(f"{location}.type", _("Type d'action inconnu : « %(type)s ». Types possibles : %(types)s.") % {
                "type": kind, "types": ", ".join(ACTIONS)})
            return
        ACTIONS[kind].check(self, location, action, in_button=in_button)

    def actions(self, location, actions, *, in_button, required=False):
        if actions is None:
            actions = []
        if not isinstance(actions, list):
            self.add(location, _("Les actions doivent former une liste."))
            return
        if required and not actions:
            self.add(location, _("Un bouton doit déclencher au moins une action."))
        if len(actions) > MAX_ACTIONS:
            self.add(location, _("Trop d'actions : %(max)s au plus.") % {"max": MAX_ACTIONS})
        for index, action in enumerate(actions):
            self.action(f"{location}[{index}]", action, in_button=in_button)

    # --- the whole definition ---------------------------------------------------------------------

    def run(self):
        defn = self.defn
        if not isinstance(defn, dict):
            self.add("", _("La définition du circuit doit être un objet JSON."))
            return self.problems
        statuses = defn.get("statuses")
        if not isinstance(statuses, list) or not statuses:
            self.add("statuses", _("Le circuit doit compter au moins un statut."))
            return self.problems
        if len(statuses) > MAX_STATUSES:
            self.add("statuses", _("Trop de statuts : %(max)s au plus.") % {"max": MAX_STATUSES})
        initial = defn.get("initial")
        if isinstance(initial, list):
            self.add("initial", _("Un circuit a exactement un statut initial."))
        else:
            self.status_ref("initial", initial, _("Choisissez le statut initial du circuit."))
        seen = set()
        for index, status in enumerate(statuses):
            self.status(f"statuses[{index}]", status, seen)
        if isinstance(initial, str) and initial in self.ids:
            ways = reachable(defn)
            for index, status in enumerate(statuses_of(defn)):
                sid = status.get("id")
                if isinstance(sid, str) and sid not in ways:
                    self.add(f"statuses[{index}]", _(
                        "Le statut « %(label)s » ne peut pas être atteint depuis le statut initial."
                    ) % {"label": status.get("label") or sid})
        leaving = {t.source for t in transitions(defn) if t.target != t.source and t.target in self.ids}
        for index, status in enumerate(statuses_of(defn)):
            sid = status.get("id")
            if isinstance(sid, str) and not status.get("final") and sid not in leaving:
                self.add(f"statuses[{index}]", _(
                    "Le statut « %(label)s » n'est pas final mais n'a aucune sortie : ajoutez un bouton, un délai "
                    "ou une action qui mène à un autre statut, ou rendez-le final."
                ) % {"label": status.get("label") or sid})
        self.automatic_loops()
        return self.problems

    def automatic_loops(self):
        """A cycle of statuses that each jump to the next on entering never stops."""
        automatic = {}
        for transition in transitions(self.defn):
            if transition.kind == "on_enter":
                automatic.setdefault(transition.source, set()).add(transition.target)
        index_of = {sid: i for i, sid in enumerate(status.get("id") for status in statuses_of(self.defn))}
        reported = set()
        for start in automatic:
            stack, path = [(start, iter(sorted(automatic.get(start, ()))))], [start]
            while stack:
                node, children = stack[-1]
                child = next(children, None)
                if child is None:
                    stack.pop()
                    path.pop()
                    continue
                if child == start:
                    cycle = frozenset(path)
                    if cycle not in reported:
                        reported.add(cycle)
                        self.add(f"statuses[{index_of.get(start, 0)}].on_enter", _(
                            "Boucle automatique sans fin : %(path)s. Un changement de statut automatique doit "
                            "finir par s'arrêter.") % {"path": " → ".join([*path, start])})
                    continue
                if child in path or child not in automatic:
                    continue
                stack.append((child, iter(sorted(automatic[child]))))
                path.append(child)

    def status(self, location, status, seen):
        if not isinstance(status, dict):
            self.add(location, _("Un statut doit être un objet JSON."))
            return
        sid = status.get("id")
        if not isinstance(sid, str) or not STATUS_ID.match(sid):
            self.add(f"{location}.id", _(
                "Identifiant de statut invalide : lettres minuscules, chiffres, tirets (80 caractères au plus)."))
        elif sid in seen:
            self.add(f"{location}.id", _("Deux statuts portent l'identifiant « %(id)s ».") % {"id": sid})
        else:
            seen.add(sid)
        self.text(f"{location}.label", status.get("label"), required=True, max_length=100)
        colour = status.get("colour")
        if not isinstance(colour, str) or not HEX_COLOUR.match(colour):
            self.add(f"{location}.colour", _("Indiquez une couleur au format #RRGGBB, par exemple #1f4e8c."))
        for flag in ("visible", "final"):
            if flag in status and not isinstance(status[flag], bool):
                self.add(f"{location}.{flag}", _("Cette valeur doit être true ou false."))
        self.actions(f"{location}.on_enter", status.get("on_enter"), in_button=False)
        buttons = status.get("buttons") or []
        if not isinstance(buttons, list):
            self.add(f"{location}.buttons", _("Les boutons doivent former une liste."))
            buttons = []
        button_ids = set()
        for index, button in enumerate(buttons):
            self.button(f"{location}.buttons[{index}]", button, button_ids)
        timers = status.get("timers") or []
        if not isinstance(timers, list):
            self.add(f"{location}.timers", _("Les délais doivent former une liste."))
            timers = []
        if timers and status.get("final"):
            self.add(f"{location}.timers", _("Un statut final ne peut pas avoir de délai automatique."))
        for index, timer in enumerate(timers):
            self.timer(f"{location}.timers[{index}]", timer)
        unknown = set(status) - {"id", "label", "colour", "visible", "final", "on_enter", "buttons", "timers",
                                  "description"}
        for key in sorted(unknown):
            self.add(f"{location}.{key}", _("Propriété inconnue : « %(key)s ».") % {"key": key})

    def button(self, location, button, button_ids):
        if not isinstance(button, dict):
            self.add(location, _("Un bouton doit être un objet JSON."))
            return
        bid = button.get("id")
        if not isinstance(bid, str) or not STATUS_ID.match(bid):
            self.add(f"{location}.id", _(
                "Identifiant de bouton invalide : lettres minuscules, chiffres, tirets (80 caractères au plus)."))
        elif bid in button_ids:
            self.add(f"{location}.id", _("Deux boutons de ce statut portent l'identifiant « %(id)s ».") % {"id": bid})
        else:
            button_ids.add(bid)
        self.text(f"{location}.label", button.get("label"), required=True, max_length=100)
        roles = button.get("roles")
        if not isinstance(roles, list) or not roles:
            self.add(f"{location}.roles", _("Choisissez au moins un rôle qui peut utiliser ce bouton."))
        else:
            for role in roles:
                if role not in ROLES:
                    self.add(f"{location}.roles", _("Rôle inconnu : « %(role)s » (rôles possibles : agent, "
                                                    "manager, admin).") % {"role": role})
        self.actions(f"{location}.actions", button.get("actions"), in_button=True, required=True)

    def timer(self, location, timer):
        if not isinstance(timer, dict):
            self.add(location, _("Un délai doit être un objet JSON."))
            return
        has_days = "after_days" in timer and timer["after_days"] is not None
        on_deadline = timer.get("on_deadline")
        if has_days == bool(on_deadline):
            self.add(location, _("Un délai se déclenche soit après un nombre de jours (after_days), soit à la date "
                                 "limite (on_deadline), l'un des deux."))
        elif has_days:
            self.positive_days(f"{location}.after_days", timer["after_days"])
        elif on_deadline is not True:
            self.add(f"{location}.on_deadline", _("Cette valeur doit être true."))
        self.status_ref(f"{location}.goto", timer.get("goto"), _("Indiquez le statut où mène ce délai."))


def validate_workflow(defn):
    """Every problem of this workflow definition as [Problem(location, French message)] (empty when valid)."""
    return _Checker(defn).run()


def is_publishable(defn):
    """A procedure may only be published with a workflow that has no problem."""
    return not validate_workflow(defn)
