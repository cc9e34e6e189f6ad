"""Builder operations on a definition: each returns a NEW definition (the argument is never changed) or raises
``DefinitionError`` with a French message."""

from .schema import DefinitionError  # noqa: F401


def new_definition():
    """An empty form with one page."""
    raise NotImplementedError


def add_page(defn, *, page_id, title, condition=None, position=None):
    raise NotImplementedError


def update_page(defn, page_id, **changes):
    raise NotImplementedError


def add_field(defn, page_id, field, *, position=None, block_id=None):
    raise NotImplementedError


def update_field(defn, field_id, changes, *, block_id=None):
    raise NotImplementedError


def move(defn, item_id, *, direction=None, to_page=None, position=None, block_id=None):
    raise NotImplementedError


def delete(defn, item_id, *, block_id=None):
    raise NotImplementedError
