"""Forms of the matching app: reports, import, review, merge, browse and list filters."""

from django import forms

from core.idnumbers import KEEP_UNCHECKED_HELP, KEEP_UNCHECKED_LABEL
from matching.models import MissingReport, ReportStatus
from people.forms import DATE, DATETIME, find_county
from people.models import Sex

SEX_FILTER = [("", "全部"), ("男", "男"), ("女", "女")]


class ReportForm(forms.ModelForm):
    id_number = forms.CharField(label="身份证号", required=False, max_length=18,
                                help_text="选填；按国家标准校验，加密保存。修改时留空表示不变。")
    keep_unchecked_id = forms.BooleanField(label=KEEP_UNCHECKED_LABEL, help_text=KEEP_UNCHECKED_HELP, required=False)
    hukou_division_text = forms.CharField(max_length=100, label="户籍地区划", required=False,
                                          help_text="区划代码或县级名称，如 441881 或 英德市")
    photos = forms.FileField(label="照片", required=False,
                             widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
                             help_text="走失者照片（JPEG/PNG/WebP），可在详情页继续添加")

    class Meta:
        model = MissingReport
        fields = ["report_no", "reported_at", "reporter_name", "reporter_phone", "reporter_relationship", "name",
                  "aliases", "sex", "birth_date", "birth_year", "age_min", "age_max", "hukou_text", "dialect",
                  "height_cm", "marks", "last_seen_on", "last_seen_place"]
        widgets = {"reported_at": DATETIME, "birth_date": DATE, "last_seen_on": DATE,
                   "marks": forms.Textarea(attrs={"rows": 2, "wide": True})}

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reported_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
        if editing:
            del self.fields["photos"]
            if self.instance.id_number_unchecked_masked:
                self.fields["id_number"].help_text += (f"已按家属所述记录的号码（校验未通过）："
                                                       f"{self.instance.id_number_unchecked_masked}")
            if self.instance.hukou_division_id:
                self.fields["hukou_division_text"].initial = self.instance.hukou_division.code

    def clean_hukou_division_text(self):
        value = self.cleaned_data["hukou_division_text"].strip()
        if value and find_county(value) is None:
            raise forms.ValidationError("找不到该区划，请填写6位区划代码或准确的县级名称。")
        return value

    def report_data(self) -> dict:
        data = {k: self.cleaned_data[k] for k in self.Meta.fields}
        data["hukou_division"] = find_county(self.cleaned_data["hukou_division_text"])
        return data


class ReportCloseForm(forms.Form):
    reason = forms.CharField(label="结案说明", max_length=200, widget=forms.TextInput(attrs={"wide": True}))


class ReportPhotoForm(forms.Form):
    image = forms.FileField(label="照片", widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))


class ImportForm(forms.Form):
    file = forms.FileField(label="Excel 文件（.xlsx）", help_text="请使用本页提供的模板；有任何错误时整份文件不导入。")


class DecideForm(forms.Form):
    # No default: the reviewer picks a conclusion every time (issue 14); confirming asks once more.
    decision = forms.ChoiceField(label="审核结论", widget=forms.RadioSelect,
                                 choices=[("confirmed", "确认为同一人"), ("rejected", "排除（不再提示）"),
                                          ("deferred", "暂缓判断")],
                                 error_messages={"required": "请选择审核结论。"})
    note = forms.CharField(label="说明", max_length=300, required=False, widget=forms.TextInput(attrs={"wide": True}))
    confirm_again = forms.BooleanField(required=False, widget=forms.HiddenInput)


class MergeForm(forms.Form):
    keep = forms.UUIDField(label="保留的档案")


class ReportFilterForm(forms.Form):
    q = forms.CharField(max_length=100, label="姓名/编号/地点", required=False)
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部"), *ReportStatus.choices])
    sex = forms.ChoiceField(label="性别", required=False, choices=SEX_FILTER)
    reported_from = forms.DateField(label="报案日期从", required=False, widget=DATE)
    reported_to = forms.DateField(label="至", required=False, widget=DATE)


class CandidateFilterForm(forms.Form):
    kind = forms.ChoiceField(label="类型", required=False, choices=[("", "全部"), ("report", "走失报案"),
                                                                 ("duplicate", "疑似重复档案")])
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "待审核与暂缓"), ("open", "待审核"),
                                                                   ("deferred", "暂缓判断"),
                                                                   ("confirmed", "已确认"), ("rejected", "已排除")])


class BrowseForm(forms.Form):
    sex = forms.ChoiceField(label="性别", required=False, choices=SEX_FILTER)
    age_min = forms.IntegerField(label="年龄从", required=False, min_value=0, max_value=120)
    age_max = forms.IntegerField(label="到", required=False, min_value=0, max_value=120)
    arrived_from = forms.DateField(label="入站日期从", required=False, widget=DATE)
    arrived_to = forms.DateField(label="至", required=False, widget=DATE)
    place = forms.CharField(label="发现地点/籍贯关键词", required=False, max_length=50)

    def clean(self):
        data = super().clean()
        if data.get("age_min") is not None and data.get("age_max") is not None and data["age_min"] > data["age_max"]:
            self.add_error("age_max", "年龄上限不能小于下限。")
        if data.get("arrived_from") and data.get("arrived_to") and data["arrived_from"] > data["arrived_to"]:
            self.add_error("arrived_to", "结束日期不能早于开始日期。")
        return data


__all__ = ["Sex"]
