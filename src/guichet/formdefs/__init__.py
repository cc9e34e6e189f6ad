"""Form definitions of the procedures (démarches): a pure library, no models.

A form definition is the JSON stored in ``ProcedureVersion.form`` (see README.md in this folder for the
schema and the semantics of conditions). Public API (names fixed by the architecture):

- ``validate_definition(defn)`` → list of ``DefinitionProblem(path, message)``, every problem, French messages;
- ``field_ids(defn)`` → ids of every top-level field that holds a value, in order;
- ``is_visible(item, answers)`` / ``visible_pages(defn, answers)`` → conditions, the same as conditions.js;
- ``build_page_form(defn, page_id, *, answers, prefill, files_offered, data=None, members=())`` → a bound or
  unbound Django form for one page;
- ``clean_page(defn, page_id, data, files, answers, *, members=(), context=None)`` → ``(page_answers, errors)``;
- ``reused_documents(defn, page_id, data, files_offered)`` → ``{field_id: [document ids]}`` the citizen chose
  to reuse ("tell us once"), limited to the offered ones;
- ``file_field_rules(defn, field_id)`` → ``FileRules(accept, max_size_mb, max_files)``;
- ``prefill_values(defn, citizen_data)`` → initial answers from the citizen's profile and household;
- ``summary(defn, answers, *, members=())`` → ``[(page title, [(label, display value)])]``;
- ``formdefs.editing`` → builder operations (``add_page``, ``add_field``, ``update_field``, ``move``,
  ``delete`` …) returning a new definition or raising ``DefinitionError`` (French message).
"""

from .cleaning import clean_page, reused_documents
from .conditions import evaluate, is_visible, visible_pages
from .display import summary
from .forms import build_page_form
from .prefill import prefill_values
from .schema import DefinitionError, FileRules, field_ids, file_field_rules, find_field, find_page, iter_fields
from .validation import DefinitionProblem, validate_definition

__all__ = [
    "DefinitionError", "DefinitionProblem", "FileRules", "build_page_form", "clean_page", "evaluate",
    "field_ids", "file_field_rules", "find_field", "find_page", "is_visible", "iter_fields", "prefill_values",
    "reused_documents", "summary", "validate_definition", "visible_pages",
]
