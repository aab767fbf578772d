"""Forms of daily care and the special groups; the services check the rules, the forms the shapes."""

from django import forms

from dailycare.models import CareGroup, GuardianshipConclusion, Meal, ReportedTo, ServiceOutcome

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DT_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _textarea(rows: int = 3):
    return forms.Textarea(attrs={"rows": rows})


class MealForm(forms.Form):
    zone = forms.ModelChoiceField(label="照料区域", queryset=None, to_field_name="uuid")
    served_on = forms.DateField(label="日期", widget=DATE_WIDGET)
    meal = forms.ChoiceField(label="餐次", choices=Meal.choices)
    served_at = forms.DateTimeField(label="供餐时间", widget=DT_WIDGET, required=False,
                                    help_text="不填：今天按当前时间，以前的日期按该餐次的常规时间")
    menu = forms.CharField(label="菜谱", max_length=300, help_text="如：米饭、红烧豆腐、青菜、紫菜蛋汤")
    headcount = forms.IntegerField(label="就餐人数", min_value=0, max_value=10000)
    sample_items = forms.CharField(label="留样品种", max_length=300, required=False, help_text="不填则按菜谱全部留样")
    grams = forms.IntegerField(label="每样重量（克）", min_value=50, max_value=2000, initial=125)
    storage = forms.CharField(label="存放位置", max_length=100, required=False, initial="留样冰箱（0–8℃）")
    kept_at = forms.DateTimeField(label="留样时间", widget=DT_WIDGET, required=False, help_text="不填则为供餐时间")
    note = forms.CharField(label="备注", max_length=200, required=False)

    def __init__(self, *args, zones=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zone"].queryset = zones


class DisposeForm(forms.Form):
    disposed_at = forms.DateTimeField(label="销毁时间", widget=DT_WIDGET, required=False, help_text="不填则为当前时间")
    disposal_note = forms.CharField(label="销毁说明", max_length=200, required=False)


class BasicServicesForm(forms.Form):
    """One choice per active "六个一" item not yet recorded; blank items are left for later."""

    done_at = forms.DateTimeField(label="服务时间", widget=DT_WIDGET, required=False, help_text="不填则为当前时间")
    note = forms.CharField(label="说明", max_length=200, required=False)

    def __init__(self, *args, services=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.services = list(services)
        for service in self.services:
            self.fields[f"item_{service.code}"] = forms.ChoiceField(
                label=service.name, required=False, help_text=service.description,
                choices=[("", "暂未提供")] + list(ServiceOutcome.choices))
        self.order_fields([f"item_{s.code}" for s in self.services] + ["done_at", "note"])

    def outcomes(self) -> dict:
        return {s: self.cleaned_data[f"item_{s.code}"] for s in self.services if self.cleaned_data.get(f"item_{s.code}")}


class MinorPlanForm(forms.Form):
    assessment = forms.CharField(label="综合评估", max_length=1000, widget=_textarea(4),
                                 help_text="身心状况、家庭情况、风险与需求")
    plan = forms.CharField(label="保护方案", max_length=1000, widget=_textarea(4),
                           help_text="照料、教育、心理疏导、寻亲与回归安排")
    responsible = forms.ModelChoiceField(label="责任人", queryset=None, to_field_name="uuid")

    def __init__(self, *args, staff=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = staff


class ReviewForm(forms.Form):
    findings = forms.CharField(label="评估情况", max_length=1000, widget=_textarea())
    changes = forms.CharField(label="方案调整", max_length=1000, widget=_textarea(2), required=False)
    reviewed_at = forms.DateTimeField(label="评估时间", widget=DT_WIDGET, required=False)


class GuardianshipForm(forms.Form):
    department = forms.ModelChoiceField(label="民政部门", queryset=None, to_field_name="uuid")
    started_at = forms.DateTimeField(label="临时监护开始时间", widget=DT_WIDGET)

    def __init__(self, *args, departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments


class LongTermForm(forms.Form):
    department = forms.ModelChoiceField(label="民政部门", queryset=None, to_field_name="uuid")
    since = forms.DateField(label="长期监护开始日期", widget=DATE_WIDGET)
    basis = forms.CharField(label="长期监护依据", max_length=300, help_text="如：寻亲无果、监护人资格被撤销")

    def __init__(self, *args, departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments


class AssessmentForm(forms.Form):
    guardian_name = forms.CharField(label="监护人姓名", max_length=50)
    relationship = forms.CharField(label="与未成年人关系", max_length=20)
    method = forms.CharField(label="评估方式", max_length=100, help_text="如：入户走访、电话核实、委托户籍地民政部门")
    findings = forms.CharField(label="评估情况", max_length=2000, widget=_textarea(4))
    conclusion = forms.ChoiceField(label="评估结论", choices=GuardianshipConclusion.choices)
    support_measures = forms.CharField(label="帮扶措施", max_length=300, required=False)
    assessed_at = forms.DateTimeField(label="评估时间", widget=DT_WIDGET, required=False)


class ReferralForm(forms.Form):
    centre = forms.ModelChoiceField(label="未成年人救助保护中心", queryset=None, to_field_name="uuid")
    reason = forms.CharField(label="转介原因", max_length=300)
    referred_at = forms.DateTimeField(label="转介时间", widget=DT_WIDGET, required=False)

    def __init__(self, *args, centres=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = centres


class CarePlanForm(forms.Form):
    group = forms.ChoiceField(label="人员类别", choices=CareGroup.choices)
    zone = forms.ModelChoiceField(label="照料区域", queryset=None, to_field_name="uuid")
    needs = forms.CharField(label="照料需求", max_length=1000, widget=_textarea())
    measures = forms.CharField(label="照料措施", max_length=1000, widget=_textarea())
    responsible = forms.ModelChoiceField(label="责任人", queryset=None, to_field_name="uuid")

    def __init__(self, *args, zones=None, staff=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zone"].queryset = zones
        self.fields["responsible"].queryset = staff


class EndForm(forms.Form):
    note = forms.CharField(label="结束说明", max_length=200)


class ShelterForm(forms.Form):
    abuser_relationship = forms.CharField(label="施暴人与受害人关系", max_length=30)
    circumstances = forms.CharField(label="遭受家庭暴力情况", max_length=2000, widget=_textarea(4))
    injuries = forms.CharField(label="伤情", max_length=300, required=False)
    safety_measures = forms.CharField(label="安全保护措施", max_length=300, required=False,
                                      help_text="如：不向施暴人透露住处、安排女性工作人员陪护")
    sheltered_at = forms.DateTimeField(label="庇护开始时间", widget=DT_WIDGET, required=False)


class DvReportForm(forms.Form):
    reported_to = forms.ChoiceField(label="报告对象", choices=ReportedTo.choices)
    recipient = forms.CharField(label="接收单位/人员", max_length=100, help_text="如：城关派出所 李警官")
    reported_at = forms.DateTimeField(label="报告时间", widget=DT_WIDGET)
    how = forms.CharField(label="报告方式", max_length=50, help_text="如：电话、书面、当面")
    content = forms.CharField(label="报告内容", max_length=2000, widget=_textarea())
    reference = forms.CharField(label="回执/案件编号", max_length=50, required=False)
