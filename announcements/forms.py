"""Forms of the announcements app (staff pages and the public board)."""

from django import forms

from announcements.models import AnnouncementStatus, Channel, ClueStatus
from core.fields import NOTE
from core.models import Division

# ISO format: <input type=date> shows nothing for the zh-hans default "2026/11/22" (the prefill was lost).
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
CHOICES = [
    ("found_date", "发现/求助日期"),
    ("found_place", "发现地点"),
    ("sex", "性别"),
    ("age", "估计年龄"),
    ("height", "身高"),
    ("features", "体貌特征"),
    ("statement", "本人自述"),
]


class PhotoChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return f"{obj.get_kind_display()} {obj.taken_on:%Y-%m-%d}"


class AnnouncementForm(forms.Form):
    """Staff choose which photos and details go public (rule T3); unchosen details are never stored."""

    photos = PhotoChoiceField(label="公开的照片", queryset=None, required=False,
                              help_text="指纹和证件照片不会出现在这里，也不得公开。")
    chosen = forms.MultipleChoiceField(label="公开的项目", choices=CHOICES, required=False,
                                       widget=forms.CheckboxSelectMultiple,
                                       help_text="只有勾选的项目会出现在公告中；身份证号、姓名等一律不公开。")
    found_date = forms.DateField(label="发现/求助日期", required=False, widget=DATE)
    found_division = forms.ModelChoiceField(label="发现地（县区）", queryset=None, required=False,
                                            help_text="用于公众按省、市筛选")
    found_place = forms.CharField(label="发现地点", max_length=200, required=False)
    sex = forms.ChoiceField(label="性别", choices=[("", "—"), ("男", "男"), ("女", "女")], required=False)
    age_min = forms.IntegerField(label="估计年龄下限", min_value=0, max_value=120, required=False)
    age_max = forms.IntegerField(label="估计年龄上限", min_value=0, max_value=120, required=False)
    height_cm = forms.IntegerField(label="身高（厘米）", min_value=40, max_value=250, required=False)
    features = forms.CharField(max_length=NOTE, label="体貌特征（公开文字）", required=False,
                               widget=forms.Textarea(attrs={"rows": 3, "wide": True}))
    statement = forms.CharField(max_length=NOTE, label="本人自述（面向公众撰写）", required=False,
                                widget=forms.Textarea(attrs={"rows": 3, "wide": True}),
                                help_text="如自述的地名、人名、口音；不要写身份证号或内部记录。")
    contact_phone = forms.CharField(label="联系电话（公开）", max_length=40, required=False,
                                    help_text="救助站的对外电话")

    def __init__(self, *args, photos=None, divisions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photos"].queryset = photos
        self.fields["found_division"].queryset = divisions if divisions is not None else Division.objects.none()
        self.fields["chosen"].widget.attrs["wide"] = True
        self.fields["photos"].widget.attrs["wide"] = True

    def details(self) -> dict:
        return {k: self.cleaned_data.get(k) for k in ("found_date", "found_division", "found_place", "sex",
                                                      "age_min", "age_max", "height_cm", "features", "statement",
                                                      "contact_phone")}


class WithdrawForm(forms.Form):
    reason = forms.CharField(label="撤回原因", max_length=300)


class PublicationForm(forms.Form):
    channel = forms.ChoiceField(label="发布渠道", choices=[c for c in Channel.choices if c[0] != Channel.BOARD])
    published_on = forms.DateField(label="发布日期", widget=DATE)
    reference = forms.CharField(label="刊发信息/链接/版面", max_length=300, required=False)


class AnnouncementFilterForm(forms.Form):
    status = forms.ChoiceField(label="状态", choices=[("", "全部"), *AnnouncementStatus.choices], required=False)
    station = forms.ModelChoiceField(label="机构", queryset=None, required=False, empty_label="全部")
    q = forms.CharField(max_length=100, label="编号/姓名", required=False)

    def __init__(self, *args, stations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = stations


class ClueStatusForm(forms.Form):
    status = forms.ChoiceField(label="改为", choices=ClueStatus.choices)
    note = forms.CharField(label="处理说明", max_length=300, required=False)


class ClueIdentifyForm(forms.Form):
    """What the confirmed clue established; handed to tracing's identity confirmation."""

    name = forms.CharField(label="真实姓名", max_length=50, required=False,
                           help_text="使用临时姓名的人员须填写")
    id_number = forms.CharField(label="身份证号", max_length=18, required=False)
    hukou_text = forms.CharField(label="户籍地址", max_length=200, required=False)
    note = forms.CharField(label="核实说明", max_length=300, required=False,
                           widget=forms.Textarea(attrs={"rows": 2, "wide": True}))


class ClueFilterForm(forms.Form):
    status = forms.ChoiceField(label="状态", choices=[("", "待处理（新线索、跟进中）"), ("all", "全部"),
                                                      *ClueStatus.choices], required=False)


class ClueForm(forms.Form):
    """The public clue form. ``website`` is a honeypot: people never see it, bots fill it in."""

    name = forms.CharField(label="您的姓名", max_length=50, required=False)
    phone = forms.CharField(label="联系电话", max_length=30, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    relationship = forms.CharField(label="与走失者的关系", max_length=30, required=False)
    content = forms.CharField(label="您了解的情况", required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 5}))
    photo = forms.FileField(label="照片（可选，如走失者的旧照片）", required=False)
    website = forms.CharField(max_length=200, label="网址", required=False)


class BoardFilterForm(forms.Form):
    province = forms.CharField(max_length=64, required=False)
    city = forms.CharField(max_length=64, required=False)
    date_from = forms.DateField(required=False)
    date_to = forms.DateField(required=False)
    sex = forms.ChoiceField(choices=[("", ""), ("男", "男"), ("女", "女")], required=False)
    age_min = forms.IntegerField(min_value=0, max_value=120, required=False)
    age_max = forms.IntegerField(min_value=0, max_value=120, required=False)
    q = forms.CharField(max_length=50, required=False)
