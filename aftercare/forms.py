"""Forms of the aftercare app: short, phone-friendly, every free text with its length limit."""

from django import forms
from django.utils import timezone

from aftercare.models import (
    NOTE_MAX,
    REPORT_MAX,
    RISK_CATEGORIES,
    HardshipKind,
    ReferralStatus,
    RiskRegistration,
    VisitMethod,
)
from aftercare.services import END_REASONS

DT_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _now_local():
    return timezone.localtime().replace(second=0, microsecond=0)


class CaseFilterForm(forms.Form):
    q = forms.CharField(label="姓名", max_length=50, required=False)
    station = forms.ChoiceField(label="送返机构", required=False)
    visited = forms.ChoiceField(
        label="回访", required=False, choices=[("", "全部"), ("no", "尚未回访"), ("yes", "已回访")]
    )
    minor = forms.BooleanField(label="仅未成年人", required=False)

    def __init__(self, *args, stations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].choices = [("", "全部")] + [(str(s.uuid), s.display_short) for s in stations]


class FamilyReportForm(forms.Form):
    family_report = forms.CharField(
        label="家庭情况（村委会了解）",
        max_length=REPORT_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "wide": True}),
        help_text="家庭成员、监护与照料、住房、收入、是否需要帮扶（规则A1）",
    )


class FollowUpForm(forms.Form):
    visited_at = forms.DateTimeField(label="回访时间", widget=DT_WIDGET, initial=_now_local)
    method = forms.ChoiceField(label="回访方式", choices=VisitMethod.choices)
    at_home = forms.BooleanField(label="本人在家", required=False, initial=True)
    situation = forms.CharField(
        label="生活情况", max_length=REPORT_MAX, widget=forms.Textarea(attrs={"rows": 4, "wide": True})
    )


class RiskVisitForm(forms.Form):
    visited_at = forms.DateTimeField(label="走访时间", widget=DT_WIDGET, initial=_now_local)
    method = forms.ChoiceField(label="走访方式", choices=VisitMethod.choices)
    present = forms.BooleanField(label="本人在家", required=False, initial=True)
    situation = forms.CharField(
        label="情况", max_length=REPORT_MAX, widget=forms.Textarea(attrs={"rows": 4, "wide": True})
    )


class ReferralForm(forms.Form):
    kind = forms.ChoiceField(label="帮扶类别", choices=HardshipKind.choices)
    reason = forms.CharField(
        label="困难情况", max_length=300, widget=forms.Textarea(attrs={"rows": 3, "wide": True})
    )


class ReferralDecideForm(forms.Form):
    status = forms.ChoiceField(
        label="办理结果",
        choices=[
            (ReferralStatus.GRANTED, ReferralStatus.GRANTED.label),
            (ReferralStatus.REFUSED, ReferralStatus.REFUSED.label),
        ],
    )
    outcome = forms.CharField(
        label="办理情况", max_length=300, widget=forms.Textarea(attrs={"rows": 3, "wide": True})
    )


class RouteForm(forms.Form):
    township = forms.ModelChoiceField(
        label="负责乡镇（街道）", queryset=None, required=False, help_text="留空：由送返机构自行回访"
    )
    village = forms.ModelChoiceField(label="所在村（居）", queryset=None, required=False)

    def __init__(self, *args, townships, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["township"].queryset = townships
        self.fields["village"].queryset = villages


class RegistrationForm(forms.ModelForm):
    birth_date = forms.DateField(label="出生日期", widget=DATE_WIDGET, required=False)

    class Meta:
        model = RiskRegistration
        fields = [
            "name",
            "sex",
            "birth_date",
            "address",
            "guardian_name",
            "guardian_phone",
            "marks",
            *RISK_CATEGORIES,
            "township",
            "village",
            "station",
        ]

    def __init__(self, *args, townships, villages, stations, from_case=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["township"].queryset = townships
        self.fields["village"].queryset = villages
        self.fields["village"].required = False
        self.fields["station"].queryset = stations
        if from_case:
            for name in ("name", "sex", "birth_date", "address"):
                self.fields[name].required = False
                self.fields[name].help_text = "留空则取自人员档案"

    def service_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("township", "village", "station")}
        return {k: v for k, v in data.items() if v not in (None, "") or k in RISK_CATEGORIES}


class EndForm(forms.Form):
    reason = forms.ChoiceField(label="移出原因", choices=list(END_REASONS.items()))


class WanderingForm(forms.Form):
    last_seen_on = forms.DateField(label="最后在家日期", widget=DATE_WIDGET, initial=timezone.localdate)
    last_seen_place = forms.CharField(label="最后出现地点", max_length=200, required=False)
    note = forms.CharField(
        label="情况说明",
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "wide": True}),
    )


class RatesForm(forms.Form):
    start = forms.DateField(label="返乡日期自", widget=DATE_WIDGET, required=False)
    end = forms.DateField(label="至", widget=DATE_WIDGET, required=False)
