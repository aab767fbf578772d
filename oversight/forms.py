from decimal import Decimal

from django import forms

from oversight.models import AssessmentGrade, ContactMethod, LeaderRole, Outcome, PanelRole, RiskCategory

DT_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXTAREA = {"rows": 3, "wide": "1"}


class ChecklistItemForm(forms.Form):
    category = forms.ChoiceField(label="风险类别", choices=RiskCategory.choices)
    text = forms.CharField(label="检查内容", max_length=200)
    guidance = forms.CharField(
        label="检查方法/标准", max_length=300, required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )
    order = forms.IntegerField(label="排序", min_value=0, max_value=999, initial=0)
    is_active = forms.BooleanField(label="启用", required=False, initial=True)


class InspectionForm(forms.Form):
    """The checklist as a form: for every item a result, a note, a photo and (when failed) a deadline."""

    inspected_at = forms.DateTimeField(label="检查时间", widget=DT_WIDGET)
    participants = forms.CharField(label="参加人员", max_length=200, required=False)
    note = forms.CharField(
        label="总体情况", max_length=500, required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for item in self.items:
            self.fields[f"r_{item.pk}"] = forms.ChoiceField(
                label=item.text, choices=Outcome.choices, widget=forms.RadioSelect, help_text=item.guidance
            )
            self.fields[f"n_{item.pk}"] = forms.CharField(
                label="情况说明 / 隐患描述", max_length=300, required=False
            )
            self.fields[f"p_{item.pk}"] = forms.ImageField(label="现场照片", required=False)
            self.fields[f"d_{item.pk}"] = forms.DateField(
                label="整改期限", required=False, widget=DATE_WIDGET
            )

    def rows(self):
        """(item, result field, note field, photo field, deadline field) grouped for the template."""
        for item in self.items:
            yield (
                item,
                self[f"r_{item.pk}"],
                self[f"n_{item.pk}"],
                self[f"p_{item.pk}"],
                self[f"d_{item.pk}"],
            )

    def results(self) -> list[dict]:
        d = self.cleaned_data
        return [
            {
                "item": item,
                "outcome": d.get(f"r_{item.pk}"),
                "note": d.get(f"n_{item.pk}") or "",
                "photo": d.get(f"p_{item.pk}"),
                "deadline": d.get(f"d_{item.pk}"),
            }
            for item in self.items
        ]


class HazardForm(forms.Form):
    """A hazard found outside an inspection (a walk-round, a complaint)."""

    organisation = forms.ModelChoiceField(label="责任机构", queryset=None, to_field_name="uuid")
    category = forms.ChoiceField(label="风险类别", choices=RiskCategory.choices)
    description = forms.CharField(label="隐患描述", max_length=500, widget=forms.Textarea(attrs=TEXTAREA))
    found_on = forms.DateField(label="发现日期", widget=DATE_WIDGET)
    deadline = forms.DateField(
        label="整改期限", required=False, widget=DATE_WIDGET, help_text="不填则按默认期限"
    )
    measures = forms.CharField(
        label="整改措施", max_length=500, required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )
    responsible = forms.CharField(label="整改责任人", max_length=50, required=False)
    source = forms.CharField(label="来源", max_length=100, required=False, help_text="如：日常巡查、群众反映")

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


class PlanForm(forms.Form):
    measures = forms.CharField(label="整改措施", max_length=500, widget=forms.Textarea(attrs=TEXTAREA))
    responsible = forms.CharField(label="整改责任人", max_length=50)


class SubmitForm(forms.Form):
    rectification = forms.CharField(label="整改情况", max_length=500, widget=forms.Textarea(attrs=TEXTAREA))


class AcceptForm(forms.Form):
    decision = forms.ChoiceField(
        label="验收结论",
        choices=[("accept", "验收通过"), ("reject", "验收不通过，退回整改")],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="验收意见",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs=TEXTAREA),
        help_text="不通过时必须写明理由",
    )


class CloseForm(forms.Form):
    note = forms.CharField(label="销号说明", max_length=300, required=False)


class MembershipForm(forms.Form):
    member = forms.ModelChoiceField(
        label="监督员（用户账号）", queryset=None, to_field_name="uuid", help_text="第三方监督组织的用户"
    )
    panel_role = forms.ChoiceField(label="职务", choices=PanelRole.choices)
    employer = forms.CharField(label="工作单位", max_length=100)
    employer_org = forms.ModelChoiceField(
        label="工作单位（如为系统内机构）", queryset=None, required=False, to_field_name="uuid"
    )
    profession = forms.CharField(label="职业/专业", max_length=50, required=False)
    is_care_professional = forms.BooleanField(label="照料/医护专业人员", required=False)
    term_start = forms.DateField(label="任期开始", widget=DATE_WIDGET)

    def __init__(self, *args, members=None, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.fields["employer_org"].queryset = organisations


class EndTermForm(forms.Form):
    reason = forms.CharField(label="离任原因", max_length=200)


class MeetingForm(forms.Form):
    held_at = forms.DateTimeField(label="会议时间", widget=DT_WIDGET)
    topic = forms.CharField(label="议题", max_length=200)
    minutes = forms.CharField(
        label="会议纪要", max_length=4000, widget=forms.Textarea(attrs={"rows": 8, "wide": "1"})
    )
    attendees = forms.ModelMultipleChoiceField(
        label="出席成员", queryset=None, to_field_name="uuid", widget=forms.CheckboxSelectMultiple
    )
    opinions = forms.CharField(
        label="会上提出的意见建议",
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "wide": "1"}),
        help_text="每行一条，每条不超过 1000 字；保存后逐条交救助机构答复",
    )

    def __init__(self, *args, memberships=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = memberships


class OpinionForm(forms.Form):
    text = forms.CharField(label="意见建议", max_length=1000, widget=forms.Textarea(attrs=TEXTAREA))


class AnswerForm(forms.Form):
    measures = forms.CharField(label="整改措施", max_length=1000, widget=forms.Textarea(attrs=TEXTAREA))
    measures_due = forms.DateField(label="完成日期", widget=DATE_WIDGET)


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        label="监督组结论",
        choices=[("accept", "认可答复"), ("reopen", "不认可，退回重新答复")],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="监督组意见",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs=TEXTAREA),
        help_text="退回时必须写明理由",
    )


class AssignmentForm(forms.Form):
    leader = forms.ModelChoiceField(label="联系领导", queryset=None, to_field_name="uuid")
    leader_role = forms.ChoiceField(label="领导职务", choices=LeaderRole.choices)
    institution = forms.ModelChoiceField(label="联系机构", queryset=None, to_field_name="uuid")

    def __init__(self, *args, leaders=None, institutions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = leaders
        self.fields["institution"].queryset = institutions


class ContactForm(forms.Form):
    contacted_at = forms.DateTimeField(label="联系时间", widget=DT_WIDGET)
    method = forms.ChoiceField(label="方式", choices=ContactMethod.choices, widget=forms.RadioSelect)
    problems = forms.CharField(
        label="发现的问题", max_length=1000, required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )
    follow_up = forms.CharField(
        label="跟进措施", max_length=1000, required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )
    item_1 = forms.CharField(label="跟进事项一", max_length=300, required=False)
    due_1 = forms.DateField(label="完成期限", required=False, widget=DATE_WIDGET)
    item_2 = forms.CharField(label="跟进事项二", max_length=300, required=False)
    due_2 = forms.DateField(label="完成期限", required=False, widget=DATE_WIDGET)
    item_3 = forms.CharField(label="跟进事项三", max_length=300, required=False)
    due_3 = forms.DateField(label="完成期限", required=False, widget=DATE_WIDGET)

    def items(self) -> list[dict]:
        d = self.cleaned_data
        return [{"text": d[f"item_{n}"], "due_on": d[f"due_{n}"]} for n in (1, 2, 3) if d.get(f"item_{n}")]


class FollowUpCloseForm(forms.Form):
    note = forms.CharField(label="办结情况", max_length=300)


# --- assessment (rule O5) ----------------------------------------------------------------------------------------


class IndicatorSetForm(forms.Form):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    title = forms.CharField(label="名称", max_length=100, help_text="如：救助管理机构年度考核评价指标")


class IndicatorForm(forms.Form):
    category = forms.CharField(label="指标类别", max_length=50, help_text="如：机构管理、站内服务、安全管理")
    text = forms.CharField(label="评价内容", max_length=200)
    guidance = forms.CharField(
        label="评分标准", max_length=500, required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )
    max_score = forms.DecimalField(label="分值", min_value=Decimal("0.01"), max_value=Decimal("9999.99"), decimal_places=2)
    weight = forms.DecimalField(label="权重", min_value=Decimal("0.01"), max_value=Decimal("9999.99"), decimal_places=2, initial=1)
    threshold = forms.DecimalField(
        label="达标分",
        min_value=Decimal(0),
        max_value=Decimal("9999.99"),
        decimal_places=2,
        required=False,
        help_text="第三方评估得分低于此分即列为整改问题；不填为满分",
    )
    order = forms.IntegerField(label="排序", min_value=0, max_value=999, initial=0)


class AssessmentOpenForm(forms.Form):
    station = forms.ModelChoiceField(label="被考核机构", queryset=None, to_field_name="uuid")
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    evaluator_org = forms.ModelChoiceField(
        label="第三方评估机构", queryset=None, to_field_name="uuid", help_text="监督/评估机构，或本部门自行评估"
    )
    self_due_on = forms.DateField(
        label="自评截止日期", required=False, widget=DATE_WIDGET, help_text="不填则按本地设置（每年同一日）"
    )

    def __init__(self, *args, stations=None, evaluators=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = stations
        self.fields["evaluator_org"].queryset = evaluators


class ScoresForm(forms.Form):
    """One side of an assessment (the self-assessment or the evaluation): a score and a remark per indicator."""

    summary = forms.CharField(label="总结", max_length=1000, required=False, widget=forms.Textarea(attrs=TEXTAREA))
    action = forms.ChoiceField(choices=[("save", "保存"), ("submit", "提交")], initial="save")

    def __init__(self, *args, rows=(), side="self", summary_label="总结", **kwargs):
        super().__init__(*args, **kwargs)
        self.rows_ = list(rows)
        self.fields["summary"].label = summary_label
        for row in self.rows_:
            ind = row.indicator
            self.fields[f"s_{ind.pk}"] = forms.DecimalField(
                label=f"得分（满分 {ind.max_score}）",
                min_value=0,
                max_value=ind.max_score,
                decimal_places=2,
                required=False,
                initial=getattr(row, f"{side}_score"),
            )
            self.fields[f"m_{ind.pk}"] = forms.CharField(
                label="说明", max_length=300, required=False, initial=getattr(row, f"{side}_remark")
            )

    def rows(self):
        for row in self.rows_:
            yield row, self[f"s_{row.indicator.pk}"], self[f"m_{row.indicator.pk}"]

    def scores(self) -> dict:
        d = self.cleaned_data
        return {
            row.indicator.pk: {"score": d.get(f"s_{row.indicator.pk}"), "remark": d.get(f"m_{row.indicator.pk}") or ""}
            for row in self.rows_
        }


class ReturnForm(forms.Form):
    reason = forms.CharField(label="退回理由", max_length=300)


class ConcludeForm(forms.Form):
    grade = forms.ChoiceField(label="考核等次", choices=[("", "—")] + AssessmentGrade.choices, required=False)
    conclusion = forms.CharField(label="考核结论", max_length=1000, widget=forms.Textarea(attrs=TEXTAREA))
    deadline = forms.DateField(
        label="问题整改期限", required=False, widget=DATE_WIDGET, help_text="不填则按隐患默认期限"
    )
