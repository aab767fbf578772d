"""Forms of the regional app: they clean input; the services decide (rules R1–R3, E2)."""

from django import forms

from core.fields import LONG_TEXT, NOTE
from core.models import Division, DivisionLevel, Organisation, User
from leaving.models import HandoverTo
from people.models import Episode
from regional.models import CaseKind

DT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class EpisodeChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Episode) -> str:
        return f"{obj.number} {obj.person.name}（{obj.station.short_name or obj.station.name}，{obj.status_label}）"


class StaffChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.full_name or obj.username


class EscalationForm(forms.Form):
    episode = EpisodeChoice(label="救助过程", queryset=Episode.objects.none(), to_field_name="uuid")
    kind = forms.ChoiceField(label="提级事项", choices=[("", "—")] + CaseKind.choices)
    reason = forms.CharField(label="提级理由", max_length=NOTE, widget=forms.Textarea(attrs={"rows": 4}),
                             help_text="说明为什么需要区域性中心接办（规则 R2）")

    def __init__(self, *args, episodes=None, **kwargs):
        super().__init__(*args, **kwargs)
        if episodes is not None:
            self.fields["episode"].queryset = episodes


class AnswerForm(forms.Form):
    decision = forms.ChoiceField(label="答复", choices=[("accept", "接办"), ("decline", "不予接办")],
                                 widget=forms.RadioSelect)
    reason = forms.CharField(label="答复意见", max_length=NOTE, required=False,
                             widget=forms.Textarea(attrs={"rows": 3}), help_text="不予接办须写明理由")


class NoteForm(forms.Form):
    note = forms.CharField(label="说明", max_length=NOTE, widget=forms.Textarea(attrs={"rows": 3}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=300)


class AssistanceForm(forms.Form):
    episode = EpisodeChoice(label="救助过程", queryset=Episode.objects.none(), to_field_name="uuid")
    kind = forms.ChoiceField(label="协助事项", choices=[("", "—")] + CaseKind.choices)
    task = forms.CharField(label="协助任务", max_length=200)
    staff = StaffChoice(label="下沉人员", queryset=User.objects.none(), widget=forms.SelectMultiple(attrs={"size": 5}))
    starts_at = forms.DateTimeField(label="开始时间", widget=DT)
    ends_at = forms.DateTimeField(label="结束时间", widget=DT, help_text="期限内才能办理该救助过程，到期自动失效")

    def __init__(self, *args, episodes=None, staff=None, **kwargs):
        super().__init__(*args, **kwargs)
        if episodes is not None:
            self.fields["episode"].queryset = episodes
        if staff is not None:
            self.fields["staff"].queryset = staff


class JointForm(forms.Form):
    episode = EpisodeChoice(label="救助过程", queryset=Episode.objects.none(), to_field_name="uuid")
    kind = forms.ChoiceField(label="会办事项", choices=[("", "—")] + CaseKind.choices)
    title = forms.CharField(label="会办事由", max_length=200)
    organisation = forms.ModelChoiceField(label="参与机构", queryset=Organisation.objects.none(),
                                          to_field_name="uuid")
    duty = forms.CharField(label="承担职责", max_length=200)
    contact = forms.CharField(label="联系人及电话", max_length=100, required=False)

    def __init__(self, *args, episodes=None, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if episodes is not None:
            self.fields["episode"].queryset = episodes
        if organisations is not None:
            self.fields["organisation"].queryset = organisations


class ParticipantForm(forms.Form):
    organisation = forms.ModelChoiceField(label="参与机构", queryset=Organisation.objects.none(),
                                          to_field_name="uuid")
    duty = forms.CharField(label="承担职责", max_length=200)
    contact = forms.CharField(label="联系人及电话", max_length=100, required=False)

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organisations is not None:
            self.fields["organisation"].queryset = organisations


class MeetingForm(forms.Form):
    held_on = forms.DateField(label="会议日期", widget=DATE)
    place = forms.CharField(label="地点或方式", max_length=100, required=False)
    attendees = forms.CharField(label="参会人员", max_length=300)
    minutes = forms.CharField(label="会议纪要", max_length=LONG_TEXT, widget=forms.Textarea(attrs={"rows": 6}))
    decision = forms.CharField(label="决定事项", max_length=500, required=False,
                               help_text="本次会议形成的决定（可留空）")
    responsible = forms.ModelChoiceField(label="责任机构", queryset=Organisation.objects.none(), required=False,
                                         to_field_name="uuid")
    due_on = forms.DateField(label="完成期限", widget=DATE, required=False)

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organisations is not None:
            self.fields["responsible"].queryset = organisations

    def clean(self):
        data = super().clean()
        if data.get("decision") and not data.get("responsible"):
            self.add_error("responsible", "请选择该决定的责任机构。")
        return data


class ConclusionForm(forms.Form):
    conclusion = forms.CharField(label="会办结论", max_length=NOTE, widget=forms.Textarea(attrs={"rows": 4}))


class BatchForm(forms.Form):
    route = forms.CharField(label="护送路线", max_length=200, help_text="例如：清远—长沙—贵阳")
    departs_on = forms.DateField(label="出发日期", widget=DATE)
    vehicle = forms.CharField(label="车辆", max_length=50, help_text="车牌号或车次")
    staff = StaffChoice(label="护送人员（本中心）", queryset=User.objects.none(),
                        widget=forms.SelectMultiple(attrs={"size": 5}))
    note = forms.CharField(label="说明", max_length=NOTE, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, staff=None, **kwargs):
        super().__init__(*args, **kwargs)
        if staff is not None:
            self.fields["staff"].queryset = staff


class MemberForm(forms.Form):
    episode = EpisodeChoice(label="受助人员", queryset=Episode.objects.none(), to_field_name="uuid")
    destination = forms.ModelChoiceField(label="目的地（户籍地，外省）", to_field_name="code",
                                         queryset=Division.objects.filter(
                                             level__in=[DivisionLevel.PROVINCE, DivisionLevel.CITY,
                                                        DivisionLevel.COUNTY]).order_by("code"))
    receiving = forms.ModelChoiceField(label="接收机构", queryset=Organisation.objects.none(), required=False,
                                       to_field_name="uuid")

    def __init__(self, *args, episodes=None, receiving=None, **kwargs):
        super().__init__(*args, **kwargs)
        if episodes is not None:
            self.fields["episode"].queryset = episodes
        if receiving is not None:
            self.fields["receiving"].queryset = receiving


class HandOverForm(forms.Form):
    handed_over_to = forms.ChoiceField(label="交接对象", choices=HandoverTo.choices)
    handover_org = forms.ModelChoiceField(label="接收机构", queryset=Organisation.objects.none(), required=False,
                                          to_field_name="uuid")
    handover_person = forms.CharField(label="接收人", max_length=50)
    handover_at = forms.DateTimeField(label="交接时间", widget=DT)
    claimant_id_number = forms.CharField(label="接收人身份证号", max_length=18, required=False,
                                         help_text="未满16周岁或行动不便者须核对并留存（规则 N9）")
    claimant_id_copy = forms.FileField(label="接收人身份证复印件", required=False)
    witness_1 = forms.CharField(label="见证监督员一", max_length=36, required=False,
                                help_text="未成年人交接须两名监督组成员见证（规则 E3）")
    witness_2 = forms.CharField(label="见证监督员二", max_length=36, required=False)
    note = forms.CharField(label="备注", max_length=NOTE, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, organisations=None, witnesses=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organisations is not None:
            self.fields["handover_org"].queryset = organisations
        if witnesses:
            choices = [("", "—")] + [(str(m.uuid), str(m.member)) for m in witnesses]
            self.fields["witness_1"].widget = forms.Select(choices=choices)
            self.fields["witness_2"].widget = forms.Select(choices=choices)


class SearchForm(forms.Form):
    q = forms.CharField(label="姓名、拼音、档案号或身份证号", max_length=50, required=False)
