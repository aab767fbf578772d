"""Forms of the aftercare app: short, phone-friendly, every free text with its length limit."""

from django import forms
from django.utils import timezone

from aftercare.models import (
    NOTE_MAX,
    REPORT_MAX,
    RISK_CATEGORIES,
    SHARED_FIELDS,
    AttentionStatus,
    HardshipKind,
    ReferralStatus,
    RiskRegistration,
    SharedListKind,
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


# --- data sharing (rule A4) -----------------------------------------------------------------------------


class SenderForm(forms.Form):
    name = forms.CharField(label="来源部门", max_length=100, help_text="如：英德市民政局（低保）、英德市残联")
    list_kind = forms.ChoiceField(label="名单类别", choices=SharedListKind.choices)
    header_row = forms.IntegerField(
        label="表头所在行", min_value=1, max_value=20, initial=1, help_text="表格第一行是标题时填 2"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field, label in SHARED_FIELDS.items():
            self.fields[f"col_{field}"] = forms.CharField(
                label=f"“{label}”所在列的列名",
                max_length=50,
                required=False,
                help_text="必填"
                if field == "name"
                else ("与出生日期至少填一项" if field == "id_number" else ""),
            )

    @staticmethod
    def initial_for(sender) -> dict:
        return {
            "name": sender.name,
            "list_kind": sender.list_kind,
            "header_row": sender.header_row,
            **{f"col_{f}": h for f, h in sender.mapping.items()},
        }

    def mapping(self) -> dict[str, str]:
        return {f: self.cleaned_data.get(f"col_{f}") or "" for f in SHARED_FIELDS}


class SharedImportForm(forms.Form):
    sender = forms.ModelChoiceField(label="来源部门", queryset=None, empty_label="请选择")
    file = forms.FileField(
        label="Excel 文件（.xlsx）", help_text="按来源部门设置的列名读取；有任何错误时整份文件不导入。"
    )

    def __init__(self, *args, senders, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sender"].queryset = senders
        self.fields["sender"].to_field_name = "uuid"


class AttentionFilterForm(forms.Form):
    q = forms.CharField(label="姓名", max_length=50, required=False)
    status = forms.ChoiceField(
        label="核实结果", required=False, choices=[("", "全部"), *AttentionStatus.choices]
    )
    kind = forms.ChoiceField(
        label="名单类别", required=False, choices=[("", "全部"), *SharedListKind.choices]
    )


class AttentionDecideForm(forms.Form):
    status = forms.ChoiceField(
        label="核实结果",
        widget=forms.RadioSelect,
        choices=[
            (AttentionStatus.CONFIRMED, AttentionStatus.CONFIRMED.label),
            (AttentionStatus.REJECTED, AttentionStatus.REJECTED.label),
        ],
        error_messages={"required": "请选择核实结果。"},
    )
    note = forms.CharField(
        label="核实说明",
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "wide": True}),
    )


class AttentionRegisterForm(forms.Form):
    township = forms.ModelChoiceField(label="负责乡镇（街道）", queryset=None)
    village = forms.ModelChoiceField(label="所在村（居）", queryset=None, required=False)
    station = forms.ModelChoiceField(label="联系救助管理机构", queryset=None)
    mental_disorder = forms.BooleanField(label="精神障碍", required=False)
    alzheimers = forms.BooleanField(label="阿尔茨海默病（认知症）", required=False)
    physical_disability = forms.BooleanField(label="肢体残疾", required=False)
    intellectual_disability = forms.BooleanField(label="智力残疾", required=False)
    repeated_wandering = forms.BooleanField(label="多次流浪", required=False)

    def __init__(self, *args, townships, villages, stations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["township"].queryset = townships
        self.fields["village"].queryset = villages
        self.fields["station"].queryset = stations

    def categories(self) -> dict[str, bool]:
        return {c: bool(self.cleaned_data.get(c)) for c in RISK_CATEGORIES}
