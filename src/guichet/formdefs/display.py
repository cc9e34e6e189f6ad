"""Human-readable summary of answers (recap page, receipt, agents' request page)."""


def summary(defn, answers, *, members=(), attachments=None):
    """``[(page title, [(label, display value)])]`` for the visible pages and fields that have an answer."""
    raise NotImplementedError
