"""Forms of the campaign app: what the department types; the services check the rules."""

import datetime

from django import forms

from campaign.models import DECLARATION_TEXT
from core.fields import NOTE

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_DATES_TEXT = 2000


def parse_reporting_dates(text: str) -> list[tuple[datetime.date, str]]:
    """One reporting date a line: ``2020-07-31 第一阶段`` (the stage's name is optional)."""
    dates = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        day, _, label = line.partition(" ")
        try:
            parsed = datetime.date.fromisoformat(day.strip())
        except ValueError:
            raise forms.ValidationError(f"第 {number} 行的日期“{day[:20]}”不正确，请按 2020-07-31 的格式填写。") from None
        dates.append((parsed, label.strip()))
    return dates


class CampaignForm(forms.Form):
    name = forms.CharField(label="专项行动名称", max_length=100)
    document_ref = forms.CharField(label="实施方案文号", max_length=100, required=False, help_text="如：泰民〔2020〕9号")
    starts_on = forms.DateField(label="开始日期", widget=DATE_WIDGET)
    ends_on = forms.DateField(label="结束日期", widget=DATE_WIDGET)
    reporting_dates = forms.CharField(
        label="汇总表报送日期", max_length=MAX_DATES_TEXT,
        widget=forms.Textarea(attrs={"rows": 4, "wide": True, "placeholder": "2020-07-31 第一阶段\n2020-11-30 第二阶段"}),
        help_text="每行一个：日期（年-月-日），空格后可写阶段名称。每个日期进入待办督办。",
    )
    note = forms.CharField(label="说明", max_length=NOTE, required=False,
                           widget=forms.Textarea(attrs={"rows": 3, "wide": True}))

    def clean_reporting_dates(self):
        return parse_reporting_dates(self.cleaned_data["reporting_dates"])


class DeclarationForm(forms.Form):
    division = forms.ChoiceField(label="县（市、区）")
    declared_on = forms.DateField(label="填报日期", widget=DATE_WIDGET, help_text="汇总表按截止日期取最近一次填报")
    leadership_mechanism = forms.BooleanField(label="已成立政府负责同志牵头的领导协调机制", required=False)
    meetings_held = forms.IntegerField(label="专项行动期间召开会议次数", min_value=0, max_value=999, initial=0)
    leadership_note = forms.CharField(
        label="领导协调机制发挥作用情况", max_length=DECLARATION_TEXT, required=False,
        widget=forms.Textarea(attrs={"rows": 3, "wide": True}), help_text="注明召开会议时间、研究事项",
    )
    leaders_guidance = forms.CharField(
        label="党委政府领导调研指导、解决突出困难和问题情况", max_length=DECLARATION_TEXT, required=False,
        widget=forms.Textarea(attrs={"rows": 3, "wide": True}),
    )
    patrol_duties = forms.BooleanField(label="已建成公安、城管牵头履行街面巡查职责", required=False)
    pay_policy = forms.BooleanField(label="工资倾斜政策已落实", required=False)
    pay_policy_note = forms.CharField(
        label="工资倾斜政策落实情况", max_length=DECLARATION_TEXT, required=False,
        widget=forms.Textarea(attrs={"rows": 2, "wide": True}),
    )
    document = forms.FileField(label="依据文件", help_text="会议纪要、文件或证明材料的扫描件（图片或 PDF）")

    def __init__(self, *args, rows=(), editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].choices = [(r.code, r.name) for r in rows]
        if editing:
            self.fields["division"].disabled = True
            self.fields["division"].required = False
            self.fields["document"].required = False
            self.fields["document"].help_text = "不更换依据文件时不必选择"


class TableForm(forms.Form):
    as_of = forms.DateField(label="数据截止日期", widget=DATE_WIDGET)


class SubmitForm(forms.Form):
    reporting_date = forms.ChoiceField(label="报送期次")
    as_of = forms.DateField(label="数据截止日期", widget=DATE_WIDGET, required=False,
                            help_text="默认为报送日期（未到时为今天）")

    def __init__(self, *args, dates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reporting_date"].choices = [(str(d.uuid), str(d)) for d in dates]
