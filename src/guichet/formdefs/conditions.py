"""Display conditions, evaluated here and — with exactly the same semantics — by static/formdefs/conditions.js.

The semantics are documented in README.md ("Conditions"); tests/formdefs/test_conditions_js.py runs the same
cases through both evaluators. In short:

- a missing answer, None, a blank string, an empty list and a dict whose values are all empty are *empty*;
  ``false`` is an answer, not empty;
- a value is a *number* when it is an int/float (not a boolean) or a string like ``12``, ``-3.5`` or ``3,5``;
  a list answer is read as its number of items by gt/lt/gte/lte;
- ``eq``: lists contain the value; otherwise when one side is a boolean both are read as booleans
  ("true"/"oui"/"1" and "false"/"non"/"0"); when both are numbers they are compared as numbers; else both are
  compared as trimmed strings (case-sensitive); dicts are never equal to anything; a missing answer is equal
  to nothing;
- ``ne`` is ``not eq``; ``in``: the value is a list and the answer (or, for a list answer, one of its items)
  is ``eq`` one of its elements; ``not_in`` is ``not in``;
- ``gt``/``lt``/``gte``/``lte``: numbers compared as numbers, ISO dates (YYYY-MM-DD) as dates; anything else
  is false;
- ``true``/``false``: the answer read as a boolean is true/false (a missing answer is neither);
- ``{"all": […]}`` (true when empty), ``{"any": […]}`` (false when empty), ``{"not": cond}``; ``null`` is true;
  a malformed condition is false (definition validation refuses them anyway).
"""

import re

from .schema import page_fields, pages

NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:[.,][0-9]+)?|[.,][0-9]+)$")
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
TRUE_WORDS = ("true", "oui", "1")
FALSE_WORDS = ("false", "non", "0")
MAX_DEPTH = 20
# Trimmed characters: the same set in conditions.js (str.strip() and String.trim() differ on a few).
WHITESPACE = " \t\n\r\f\v\u00a0"


def trim(text):
    return text.strip(WHITESPACE)


def is_empty(value):
    if value is None:
        return True
    if isinstance(value, str):
        return trim(value) == ""
    if isinstance(value, list):
        return len(value) == 0
    if isinstance(value, dict):
        return all(is_empty(item) for item in value.values())
    return False


def as_number(value):
    """A float for numbers and numeric strings, None otherwise (booleans are not numbers)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            return float(value)
        except OverflowError:  # an int too large for a float: JavaScript reads it as ±Infinity
            return float("inf") if value > 0 else float("-inf")
    if isinstance(value, str):
        text = trim(value)
        if NUMBER.match(text):
            return float(text.replace(",", "."))
    return None


def as_bool(value):
    """True/False for booleans and boolean words, None otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return True if value == 1 else False if value == 0 else None
    if isinstance(value, str):
        text = trim(value)
        text = text.lower() if text.isascii() else text
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
    return None


def _text(value):
    return trim(value) if isinstance(value, str) else None


def scalar_eq(answer, expected):
    if answer is None or expected is None or isinstance(answer, (dict, list)) or isinstance(expected, (dict, list)):
        return False
    if isinstance(answer, bool) or isinstance(expected, bool):
        left, right = as_bool(answer), as_bool(expected)
        return left is not None and left == right
    left, right = as_number(answer), as_number(expected)
    if left is not None and right is not None:
        return left == right
    left, right = _text(answer), _text(expected)
    return left is not None and left == right


def op_eq(answer, expected):
    if isinstance(answer, list):
        return any(scalar_eq(item, expected) for item in answer)
    return scalar_eq(answer, expected)


def op_in(answer, expected):
    if not isinstance(expected, list) or is_empty(answer):
        return False
    items = answer if isinstance(answer, list) else [answer]
    return any(scalar_eq(item, element) for item in items for element in expected)


def _comparable(value):
    if isinstance(value, list):
        return ("number", float(len(value)))
    number = as_number(value)
    if number is not None:
        return ("number", number)
    if isinstance(value, str) and ISO_DATE.match(trim(value)):
        return ("date", trim(value))
    return None


def op_order(answer, expected, op):
    left, right = _comparable(answer), _comparable(expected)
    if left is None or right is None or left[0] != right[0]:
        return False
    a, b = left[1], right[1]
    return {"gt": a > b, "lt": a < b, "gte": a >= b, "lte": a <= b}[op]


def evaluate(condition, answers, _depth=0):
    """Whether a condition holds for these answers ({field id: value}); None (no condition) holds."""
    if condition is None:
        return True
    if not isinstance(condition, dict) or _depth > MAX_DEPTH:
        return False
    if not isinstance(answers, dict):
        answers = {}
    if "all" in condition:
        parts = condition["all"]
        return isinstance(parts, list) and all(evaluate(part, answers, _depth + 1) for part in parts)
    if "any" in condition:
        parts = condition["any"]
        return isinstance(parts, list) and any(evaluate(part, answers, _depth + 1) for part in parts)
    if "not" in condition:
        inner = condition["not"]
        return isinstance(inner, dict) and not evaluate(inner, answers, _depth + 1)
    field, op = condition.get("field"), condition.get("op")
    if not isinstance(field, str) or not isinstance(op, str):
        return False
    answer = answers.get(field)
    expected = condition.get("value")
    if op == "empty":
        return is_empty(answer)
    if op == "not_empty":
        return not is_empty(answer)
    if op == "true":
        return as_bool(answer) is True
    if op == "false":
        return as_bool(answer) is False
    if op == "eq":
        return op_eq(answer, expected)
    if op == "ne":
        return not op_eq(answer, expected)
    if op == "in":
        return op_in(answer, expected)
    if op == "not_in":
        return isinstance(expected, list) and not op_in(answer, expected)
    if op in ("gt", "lt", "gte", "lte"):
        return op_order(answer, expected, op)
    return False


def referenced_fields(condition, _depth=0):
    """Ids of the fields a condition reads."""
    if not isinstance(condition, dict) or _depth > MAX_DEPTH:
        return set()
    for combinator in ("all", "any"):
        if combinator in condition:
            parts = condition[combinator] if isinstance(condition[combinator], list) else []
            return set().union(*(referenced_fields(part, _depth + 1) for part in parts))
    if "not" in condition:
        return referenced_fields(condition["not"], _depth + 1)
    return {condition["field"]} if isinstance(condition.get("field"), str) else set()


def is_visible(item, answers):
    """Whether a page or a field is shown for these answers (its `condition` holds)."""
    return evaluate(item.get("condition") if isinstance(item, dict) else None, answers)


def visible_answers(defn, answers):
    """The answers of the fields that are visible, pages and fields read in order.

    A field hidden by a condition, or on a hidden page, counts as unanswered for the conditions after it, so
    "show B when A" then "show C when B" hides C as soon as A hides B — as the browser does.
    """
    answers = answers if isinstance(answers, dict) else {}
    kept = {}
    for page in pages(defn):
        if not evaluate(page.get("condition"), kept):
            continue
        for field in page_fields(page):
            field_id = field.get("id")
            if isinstance(field_id, str) and field_id in answers and evaluate(field.get("condition"), kept):
                kept[field_id] = answers[field_id]
    return kept


def visible_pages(defn, answers):
    """The pages shown for these answers, in order (a page whose condition is false is skipped)."""
    kept = visible_answers(defn, answers)
    return [page for page in pages(defn) if evaluate(page.get("condition"), kept)]
