from django import forms

from core.models import Organisation, Role, User
from core.scoping import covering_centre_ids
from leaving.models import Departure, ExitType
from leaving.services import RECORDED_ELSEWHERE
from oversight.models import PanelMembership

DT_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

#: Which form fields belong to which exit type (the page shows only those; the service validates).
FIELDS_BY_TYPE = {
    ExitType.HOME_TICKET: ["ticket_no", "travel_mode", "destination", "is_direct", "transfer_point",
                           "local_station_contact", "cash_yuan", "cash_exception_reason", "cash_receipt_signed",
                           "cash_approved_by", "witness_1", "witness_2"],
    ExitType.HOME_ESCORTED: ["destination", "escort_staff", "escort_route", "handed_over_to", "handover_org",
                             "handover_person", "claimant_id_number", "claimant_id_copy", "handover_at", "witness_1",
                             "witness_2"],
    ExitType.FAMILY: ["claimant_name", "claimant_id_number", "claimant_id_copy", "claimant_relationship",
                      "claimant_phone", "destination", "witness_1", "witness_2"],
    ExitType.TRANSFER: ["transfer_org", "transfer_person", "transfer_person_phone", "witness_1", "witness_2"],
    ExitType.SELF: ["declaration_signed", "destination", "witness_1", "witness_2"],
    ExitType.NO_FORMALITIES: ["written_record"],
    ExitType.DEATH: ["death_place", "death_cause", "police_notified", "hospital_notified"],
    ExitType.MISSING: ["circumstances", "police_notified", "police_report_ref"],
}


class DepartureForm(forms.ModelForm):
    left_at = forms.DateTimeField(label="离站时间", widget=DT_WIDGET, required=False, help_text="留空为当前时间")
    claimant_id_number = forms.CharField(label="接领人/接收人身份证号", max_length=20, required=False,
                                         help_text="核对证件原件（规则 N9：未满16周岁或行动不便者，护送交接时也须核对）；加密保存")
    claimant_id_copy = forms.FileField(label="接领人/接收人身份证复印件", required=False,
                                       help_text="JPG、PNG、WebP 图片或 PDF")
    cash_approved_by = forms.ModelChoiceField(label="超额现金审批人（站长）", queryset=User.objects.none(),
                                              required=False, help_text="超过规定金额须经办人以外的站长审批（规则 N8）")
    escort_staff = forms.ModelMultipleChoiceField(label="护送人员", queryset=User.objects.none(), required=False,
                                                  widget=forms.SelectMultiple(attrs={"size": 4}))
    handover_at = forms.DateTimeField(label="交接时间", widget=DT_WIDGET, required=False)
    # rule E3: witnesses are chosen from the station's panel members whose term is current, never typed.
    witness_1 = forms.ModelChoiceField(label="见证监督员一", queryset=PanelMembership.objects.none(), required=False,
                                       to_field_name="uuid", help_text="未成年人离站须两名任期内的监督组成员见证（规则 E3）")
    witness_2 = forms.ModelChoiceField(label="见证监督员二", queryset=PanelMembership.objects.none(), required=False,
                                       to_field_name="uuid")

    class Meta:
        model = Departure
        fields = ["exit_type", "left_at", "limited_mobility",
                  "ticket_no", "travel_mode", "destination", "is_direct", "transfer_point", "local_station_contact",
                  "cash_yuan", "cash_exception_reason", "cash_receipt_signed", "cash_approved_by",
                  "escort_staff", "escort_route", "handed_over_to", "handover_org", "handover_person", "handover_at",
                  "claimant_name", "claimant_id_number", "claimant_id_copy", "claimant_relationship",
                  "claimant_phone",
                  "transfer_org", "transfer_person", "transfer_person_phone", "declaration_signed", "written_record",
                  "death_place", "death_cause", "police_notified", "hospital_notified",
                  "circumstances", "police_report_ref", "note"]
        widgets = {
            "written_record": forms.Textarea(attrs={"rows": 3, "wide": "1"}),
            "circumstances": forms.Textarea(attrs={"rows": 3, "wide": "1"}),
            "note": forms.Textarea(attrs={"rows": 2, "wide": "1"}),
        }
        help_texts = {
            "is_direct": "尽量购买直达票；非直达须告知中转地和当地救助站联系方式（规则 N8）",
            "cash_yuan": "一般不发现金；确需发放的写明原因、受助人员签字领取，超过规定金额须站长审批（规则 N8）",
            "transfer_person": "接收机构的负责人（规则 N9）",
            "declaration_signed": "须本人签署《自行离站声明书》（规则 N7）",
            "written_record": "未办手续离站视为放弃救助，须书面记录（规则 N7）",
        }

    def __init__(self, *args, station=None, transfer_orgs=None, handover_orgs=None, **kwargs):
        super().__init__(*args, **kwargs)
        if station is not None:
            # rule E2: the region's centre runs cross-province escorts with its own staff
            escort_orgs = {station.pk} | covering_centre_ids(station)
            self.fields["escort_staff"].queryset = User.objects.filter(
                organisation_id__in=escort_orgs, is_active=True).select_related("organisation").order_by(
                "organisation_id", "username")
            self.fields["cash_approved_by"].queryset = User.objects.filter(
                organisation=station, is_active=True, user_roles__role=Role.HEAD).distinct()
            from oversight.services import current_members

            self.fields["witness_1"].queryset = self.fields["witness_2"].queryset = current_members(station)
        self.fields["transfer_org"].queryset = transfer_orgs if transfer_orgs is not None else Organisation.objects.none()
        self.fields["handover_org"].queryset = handover_orgs if handover_orgs is not None else Organisation.objects.none()
        # rule E1: 安置 is recorded by the settlement case's placement step, not on this form
        self.fields["exit_type"].choices = [c for c in self.fields["exit_type"].choices if c[0] not in RECORDED_ELSEWHERE]
        self.fields["exit_type"].widget.attrs["data-exit-type"] = "1"
        for exit_type, names in FIELDS_BY_TYPE.items():
            for name in names:
                attrs = self.fields[name].widget.attrs
                attrs["data-types"] = (attrs.get("data-types", "") + " " + exit_type).strip()
        # Validation happens in the service (per exit type); the form only parses.
        for name, field in self.fields.items():
            if name != "exit_type":
                field.required = False

    def service_data(self) -> dict:
        skip = {"exit_type", "left_at", "claimant_id_number", "claimant_id_copy", "escort_staff"}
        return {k: v for k, v in self.cleaned_data.items() if k not in skip}


class DepartureFilterForm(forms.Form):
    q = forms.CharField(max_length=100, label="姓名/编号", required=False)
    exit_type = forms.ChoiceField(label="离站方式", required=False, choices=[("", "全部")] + ExitType.choices)
    station = forms.ModelChoiceField(label="机构", queryset=Organisation.objects.none(), required=False,
                                     to_field_name="uuid")
    date_from = forms.DateField(label="离站日期从", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="至", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, stations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if stations is not None:
            self.fields["station"].queryset = stations
