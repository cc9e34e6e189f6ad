"""Django forms for one page of a form definition.

The form renders (``{{ form }}``, template ``formdefs/page_form.html``) every item of the page in order:
titles as headings, sanitised comments, fields through the shared ``includes/field.html`` (labels, help,
errors), radio and checkbox groups in fieldsets, addresses and each item of a repeatable block in their own
fieldset, with the error summary first. Its fields also work with ``includes/form.html``.

Repeatable blocks without JavaScript: the form shows ``max_items`` sets of empty inputs (the first
``min_items`` marked as to fill); a set left entirely empty is ignored. conditions.js hides the empty sets
beyond the first ones and adds an "Ajouter" button (progressive enhancement).

Validation is ``clean_page`` (one source of truth): ``form.is_valid()`` runs it and puts its French messages
on the fields; ``form.page_answers`` then holds the page's answers.
"""

import json

import nh3
from django import forms
from django.forms.utils import ErrorDict
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .cleaning import (
    ADDRESS_PARTS, block_items, clean_page, item_name, member_id, members_for, part_name, reuse_name,
)
from .conditions import evaluate, referenced_fields, visible_answers
from .schema import DISPLAY_TYPES, MAX_SHORT_TEXT_LENGTH, MAX_TEXT_LENGTH, find_page, page_fields

AUTOCOMPLETE = {
    "profile.civility": "honorific-prefix", "profile.first_name": "given-name", "profile.last_name": "family-name",
    "profile.birth_date": "bday", "profile.email": "email", "profile.phone": "tel",
    "profile.address_line": "street-address", "profile.postcode": "postal-code", "profile.city": "address-level2",
    "profile.full_address": "street-address",
}
MIME = {
    "pdf": ".pdf,application/pdf", "jpeg": ".jpg,.jpeg,image/jpeg", "png": ".png,image/png",
    "odt": ".odt,application/vnd.oasis.opendocument.text",
    "docx": ".docx,application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
KIND_LABELS = {"pdf": "PDF", "jpeg": "JPEG", "png": "PNG", "odt": "ODT", "docx": "DOCX"}
BOOLEAN_CHOICES = [("oui", gettext_lazy("Oui")), ("non", gettext_lazy("Non"))]
COMMENT_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "h3", "h4", "blockquote"}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


def sanitise(html):
    """A comment's rich text with only harmless tags (nh3)."""
    return mark_safe(nh3.clean(html or "", tags=COMMENT_TAGS, attributes={"a": {"href", "title"}},  # noqa: S308
                               url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer"))


def _initial_value(field, value):
    """A JSON answer as a widget's initial value."""
    kind = field.get("type")
    if value is None:
        return None
    if kind == "boolean":
        return "oui" if value is True else "non" if value is False else None
    if kind == "multichoice":
        return [str(item) for item in value] if isinstance(value, list) else None
    if kind == "household_member":
        items = [str(item) for item in value] if isinstance(value, list) else [str(value)]
        return items if field.get("multiple") else (items[0] if items else None)
    if isinstance(value, (dict, list)):
        return None
    return str(value)


def _form_field(field, *, name, members=(), label=None, extra_attrs=None):
    """The Django field that renders one definition field (value types only, not address/block/file)."""
    kind = field.get("type")
    attrs = {"data-formdefs-type": kind}
    attrs.update(extra_attrs or {})
    source = field.get("prefill")
    if source in AUTOCOMPLETE:
        attrs["autocomplete"] = AUTOCOMPLETE[source]
    rules = field.get("validation") if isinstance(field.get("validation"), dict) else {}
    common = {"label": label or field.get("label") or "", "help_text": field.get("help") or "",
              "required": bool(field.get("required"))}
    if kind == "text":
        attrs["maxlength"] = min(int(rules.get("max_length") or MAX_SHORT_TEXT_LENGTH), MAX_SHORT_TEXT_LENGTH)
        if rules.get("format") in ("postcode", "siret", "siren"):
            attrs.update(inputmode="numeric", spellcheck="false")
        if rules.get("format") == "iban":
            attrs.update(spellcheck="false", autocapitalize="characters")
        return forms.CharField(widget=forms.TextInput(attrs), strip=False, **common)
    if kind == "textarea":
        attrs["maxlength"] = min(int(rules.get("max_length") or MAX_TEXT_LENGTH), MAX_TEXT_LENGTH)
        return forms.CharField(widget=forms.Textarea({"rows": 5, **attrs}), strip=False, **common)
    if kind == "email":
        attrs.setdefault("autocomplete", "email") if source else None
        return forms.CharField(widget=forms.EmailInput({"spellcheck": "false", **attrs}), **common)
    if kind == "phone":
        return forms.CharField(widget=forms.TextInput({"type": "tel", **attrs}), **common)
    if kind == "number":
        attrs["inputmode"] = "decimal" if field.get("decimals") else "numeric"
        return forms.CharField(widget=forms.TextInput(attrs), **common)
    if kind == "date":
        return forms.CharField(widget=forms.DateInput({"type": "date", **attrs}, format="%Y-%m-%d"), **common)
    if kind == "boolean":
        return forms.ChoiceField(choices=BOOLEAN_CHOICES, widget=forms.RadioSelect(attrs), **common)
    if kind in ("choice", "multichoice"):
        choices = [(str(choice.get("value")), choice.get("label") or "") for choice in field.get("choices") or []
                   if isinstance(choice, dict)]
        if kind == "multichoice":
            return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple(attrs), **common)
        if field.get("widget") == "select":
            return forms.ChoiceField(choices=[("", _("— Choisissez —")), *choices], widget=forms.Select(attrs),
                                     **common)
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect(attrs), **common)
    if kind == "household_member":
        choices = []
        for member in members_for(field, members):
            first = member.get("first_name") if isinstance(member, dict) else getattr(member, "first_name", "")
            last = member.get("last_name") if isinstance(member, dict) else getattr(member, "last_name", "")
            choices.append((str(member_id(member)), f"{first} {last}".strip()))
        if not choices:
            common["help_text"] = " ".join(filter(None, [
                common["help_text"], _("Aucune personne de votre foyer ne correspond : ajoutez-la depuis votre "
                                       "compte, rubrique « Mon foyer »."),
            ]))
        if field.get("multiple"):
            return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple(attrs), **common)
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect(attrs), **common)
    raise ValueError(kind)


def _file_help(field):
    accept = [kind for kind in field.get("accept") or MIME if kind in MIME]
    size = field.get("max_size_mb") or 5
    count = int(field.get("max_files") or 1)
    parts = [field.get("help") or "",
             _("Formats acceptés : %(kinds)s.") % {"kinds": ", ".join(KIND_LABELS[kind] for kind in accept)},
             _("Taille maximale : %(size)s Mo par fichier.") % {"size": size}]
    if count > 1:
        parts.append(_("Jusqu'à %(n)s fichiers.") % {"n": count})
    return " ".join(part for part in parts if part)


class PageForm(forms.Form):
    """One page of a procedure's form (built by ``build_page_form``)."""

    template_name = "formdefs/page_form.html"
    use_required_attribute = False  # fields hidden by a condition must not block the browser's submission

    def __init__(self, *, defn, page, answers, prefill, files_offered, data, attachment_ids, members, context):
        super().__init__(data=data, files=None)
        self.defn, self.page = defn, page
        self.answers = answers if isinstance(answers, dict) else {}
        self.members, self.context, self.attachment_ids = members, context, attachment_ids or {}
        self.page_answers = {}
        self.page_title = page.get("title") or ""
        self.items = []
        page_ids = {field.get("id") for field in page_fields(page)}
        earlier = visible_answers(defn, {key: value for key, value in self.answers.items() if key not in page_ids})
        self.earlier = earlier
        prefill = prefill if isinstance(prefill, dict) else {}
        offered = files_offered if isinstance(files_offered, dict) else {}
        for field in page_fields(page):
            self._add(field, earlier, page_ids, prefill, offered)

    # -- building ---------------------------------------------------------------------------------------------

    def _condition_attrs(self, field, earlier, page_ids):
        """None when the field is hidden for sure; otherwise the data-* attributes conditions.js reads."""
        condition = field.get("condition")
        if condition is None:
            return {}
        refs = referenced_fields(condition)
        if not refs & page_ids:
            return None if not evaluate(condition, earlier) else {}
        context = {ref: earlier[ref] for ref in sorted(refs) if ref in earlier}
        return {"data-condition": json.dumps(condition, ensure_ascii=False, sort_keys=True),
                "data-condition-context": json.dumps(context, ensure_ascii=False, sort_keys=True)}

    def _initial(self, field, prefill):
        field_id = field.get("id")
        if field_id in self.answers:
            return self.answers[field_id]
        if field_id in prefill:
            return prefill[field_id]
        return field.get("default")

    def _add(self, field, earlier, page_ids, prefill, offered):
        kind, field_id = field.get("type"), field.get("id")
        condition_attrs = self._condition_attrs(field, earlier, page_ids)
        if condition_attrs is None or kind == "computed":
            return
        item = {"kind": kind, "id": field_id, "condition": condition_attrs.get("data-condition", ""),
                "context": condition_attrs.get("data-condition-context", ""), "names": []}
        if kind == "title":
            item.update(kind="title", text=field.get("label") or "")
        elif kind == "comment":
            item.update(kind="comment", text=sanitise(field.get("text")), label=field.get("label") or "")
        elif kind == "address":
            self._add_address(field, item, condition_attrs, self._initial(field, prefill))
        elif kind == "block":
            self._add_block(field, item, condition_attrs, self._initial(field, prefill))
        elif kind == "file":
            self._add_file(field, item, condition_attrs, offered)
        else:
            attrs = {"data-formdefs-field": field_id, **condition_attrs}
            form_field = _form_field(field, name=field_id, members=self.members, extra_attrs=attrs)
            form_field.initial = _initial_value(field, self._initial(field, prefill))
            self.fields[field_id] = form_field
            item.update(kind="field", names=[field_id])
        self.items.append(item)

    def _add_address(self, field, item, condition_attrs, initial):
        field_id = field["id"]
        initial = initial if isinstance(initial, dict) else {}
        labels = {"street": _("Numéro et voie"), "postcode": _("Code postal"), "city": _("Commune"),
                  "lat": _("Latitude du point"), "lon": _("Longitude du point")}
        autocomplete = {"street": "street-address", "postcode": "postal-code", "city": "address-level2"}
        parts = ADDRESS_PARTS if field.get("map") else ADDRESS_PARTS[:3]
        for part in parts:
            attrs = {"data-formdefs-field": field_id, "data-formdefs-type": "address", "data-formdefs-part": part,
                     **condition_attrs}
            if field.get("prefill") and part in autocomplete:
                attrs["autocomplete"] = autocomplete[part]
            if part in ("postcode", "lat", "lon"):
                attrs["inputmode"] = "numeric" if part == "postcode" else "decimal"
            if part == "postcode":
                attrs["maxlength"] = 5
            name = part_name(field_id, part)
            self.fields[name] = forms.CharField(
                label=f"{labels[part]} ({field.get('label') or ''})" if part != "street"
                else f"{field.get('label') or ''} : {labels[part]}",
                required=bool(field.get("required")) and part in ("street", "postcode", "city"),
                help_text=(field.get("help") or "") if part == "street" else "",
                initial=None if initial.get(part) is None else str(initial.get(part)),
                widget=forms.TextInput(attrs))
            item["names"].append(name)
        item.update(kind="group", legend=field.get("label") or "")

    def _add_block(self, field, item, condition_attrs, initial):
        field_id = field["id"]
        initial = initial if isinstance(initial, list) else []
        minimum = int(field.get("min_items") or 0)
        groups = []
        for index in range(block_items(field)):
            values = initial[index] if index < len(initial) and isinstance(initial[index], dict) else {}
            group = {"legend": _("%(label)s n° %(n)s") % {"label": field.get("label") or "", "n": index + 1},
                     "index": index, "names": [], "texts": [], "filled": bool(values),
                     "needed": index < max(minimum, 1 if field.get("required") else 0)}
            for sub in page_fields(field):
                if sub.get("type") in DISPLAY_TYPES:
                    continue
                name = item_name(field_id, index, sub["id"])
                attrs = {"data-formdefs-field": field_id, "data-formdefs-index": str(index),
                         "data-formdefs-sub": sub["id"], **condition_attrs}
                form_field = _form_field(sub, name=name, extra_attrs=attrs, label="%s (%s)" % (
                    sub.get("label") or "", group["legend"]))
                form_field.required = bool(sub.get("required")) and group["needed"]
                form_field.initial = _initial_value(sub, values.get(sub["id"]))
                self.fields[name] = form_field
                group["names"].append(name)
            groups.append(group)
        item.update(kind="block", legend=field.get("label") or "", help=field.get("help") or "", groups=groups,
                    max_items=block_items(field), min_items=minimum)

    def _add_file(self, field, item, condition_attrs, offered):
        field_id = field["id"]
        accept = ",".join(MIME[kind] for kind in field.get("accept") or MIME if kind in MIME)
        count = int(field.get("max_files") or 1)
        attrs = {"accept": accept, "data-formdefs-field": field_id, "data-formdefs-type": "file", **condition_attrs,
                 "data-formdefs-existing": str(len(self.attachment_ids.get(field_id) or []))}
        widget = MultipleFileInput(attrs) if count > 1 else forms.ClearableFileInput(attrs)
        self.fields[field_id] = forms.FileField(label=field.get("label") or "", required=bool(field.get("required")),
                                                help_text=_file_help(field), widget=widget)
        item.update(kind="field", names=[field_id])
        documents = offered.get(field_id) or []
        if documents:
            name = reuse_name(field_id)
            self.fields[name] = forms.MultipleChoiceField(
                label=_("%(label)s : utiliser un document déjà vérifié") % {"label": field.get("label") or ""},
                choices=[(str(document_id), label) for document_id, label in documents], required=False,
                help_text=_("Ce document a déjà été vérifié par nos services : vous n'avez pas besoin de le "
                            "joindre à nouveau."),
                widget=forms.CheckboxSelectMultiple({"data-formdefs-field": f"{field_id}__reuse", **condition_attrs}))
            item["names"].append(name)

    # -- validation -------------------------------------------------------------------------------------------

    def full_clean(self):
        self._errors = ErrorDict()
        self.cleaned_data = {}
        if not self.is_bound:
            return
        page_answers, errors = clean_page(self.defn, self.page.get("id"), self.data, self.attachment_ids,
                                          self.answers, members=self.members, context=self.context)
        for name, messages in errors.items():
            key = name if name in self.fields else "__all__"
            self._errors.setdefault(key, self.error_class(renderer=self.renderer))
            self._errors[key].extend(messages)
        self.page_answers = page_answers if not errors else {}
        self.cleaned_data = dict(self.page_answers)

    # -- rendering --------------------------------------------------------------------------------------------

    def layout(self):
        """The page's items in order, with their bound fields, for the template."""
        rendered = []
        for item in self.items:
            entry = dict(item)
            entry["fields"] = [self[name] for name in item.get("names", [])]
            if item["kind"] == "block":
                entry["groups"] = [{**group, "fields": [self[name] for name in group["names"]]}
                                   for group in item["groups"]]
            rendered.append(entry)
        return rendered

    def has_file_fields(self):
        return any(isinstance(field, forms.FileField) for field in self.fields.values())

    def render(self, template_name=None, context=None, renderer=None):
        """The page through the project's templates (the shared includes/field.html and form_errors.html)."""
        return render_to_string(template_name or self.template_name, {**(context or {}), "form": self})

    __str__ = render


def build_page_form(defn, page_id, *, answers=None, prefill=None, files_offered=None, data=None, members=(),
                    attachment_ids=None, context=None):
    """A Django form instance for the page `page_id` (bound when `data` is given; None for an unknown page).

    - `answers`: the request's answers so far (initial values of this page, conditions of earlier pages);
    - `prefill`: ``prefill_values(defn, citizen_data)``, used where there is no answer yet (then `default`);
    - `files_offered`: ``{file field id: [(document id, label)]}`` documents the citizen may reuse;
    - `data`: the POST; `attachment_ids`: ``{file field id: [stored attachment ids]}`` for the checks;
    - `members`: the household members (objects or dicts with id, relationship, first_name, last_name);
    - `context`: what computed fields read (``computed.profile_context(citizen_data)``).

    Fields hidden by a condition on earlier pages are left out; fields whose condition depends on this page
    carry ``data-condition`` (JSON) and ``data-condition-context`` (the earlier answers it reads) for
    conditions.js; the server re-evaluates everything in ``is_valid()``. ``form.page_answers`` after
    ``is_valid()``; ``form.page_title``; ``{{ form }}`` renders the page; the template must set
    ``enctype="multipart/form-data"`` when ``form.has_file_fields``.
    """
    page = find_page(defn, page_id)
    if page is None:
        return None
    return PageForm(defn=defn, page=page, answers=answers, prefill=prefill, files_offered=files_offered,
                    data=data, attachment_ids=attachment_ids, members=members, context=context)

