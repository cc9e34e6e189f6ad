"""Django forms for one page of a form definition."""


def build_page_form(defn, page_id, *, answers=None, prefill=None, files_offered=None, data=None, members=(),
                    context=None):
    """A Django form instance for the page (bound when `data` is given).

    `answers`: the answers so far (initial values and conditions), `prefill`: values from
    ``prefill_values`` (used where no answer exists yet), `files_offered`: ``{field id: [(document id, label)]}``
    (documents the citizen may reuse), `members`: the household members for household_member fields.
    ``form.is_valid()`` then ``form.page_answers``; ``{{ form }}`` renders the page accessibly (error summary,
    titles, comments, fieldsets) — the fields also work with ``includes/form.html``.
    """
    raise NotImplementedError
