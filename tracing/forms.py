from django import forms

from core.fields import LONG_TEXT, NOTE
from core.models import Division, Organisation, User
from people.models import PersonPhoto
from tracing.models import CheckResult, DnaResult, IdentificationMethod, LeadKind, PlanStatus, ReturnMethod

DT_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PhotoChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.get_kind_display()}（{obj.taken_on:%Y-%m-%d}）{obj.note}"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class CheckForm(forms.Form):
    police = forms.ModelChoiceField(label="公安机关", queryset=Organisation.objects.none(), to_field_name="uuid")
    photo = PhotoChoiceField(label="发送的照片", queryset=PersonPhoto.objects.none(), required=False,
                             to_field_name="uuid", help_text="从该人员的照片中选择")
    biometrics_ref = forms.CharField(label="指纹/虹膜采集编号", max_length=200, required=False)
    known_info = forms.CharField(max_length=NOTE, label="已知情况", required=False, widget=forms.Textarea(attrs={"rows": 5, "wide": "1"}),
                                 help_text="只发送此处填写的内容：性别、估计年龄、身高、体貌特征、口音、自述等")
    send = forms.BooleanField(label="立即发送", required=False, initial=True,
                              help_text="不勾选则保存为草稿（规则T1：入站24小时内发送）")

    def __init__(self, *args, police=None, photos=None, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Any organisation may be chosen; the service refuses non-police ones with a clear message.
        self.fields["police"].queryset = organisations if organisations is not None else Organisation.objects.none()
        self.fields["photo"].queryset = photos if photos is not None else PersonPhoto.objects.none()


class AnswerForm(forms.Form):
    result = forms.ChoiceField(label="核查结果", choices=CheckResult.choices)
    answer_text = forms.CharField(max_length=NOTE, label="答复内容", required=False, widget=forms.Textarea(attrs={"rows": 4, "wide": "1"}))
    answered_name = forms.CharField(label="查明姓名", max_length=50, required=False)
    id_number = forms.CharField(label="查明身份证号", max_length=20, required=False, help_text="加密保存")
    hukou_division = forms.ModelChoiceField(label="户籍地区划", queryset=Division.objects.none(), required=False,
                                            to_field_name="code", help_text="填写区划代码，如 411625")
    hukou_text = forms.CharField(label="户籍地址", max_length=200, required=False)
    attachments = MultipleFileField(label="附件", required=False, help_text="图片（JPEG、PNG、WebP）或 PDF，每个不超过 8 MB")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hukou_division"].queryset = Division.objects.all()
        self.fields["hukou_division"].widget = forms.TextInput()


class AssignForm(forms.Form):
    tracer = forms.ModelChoiceField(label="寻亲员", queryset=User.objects.none(), to_field_name="uuid")

    def __init__(self, *args, tracers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tracer"].queryset = tracers if tracers is not None else User.objects.none()


class TalkForm(forms.Form):
    held_at = forms.DateTimeField(label="谈话时间", widget=DT_WIDGET)
    present = forms.CharField(label="在场人员", max_length=200, required=False)
    content = forms.CharField(max_length=LONG_TEXT, label="谈话内容", widget=forms.Textarea(attrs={"rows": 6, "wide": "1"}),
                              help_text="如实记录说了什么；系统会提示其中的地名、人名和口音")


class LeadForm(forms.Form):
    kind = forms.ChoiceField(label="处理方式", choices=LeadKind.choices)
    text = forms.CharField(label="线索", max_length=200)
    division_code = forms.CharField(label="区划代码", max_length=12, required=False, widget=forms.HiddenInput)
    organisation = forms.ModelChoiceField(label="联系机构", queryset=Organisation.objects.none(), required=False,
                                          to_field_name="uuid", help_text="转公安核查选公安机关；联系户籍地选救助站")
    note = forms.CharField(max_length=NOTE, label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2, "wide": "1"}))

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations if organisations is not None else Organisation.objects.none()


class LeadResolveForm(forms.Form):
    status = forms.ChoiceField(label="状态", choices=[("done", "已完成"), ("closed", "关闭（无结果）")])
    outcome = forms.CharField(max_length=NOTE, label="结果", widget=forms.Textarea(attrs={"rows": 3, "wide": "1"}))


class DnaForm(forms.Form):
    police = forms.ModelChoiceField(label="公安机关", queryset=Organisation.objects.none(), to_field_name="uuid")
    requested_at = forms.DateTimeField(label="申请时间", widget=DT_WIDGET, required=False, help_text="留空为当前时间")
    sample_taken_on = forms.DateField(label="采样日期", widget=DATE_WIDGET, required=False)
    note = forms.CharField(max_length=NOTE, label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2, "wide": "1"}))

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["police"].queryset = organisations if organisations is not None else Organisation.objects.none()


class DnaUpdateForm(forms.Form):
    sample_taken_on = forms.DateField(label="采样日期", widget=DATE_WIDGET, required=False)
    result = forms.ChoiceField(label="比对结果", choices=DnaResult.choices, required=False)
    reference = forms.CharField(label="比中参照", max_length=200, required=False, help_text="比中的亲属样本编号或姓名")
    result_on = forms.DateField(label="结果日期", widget=DATE_WIDGET, required=False)
    note = forms.CharField(max_length=NOTE, label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2, "wide": "1"}))


class IdentifyForm(forms.Form):
    method = forms.ChoiceField(label="查明方式", choices=IdentificationMethod.choices)
    evidence = forms.CharField(max_length=NOTE, label="依据", widget=forms.Textarea(attrs={"rows": 3, "wide": "1"}),
                               help_text="如：公安核查答复编号、DNA 比中报告、亲属辨认经过")
    name = forms.CharField(label="真实姓名", max_length=50, required=False)
    id_number = forms.CharField(label="身份证号", max_length=20, required=False)
    hukou_division = forms.ModelChoiceField(label="户籍地区划代码", queryset=Division.objects.all(), required=False,
                                            to_field_name="code", widget=forms.TextInput())
    hukou_text = forms.CharField(label="户籍地址", max_length=200, required=False)


class PlanForm(forms.Form):
    status = forms.ChoiceField(label="状态", choices=PlanStatus.choices)
    target_date = forms.DateField(label="计划返乡日期", widget=DATE_WIDGET, required=False)
    method = forms.ChoiceField(label="返乡方式", choices=[("", "—")] + ReturnMethod.choices, required=False)
    home_organisation = forms.ModelChoiceField(label="户籍地接收机构", queryset=Organisation.objects.none(),
                                               required=False, to_field_name="uuid")
    home_contact = forms.CharField(label="户籍地联系人及电话", max_length=200, required=False)
    refusal_reason = forms.CharField(label="拒绝接收原因", max_length=300, required=False)
    note = forms.CharField(max_length=NOTE, label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2, "wide": "1"}))

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["home_organisation"].queryset = (organisations if organisations is not None
                                                     else Organisation.objects.none())


class EscalateForm(forms.Form):
    escalated_on = forms.DateField(label="报送日期", widget=DATE_WIDGET, required=False, help_text="留空为今天")
    note = forms.CharField(max_length=NOTE, label="报送说明", required=False, widget=forms.Textarea(attrs={"rows": 3, "wide": "1"}))


class EscalationAnswerForm(forms.Form):
    answered_on = forms.DateField(label="答复日期", widget=DATE_WIDGET, required=False, help_text="留空为今天")
    answer = forms.CharField(max_length=NOTE, label="答复", widget=forms.Textarea(attrs={"rows": 3, "wide": "1"}))
