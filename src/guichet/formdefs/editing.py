"""Builder operations on a definition, for the form builder pages.

Each operation returns a NEW definition (the argument is never changed) or raises ``DefinitionError`` with
a French message. Operations keep ids unique and refuse to break conditions: a field or page that other
conditions read cannot be deleted or moved after them. Full checks are ``validate_definition``.
"""

import copy

from django.utils.translation import gettext as _

from .conditions import referenced_fields
from .schema import FIELD_TYPES, ID_PATTERN, RESERVED_IDS, DefinitionError, pages

NEW_FIELD_DEFAULTS = {
    "choice": {"widget": "radio", "choices": [{"value": "oui", "label": "Oui"}]},
    "multichoice": {"choices": [{"value": "a", "label": "Réponse A"}]},
    "file": {"accept": ["pdf", "jpeg", "png"], "max_size_mb": 5, "max_files": 1},
    "block": {"min_items": 0, "max_items": 5, "fields": [{"id": "nom", "type": "text", "label": "Nom"}]},
    "comment": {"text": ""},
    "computed": {"expression": "{{ profile.city }}"},
}


def new_definition(title=None):
    """An empty form with one page."""
    return {"pages": [{"id": "page-1", "title": title or _("Votre demande"), "condition": None, "fields": []}]}


def _copy(defn):
    if not isinstance(defn, dict) or not isinstance(defn.get("pages"), list):
        raise DefinitionError(_("Le formulaire est invalide."))
    return copy.deepcopy(defn)


def _all_ids(defn):
    return {field.get("id") for page in pages(defn) for field in page.get("fields") or [] if isinstance(field, dict)}


def _check_new_id(value, taken, what):
    if not isinstance(value, str) or not ID_PATTERN.match(value) or value in RESERVED_IDS:
        raise DefinitionError(_("Identifiant %(what)s invalide : lettres minuscules sans accent, chiffres, « - » ou "
                                "« _ », commençant par une lettre.") % {"what": what})
    if value in taken:
        raise DefinitionError(_("L'identifiant « %(id)s » est déjà utilisé.") % {"id": value})


def _locate(defn, item_id, block_id=None):
    """(container list, index) of a page or a field (a block's sub-field when block_id is given)."""
    for page_index, page in enumerate(defn["pages"]):
        if block_id is None and page.get("id") == item_id:
            return defn["pages"], page_index
        for field_index, field in enumerate(page.get("fields") or []):
            if block_id is None and field.get("id") == item_id:
                return page["fields"], field_index
            if block_id is not None and field.get("id") == block_id and field.get("type") == "block":
                for sub_index, sub in enumerate(field.get("fields") or []):
                    if sub.get("id") == item_id:
                        return field["fields"], sub_index
    raise DefinitionError(_("Élément introuvable : « %(id)s ».") % {"id": item_id})


def _order(defn):
    """Field ids in form order, and page conditions/field conditions with their position."""
    order, readers = [], []
    for page in defn["pages"]:
        readers.append((len(order), page.get("id"), referenced_fields(page.get("condition"))))
        for field in page.get("fields") or []:
            readers.append((len(order), field.get("id"), referenced_fields(field.get("condition"))))
            for sub in field.get("fields") or [] if field.get("type") == "block" else []:
                readers.append((len(order), sub.get("id"), referenced_fields(sub.get("condition"))))
            order.append(field.get("id"))
    return order, readers


def _check_conditions_order(defn):
    order, readers = _order(defn)
    position = {field_id: index for index, field_id in enumerate(order)}
    for before, reader, refs in readers:
        for ref in refs:
            if ref not in position:
                raise DefinitionError(_("« %(item)s » a une condition sur « %(ref)s », qui n'existe pas.") % {
                    "item": reader, "ref": ref})
            if position[ref] >= before:
                raise DefinitionError(_("« %(item)s » a une condition sur « %(ref)s », qui serait placé après : "
                                        "déplacez d'abord la condition.") % {"item": reader, "ref": ref})


def add_page(defn, *, page_id, title, condition=None, position=None):
    """Add a page (at the end, or at `position`)."""
    result = _copy(defn)
    _check_new_id(page_id, {page.get("id") for page in result["pages"]}, _("de page"))
    if not isinstance(title, str) or not title.strip():
        raise DefinitionError(_("Indiquez le titre de la page."))
    page = {"id": page_id, "title": title.strip(), "condition": condition, "fields": []}
    result["pages"].insert(len(result["pages"]) if position is None else position, page)
    _check_conditions_order(result)
    return result


def update_page(defn, page_id, **changes):
    """Change a page's title or condition."""
    result = _copy(defn)
    container, index = _locate(result, page_id)
    unknown = set(changes) - {"title", "condition"}
    if unknown:
        raise DefinitionError(_("Modification impossible : %(keys)s.") % {"keys": ", ".join(sorted(unknown))})
    if "title" in changes and (not isinstance(changes["title"], str) or not changes["title"].strip()):
        raise DefinitionError(_("Indiquez le titre de la page."))
    container[index].update(changes)
    _check_conditions_order(result)
    return result


def add_field(defn, page_id, field, *, position=None, block_id=None):
    """Add a field to a page (or to the block `block_id` of that page), at the end or at `position`."""
    result = _copy(defn)
    if not isinstance(field, dict) or field.get("type") not in FIELD_TYPES:
        raise DefinitionError(_("Type de champ inconnu."))
    new = {**copy.deepcopy(NEW_FIELD_DEFAULTS.get(field["type"], {})), **copy.deepcopy(field)}
    container, index = _locate(result, page_id)
    page = container[index]
    if block_id is not None:
        block = next((item for item in page["fields"] if item.get("id") == block_id and item.get("type") == "block"),
                     None)
        if block is None:
            raise DefinitionError(_("Bloc introuvable : « %(id)s ».") % {"id": block_id})
        if new["type"] in ("block", "file", "household_member", "address", "computed"):
            raise DefinitionError(_("Ce type de champ ne peut pas être placé dans un bloc répétable."))
        target, taken = block["fields"], {sub.get("id") for sub in block["fields"]}
    else:
        target, taken = page["fields"], _all_ids(result)
    _check_new_id(new.get("id"), taken, _("de champ"))
    target.insert(len(target) if position is None else position, new)
    _check_conditions_order(result)
    return result


def update_field(defn, field_id, changes, *, block_id=None):
    """Change some keys of a field (its id and type cannot change: delete and add instead)."""
    result = _copy(defn)
    container, index = _locate(result, field_id, block_id)
    if not isinstance(changes, dict):
        raise DefinitionError(_("Modification invalide."))
    if "id" in changes and changes["id"] != field_id or "type" in changes and changes["type"] != container[index]["type"]:
        raise DefinitionError(_("L'identifiant et le type d'un champ ne se modifient pas : supprimez le champ et "
                                "ajoutez-en un autre."))
    container[index].update(copy.deepcopy(changes))
    _check_conditions_order(result)
    return result


def move(defn, item_id, *, direction=None, to_page=None, position=None, block_id=None):
    """Move a page or a field up/down (`direction` "up" or "down"), or a field to another page (`to_page`,
    at `position` or the end). Refused when a condition would read a field placed after it."""
    result = _copy(defn)
    container, index = _locate(result, item_id, block_id)
    if to_page is not None:
        item = container.pop(index)
        target, target_index = _locate(result, to_page)
        fields = target[target_index]["fields"]
        fields.insert(len(fields) if position is None else position, item)
    elif direction in ("up", "down"):
        other = index - 1 if direction == "up" else index + 1
        if not 0 <= other < len(container):
            raise DefinitionError(_("Cet élément ne peut pas aller plus loin."))
        container[index], container[other] = container[other], container[index]
    else:
        raise DefinitionError(_("Indiquez où déplacer l'élément."))
    _check_conditions_order(result)
    return result


def delete(defn, item_id, *, block_id=None):
    """Delete a page (with its fields) or a field; refused when a condition reads it (or a field of the page)."""
    result = _copy(defn)
    container, index = _locate(result, item_id, block_id)
    item = container[index]
    if container is result["pages"] and len(result["pages"]) == 1:
        raise DefinitionError(_("Le formulaire garde au moins une page."))
    removed = {item_id} if block_id is None else set()
    if container is result["pages"]:
        removed = {field.get("id") for field in item.get("fields") or []}
    del container[index]
    for _before, reader, refs in _order(result)[1]:
        if refs & removed:
            raise DefinitionError(_("Suppression impossible : la condition de « %(item)s » dépend de cet élément.")
                                  % {"item": reader})
    return result
