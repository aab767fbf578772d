"""Forms of the settlement pages: they parse; the services check the facts (rules S1–S4)."""

from django import forms

from core.models import Organisation
from settlement.models import PlacementKind

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DOC_HELP = "JPG、PNG、WebP 图片或 PDF"


def _doc(label: str, required: bool = True) -> forms.FileField:
    return forms.FileField(label=label, required=required, help_text=DOC_HELP)


class ApplyForm(forms.Form):
    applied_on = forms.DateField(label="申请日期", widget=DATE)
    situation = forms.CharField(label="基本情况", max_length=2000, required=False,
                                widget=forms.Textarea(attrs={"rows": 4, "wide": "1"}),
                                help_text="滞留时间、寻亲经过（公安核查、DNA、公告）、身体和精神状况")
    exception_reason = forms.CharField(label="未满3个月提前申请的特殊情况", max_length=500, required=False,
                                       widget=forms.Textarea(attrs={"rows": 2, "wide": "1"}),
                                       help_text="身份不明滞留满3个月方可申请（规则S1）；提前申请须写明原因")
    document = _doc("落户安置申请书")


class PlanForm(forms.Form):
    on = forms.DateField(label="报送日期", widget=DATE)
    government = forms.CharField(label="报送的人民政府", max_length=100, help_text="民政部门的同级人民政府")
    plan_summary = forms.CharField(label="安置方案要点", max_length=500,
                                   widget=forms.Textarea(attrs={"rows": 3, "wide": "1"}),
                                   help_text="安置机构、落户方式、供养保障")
    document = _doc("安置方案及请示")


class DecideForm(forms.Form):
    decision = forms.ChoiceField(label="政府批复", choices=[("approved", "批准"), ("not_approved", "未批准")],
                                 widget=forms.RadioSelect)
    on = forms.DateField(label="批复日期", widget=DATE)
    approval_ref = forms.CharField(label="批复文号", max_length=100, required=False)
    note = forms.CharField(label="说明（未批准时写明原因）", max_length=500, required=False,
                           widget=forms.Textarea(attrs={"rows": 2, "wide": "1"}))
    document = _doc("政府批复")


class PlaceForm(forms.Form):
    kind = forms.ChoiceField(label="安置方式", choices=PlacementKind.choices, widget=forms.RadioSelect)
    institution = forms.ModelChoiceField(label="安置机构", queryset=Organisation.objects.none(), to_field_name="uuid")
    police = forms.ModelChoiceField(label="办理户口登记的公安机关", queryset=Organisation.objects.none(),
                                    to_field_name="uuid")
    receiver = forms.CharField(label="安置机构接收负责人", max_length=50)
    receiver_phone = forms.CharField(label="负责人电话", max_length=40, required=False)
    placed_at = forms.DateTimeField(label="安置（离站）时间", widget=DT)
    reason = forms.CharField(label="暂不能登记户口的原因（长期安置时必填）", max_length=500, required=False,
                             widget=forms.Textarea(attrs={"rows": 2, "wide": "1"}))
    document = _doc("安置交接文书")

    def __init__(self, *args, institutions=None, police=None, **kwargs):
        super().__init__(*args, **kwargs)
        if institutions is not None:
            self.fields["institution"].queryset = institutions
        if police is not None:
            self.fields["police"].queryset = police


class LongTermForm(forms.Form):
    on = forms.DateField(label="日期", widget=DATE)
    reason = forms.CharField(label="暂不能登记户口的原因", max_length=500,
                             widget=forms.Textarea(attrs={"rows": 3, "wide": "1"}))
    document = _doc("情况说明", required=False)


class HukouForm(forms.Form):
    on = forms.DateField(label="户口登记日期", widget=DATE)
    number = forms.CharField(label="户口登记号", max_length=50, help_text="公民身份号码或户号")
    address = forms.CharField(label="集体户地址", max_length=200, required=False, help_text="默认为安置机构地址")
    document = _doc("户口登记证明", required=False)


class EnrolForm(forms.Form):
    tekun_on = forms.DateField(label="纳入特困人员供养日期", widget=DATE, required=False)
    insurance_on = forms.DateField(label="参加社会保险日期", widget=DATE, required=False)
    insurance_note = forms.CharField(label="险种", max_length=200, required=False,
                                     help_text="如城乡居民基本医疗保险、基本养老保险")
    document = _doc("审批或参保证明", required=False)


class ReturnHomeForm(forms.Form):
    on = forms.DateField(label="返乡日期", widget=DATE)
    destination = forms.CharField(label="返乡目的地", max_length=200)
    note = forms.CharField(label="说明", max_length=500, required=False,
                           widget=forms.Textarea(attrs={"rows": 2, "wide": "1"}))
    document = _doc("返乡交接文书", required=False)


class CancelForm(forms.Form):
    on = forms.DateField(label="注销日期", widget=DATE)
    ref = forms.CharField(label="注销证明编号", max_length=100)
    document = _doc("户口注销证明", required=False)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label="撤回原因", max_length=300, widget=forms.Textarea(attrs={"rows": 2, "wide": "1"}))
