import datetime

from django import forms
from django.utils import timezone

from figures import dimensions as dims
from figures.selectors import GROUPS, Query, default_query

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
EARLIEST = datetime.date(2000, 1, 1)


class FiguresForm(forms.Form):
    """What the statistics page counts: a flow over a period or the people in care at a date, where."""

    measure = forms.ChoiceField(label="统计内容", choices=list(dims.MEASURES.items()), required=False)
    date_from = forms.DateField(label="起始日期", required=False, widget=DATE_WIDGET)
    date_to = forms.DateField(label="截止日期", required=False, widget=DATE_WIDGET)
    as_of = forms.DateField(label="时点（当日24时）", required=False, widget=DATE_WIDGET)
    area = forms.ChoiceField(label="范围", required=False)
    group = forms.ChoiceField(label="分组", choices=list(GROUPS.items()), required=False)

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", "全部（本人可见范围）"), *areas]

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        default = default_query(today)
        data["measure"] = data.get("measure") or "requested"
        data["group"] = data.get("group") or "station"
        start = data.get("date_from") or default.date_from
        end = data.get("date_to") or default.date_to
        as_of = data.get("as_of") or default.as_of
        if end < start:
            self.add_error("date_to", "截止日期不能早于起始日期。")
        for name, value in (("date_from", start), ("date_to", end), ("as_of", as_of)):
            if value < EARLIEST or value > today:
                self.add_error(name, f"日期应在 {EARLIEST:%Y-%m-%d} 至今天之间。")
        data["date_from"], data["date_to"], data["as_of"] = start, end, as_of
        return data

    def query(self) -> Query:
        d = self.cleaned_data
        return Query(measure=d["measure"], date_from=d["date_from"], date_to=d["date_to"], as_of=d["as_of"],
                     area=d.get("area") or "", group=d["group"])


class DrillForm(FiguresForm):
    dimension = forms.ChoiceField(label="维度", choices=list(dims.DIMENSIONS.items()), required=False)
    key = forms.CharField(label="分类", max_length=32, required=False)


class GenerateForm(forms.Form):
    organisation = forms.ChoiceField(label="报送机构")
    year = forms.IntegerField(label="年份", min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(label="季度", coerce=int, choices=[(q, f"第{q}季度") for q in (1, 2, 3, 4)])

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations = {str(o.uuid): o for o in organisations}
        self.fields["organisation"].choices = [(str(o.uuid), o.name) for o in organisations]


class ReviewForm(forms.Form):
    note = forms.CharField(label="审核意见", max_length=300, required=False)


class ReturnForm(forms.Form):
    reason = forms.CharField(label="退回原因", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
