"""Model fields shared by every app.

Every free-text field has a length limit (issue 8, hole 7): a ``CharField`` carries one by
construction (and PostgreSQL's ``varchar(n)`` enforces it), but Django's ``TextField`` ignores
``max_length`` at the model and database level. ``BoundedTextField`` is a ``TextField`` whose limit
holds everywhere: ``full_clean`` (a ``MaxLengthValidator``), forms (``maxlength`` and a Chinese
message) and the database (a named ``CHECK (length(col) <= n)`` constraint the field adds to its
model, so ``makemigrations`` writes it and SQLite and PostgreSQL alike enforce it): a service or a
script that skips validation still cannot store a 10 MB note.
"""

from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.functions import Length

# Limits used across the apps; pick the smallest that fits what staff really write.
NOTE = 2000  # a note, a reason, an answer, a record of circumstances
LONG_TEXT = 5000  # a talk's transcript, a statement
CIPHERTEXT = 512  # an encrypted ID number (Fernet token of 18 characters is ~140)


class BoundedTextField(models.TextField):
    """A multi-line text field with a mandatory length limit enforced by model, form and database."""

    def __init__(self, *args, max_length: int | None = None, **kwargs):
        if not max_length:
            raise TypeError("BoundedTextField needs max_length")
        super().__init__(*args, max_length=max_length, **kwargs)
        self.validators.append(MaxLengthValidator(max_length))

    def contribute_to_class(self, cls, name, private_only=False):
        super().contribute_to_class(cls, name, private_only=private_only)
        if cls._meta.abstract:
            return  # each concrete subclass gets its own copy of the field, and the constraint
        if cls.__module__ == "__fake__":
            # A historical model rendered by migrations has exactly the constraints its migrations declare:
            # adding the check here too made CreateModel create it with the table and the AddConstraint that
            # makemigrations writes after it create it a second time (PostgreSQL refuses the duplicate name).
            return
        constraint_name = f"{cls._meta.db_table}_{self.column}_len"
        if any(c.name == constraint_name for c in cls._meta.constraints):
            return
        check = models.CheckConstraint(
            condition=models.Q(**{f"{self.column}__length__lte": self.max_length}), name=constraint_name
        )
        cls._meta.constraints = [*cls._meta.constraints, check]
        # Migrations copy only the Meta options a model declared: declare it.
        cls._meta.original_attrs["constraints"] = cls._meta.constraints


BoundedTextField.register_lookup(Length)
