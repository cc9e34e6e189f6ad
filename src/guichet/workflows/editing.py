"""Editing operations on a workflow definition, used by the editor pages.

Each function takes a definition and returns a NEW definition (the argument is never changed), or raises
`EditError` with a French message. They keep the definition's shape; whether the workflow as a whole is valid
(reachability, ways out…) is the validator's business: an invalid workflow may be saved as a draft.
"""

import copy

from django.utils.text import slugify
from django.utils.translation import gettext as _

from .validation import transitions

STATUS_FIELDS = ("label", "colour", "visible", "final")


class EditError(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _copy(defn):
    defn = copy.deepcopy(defn) if isinstance(defn, dict) else {}
    if not isinstance(defn.get("statuses"), list):
        defn["statuses"] = []
    return defn


def _unique_id(label, taken, fallback):
    base = slugify(label)[:70] or fallback
    candidate, n = base, 2
    while candidate in taken:
        candidate = f"{base}-{n}"
        n += 1
    return candidate


def _status(defn, sid):
    for status in defn["statuses"]:
        if isinstance(status, dict) and status.get("id") == sid:
            return status
    raise EditError(_("Ce statut n'existe pas (ou plus) dans le circuit."))


def _button(status, bid):
    for button in status.get("buttons") or []:
        if isinstance(button, dict) and button.get("id") == bid:
            return button
    raise EditError(_("Ce bouton n'existe pas (ou plus)."))


def _actions(defn, sid, bid):
    status = _status(defn, sid)
    owner = _button(status, bid) if bid else status
    key = "actions" if bid else "on_enter"
    if not isinstance(owner.get(key), list):
        owner[key] = []
    return owner[key]


def add_status(defn, *, label, colour, visible=True, final=False):
    defn = _copy(defn)
    taken = {s.get("id") for s in defn["statuses"] if isinstance(s, dict)}
    sid = _unique_id(label, taken, "statut")
    defn["statuses"].append({"id": sid, "label": label, "colour": colour, "visible": visible, "final": final,
                             "on_enter": [], "buttons": [], "timers": []})
    if not defn.get("initial"):
        defn["initial"] = sid
    return defn


def update_status(defn, sid, *, initial=False, **fields):
    defn = _copy(defn)
    status = _status(defn, sid)
    for name in STATUS_FIELDS:
        if name in fields:
            status[name] = fields[name]
    if status.get("final") and status.get("timers"):
        raise EditError(_("Un statut final ne peut pas avoir de délai automatique : supprimez d'abord ses délais."))
    if initial:
        defn["initial"] = sid
    return defn


def references_to(defn, sid):
    """Labels of the statuses whose buttons, timers or actions lead to `sid` (other than itself)."""
    labels = {s.get("id"): s.get("label") or s.get("id") for s in defn.get("statuses", []) if isinstance(s, dict)}
    return sorted({labels.get(t.source, t.source) for t in transitions(defn) if t.target == sid and t.source != sid})


def delete_status(defn, sid):
    defn = _copy(defn)
    _status(defn, sid)
    if defn.get("initial") == sid:
        raise EditError(_("C'est le statut initial : choisissez d'abord un autre statut initial."))
    sources = references_to(defn, sid)
    if sources:
        raise EditError(_("Ce statut est utilisé par : %(sources)s. Retirez d'abord les boutons, délais ou actions "
                          "qui y mènent.") % {"sources": ", ".join(sources)})
    defn["statuses"] = [s for s in defn["statuses"] if not (isinstance(s, dict) and s.get("id") == sid)]
    return defn


def _move(items, index, delta):
    target = index + delta
    if not 0 <= index < len(items) or not 0 <= target < len(items):
        raise EditError(_("Impossible de déplacer plus loin."))
    items[index], items[target] = items[target], items[index]


def move_status(defn, sid, delta):
    defn = _copy(defn)
    status = _status(defn, sid)
    _move(defn["statuses"], defn["statuses"].index(status), delta)
    return defn


def add_button(defn, sid, *, label, roles):
    defn = _copy(defn)
    status = _status(defn, sid)
    buttons = status.setdefault("buttons", [])
    bid = _unique_id(label, {b.get("id") for b in buttons if isinstance(b, dict)}, "bouton")
    buttons.append({"id": bid, "label": label, "roles": list(roles), "actions": []})
    return defn, bid


def update_button(defn, sid, bid, *, label, roles):
    defn = _copy(defn)
    button = _button(_status(defn, sid), bid)
    button["label"] = label
    button["roles"] = list(roles)
    return defn


def delete_button(defn, sid, bid):
    defn = _copy(defn)
    status = _status(defn, sid)
    _button(status, bid)
    status["buttons"] = [b for b in status["buttons"] if not (isinstance(b, dict) and b.get("id") == bid)]
    return defn


def move_button(defn, sid, bid, delta):
    defn = _copy(defn)
    status = _status(defn, sid)
    button = _button(status, bid)
    _move(status["buttons"], status["buttons"].index(button), delta)
    return defn


def add_action(defn, sid, bid, action):
    """Append `action` to the on-enter actions of status `sid` (bid None) or to button `bid`'s actions."""
    defn = _copy(defn)
    _actions(defn, sid, bid).append(dict(action))
    return defn


def delete_action(defn, sid, bid, index):
    defn = _copy(defn)
    actions = _actions(defn, sid, bid)
    if not 0 <= index < len(actions):
        raise EditError(_("Cette action n'existe pas (ou plus)."))
    del actions[index]
    return defn


def move_action(defn, sid, bid, index, delta):
    defn = _copy(defn)
    _move(_actions(defn, sid, bid), index, delta)
    return defn


def add_timer(defn, sid, timer):
    defn = _copy(defn)
    status = _status(defn, sid)
    if status.get("final"):
        raise EditError(_("Un statut final ne peut pas avoir de délai automatique."))
    status.setdefault("timers", []).append(dict(timer))
    return defn


def delete_timer(defn, sid, index):
    defn = _copy(defn)
    timers = _status(defn, sid).get("timers") or []
    if not 0 <= index < len(timers):
        raise EditError(_("Ce délai n'existe pas (ou plus)."))
    del timers[index]
    return defn
