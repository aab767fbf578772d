"""Forms of the outreach app: short, phone-first, every free text with its length limit."""

from django import forms
from django.utils import timezone

from outreach.models import (
    DESCRIPTION_MAX,
    CampaignKind,
    Group,
    HotSpot,
    HotSpotKind,
    Outcome,
    SightingSource,
)

DT_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
COORD = {"max_digits": 9, "decimal_places": 6, "required": False, "widget": forms.HiddenInput}


def _now():
    return timezone.localtime().replace(second=0, microsecond=0)


class PublicSightingForm(forms.Form):
    station = forms.ModelChoiceField(label="所在地的救助管理站", queryset=None, empty_label="请选择")
    place = forms.CharField(
        label="在哪里看到的",
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "如：人民路地下通道北口"}),
    )
    description = forms.CharField(
        label="他/她的情况",
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "大致年龄、性别、衣着、身体状况"}),
    )
    photo = forms.ImageField(label="照片（可选）", required=False)
    reporter_name = forms.CharField(label="您的称呼（可选）", max_length=50, required=False)
    reporter_phone = forms.CharField(label="回拨电话（可选）", max_length=40, required=False)
    latitude = forms.DecimalField(**COORD)
    longitude = forms.DecimalField(**COORD)
    website = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)  # honeypot

    def __init__(self, *args, stations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = stations


class SightingForm(forms.Form):
    source = forms.ChoiceField(label="来源", choices=SightingSource.choices)
    received_at = forms.DateTimeField(label="接报时间", widget=DT_WIDGET, initial=_now)
    place = forms.CharField(label="地点", max_length=200)
    description = forms.CharField(
        label="人员情况", max_length=DESCRIPTION_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
    reporter_name = forms.CharField(label="报告人", max_length=50, required=False)
    reporter_phone = forms.CharField(label="回拨电话", max_length=40, required=False)
    photo = forms.ImageField(label="照片", required=False)
    latitude = forms.DecimalField(**COORD)
    longitude = forms.DecimalField(**COORD)


class DispatchForm(forms.Form):
    dispatched_to = forms.CharField(label="派出巡查组/人员", max_length=100)


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(label="处置结果", choices=Outcome.choices)
    outcome_note = forms.CharField(
        label="处置情况", max_length=DESCRIPTION_MAX, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    episode = forms.ModelChoiceField(label="对应的求助登记（已登记求助时）", queryset=None, required=False)

    def __init__(self, *args, episodes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["episode"].queryset = episodes
        self.fields["episode"].label_from_instance = lambda e: (
            f"{e.number} {e.person.name} {timezone.localtime(e.requested_at):%m-%d %H:%M}"
        )


class HandoverForm(forms.Form):
    to_station = forms.ModelChoiceField(label="移交给", queryset=None)
    reason = forms.CharField(label="移交原因", max_length=200)

    def __init__(self, *args, stations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_station"].queryset = stations


class PatrolForm(forms.Form):
    team = forms.CharField(label="巡查组/人员", max_length=100)
    route = forms.CharField(label="巡查路线", max_length=300, required=False)
    started_at = forms.DateTimeField(label="开始时间", widget=DT_WIDGET, initial=_now)
    ended_at = forms.DateTimeField(label="结束时间", widget=DT_WIDGET, required=False)
    hot_spots = forms.ModelMultipleChoiceField(
        label="覆盖的重点区域", queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(
        label="备注", max_length=DESCRIPTION_MAX, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, hot_spots, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hot_spots"].queryset = hot_spots


class EncounterForm(forms.Form):
    met_at = forms.DateTimeField(label="发现时间", widget=DT_WIDGET, initial=_now)
    place = forms.CharField(label="地点", max_length=200)
    group = forms.ChoiceField(label="人员类别", choices=Group.choices)
    outcome = forms.ChoiceField(label="处置", choices=Outcome.choices)
    sex = forms.ChoiceField(label="性别", choices=[("", "不详"), ("男", "男"), ("女", "女")], required=False)
    age_guess = forms.IntegerField(label="估计年龄", min_value=0, max_value=120, required=False)
    description = forms.CharField(
        label="情况", max_length=DESCRIPTION_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
    hot_spot = forms.ModelChoiceField(label="重点区域", queryset=None, required=False)
    latitude = forms.DecimalField(**COORD)
    longitude = forms.DecimalField(**COORD)

    def __init__(self, *args, hot_spots, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hot_spot"].queryset = hot_spots


class HotSpotForm(forms.ModelForm):
    latitude = forms.DecimalField(label="纬度", max_digits=9, decimal_places=6, required=False)
    longitude = forms.DecimalField(label="经度", max_digits=9, decimal_places=6, required=False)

    class Meta:
        model = HotSpot
        fields = ["county", "kind", "name", "address", "latitude", "longitude", "is_active"]

    def __init__(self, *args, counties, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].queryset = counties
        self.fields["kind"].choices = HotSpotKind.choices


class CampaignForm(forms.Form):
    kind = forms.ChoiceField(label="专项行动", choices=CampaignKind.choices)
    starts_on = forms.DateField(label="开始日期", widget=DATE_WIDGET)
    ends_on = forms.DateField(label="结束日期", widget=DATE_WIDGET)
    note = forms.CharField(label="说明", max_length=DESCRIPTION_MAX, required=False)


class AlertForm(forms.Form):
    weather = forms.CharField(label="天气预警", max_length=50, help_text="如：寒潮蓝色预警、高温橙色预警")
    note = forms.CharField(
        label="要求", max_length=DESCRIPTION_MAX, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
