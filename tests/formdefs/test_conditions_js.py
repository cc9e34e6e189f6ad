"""conditions.py and static/formdefs/conditions.js agree on the same table of cases (and on random ones)."""

import json
import shutil
import subprocess
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guichet.formdefs import evaluate

SCRIPT = Path(__file__).resolve().parents[2] / "src/guichet/formdefs/static/formdefs/conditions.js"
NODE = shutil.which("node")
RUNNER = """
const c = require(process.argv[1]);
let input = "";
process.stdin.on("data", (d) => { input += d; });
process.stdin.on("end", () => {
  const cases = JSON.parse(input);
  process.stdout.write(JSON.stringify(cases.map(([cond, answers]) => c.evaluate(cond, answers))));
});
"""


def run_node(cases):
    assert NODE, "node is required for the conditions.js tests"
    result = subprocess.run([NODE, "-e", RUNNER, str(SCRIPT)], input=json.dumps(cases), capture_output=True,
                            text=True, check=True, timeout=60)
    return json.loads(result.stdout)


def c(op, value=None, field="a"):
    return {"field": field, "op": op, "value": value}


TABLE = [
    # (condition, answers, expected)
    (None, {}, True),
    (c("eq", "x"), {"a": "x"}, True),
    (c("eq", "x"), {"a": " x "}, True),
    (c("eq", "X"), {"a": "x"}, False),
    (c("eq", "10"), {"a": "10.0"}, True),
    (c("eq", 10), {"a": "10,0"}, True),
    (c("eq", "x"), {}, False),
    (c("ne", "x"), {}, True),
    (c("eq", True), {"a": True}, True),
    (c("eq", True), {"a": "oui"}, True),
    (c("eq", "non"), {"a": False}, True),
    (c("eq", False), {"a": None}, False),
    (c("eq", "b"), {"a": ["a", "b"]}, True),
    (c("eq", "z"), {"a": ["a", "b"]}, False),
    (c("eq", "x"), {"a": {"street": "x"}}, False),
    (c("in", ["a", "c"]), {"a": "c"}, True),
    (c("in", ["a", "c"]), {"a": ["b", "c"]}, True),
    (c("in", ["a", "c"]), {"a": ["b"]}, False),
    (c("in", ["a"]), {}, False),
    (c("not_in", ["a"]), {}, True),
    (c("not_in", "a"), {"a": "b"}, False),
    (c("in", [1, 2]), {"a": "2"}, True),
    (c("empty"), {"a": "   "}, True),
    (c("empty"), {"a": []}, True),
    (c("empty"), {"a": {"street": "", "city": None}}, True),
    (c("empty"), {"a": False}, False),
    (c("not_empty"), {"a": 0}, True),
    (c("true"), {"a": True}, True),
    (c("true"), {"a": "OUI"}, True),
    (c("false"), {}, False),
    (c("false"), {"a": "0"}, True),
    (c("gt", 3), {"a": "3,5"}, True),
    (c("gt", 3), {"a": "abc"}, False),
    (c("lte", "2025-01-01"), {"a": "2024-12-31"}, True),
    (c("gt", "2025-01-01"), {"a": 5}, False),
    (c("gte", 2), {"a": [{"x": 1}, {"x": 2}]}, True),
    (c("lt", 1), {"a": []}, True),
    ({"all": []}, {}, True),
    ({"any": []}, {}, False),
    ({"not": c("empty")}, {"a": "x"}, True),
    ({"all": [c("eq", "x"), {"any": [c("eq", 1, "b"), c("true", None, "c")]}]}, {"a": "x", "c": "oui"}, True),
    ({"field": "a"}, {"a": 1}, False),
    ("garbage", {}, False),
    (c("eq", "x", "__proto__"), {}, False),
    (c("eq", "1e3"), {"a": "1000"}, False),
    (c("eq", "x"), {"a": "x\u00a0"}, True),
]


def test_table_in_python_and_in_node():
    assert [evaluate(cond, answers) for cond, answers, _ in TABLE] == [expected for _, _, expected in TABLE]
    assert run_node([[cond, answers] for cond, answers, _ in TABLE]) == [expected for _, _, expected in TABLE]


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-1000, 1000), st.floats(-1e6, 1e6, allow_nan=False),
    st.sampled_from(["", " ", "oui", "NON", "true", "0", "1", "3,5", "-2.25", ".5", "10", "2024-05-01",
                     "2025-12-31", "a", "b", "x y", "\u00a0a\u00a0", "İ", "K"]),
    st.text(max_size=6),
)
values = st.one_of(scalars, st.lists(scalars, max_size=4),
                   st.dictionaries(st.sampled_from(["street", "city"]), scalars, max_size=2))
ops = st.sampled_from(["eq", "ne", "in", "not_in", "empty", "not_empty", "gt", "lt", "gte", "lte", "true", "false",
                       "bogus"])
leaf = st.builds(lambda field, op, value: {"field": field, "op": op, "value": value},
                 st.sampled_from(["a", "b"]), ops, st.one_of(scalars, st.lists(scalars, max_size=3)))
conditions = st.recursive(leaf, lambda inner: st.one_of(
    st.builds(lambda parts: {"all": parts}, st.lists(inner, max_size=3)),
    st.builds(lambda parts: {"any": parts}, st.lists(inner, max_size=3)),
    st.builds(lambda part: {"not": part}, inner),
), max_leaves=6)
answer_sets = st.dictionaries(st.sampled_from(["a", "b", "c"]), values, max_size=3)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(st.tuples(conditions, answer_sets), min_size=100, max_size=100))
def test_random_conditions_agree(cases):
    cases = [[cond, answers] for cond, answers in cases]
    # JSON first: the browser only ever sees JSON (tuples become lists, floats round-trip).
    cases = json.loads(json.dumps(cases))
    assert [evaluate(cond, answers) for cond, answers in cases] == run_node(cases)
