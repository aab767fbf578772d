from django import forms

from core.fields import NOTE
from core.models import Organisation
from people.models import IdentityStatus, Sex
from people.states import IN_CARE, STATUS_LABELS
from stay.models import Bed, PlacementKind, SexRestriction, ZoneCategory

DT_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class BoardFilterForm(forms.Form):
    q = forms.CharField(max_length=100, label="姓名/档案号/编号", required=False)
    station = forms.ModelChoiceField(label="机构", queryset=Organisation.objects.none(), required=False,
                                     to_field_name="uuid")
    status = forms.ChoiceField(label="状态", required=False,
                               choices=[("", "全部在站状态")] + [(s, STATUS_LABELS[s]) for s in STATUS_LABELS
                                                                if s in IN_CARE])
    identity_status = forms.ChoiceField(label="身份", required=False, choices=[("", "全部")] + IdentityStatus.choices)
    flag = forms.ChoiceField(label="提示", required=False,
                             choices=[("", "全部"), ("over", "在站超过10天"), ("n5_missing", "超期未记录原因（N5）")])
    no_bed = forms.BooleanField(label="未安排床位", required=False)

    def __init__(self, *args, stations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if stations is not None:
            self.fields["station"].queryset = stations


class ZoneForm(forms.Form):
    station = forms.ModelChoiceField(label="救助机构", queryset=Organisation.objects.none())
    name = forms.CharField(label="区域名称", max_length=50)
    category = forms.ChoiceField(label="区域类别", choices=ZoneCategory.choices, help_text="规则 C1：至少按性别、未成年人、老年、疾病/残疾/精神障碍分区")
    sex_restriction = forms.ChoiceField(label="性别限制", choices=SexRestriction.choices, initial=SexRestriction.ANY,
                                        help_text="男区、女区自动限定性别（规则 N4）")
    note = forms.CharField(label="说明", max_length=200, required=False)

    def __init__(self, *args, stations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if stations is not None:
            self.fields["station"].queryset = stations
            if stations.count() == 1:
                self.fields["station"].initial = stations.first()


class BedsForm(forms.Form):
    codes = forms.CharField(label="床位号", max_length=1000,
                            help_text="可一次添加多个，用逗号或空格分隔；或填写范围如 A01-A10")

    def clean_codes(self):
        raw = self.cleaned_data["codes"].replace("，", ",").replace("、", ",")
        codes: list[str] = []
        for token in raw.replace(",", " ").split():
            if "-" in token:
                start, _, end = token.partition("-")
                prefix = start.rstrip("0123456789")
                a, b = start[len(prefix):], end[len(end.rstrip("0123456789")):]
                if a.isdigit() and b.isdigit() and int(b) >= int(a) and int(b) - int(a) < 200:
                    codes.extend(f"{prefix}{n:0{len(a)}d}" for n in range(int(a), int(b) + 1))
                    continue
                raise forms.ValidationError(f"无法识别的范围：{token}（示例：A01-A10）")
            codes.append(token)
        return codes


class BedAssignForm(forms.Form):
    bed = forms.ModelChoiceField(label="床位", queryset=Bed.objects.none(), to_field_name="uuid",
                                 empty_label="请选择空床位")
    assigned_at = forms.DateTimeField(label="入住时间", widget=DT_WIDGET, required=False,
                                      help_text="留空为当前时间")
    housed_as = forms.ChoiceField(label="按性别安置", required=False,
                                  choices=[("", "（已登记性别）"), (Sex.MALE, "男"), (Sex.FEMALE, "女")],
                                  help_text="仅性别不详时选择（规则 N4：男女分区）")
    zone_reason = forms.CharField(label="区域安排说明", max_length=300, required=False,
                                  help_text="未成年人未安排在未成年人区时必填（规则 I8/C1）")

    def __init__(self, *args, beds=None, **kwargs):
        super().__init__(*args, **kwargs)
        if beds is not None:
            self.fields["bed"].queryset = beds
            self.fields["bed"].label_from_instance = lambda b: f"{b.zone.name}（{b.zone.get_sex_restriction_display()}）{b.code}"


class BedReleaseForm(forms.Form):
    released_at = forms.DateTimeField(label="退床时间", widget=DT_WIDGET, required=False, help_text="留空为当前时间")
    note = forms.CharField(label="说明", max_length=200, required=False)


class PlacementForm(forms.Form):
    kind = forms.ChoiceField(label="类型", choices=PlacementKind.choices)
    organisation = forms.ModelChoiceField(label="医院/托养机构", queryset=Organisation.objects.none(),
                                          to_field_name="uuid")
    started_at = forms.DateTimeField(label="开始时间", widget=DT_WIDGET, required=False, help_text="留空为当前时间")
    agreement = forms.ModelChoiceField(label="托养协议", queryset=None, required=False, to_field_name="uuid",
                                       help_text="站外托养须在有效的托养协议下进行，且不超过约定人数（规则 C5）；"
                                                 "留空时使用与该机构有效的协议")
    note = forms.CharField(label="说明", max_length=300, required=False)

    def __init__(self, *args, organisations=None, agreements=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organisations is not None:
            self.fields["organisation"].queryset = organisations
            self.fields["organisation"].label_from_instance = lambda o: f"{o.name}（{o.get_kind_display()}）"
        if agreements is None or self.initial.get("kind") == PlacementKind.HOSPITAL:
            del self.fields["agreement"]
        else:
            self.fields["agreement"].queryset = agreements
            self.fields["agreement"].label_from_instance = (
                lambda a: f"{a.number}：{a.facility.name}（至 {a.valid_to}，上限 {a.capacity} 人）")


class PlacementReturnForm(BedAssignForm):
    ended_at = forms.DateTimeField(label="返站时间", widget=DT_WIDGET, required=False, help_text="留空为当前时间")
    note = forms.CharField(label="说明", max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["assigned_at"]


class StayExtensionForm(forms.Form):
    reason = forms.CharField(label="超期在站原因", max_length=NOTE, widget=forms.Textarea(attrs={"rows": 3, "wide": "1"}),
                             help_text="规则 N5：16周岁以上且无精神障碍、智力残疾迹象者，在站一般不超过10天；"
                                       "提交后作为超期在站报告报送本站的上级民政部门，由其确认收悉")


class N5AckForm(forms.Form):
    note = forms.CharField(label="部门意见", max_length=300, required=False)


class CareAssignForm(forms.Form):
    carer = forms.ModelChoiceField(label="责任照料人员", queryset=None)
    carer_sex = forms.ChoiceField(label="照料人员性别", choices=[("女", "女"), ("男", "男")], widget=forms.RadioSelect)
    reason = forms.CharField(label="说明", max_length=200, required=False,
                             help_text="女性受助人员应由女性工作人员照料（规则N4）；确需安排其他人员时写明原因")

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["carer"].queryset = staff
        self.fields["carer"].label_from_instance = lambda u: str(u)


class BedMoveForm(forms.Form):
    bed = forms.ModelChoiceField(label="调至床位", queryset=None, empty_label="请选择空床")
    zone_reason = forms.CharField(label="区域说明", max_length=300, required=False,
                                  help_text="未成年人安排在未成年人区以外时须填写（规则 I8/C1）")

    def __init__(self, *args, beds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bed"].queryset = beds
        self.fields["bed"].label_from_instance = lambda b: f"{b.zone.name}（{b.zone.get_sex_restriction_display()}）{b.code}"


class SearchRefreshForm(forms.Form):
    """Rule N5: refresh the search information of a person stranded over a month with identity unknown."""

    refreshed_at = forms.DateTimeField(label="更新时间", required=False, widget=DT_WIDGET,
                                       input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                                       help_text="不填为当前时间")
    photo = forms.FileField(label="新照片", required=False,
                            widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
                            help_text="拍摄近照，用于寻亲公告与人像比对")
    rematch = forms.BooleanField(label="与走失报案、既往档案重新比对", required=False)
    republished = forms.CharField(label="重新发布寻亲公告（渠道、日期）", max_length=200, required=False,
                                  help_text="如：2026-11-28 全国救助寻亲网重新发布")
    note = forms.CharField(label="说明", max_length=NOTE, required=False, widget=forms.Textarea(attrs={"rows": 3}))
