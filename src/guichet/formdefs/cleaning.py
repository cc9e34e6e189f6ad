"""Cleaning a page's answers (server side): the only way answers enter a request."""


def clean_page(defn, page_id, data, files, answers, *, members=(), context=None):
    """Validate the POST `data` of one page → ``(page_answers, errors)``.

    - `data`: the POST (QueryDict or dict); keys outside the page's fields are ignored;
    - `files`: ``{file field id: [attachment ids already stored for this request]}``: counts and required are
      checked here, the content of files by ``guichet.service_requests.files``;
    - `answers`: the answers of the request so far (other pages), used by the conditions;
    - `members`: the citizen's household members — objects or dicts with ``id``, ``relationship`` and
      ``first_name``/``last_name`` — household_member answers must be among their ids;
    - `context`: the values a computed field's expression may read (``{"profile": {...}, "household": ...}``).

    `page_answers` holds only the visible fields of the page (hidden ones are dropped, computed ones computed);
    `errors` is ``{html field name: [French messages]}`` — empty when the page is valid. A hidden page gives
    ``({}, {})``.
    """
    raise NotImplementedError


def reused_documents(defn, page_id, data, files_offered):
    """The citizen's documents chosen for reuse on this page: ``{file field id: [document ids]}``, only among
    the offered ones (`files_offered` is ``{field id: [(document id, label), …]}``)."""
    raise NotImplementedError
