"""The base of every input shape (API bodies, queries, the action bodies the workbench builds too).

Only shape: no string field may carry control characters (yimen.common.text), unknown fields are
refused. Knows no domain app, so the domain's action bodies (yimen.cases.actions) and the API's own
schemas share it.
"""

from typing import Annotated

from django.db import models
from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from yimen.common.text import has_control_characters


def choices_doc(choices: type[models.TextChoices]) -> str:
    """"walk_in=来访; phone=来电; …" for the OpenAPI description of an enum field."""
    return "; ".join(f"{value}={label}" for value, label in choices.choices)


def enum_field(choices, description: str = ""):
    return Field(description=(description + " " if description else "") + "取值：" + choices_doc(choices))


# ---------------------------------------------------------------------------------------------
# Control characters (yimen.common.text): refused in every input, by the base classes below, so a
# new schema cannot forget. A field whose strings are long free text is marked LONG_TEXT and keeps
# tab, newline and carriage return; every other string is one line.


class _LongTextMarker:
    def __repr__(self):
        return "LONG_TEXT"


LONG_TEXT = _LongTextMarker()
LongText = Annotated[str, LONG_TEXT]

CONTROL_CHARACTERS = "control_characters"  # the error type; errors.describe names the field


def refuse_control_characters(value, *, multiline: bool = False):
    if has_control_characters(value, multiline=multiline):
        raise PydanticCustomError(CONTROL_CHARACTERS, "contains invisible control characters")
    return value


# A path parameter or any other single string outside a schema (e.g. the matter number in the URL).
SingleLine = Annotated[str, AfterValidator(refuse_control_characters)]


class Input(Schema):
    """Base of every request body and query: no string field may carry control characters."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value, info: ValidationInfo):
        if isinstance(value, (str, list, tuple, set, frozenset, dict)):
            field = cls.model_fields.get(info.field_name)
            refuse_control_characters(value, multiline=field is not None and LONG_TEXT in field.metadata)
        return value


class In(Input):
    """Base of every request body: unknown fields are refused (a typo must not pass silently)."""

    model_config = ConfigDict(extra="forbid")


