"""Property-based tests: random valid definitions and random (good, bad, forged) answers.

Cleaning never crashes and agrees with the definition: accepted answers satisfy every rule, hidden fields
never survive, required visible fields are present, keys outside the definition are dropped, and every error
is attached to an input of the rendered page.
"""

from decimal import Decimal

from django.http import QueryDict
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from guichet.formdefs import build_page_form, clean_page, evaluate, validate_definition, visible_pages
from guichet.formdefs.cleaning import merge_page_answers
from guichet.formdefs.schema import holds_value

CHOICES = [{"value": v, "label": v.upper()} for v in ("a", "b", "c", "d")]
MEMBERS = [{"id": 1, "relationship": "child", "first_name": "Léa", "last_name": "M"},
           {"id": 2, "relationship": "spouse", "first_name": "Paul", "last_name": "M"}]
JUNK = st.one_of(st.text(max_size=12), st.sampled_from(["", "z", "a", "oui", "non", "12", "1,5", "-3", "2024-02-30",
                                                       "2030-01-01", "06 12 34 56 78", "lea@exemple.fr", "54000",
                                                       "a" * 5000, "\x00", "1", "2", "999"]),
                 st.integers(-10, 10), st.booleans(), st.lists(st.sampled_from(["a", "b", "x"]), max_size=3))


@st.composite
def condition_on(draw, earlier):
    if not earlier or draw(st.booleans()):
        return None
    field = draw(st.sampled_from(earlier))
    op = draw(st.sampled_from(["eq", "ne", "in", "not_in", "empty", "not_empty", "gt", "lt", "true", "false"]))
    if op in ("in", "not_in"):
        value = draw(st.lists(st.sampled_from(["a", "b", "1", "oui"]), min_size=1, max_size=2))
    elif op in ("gt", "lt"):
        value = draw(st.integers(0, 5))
    elif op in ("empty", "not_empty", "true", "false"):
        value = None
    else:
        value = draw(st.sampled_from(["a", "b", "oui", True, 3]))
    leaf = {"field": field, "op": op, "value": value}
    return draw(st.sampled_from([leaf, {"not": leaf}, {"all": [leaf]}, {"any": [leaf, leaf]}]))


@st.composite
def field_def(draw, field_id, earlier):
    kind = draw(st.sampled_from(["text", "textarea", "email", "phone", "number", "date", "boolean", "choice",
                                 "multichoice", "file", "address", "household_member", "block", "computed",
                                 "title", "comment"]))
    field = {"id": field_id, "type": kind, "label": f"Champ {field_id}", "condition": draw(condition_on(earlier))}
    if kind not in ("title", "comment", "computed"):
        field["required"] = draw(st.booleans())
    if kind == "comment":
        field["text"] = "<p>Texte <script>x</script></p>"
    if kind == "text":
        field["validation"] = {"max_length": draw(st.integers(1, 50)),
                               "format": draw(st.sampled_from([None, "postcode", "siret", "iban"]))}
    if kind == "number":
        low = draw(st.integers(-5, 5))
        field.update(min=low, max=low + draw(st.integers(0, 10)), decimals=draw(st.integers(0, 2)))
    if kind in ("choice", "multichoice"):
        field["choices"] = CHOICES[: draw(st.integers(1, 4))]
    if kind == "multichoice":
        field.update(min_choices=draw(st.integers(0, 1)), max_choices=draw(st.integers(1, 2)))
    if kind == "file":
        field.update(accept=["pdf"], max_files=draw(st.integers(1, 3)), max_size_mb=2)
    if kind == "household_member":
        field.update(multiple=draw(st.booleans()), relationship=draw(st.sampled_from([None, "child"])))
    if kind == "block":
        field.update(min_items=draw(st.integers(0, 2)), max_items=draw(st.integers(2, 3)),
                     fields=[{"id": "x", "type": "text", "label": "X", "required": draw(st.booleans())},
                             {"id": "y", "type": "choice", "label": "Y", "choices": CHOICES[:2]}])
    if kind == "computed":
        field["expression"] = "{{ profile.city }}" + "".join(f"{{{{ answers['{e}'] }}}}" for e in earlier[:1])
    return field


@st.composite
def definitions(draw):
    pages, earlier, counter = [], [], 0
    for page_index in range(draw(st.integers(1, 3))):
        page = {"id": f"p{page_index}", "title": f"Page {page_index}", "condition": draw(condition_on(earlier)),
                "fields": []}
        for _ in range(draw(st.integers(1, 4))):
            field = draw(field_def(f"f{counter}", list(earlier)))
            counter += 1
            page["fields"].append(field)
            if holds_value(field):
                earlier.append(field["id"])
        pages.append(page)
    return {"pages": pages}


def names_of(field):
    kind, fid = field["type"], field["id"]
    if kind == "address":
        return [f"{fid}__street", f"{fid}__postcode", f"{fid}__city"]
    if kind == "block":
        return [f"{fid}__{i}__{sub}" for i in range(field["max_items"] + 1) for sub in ("x", "y")]
    return [fid]


@st.composite
def post_for(draw, page):
    data = QueryDict(mutable=True)
    for field in page["fields"]:
        for name in names_of(field):
            if draw(st.integers(0, 3)) == 0:
                continue  # missing key
            good = {"choice": [c["value"] for c in field.get("choices", [])], "boolean": ["oui", "non"],
                    "multichoice": [c["value"] for c in field.get("choices", [])], "household_member": ["1", "2"],
                    "email": ["lea@exemple.fr"], "phone": ["06 12 34 56 78"], "date": ["2024-05-01"],
                    "number": ["0", "1", "2,5"]}.get(field["type"], ["Texte", "54000"])
            value = draw(st.one_of(st.sampled_from(good), JUNK))
            if isinstance(value, list):
                data.setlist(name, [str(item) for item in value])
            else:
                data[name] = str(value) if not isinstance(value, str) else value
    for _ in range(draw(st.integers(0, 2))):
        data[draw(st.sampled_from(["admin", "status", "f99", "csrfmiddlewaretoken", "p0"]))] = "forged"
    return data


def check_value(field, value):
    kind = field["type"]
    if kind in ("text", "textarea"):
        assert isinstance(value, str) and 0 < len(value) <= (field.get("validation") or {}).get("max_length", 10_000)
    elif kind == "number":
        assert field["min"] <= Decimal(value) <= field["max"]
        assert -Decimal(value).normalize().as_tuple().exponent <= field["decimals"] or Decimal(value) == 0 \
            or Decimal(value).normalize().as_tuple().exponent >= 0
    elif kind == "boolean":
        assert isinstance(value, bool)
    elif kind == "choice":
        assert value in [c["value"] for c in field["choices"]]
    elif kind == "multichoice":
        assert set(value) <= {c["value"] for c in field["choices"]}
        assert max(field["min_choices"], 1) <= len(value) <= field["max_choices"]
    elif kind == "household_member":
        allowed = {m["id"] for m in MEMBERS if not field["relationship"] or m["relationship"] == field["relationship"]}
        assert set(value) <= allowed and (field["multiple"] or len(value) == 1)
    elif kind == "file":
        assert 1 <= len(value) <= field["max_files"]
    elif kind == "block":
        assert max(field["min_items"], 1 if field["required"] else 0) <= len(value) <= field["max_items"]
        for item in value:
            assert set(item) <= {"x", "y"} and (not field["fields"][0]["required"] or "x" in item)
            assert item.get("y") in (None, "a", "b")
    elif kind == "address":
        assert len(value["postcode"]) == 5 and value["street"] and value["city"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_cleaning_agrees_with_the_definition(data):
    defn = data.draw(definitions())
    assert validate_definition(defn) == []  # valid by construction
    answers = {"f99": "forged", "not-a-field": [1, 2]}
    context = {"profile": {"city": "Nancy"}, "household": {"children_count": 0, "members_count": 0}}
    for page in defn["pages"]:
        if page not in visible_pages(defn, answers):
            assert clean_page(defn, page["id"], {}, {}, answers) == ({}, {})
            continue
        post = data.draw(post_for(page))
        files = data.draw(st.dictionaries(st.sampled_from([f["id"] for f in page["fields"]] + ["zz"]),
                                          st.lists(st.integers(1, 50), max_size=4), max_size=2))
        page_answers, errors = clean_page(defn, page["id"], post, files, answers, members=MEMBERS, context=context)
        form = build_page_form(defn, page["id"], answers=answers, data=post, attachment_ids=files, members=MEMBERS,
                               context=context)
        assert form.is_valid() == (not errors)
        str(form)  # renders
        event("page refused" if errors else "page accepted")
        if errors:
            assert page_answers == {}
            assert set(errors) <= set(form.fields), (errors, list(form.fields))
            continue
        page_ids = {f["id"] for f in page["fields"] if holds_value(f)}
        assert set(page_answers) <= page_ids  # forged keys dropped
        kept = dict(merge_page_answers(defn, page["id"], answers, {}))
        for field in page["fields"]:
            if not holds_value(field):
                continue
            visible = evaluate(field.get("condition"), kept)
            if not visible:
                assert field["id"] not in page_answers  # hidden fields never survive
                continue
            if field["id"] in page_answers:
                if field["type"] != "computed":
                    check_value(field, page_answers[field["id"]])
                kept[field["id"]] = page_answers[field["id"]]
            else:
                assert not field.get("required")  # required visible fields are present
        answers = merge_page_answers(defn, page["id"], answers, page_answers)
        assert "f99" not in answers and "not-a-field" not in answers
