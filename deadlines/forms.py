from django import forms

from deadlines.models import DayKind


class HolidayForm(forms.Form):
    date = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label="类型", choices=DayKind.choices)
    name = forms.CharField(label="节日", max_length=50, required=False, help_text="如：春节、国庆节")


class HolidayImportForm(forms.Form):
    file = forms.FileField(label="CSV 文件", help_text="每行：日期,类型,节日，如 2027-02-06,holiday,春节（类型 holiday/workday 或 休/班）")


class RuleSettingForm(forms.Form):
    rule_id = forms.CharField(max_length=16, widget=forms.HiddenInput)
    amount = forms.IntegerField(label="从严时限", min_value=1, required=False, help_text="留空恢复默认值")
    note = forms.CharField(label="依据", max_length=200, required=False)


class AsOfForm(forms.Form):
    as_of = forms.DateTimeField(label="截至时间", required=False,
                                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"])
    months = forms.IntegerField(label="统计月数", min_value=1, max_value=12, required=False)
