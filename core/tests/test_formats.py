"""HTML date inputs keep prefilled values: Chinese pages render dates in ISO form."""

import datetime

from django import forms
from django.utils import timezone


class _Form(forms.Form):
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    at = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))


def test_date_and_datetime_inputs_render_iso_values_and_parse_them_back():
    at = timezone.make_aware(datetime.datetime(2026, 11, 22, 9, 5))
    html = str(_Form(initial={"day": datetime.date(2026, 11, 22), "at": at}))
    assert 'value="2026-11-22"' in html
    assert 'value="2026-11-22T09:05"' in html
    form = _Form(data={"day": "2026-11-22", "at": "2026-11-22T09:05"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["day"] == datetime.date(2026, 11, 22)
