from django import forms

from staff.models import StaffMember, TrainingKind

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DT_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class StaffForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=50)
    post = forms.CharField(
        label="岗位", max_length=50, help_text="如：站长、接待员、照料员、寻亲员、医护人员"
    )
    qualifications = forms.CharField(label="学历/资格", max_length=200, required=False)
    social_worker_cert = forms.ChoiceField(
        label="社会工作者证书",
        required=False,
        choices=StaffMember._meta.get_field("social_worker_cert").choices,
    )
    cert_number = forms.CharField(label="证书编号", max_length=50, required=False)
    hired_on = forms.DateField(label="入职日期", widget=DATE_WIDGET)


class LeaveForm(forms.Form):
    left_on = forms.DateField(label="离职日期", widget=DATE_WIDGET)


class TrainingForm(forms.Form):
    topic = forms.CharField(label="培训主题", max_length=200)
    held_at = forms.DateTimeField(label="培训时间", widget=DT_WIDGET)
    hours = forms.DecimalField(label="时长（小时）", min_value=0.5, max_value=200, decimal_places=1)
    kind = forms.ChoiceField(label="方式", choices=TrainingKind.choices)
    days = forms.DecimalField(
        label="脱产天数",
        min_value=0,
        max_value=60,
        decimal_places=1,
        required=False,
        help_text="脱产培训填写天数；两天及以上计入汇总表",
    )
    trainer = forms.CharField(label="授课人/主办单位", max_length=100, required=False)
    attendees = forms.ModelMultipleChoiceField(
        label="参训人员", queryset=None, to_field_name="uuid", widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, staff=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = staff


class ExamForm(forms.Form):
    staff = forms.ModelChoiceField(label="工作人员", queryset=None, to_field_name="uuid")
    subject = forms.CharField(label="考试内容", max_length=100)
    taken_on = forms.DateField(label="考试日期", widget=DATE_WIDGET)
    score = forms.DecimalField(label="成绩", min_value=0, max_value=100, decimal_places=1)

    def __init__(self, *args, staff=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = staff


class PeriodForm(forms.Form):
    start = forms.DateField(label="起始日期", widget=DATE_WIDGET)
    end = forms.DateField(label="截止日期", widget=DATE_WIDGET)
