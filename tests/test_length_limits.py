"""Every free-text field has a length limit in the model, the form and the API (issue 8, hole 7).

These tests walk whatever exists, so an app added later is covered without touching them.
"""

import importlib
import inspect
from pathlib import Path

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import IntegrityError, connection, models, transaction

from core.fields import BoundedTextField

BASE = Path(settings.BASE_DIR).resolve()


def _our_apps():
    return [
        cfg
        for cfg in apps.get_app_configs()
        if Path(cfg.path).resolve().is_relative_to(BASE) and ".venv" not in Path(cfg.path).parts
    ]


def _text_fields():
    for cfg in _our_apps():
        for model in cfg.get_models():
            for field in model._meta.get_fields():
                if isinstance(field, models.CharField | models.TextField) and field.concrete:
                    yield model, field


def test_hole7_every_model_text_field_has_a_length_limit_enforced_by_validation():
    found = list(_text_fields())
    assert len(found) > 100  # the walk sees the project's models
    missing = []
    for model, field in found:
        has_validator = any(isinstance(v, MaxLengthValidator) for v in field.validators)
        if not field.max_length or not has_validator:
            missing.append(f"{model._meta.label}.{field.name}")
        elif isinstance(field, models.TextField) and not isinstance(field, BoundedTextField):
            missing.append(f"{model._meta.label}.{field.name} (TextField: use core.fields.BoundedTextField)")
    assert missing == []


@pytest.mark.django_db
def test_hole7_the_database_refuses_an_overlong_note_even_without_validation(cast):
    from people.models import Person

    person = Person.objects.create(name="张三", registered_by=cast.station)
    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.filter(pk=person.pk).update(marks="长" * 2001)
    Person.objects.filter(pk=person.pk).update(marks="长" * 2000)  # exactly at the limit is fine
    person.marks = "长" * 2001
    with pytest.raises(ValidationError, match="2000"):
        person.full_clean()
    assert connection.vendor in {"sqlite", "postgresql"}


def _form_classes():
    for cfg in _our_apps():
        try:
            module = importlib.import_module(f"{cfg.name}.forms")
        except ModuleNotFoundError:
            continue
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                yield cls


def test_hole7_every_form_text_field_has_a_length_limit():
    missing = []
    classes = list(_form_classes())
    assert len(classes) > 20
    for cls in classes:
        django_declared = {
            name
            for base in cls.__mro__
            if base.__module__.startswith("django.")
            for name in getattr(base, "declared_fields", {})
        }
        for name, field in cls.base_fields.items():
            if (
                name not in django_declared
                and type(field) in (forms.CharField, forms.EmailField, forms.SlugField, forms.URLField)
                and not field.max_length
            ):
                missing.append(f"{cls.__module__}.{cls.__name__}.{name}")
    assert missing == []


def _unbounded_strings(schema, components, where, seen=None):
    seen = seen if seen is not None else set()
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return
        seen.add(name)
        yield from _unbounded_strings(components[name], components, name, seen)
        return
    for key in ("anyOf", "oneOf", "allOf"):
        alternatives = schema.get(key, [])
        if {"number", "string"} <= {sub.get("type") for sub in alternatives}:
            continue  # a Decimal: pydantic parses the string form as a number (bounded by max_digits)
        for sub in alternatives:
            yield from _unbounded_strings(sub, components, where, seen)
    if (
        schema.get("type") == "string"
        and "maxLength" not in schema
        and "enum" not in schema
        and schema.get("format") not in {"uuid", "date", "date-time", "binary", "time"}
    ):
        yield where
    if schema.get("type") == "array" and "items" in schema:
        yield from _unbounded_strings(schema["items"], components, where + "[]", seen)
    for prop, sub in schema.get("properties", {}).items():
        yield from _unbounded_strings(sub, components, f"{where}.{prop}", seen)


def test_hole7_every_api_string_input_has_a_length_limit(client):
    spec = client.get("/api/openapi.json").json()
    components = spec.get("components", {}).get("schemas", {})
    missing = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            for param in op.get("parameters", []):
                missing += _unbounded_strings(
                    param.get("schema", {}), components, f"{method.upper()} {path} ?{param['name']}"
                )
            for media in op.get("requestBody", {}).get("content", {}).values():
                missing += _unbounded_strings(
                    media.get("schema", {}), components, f"{method.upper()} {path} body"
                )
    assert sorted(set(missing)) == []


def test_hole7_an_overlong_api_field_is_refused_with_a_chinese_message(cast, client_for):
    from people.models import Person

    response = client_for(cast.reception).post(
        "/api/v1/intake/requests",
        {"channel": "walk_in", "answers": {"relatives": "长" * 2001}},
        content_type="application/json",
    )
    assert response.status_code == 422
    body = response.json()
    assert "不能超过 2000 个字符" in str(body["fields"])
    assert Person.objects.count() == 0
