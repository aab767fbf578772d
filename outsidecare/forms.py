from django import forms

from core.models import Organisation, OrgKind, User
from outsidecare.models import FacilityType
from oversight.forms import DATE_WIDGET, DT_WIDGET, TEXTAREA


class MultiFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiImageField(forms.FileField):
    """Several photos in one input; each is checked by core.images.take_image in the service."""

    widget = MultiFileInput

    def clean(self, data, initial=None):
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultiImageField, self).clean(f, initial) for f in files if f]


class AgreementForm(forms.Form):
    facility = forms.ModelChoiceField(label="托养机构（乙方）", queryset=Organisation.objects.none(),
                                      to_field_name="uuid")
    facility_type = forms.ChoiceField(label="托养机构类别", choices=FacilityType.choices,
                                      help_text="规则 C5：优先选择社会福利、养老或精神卫生机构")
    type_reason = forms.CharField(label="选择其他类别机构的理由", max_length=300, required=False,
                                  widget=forms.Textarea(attrs=TEXTAREA))
    signed_on = forms.DateField(label="签订日期", widget=DATE_WIDGET)
    valid_from = forms.DateField(label="有效期起", widget=DATE_WIDGET)
    valid_to = forms.DateField(label="有效期止", widget=DATE_WIDGET)
    capacity = forms.IntegerField(label="约定托养人数上限", min_value=1, max_value=10000)
    fee = forms.DecimalField(label="托养费用（元/人·月）", min_value=0, max_digits=10, decimal_places=2)
    fee_note = forms.CharField(label="费用说明", max_length=200, required=False)
    document = forms.FileField(label="协议文本（签字盖章扫描件，PDF或图片）")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = Organisation.objects.filter(kind=OrgKind.CARE_FACILITY,
                                                                       is_active=True).order_by("name")


class TerminateForm(forms.Form):
    on = forms.DateField(label="终止日期", widget=DATE_WIDGET)
    reason = forms.CharField(label="终止原因", max_length=200)


class PostingForm(forms.Form):
    staff = forms.ModelChoiceField(label="驻点工作人员", queryset=User.objects.none(), to_field_name="uuid")
    started_at = forms.DateTimeField(label="驻点开始", widget=DT_WIDGET, required=False, help_text="留空为当前时间")
    note = forms.CharField(label="说明", max_length=200, required=False)

    def __init__(self, *args, station=None, **kwargs):
        super().__init__(*args, **kwargs)
        if station is not None:
            self.fields["staff"].queryset = User.objects.filter(organisation=station, is_active=True).order_by(
                "full_name", "username")


class VisitForm(forms.Form):
    """A visit: the facility's safety and, for every person there, care, physical and mental condition."""

    visited_at = forms.DateTimeField(label="探访时间", widget=DT_WIDGET)
    visitors = forms.CharField(label="探访人员", max_length=200)
    safety_ok = forms.BooleanField(label="机构安全情况良好", required=False, initial=True)
    safety = forms.CharField(label="机构安全情况（消防、食品、设施、看护）", max_length=500, required=False,
                             widget=forms.Textarea(attrs=TEXTAREA))
    note = forms.CharField(label="其他情况", max_length=2000, required=False, widget=forms.Textarea(attrs=TEXTAREA))
    photos = MultiImageField(label="照片（可多张）", required=False)

    def __init__(self, *args, placements=(), hospital=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.placements = list(placements)
        self.hospital = hospital
        for p in self.placements:
            self.fields[f"seen_{p.pk}"] = forms.BooleanField(label=p.episode.person.name, required=False,
                                                             initial=True)
            self.fields[f"care_{p.pk}"] = forms.CharField(label="照料情况" if not hospital else "治疗/护理情况",
                                                          max_length=300, required=False)
            self.fields[f"physical_{p.pk}"] = forms.CharField(label="身体状况", max_length=300, required=False)
            self.fields[f"mental_{p.pk}"] = forms.CharField(label="精神状况", max_length=300, required=False)
            self.fields[f"tracing_{p.pk}"] = forms.CharField(label="寻亲/身份查询进展", max_length=300,
                                                             required=False)
        if hospital:
            self.fields["safety"].label = "医院陪护与安全情况"

    def person_rows(self):
        for p in self.placements:
            yield p, [self[f"{name}_{p.pk}"] for name in ("seen", "care", "physical", "mental", "tracing")]

    def rows(self) -> list[dict]:
        d = self.cleaned_data
        return [{"placement": p, "care": d.get(f"care_{p.pk}"), "physical": d.get(f"physical_{p.pk}"),
                 "mental": d.get(f"mental_{p.pk}"), "tracing": d.get(f"tracing_{p.pk}")}
                for p in self.placements if d.get(f"seen_{p.pk}")]


class ConditionReportForm(forms.Form):
    reported_at = forms.DateTimeField(label="报告时间", widget=DT_WIDGET, required=False, help_text="留空为当前时间")
    condition = forms.CharField(label="病情/身体和精神状况", max_length=2000, widget=forms.Textarea(attrs=TEXTAREA))
    treatment = forms.CharField(label="治疗/照料措施", max_length=500, required=False)


class FacilityReportForm(forms.Form):
    period_start = forms.DateField(label="报告期起", widget=DATE_WIDGET)
    period_end = forms.DateField(label="报告期止", widget=DATE_WIDGET)
    headcount = forms.IntegerField(label="期末托养人数", min_value=0, max_value=100000)
    care = forms.CharField(label="照料情况", max_length=2000, widget=forms.Textarea(attrs=TEXTAREA))
    incidents = forms.CharField(label="异常情况（走失、受伤、死亡、冲突等，没有请留空）", max_length=2000,
                                required=False, widget=forms.Textarea(attrs=TEXTAREA))


class BringBackPlanForm(forms.Form):
    planned_on = forms.DateField(label="计划返站日期", widget=DATE_WIDGET)
    transport = forms.CharField(label="交通方式与车辆", max_length=100)
    escort = forms.CharField(label="带队/护送人员", max_length=100, required=False)
    zone = forms.ModelChoiceField(label="接收区域", queryset=None, to_field_name="uuid")
    placements = forms.ModelMultipleChoiceField(label="返站人员", queryset=None, to_field_name="uuid",
                                                widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(label="说明", max_length=300, required=False)

    def __init__(self, *args, zones=None, candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zone"].queryset = zones
        self.fields["placements"].queryset = candidates
        self.fields["placements"].label_from_instance = (
            lambda p: f"{p.episode.person.name}（{p.episode.number}，{p.organisation.name}）")


class CarryOutForm(forms.Form):
    bed = forms.ModelChoiceField(label="床位", queryset=None, to_field_name="uuid")
    at = forms.DateTimeField(label="返站时间", widget=DT_WIDGET, required=False, help_text="留空为当前时间")
    housed_as = forms.ChoiceField(label="按性别安置（性别不详时）", choices=[("", "—"), ("男", "男"), ("女", "女")],
                                  required=False)
    zone_reason = forms.CharField(label="区域安排说明", max_length=300, required=False)

    def __init__(self, *args, beds=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bed"].queryset = beds
        self.fields["bed"].label_from_instance = lambda b: f"{b.zone.name} {b.code}"


class PanelInspectionForm(forms.Form):
    members = forms.ModelMultipleChoiceField(label="参加检查的监督组成员", queryset=None,
                                             widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, memberships=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = memberships
        self.fields["members"].label_from_instance = lambda m: f"{m.member}（{m.get_panel_role_display()}）"
