from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Q

from core.models import Division, DivisionLevel, Organisation, OrgKind, Role, User


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码不正确。",
        "inactive": "该账号已停用。",
    }


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "code", "short_name", "kind", "division", "supervisor", "address", "phone",
                  "bed_capacity", "is_active", "region"]
        widgets = {"region": forms.SelectMultiple(attrs={"size": 6, "wide": "1"})}

    def __init__(self, *args, organisations=None, editable=None, divisions=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The choices are the divisions the user administers (core.scoping.visible_divisions; the service refuses
        # others anyway) plus the organisation's current ones, so a city's administrator picks among its own
        # counties and towns instead of scrolling the country's 3,000 divisions.
        choices = Division.objects.all()
        if divisions is not None:
            current = {self.instance.division_id} if self.instance.pk else set()
            if self.instance.pk:
                current |= set(self.instance.region.values_list("pk", flat=True))
            choices = Division.objects.filter(Q(pk__in=divisions.values("pk")) | Q(pk__in=current))
        self.fields["division"].queryset = choices.filter(
            level__in=[DivisionLevel.PROVINCE, DivisionLevel.CITY, DivisionLevel.COUNTY, DivisionLevel.TOWNSHIP,
                       DivisionLevel.VILLAGE])
        self.fields["region"].queryset = choices.filter(level__in=[DivisionLevel.CITY, DivisionLevel.COUNTY,
                                                                   DivisionLevel.PROVINCE])
        # the service's words (core.services.organisation_save) for a division outside the user's area
        self.fields["division"].error_messages["invalid_choice"] = "所在区划不在您的管辖区域内。"
        self.fields["region"].error_messages["invalid_choice"] = "服务区域超出您的管辖区域。"
        self.fields["region"].help_text = "仅区域性中心填写：其指导、调度的区域。"
        if organisations is not None:
            self.fields["supervisor"].queryset = organisations
        if editable is not None:
            # Fields this user may not change are shown but disabled: Django ignores posted values for them
            # (core.policies; the service refuses them as well).
            for name, field in self.fields.items():
                if name not in editable:
                    field.disabled = True
                    field.help_text = "您无权修改此项（机构类型、主管机构、区划和服务区域由安全管理员或上级民政部门维护）。" \
                        if name in ("kind", "supervisor", "division", "region") else "您无权修改此项。"

    def clean_code(self):
        code = self.cleaned_data["code"].strip().upper()
        if not code.replace("-", "").isalnum():
            raise forms.ValidationError("机构编码只能包含字母、数字和短横线。")
        return code

    def clean(self):
        data = super().clean()
        if data.get("region") and data.get("kind") != OrgKind.REGIONAL_CENTRE and not self.fields["region"].disabled:
            self.add_error("region", "只有区域性中心可以设置服务区域。")
        return data


class UserForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(label="角色", choices=Role.choices, widget=forms.CheckboxSelectMultiple)
    password = forms.CharField(max_length=128, label="初始密码", required=False, widget=forms.PasswordInput(render_value=False),
                               help_text="新建用户必填；修改时留空表示不变。至少10位，含大小写字母、数字、符号中的3类；"
                                         "用户首次登录时须改为自己的密码。")

    class Meta:
        model = User
        fields = ["username", "full_name", "phone", "email", "organisation", "is_active"]

    def __init__(self, *args, organisations=None, roles_only=False, **kwargs):
        super().__init__(*args, **kwargs)
        if organisations is not None:
            self.fields["organisation"].queryset = organisations
        self.fields["organisation"].required = True
        if self.instance.pk:
            self.initial.setdefault("roles", sorted(self.instance.role_codes))
        if roles_only:
            # 三员分立: the security administrator adjusts roles; accounts are the system administrator's.
            for name, field in self.fields.items():
                if name != "roles":
                    field.disabled = True

    def clean(self):
        data = super().clean()
        if not self.instance.pk and not data.get("password"):
            self.add_error("password", "新建用户必须设置密码。")
        return data


class DivisionForm(forms.Form):
    parent = forms.ModelChoiceField(label="上级区划（县级或乡级）", queryset=Division.objects.none())
    code = forms.CharField(label="区划代码", max_length=12, help_text="乡镇/街道9位，村/居12位")
    name = forms.CharField(label="名称", max_length=64)

    def __init__(self, *args, divisions=None, **kwargs):
        super().__init__(*args, **kwargs)
        qs = divisions if divisions is not None else Division.objects.all()
        self.fields["parent"].queryset = qs.filter(level__in=[DivisionLevel.COUNTY, DivisionLevel.TOWNSHIP])


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label="操作人", required=False, max_length=100, help_text="姓名或用户名")
    organisation = forms.ModelChoiceField(label="数据所属机构", required=False, queryset=None, empty_label="全部")
    action = forms.ChoiceField(label="操作", required=False, choices=[("", "全部")])
    object = forms.CharField(label="对象", required=False, max_length=64, help_text="对象类型、对象编号或人员档案编号")
    q = forms.CharField(label="摘要关键词", required=False, max_length=100)
    ip = forms.GenericIPAddressField(label="IP 地址", required=False, error_messages={"invalid": "请输入有效的 IPv4 或 IPv6 地址。"})
    date_from = forms.DateField(label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    person = forms.UUIDField(label="人员档案", required=False, widget=forms.HiddenInput)
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, organisations=None, **kwargs):
        from core.models import AuditAction

        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", "全部"), *AuditAction.choices]
        self.fields["organisation"].queryset = (organisations if organisations is not None
                                                else Organisation.objects.none()).order_by("name")

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError("起始日期不能晚于截止日期。")
        return data


class ApiTokenForm(forms.Form):
    name = forms.CharField(label="令牌用途", max_length=100)
