from django import forms

from oversight.models import Outcome, RiskCategory

DT_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXTAREA = {"rows": 3, "wide": "1"}


class ChecklistItemForm(forms.Form):
    category = forms.ChoiceField(label="风险类别", choices=RiskCategory.choices)
    text = forms.CharField(label="检查内容", max_length=200)
    guidance = forms.CharField(
        label="检查方法/标准", max_length=300, required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )
    order = forms.IntegerField(label="排序", min_value=0, max_value=999, initial=0)
    is_active = forms.BooleanField(label="启用", required=False, initial=True)


class InspectionForm(forms.Form):
    """The checklist as a form: for every item a result, a note, a photo and (when failed) a deadline."""

    inspected_at = forms.DateTimeField(label="检查时间", widget=DT_WIDGET)
    participants = forms.CharField(label="参加人员", max_length=200, required=False)
    note = forms.CharField(
        label="总体情况", max_length=500, required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for item in self.items:
            self.fields[f"r_{item.pk}"] = forms.ChoiceField(
                label=item.text, choices=Outcome.choices, widget=forms.RadioSelect, help_text=item.guidance
            )
            self.fields[f"n_{item.pk}"] = forms.CharField(
                label="情况说明 / 隐患描述", max_length=300, required=False
            )
            self.fields[f"p_{item.pk}"] = forms.ImageField(label="现场照片", required=False)
            self.fields[f"d_{item.pk}"] = forms.DateField(
                label="整改期限", required=False, widget=DATE_WIDGET
            )

    def rows(self):
        """(item, result field, note field, photo field, deadline field) grouped for the template."""
        for item in self.items:
            yield (
                item,
                self[f"r_{item.pk}"],
                self[f"n_{item.pk}"],
                self[f"p_{item.pk}"],
                self[f"d_{item.pk}"],
            )

    def results(self) -> list[dict]:
        d = self.cleaned_data
        return [
            {
                "item": item,
                "outcome": d.get(f"r_{item.pk}"),
                "note": d.get(f"n_{item.pk}") or "",
                "photo": d.get(f"p_{item.pk}"),
                "deadline": d.get(f"d_{item.pk}"),
            }
            for item in self.items
        ]


class HazardForm(forms.Form):
    """A hazard found outside an inspection (a walk-round, a complaint)."""

    organisation = forms.ModelChoiceField(label="责任机构", queryset=None, to_field_name="uuid")
    category = forms.ChoiceField(label="风险类别", choices=RiskCategory.choices)
    description = forms.CharField(label="隐患描述", max_length=500, widget=forms.Textarea(attrs=TEXTAREA))
    found_on = forms.DateField(label="发现日期", widget=DATE_WIDGET)
    deadline = forms.DateField(
        label="整改期限", required=False, widget=DATE_WIDGET, help_text="不填则按默认期限"
    )
    measures = forms.CharField(
        label="整改措施", max_length=500, required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )
    responsible = forms.CharField(label="整改责任人", max_length=50, required=False)
    source = forms.CharField(label="来源", max_length=100, required=False, help_text="如：日常巡查、群众反映")

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


class PlanForm(forms.Form):
    measures = forms.CharField(label="整改措施", max_length=500, widget=forms.Textarea(attrs=TEXTAREA))
    responsible = forms.CharField(label="整改责任人", max_length=50)


class SubmitForm(forms.Form):
    rectification = forms.CharField(label="整改情况", max_length=500, widget=forms.Textarea(attrs=TEXTAREA))


class AcceptForm(forms.Form):
    decision = forms.ChoiceField(
        label="验收结论",
        choices=[("accept", "验收通过"), ("reject", "验收不通过，退回整改")],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="验收意见",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs=TEXTAREA),
        help_text="不通过时必须写明理由",
    )


class CloseForm(forms.Form):
    note = forms.CharField(label="销号说明", max_length=300, required=False)
