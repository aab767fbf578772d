"""Forms of the person's file: create/edit, photos, family contacts, episode transitions, search."""

from django import forms
from django.utils import timezone

from core.idnumbers import KEEP_UNCHECKED_HELP, KEEP_UNCHECKED_LABEL
from core.models import Division, DivisionLevel
from people.models import SPECIAL_GROUP_FIELDS, FamilyContact, IdentityStatus, Person, PhotoKind, Sex
from people.selectors import SPECIAL_GROUPS

#: The 56 ethnic groups (民族), in the order of GB 3304.
NATIONS = (
    "汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 土家族 哈尼族 哈萨克族 傣族 黎族 傈僳族 "
    "佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 景颇族 柯尔克孜族 土族 达斡尔族 仫佬族 羌族 布朗族 撒拉族 毛南族 仡佬族 锡伯族 "
    "阿昌族 普米族 塔吉克族 怒族 乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 塔塔尔族 独龙族 鄂伦春族 赫哲族 门巴族 "
    "珞巴族 基诺族"
).split()
ETHNICITY_CHOICES = [("", "不详"), *[(n, n) for n in NATIONS], ("外国血统", "外国血统中国籍人士"), ("其他", "其他/未识别")]

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

PERSON_FIELDS = [
    "name", "aliases", "sex", "birth_date", "birth_year_est", "age_min", "age_max", "ethnicity",
    "hukou_text", "residence_text", "dialect", "height_cm", "build", "marks", "identity_status",
    *SPECIAL_GROUP_FIELDS,
]


def find_county(value: str) -> Division | None:
    """A county-level (or finer) division from '441881', '441881 英德市' or an exact (full) name."""
    value = (value or "").strip()
    if not value:
        return None
    code = value.split()[0]
    if code.isdigit():
        return Division.objects.filter(code=code).first()
    qs = Division.objects.filter(level__in=[DivisionLevel.COUNTY, DivisionLevel.TOWNSHIP, DivisionLevel.VILLAGE])
    return qs.filter(full_name=value).first() or (qs.filter(name=value).first() if qs.filter(name=value).count() == 1
                                                   else None)


class PersonForm(forms.ModelForm):
    """Create and edit a file. The ID number is validated in the service (GB 11643, sex and birth date)."""

    use_provisional_name = forms.BooleanField(
        label="使用临时姓名", required=False, help_text="身份不明时勾选，系统按“无名氏-站-年-序号”编定姓名"
    )
    id_number = forms.CharField(label="身份证号", required=False, max_length=18,
                                widget=forms.TextInput(attrs={"autocomplete": "off"}))
    keep_unchecked_id = forms.BooleanField(label=KEEP_UNCHECKED_LABEL, help_text=KEEP_UNCHECKED_HELP, required=False)
    hukou_division = forms.CharField(max_length=100,
        label="户籍地（县级区划）", required=False, help_text="输入区划代码或名称搜索，如 441881 英德市",
        widget=forms.TextInput(attrs={"list": "division-options", "hx-get": "/people/divisions/",
                                      "hx-trigger": "keyup changed delay:300ms", "hx-target": "#division-options",
                                      "autocomplete": "off"}),
    )
    ethnicity = forms.ChoiceField(label="民族", choices=ETHNICITY_CHOICES, required=False)

    class Meta:
        model = Person
        fields = PERSON_FIELDS
        widgets = {"birth_date": DATE, "marks": forms.Textarea(attrs={"rows": 3, "wide": True})}

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False
        self.fields["identity_status"].required = False
        self.fields["sex"].required = False
        if editing:
            del self.fields["use_provisional_name"]
            self.fields["id_number"].help_text = "留空表示不修改已登记的号码"
            if self.instance.id_number_unchecked_masked:
                self.fields["id_number"].help_text += (f"；已按自述记录的号码（校验未通过）："
                                                       f"{self.instance.id_number_unchecked_masked}")
            if self.instance.hukou_division_id and not self.is_bound:
                d = self.instance.hukou_division
                self.initial["hukou_division"] = f"{d.code} {d.full_name or d.name}"
        else:
            self.fields["id_number"].help_text = "18位居民身份证号，系统校验校验码、出生日期和性别"

    def clean_hukou_division(self):
        value = self.cleaned_data.get("hukou_division", "")
        if not value.strip():
            return None
        division = find_county(value)
        if division is None:
            raise forms.ValidationError("未找到该行政区划，请从下拉提示中选择。")
        return division

    def clean(self):
        data = super().clean()
        if not self.errors and not (data.get("name") or "").strip() and not data.get("use_provisional_name", True):
            self.add_error("name", "请填写姓名；身份不明时勾选“使用临时姓名”。")
        return data

    def person_data(self) -> dict:
        data = {f: self.cleaned_data.get(f) for f in PERSON_FIELDS}
        data["hukou_division"] = self.cleaned_data.get("hukou_division")
        for f in ("name", "aliases", "sex", "ethnicity", "hukou_text", "residence_text", "dialect", "build", "marks"):
            data[f] = (data[f] or "").strip()
        data["identity_status"] = data["identity_status"] or IdentityStatus.UNIDENTIFIED
        return data


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data] or None
        return super().clean(data, initial)


class PhotoForm(forms.Form):
    image = MultipleFileField(label="照片", help_text="可一次选择多张；JPEG、PNG 或 WebP 格式")
    kind = forms.ChoiceField(label="类型", choices=PhotoKind.choices, initial=PhotoKind.PORTRAIT)
    taken_on = forms.DateField(label="拍摄日期", widget=DATE, initial=timezone.localdate)
    note = forms.CharField(label="说明", max_length=200, required=False)


class ContactForm(forms.ModelForm):
    class Meta:
        model = FamilyContact
        fields = ["name", "relationship", "phone", "address", "note"]


class PersonSearchForm(forms.Form):
    q = forms.CharField(max_length=100, label="姓名/拼音/身份证号/档案号", required=False)
    sex = forms.ChoiceField(label="性别", required=False, choices=[("", "全部"), (Sex.MALE, "男"), (Sex.FEMALE, "女")])
    age_min = forms.IntegerField(label="年龄从", required=False, min_value=0, max_value=130)
    age_max = forms.IntegerField(label="到", required=False, min_value=0, max_value=130)
    station = forms.ModelChoiceField(label="所在机构", required=False, queryset=None, to_field_name="uuid",
                                     empty_label="全部")
    identity_status = forms.ChoiceField(label="身份状态", required=False,
                                        choices=[("", "全部"), *IdentityStatus.choices])
    special_group = forms.ChoiceField(label="特殊群体", required=False, choices=[("", "全部"), *SPECIAL_GROUPS])
    in_care = forms.ChoiceField(label="在站", required=False, choices=[("", "全部"), ("yes", "在站/在院/托养"),
                                                                        ("no", "不在站")])

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = organisations


class ShareRequestForm(forms.Form):
    reason = forms.CharField(label="申请理由", max_length=300, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="如：该人员现在本站求助，身份证号与贵站档案相同，请共享档案以便一人一档。")


class ShareDecisionForm(forms.Form):
    accept = forms.TypedChoiceField(label="处理", choices=[("1", "同意共享"), ("0", "拒绝")], coerce=lambda v: v == "1")
    note = forms.CharField(label="说明", max_length=300, required=False, help_text="拒绝时必填")
