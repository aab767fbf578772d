from django import forms

from incidents.models import IncidentKind, ReportKind, Stage

DT_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
TEXTAREA = {"rows": 4, "wide": "1"}


class IncidentForm(forms.Form):
    station = forms.ModelChoiceField(label="发生机构", queryset=None, to_field_name="uuid")
    kind = forms.ChoiceField(
        label="类型",
        choices=IncidentKind.choices,
        help_text="死亡、走失在办理离站时自动登记，无需在此重复登记",
    )
    occurred_at = forms.DateTimeField(label="发生/发现时间", widget=DT_WIDGET)
    title = forms.CharField(label="事件名称", max_length=100)
    description = forms.CharField(label="基本情况", max_length=2000, widget=forms.Textarea(attrs=TEXTAREA))

    def __init__(self, *args, stations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = stations


class ReportForm(forms.Form):
    stage = forms.ChoiceField(label="报告环节", choices=Stage.choices)
    kind = forms.ChoiceField(label="报告类型", choices=ReportKind.choices)
    recipient_name = forms.CharField(
        label="本级人民政府名称",
        max_length=100,
        required=False,
        help_text="报告本级人民政府时填写，如“英德市人民政府”",
    )
    sent_at = forms.DateTimeField(label="报告时间", widget=DT_WIDGET)
    content = forms.CharField(label="报告内容", max_length=2000, widget=forms.Textarea(attrs=TEXTAREA))

    def __init__(self, *args, stages=None, **kwargs):
        super().__init__(*args, **kwargs)
        if stages is not None:
            self.fields["stage"].choices = [(v, label) for v, label in Stage.choices if v in stages]


class ReceiveForm(forms.Form):
    received_at = forms.DateTimeField(label="接收时间", widget=DT_WIDGET)
    note = forms.CharField(label="接收情况", max_length=200, required=False)


class HandlingForm(forms.Form):
    at = forms.DateTimeField(label="时间", widget=DT_WIDGET)
    text = forms.CharField(label="处置情况", max_length=500, widget=forms.Textarea(attrs=TEXTAREA))


class CloseForm(forms.Form):
    note = forms.CharField(label="结案意见", max_length=500, widget=forms.Textarea(attrs=TEXTAREA))
