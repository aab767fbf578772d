"""Forms for intake pages; validation of business rules stays in intake.services."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.fields import NOTE
from core.idnumbers import KEEP_UNCHECKED_HELP, KEEP_UNCHECKED_LABEL, check_id_number
from core.models import Organisation, OrgKind
from guitu_match.idcard import parse_id_number
from intake.models import (
    Belonging,
    DangerKind,
    Decision,
    ForeignCase,
    HealthCheck,
    HelpGiven,
    Need,
    NoticeGround,
    PoliceHandover,
    Reason,
    Subsistence,
)
from people.models import SPECIAL_GROUP_FIELDS, Channel, Sex
from people.states import STATUS_LABELS

DT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"]


class DateTimeLocal(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


def dt_field(label: str, required: bool = True, **kwargs) -> forms.DateTimeField:
    return forms.DateTimeField(label=label, required=required, input_formats=DT_FORMATS, widget=DateTimeLocal(),
                               **kwargs)


def _now_local():
    return timezone.localtime().replace(second=0, microsecond=0)


WIDE = {"wide": "1", "rows": 2}
PERSON_FIELDS = ("name", "sex", "birth_date", "birth_year_est", "age_min", "age_max", "ethnicity", "hukou_text",
                 "dialect", *SPECIAL_GROUP_FIELDS)
ANSWER_FORM_FIELDS = ("residence", "subsistence", "reason", "reason_text", "vagrancy_duration", "vagrancy_history",
                      "relatives", "unable_to_answer", "cannot_pay", "no_relatives", "not_on_subsistence",
                      "living_by_vagrancy", "decision", "decision_note", "recording_ref", "recording_keep_until",
                      "caller", "fingerprint_taken", "photo_taken", "foreign_police_note", "needs",
                      "other_id_document", "self_reported_health", "filled_by_staff")


class RegisterForm(forms.Form):
    """求助登记表: channel, the person, the rule-N2 answers and the rule-N1 decision."""

    # the request
    channel = forms.ChoiceField(label="求助方式", choices=[c for c in Channel.choices if c[0] != Channel.TRANSFER_IN])
    requested_at = dt_field("求助时间", initial=_now_local)
    caller = forms.CharField(label="来电/报告人及电话", required=False, max_length=100)
    recording_ref = forms.CharField(label="求助热线录音编号", required=False, max_length=100,
                                    help_text="电话求助必填；录音至少保存3个月（规则N6）")
    recording_keep_until = forms.DateField(label="录音保存至", required=False,
                                           widget=forms.DateInput(attrs={"type": "date"}),
                                           help_text="留空则按规定期限自动计算")
    # the person (rule N2, I4)
    name = forms.CharField(label="姓名", required=False, max_length=50,
                           widget=forms.TextInput(attrs={"autocomplete": "off"}))
    use_provisional_name = forms.BooleanField(label="身份不明，使用临时姓名（无名氏）", required=False)
    sex = forms.ChoiceField(label="性别", choices=Sex.choices, required=False)
    id_number = forms.CharField(label="身份证号", required=False, max_length=20,
                                widget=forms.TextInput(attrs={"autocomplete": "off"}))
    keep_unchecked_id = forms.BooleanField(label=KEEP_UNCHECKED_LABEL, help_text=KEEP_UNCHECKED_HELP, required=False)
    birth_date = forms.DateField(label="出生日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    birth_year_est = forms.IntegerField(label="估计出生年份", required=False)
    age_min = forms.IntegerField(label="估计年龄下限", required=False, min_value=0, max_value=120)
    age_max = forms.IntegerField(label="估计年龄上限", required=False, min_value=0, max_value=120)
    ethnicity = forms.CharField(label="民族", required=False, max_length=20)
    hukou_text = forms.CharField(label="户籍地", required=False, max_length=200)
    residence = forms.CharField(label="现居住地/来源地", required=False, max_length=200)
    dialect = forms.CharField(label="方言/口音", required=False, max_length=50)
    is_minor = forms.BooleanField(label="未成年人", required=False)
    is_elderly = forms.BooleanField(label="老年人", required=False)
    has_disability = forms.BooleanField(label="残疾", required=False)
    has_mental_disorder = forms.BooleanField(label="精神障碍（疑似）", required=False)
    has_intellectual_disability = forms.BooleanField(label="智力障碍（疑似）", required=False)
    limited_mobility = forms.BooleanField(label="行动不便", required=False)
    is_pregnant = forms.BooleanField(label="孕妇", required=False)
    suspected_foreign = forms.BooleanField(label="疑似外籍", required=False)
    foreign_police_note = forms.CharField(max_length=NOTE, label="报告公安情况（疑似外籍必填，规则I7）", required=False,
                                          widget=forms.Textarea(attrs=WIDE))
    # rule N2 answers
    subsistence = forms.ChoiceField(label="低保/五保情况", choices=Subsistence.choices, initial=Subsistence.NONE)
    reason = forms.ChoiceField(label="求助原因", choices=Reason.choices)
    reason_text = forms.CharField(max_length=NOTE, label="求助原因说明", required=False, widget=forms.Textarea(attrs=WIDE))
    vagrancy_duration = forms.CharField(label="本次流浪时间", required=False, max_length=100)
    vagrancy_history = forms.CharField(max_length=NOTE, label="既往流浪经历", required=False, widget=forms.Textarea(attrs=WIDE))
    relatives = forms.CharField(max_length=NOTE, label="亲属姓名、住址、电话", required=False, widget=forms.Textarea(attrs=WIDE))
    unable_to_answer = forms.BooleanField(label="无法正常陈述", required=False)
    # rule N1
    cannot_pay = forms.BooleanField(label="自身无力解决食宿", required=False)
    no_relatives = forms.BooleanField(label="无亲友可投靠", required=False)
    not_on_subsistence = forms.BooleanField(label="未享受低保或五保供养", required=False)
    living_by_vagrancy = forms.BooleanField(label="正在城市流浪乞讨度日", required=False)
    decision = forms.ChoiceField(label="救助条件甄别（规则N1）", choices=Decision.choices)
    decision_note = forms.CharField(label="甄别说明", required=False, max_length=300)
    fingerprint_taken = forms.BooleanField(label="已采集指纹", required=False)
    photo_taken = forms.BooleanField(label="已采集人像照片", required=False)
    # rule N12: the 求助登记表's own items
    needs = forms.MultipleChoiceField(label="求助需求", choices=Need.choices, required=False,
                                      widget=forms.CheckboxSelectMultiple)
    other_id_document = forms.CharField(label="其他身份证件", max_length=100, required=False,
                                        help_text="户口簿、护照、驾驶证等及号码")
    self_reported_health = forms.CharField(label="自述健康状况", max_length=300, required=False)
    filled_by_staff = forms.BooleanField(label="工作人员代填（求助人无法书写）", required=False)
    # rules N6, I4: the portrait taken at intake — on a phone or a computer with a webcam the browser offers
    # the camera directly (``capture``); the image goes through core.images like every upload
    photo = forms.FileField(label="人像照片（拍照或选择文件）", required=False,
                            widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "user"}),
                            help_text="手机或带摄像头的电脑可直接拍照；若页面因其他错误重新显示，须重新拍照或选择")
    # step 2: which file to attach to ("new" or a person's uuid)
    match = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)

    SECTIONS = (
        ("求助信息", ("channel", "requested_at", "caller", "recording_ref", "recording_keep_until")),
        ("受助人员基本情况（规则N2、I4）", ("name", "use_provisional_name", "sex", "id_number", "keep_unchecked_id",
                                       "other_id_document",
                                       "birth_date",
                                       "birth_year_est", "age_min", "age_max", "ethnicity", "hukou_text",
                                       "residence", "dialect")),
        ("特殊群体", (*SPECIAL_GROUP_FIELDS, "foreign_police_note")),
        ("询问情况（规则N2）", ("needs", "subsistence", "reason", "reason_text", "vagrancy_duration",
                          "vagrancy_history", "relatives", "self_reported_health", "unable_to_answer",
                          "filled_by_staff")),
        ("救助条件甄别（规则N1）", ("cannot_pay", "no_relatives", "not_on_subsistence", "living_by_vagrancy",
                             "decision", "decision_note")),
        ("信息采集（规则N6、I4）", ("photo", "fingerprint_taken", "photo_taken")),
    )

    def sections(self):
        return [(title, [self[f] for f in fields]) for title, fields in self.SECTIONS]

    def clean(self):
        data = super().clean()
        try:  # rule I4: a wrong number is caught at once, unless kept as said on purpose (core.idnumbers)
            data["id_number"], self.id_checked = check_id_number(data.get("id_number") or "",
                                                                 keep_unchecked=bool(data.get("keep_unchecked_id")))
        except ValidationError as exc:
            self.add_error("id_number", exc.messages)
        if not (data.get("name") or "").strip() and not data.get("use_provisional_name"):
            self.add_error("name", "请填写姓名；身份不明时勾选“使用临时姓名”。")
        return data

    def person_data(self) -> dict:
        d = self.cleaned_data
        data = {f: d.get(f) for f in PERSON_FIELDS}
        data["name"] = (d.get("name") or "").strip()
        data["residence_text"] = d.get("residence") or ""
        for f in ("ethnicity", "hukou_text", "dialect", "sex"):
            data[f] = data[f] or ""
        return data

    def checked_id_number(self) -> str:
        """The ID number when it passed its check; one kept as said is no ID number (no look-ups, no birth year)."""
        number = (self.cleaned_data.get("id_number") or "") if "id_number" not in self.errors else ""
        return number if getattr(self, "id_checked", True) else ""

    def answers(self) -> dict:
        return {f: self.cleaned_data.get(f) for f in ANSWER_FORM_FIELDS}

    def birth_year(self) -> int | None:
        d = self.cleaned_data
        if d.get("birth_date"):
            return d["birth_date"].year
        if self.checked_id_number():
            return parse_id_number(d["id_number"]).birth_date.year
        if d.get("birth_year_est"):
            return d["birth_year_est"]
        if d.get("age_min") is not None and d.get("age_max") is not None:
            return timezone.localdate().year - (d["age_min"] + d["age_max"]) // 2
        return None


class DangerousItemForm(forms.Form):
    kind = forms.ChoiceField(label="类别", choices=[("", "—")] + list(DangerKind.choices), required=False)
    description = forms.CharField(label="物品描述", required=False, max_length=200)
    reported_to = forms.ModelChoiceField(label="报告的公安机关", required=False,
                                         queryset=Organisation.objects.filter(kind=OrgKind.POLICE))
    reported_at = dt_field("报告时间", required=False)
    handling = forms.CharField(label="处置情况", required=False, max_length=300)


DangerousItemFormSet = forms.formset_factory(DangerousItemForm, extra=2, max_num=10)


class SafetyCheckForm(forms.Form):
    checked_at = dt_field("检查时间", initial=_now_local)
    note = forms.CharField(label="备注", required=False, max_length=300)


class HealthCheckForm(forms.ModelForm):
    checked_at = dt_field("检视时间", initial=_now_local)

    class Meta:
        model = HealthCheck
        fields = ["checked_at", "checker_role", "physical", "mental", "suspected_mental_disorder",
                  "suspected_infectious", "acute_illness", "suspected_drug_use", "outcome", "hospital", "police",
                  "police_reported_at", "note"]
        field_classes = {"police_reported_at": forms.DateTimeField}
        widgets = {"police_reported_at": DateTimeLocal()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hospital"].queryset = Organisation.objects.filter(kind=OrgKind.HOSPITAL)
        self.fields["police"].queryset = Organisation.objects.filter(kind=OrgKind.POLICE)
        self.fields["police_reported_at"].input_formats = DT_FORMATS
        # Rule checks (which outcome each finding needs) are the service's job, with Chinese messages.
        for name in ("physical", "mental"):
            self.fields[name].required = False


class HandoverForm(forms.ModelForm):
    handed_over_at = dt_field("交接时间", initial=_now_local)

    class Meta:
        model = PoliceHandover
        fields = ["escort_org", "escort_unit_text", "officers", "officer_phone", "handed_over_at", "found_at",
                  "found_place", "found_how", "appearance", "condition", "identity_checked", "belongings_text"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["found_at"] = dt_field("发现时间", required=False)
        self.fields["escort_org"].queryset = Organisation.objects.filter(kind__in=[OrgKind.POLICE,
                                                                                   OrgKind.CHENGGUAN])
        for name in ("officers", "found_place", "found_how", "condition"):
            self.fields[name].required = False


class BelongingForm(forms.ModelForm):
    class Meta:
        model = Belonging
        fields = ["item", "quantity", "description", "location"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].required = False

    def clean(self):
        """The service's row checks (rule I2), here too, so every row's mistakes show in one save."""
        data = super().clean()
        filled = any(str(data.get(k) or "").strip() for k in ("item", "description", "location"))
        if filled and not (data.get("item") or "").strip() and "item" not in self.errors:
            self.add_error("item", "请填写物品名称。")
        if filled and "quantity" not in self.errors and (data.get("quantity") is None or data["quantity"] < 1):
            self.add_error("quantity", "数量至少为1。")
        return data


BelongingFormSet = forms.formset_factory(BelongingForm, extra=5, max_num=30, validate_max=True)


class NoticeForm(forms.Form):
    reason = forms.CharField(max_length=NOTE, label="理由", required=False, widget=forms.Textarea(attrs={"rows": 4, "wide": "1"}))


class RefusalForm(NoticeForm):
    """不予救助: the ground the notice cites (实施细则第五条)."""

    ground = forms.ChoiceField(label="依据", required=False, choices=[("", "按救助条件甄别结果"), (NoticeGround.NOT_ELIGIBLE, "不属于救助对象（实施细则第五条第一款）"),
                                                    (NoticeGround.REFUSED_INFO, "拒不如实提供个人情况（实施细则第五条第三款）")])


class IntakeFilterForm(forms.Form):
    channel = forms.ChoiceField(label="求助方式", required=False, choices=[("", "全部")] + list(Channel.choices))
    decision = forms.ChoiceField(label="甄别结果", required=False, choices=[("", "全部")] + list(Decision.choices))
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部")] + list(STATUS_LABELS.items()))
    date_from = forms.DateField(label="求助日期自", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="至", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    flagged = forms.BooleanField(label="仅重点甄别", required=False)


class HelpForm(forms.ModelForm):
    given_at = forms.DateTimeField(label="时间", required=False, input_formats=DT_FORMATS, help_text="留空为当前时间",
                                   widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))

    class Meta:
        model = HelpGiven
        fields = ["kind", "description", "given_at"]


class ForeignCaseForm(forms.ModelForm):
    """Rule I7: the police's confirmation and the next step, each dated."""

    class Meta:
        model = ForeignCase
        fields = ["outcome", "police", "confirmed_at", "nationality", "handed_to_police_at", "fao_notified_at",
                  "fao_contact"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["police"].queryset = Organisation.objects.filter(kind=OrgKind.POLICE, is_active=True)
        for name in ("confirmed_at", "handed_to_police_at", "fao_notified_at"):
            field = self.fields[name]
            field.input_formats = DT_FORMATS
            field.widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
