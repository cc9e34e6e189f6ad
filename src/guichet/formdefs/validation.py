"""Validation of form definitions: every problem, with its location and a French message."""

from dataclasses import dataclass


@dataclass(frozen=True)
class DefinitionProblem:
    """One problem of a definition: `path` like ``pages[1].fields[3].choices`` and a French `message`."""

    path: str
    message: str

    def __str__(self):
        return f"{self.path} : {self.message}" if self.path else self.message


def validate_definition(defn, *, prefix=""):
    """Every problem of this form definition (an empty list when it is valid). `prefix` is put before paths
    (the import of a procedure file passes "form")."""
    raise NotImplementedError
