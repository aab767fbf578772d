from django import forms

from network.models import ContactKind, PointKind


class ContactForm(forms.Form):
    organisation = forms.ModelChoiceField(label="所在机构（乡镇/村）", queryset=None)
    kind = forms.ChoiceField(label="类别", choices=ContactKind.choices)
    name = forms.CharField(label="姓名", max_length=50)
    phone = forms.CharField(label="电话", max_length=40)
    note = forms.CharField(label="备注", max_length=200, required=False)
    is_active = forms.BooleanField(label="在岗", required=False, initial=True)

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


class PointForm(forms.Form):
    organisation = forms.ModelChoiceField(label="设立机构", queryset=None)
    kind = forms.ChoiceField(label="类型", choices=PointKind.choices)
    name = forms.CharField(label="名称", max_length=100)
    address = forms.CharField(label="地址", max_length=200)
    latitude = forms.DecimalField(label="纬度", max_digits=9, decimal_places=6)
    longitude = forms.DecimalField(label="经度", max_digits=9, decimal_places=6)
    phone = forms.CharField(label="电话", max_length=40, required=False)
    hours = forms.CharField(label="开放时间", max_length=100, required=False)
    is_active = forms.BooleanField(label="在用", required=False, initial=True)

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
