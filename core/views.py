"""Login, home dashboard, and the administrator's pages for organisations, users, divisions and audit."""

import json

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from core import policies, selectors, services
from core.audit import audit
from core.excel import table_xlsx
from core.forms import ApiTokenForm, AuditFilterForm, DivisionForm, LoginForm, OrganisationForm, UserForm
from core.models import ApiToken, AuditAction, Division, Organisation, OrgKind, Role, User
from core.paging import paginate
from core.scoping import get_scoped_or_404, visible_divisions, visible_organisations


def form_errors_from(exc: ValidationError, form) -> None:
    """Attach a service's ValidationError to the form so the page shows it next to the fields.

    The form's own errors may already be there (a page that runs the service's checks on a form with
    errors, to show every mistake at once): a field the form already faults keeps its message, and a
    message already shown is not repeated."""
    shown = {str(m) for errors in form.errors.values() for m in errors} if form.is_bound else set()
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            target = field if field in form.fields else None
            if target is not None and target in form.errors:
                continue
            fresh = [e for e in errors if e not in shown]
            if fresh:
                form.add_error(target, fresh)
    else:
        fresh = [e for e in exc.messages if e not in shown]
        if fresh:
            form.add_error(None, fresh)


def service_checks(form, check, *, skip: frozenset[str] | set[str] = frozenset()) -> None:
    """A form that already has errors: run the service's own checks too and show their errors beside the
    form's — every mistake at once, not one layer per save (issue 15).

    ``check(cleaned_data)`` calls the service with what the form could clean; it runs inside a savepoint that
    is always rolled back, so nothing it writes is kept (pass no uploaded files: storage is not transactional).
    A check that needs a value the form refused is skipped — that value's own error is already shown.
    ``skip``: fields whose service error would only repeat a missing upload."""
    from django.core.exceptions import ObjectDoesNotExist
    from django.db import DatabaseError, transaction

    try:
        with transaction.atomic():
            try:
                check(form.cleaned_data)
            finally:
                transaction.set_rollback(True)
    except ValidationError as exc:
        if skip and hasattr(exc, "error_dict"):
            kept = {f: m for f, m in exc.message_dict.items() if f not in skip}
            if not kept:
                return
            exc = ValidationError(kept)
        form_errors_from(exc, form)
    except (KeyError, TypeError, AttributeError, ValueError, ObjectDoesNotExist, DatabaseError):
        return


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm
    template_name = "registration/login.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        audit(actor=user, action=AuditAction.LOGIN, obj=user, summary=f"登录 {user.username}",
              organisation=user.organisation)
        return response

    def form_invalid(self, form):
        username = (form.data.get("username") or "")[:50]
        audit(actor=None, action=AuditAction.LOGIN_FAILED, object_type="core.User", object_id=username,
              summary=f"登录失败：{username}")
        return super().form_invalid(form)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "core/password_change.html"
    success_url = "/"

    def form_valid(self, form):
        response = super().form_valid(form)
        user = self.request.user
        if user.must_change_password:
            User.objects.filter(pk=user.pk).update(must_change_password=False)
            user.must_change_password = False
        audit(actor=user, action=AuditAction.UPDATE, obj=user, summary="修改本人密码", organisation=user.organisation)
        messages.success(self.request, "密码已修改。")
        return response

    def get_context_data(self, **kwargs):
        from core.passwords import must_change_password

        return {**super().get_context_data(**kwargs), "reason": must_change_password(self.request.user)}


def error_403(request, exception=None):
    return render(request, "403.html", {"message": str(exception) if exception else ""}, status=403)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


@login_required
def home(request):
    """The home page of the user's roles (core/home.py): their 待办, and the numbers of their work — each a
    link to the list it counts, with the filter applied."""
    from core.home import home_sections

    now = timezone.now()
    return render(request, "core/home.html", {**home_sections(user=request.user, now=now), "now": now})


def _require_admin(request) -> None:
    if not (request.user.is_superuser or request.user.has_role(Role.ADMIN, Role.SECURITY, Role.HEAD)):
        raise PermissionDenied("只有系统管理员、安全管理员或站长可以查看机构与用户。")


def _require_admin_write(request) -> None:
    if not (request.user.is_superuser or request.user.has_role(Role.ADMIN, Role.SECURITY)):
        raise PermissionDenied("只有系统管理员或安全管理员可以修改机构、用户和区划。")


@login_required
def org_list(request):
    _require_admin(request)
    kind = request.GET.get("kind", "")
    qs = selectors.organisation_list(user=request.user, kind=kind, q=request.GET.get("q", "").strip())
    qs = qs.annotate(user_count=Count("users", distinct=True)).order_by("division__code", "name")
    return render(request, "core/org_list.html", {**paginate(request, qs), "kinds": OrgKind.choices, "kind": kind,
                                                  "q": request.GET.get("q", ""),
                                                  "may_create": policies.may_create_organisation(request.user)})


@login_required
def org_edit(request, uuid=None):
    _require_admin_write(request)
    org = get_scoped_or_404(Organisation.objects.all(), request.user, uuid=uuid) if uuid else None
    editable = policies.editable_org_fields(request.user, org)
    if not editable:
        raise PermissionDenied("您无权新增或修改该机构。" if org is None else "您无权修改该机构。")
    form = OrganisationForm(request.POST or None, instance=org, organisations=policies.supervisor_choices(request.user)
                            if org is None or "supervisor" in editable else None, editable=editable,
                            divisions=visible_divisions(request.user))
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "region"}
        try:
            saved = services.organisation_save(by=request.user, org=org, data=data,
                                               region=form.cleaned_data.get("region"))
        except ValidationError as exc:
            form_errors_from(exc, form)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已保存机构：{saved.name}")
            return redirect("core:org_list")
    return render(request, "core/org_form.html", {"form": form, "org": org,
                                                  "scope_locked": "kind" not in editable})


@login_required
def user_list(request):
    _require_admin(request)
    qs = selectors.user_list(user=request.user, q=request.GET.get("q", "").strip())
    return render(request, "core/user_list.html", {**paginate(request, qs), "q": request.GET.get("q", "")})


@login_required
def user_edit(request, uuid=None):
    _require_admin_write(request)
    target = get_scoped_or_404(User.objects.all(), request.user, uuid=uuid) if uuid else None
    refusal = policies.account_refusal(request.user, target)
    if refusal:
        raise PermissionDenied(refusal)
    if target is None and policies.is_security_only(request.user):
        raise PermissionDenied("账号由系统管理员新建；安全管理员只能调整角色。")
    if request.method == "POST" and target is not None and request.POST.get("action") == "reset_password":
        try:
            temporary = services.user_reset_password(by=request.user, user=target)
        except (PermissionDenied, ValidationError) as exc:
            messages.error(request, "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
            return redirect("core:user_edit", uuid=target.uuid)
        # Shown once, in this response only: never in a message, the session or the audit.
        response = render(request, "core/user_password_reset.html", {"target": target, "temporary": temporary})
        response["Cache-Control"] = "no-store"
        return response
    if request.method == "POST" and target is not None and request.POST.get("action") in ("unlock", "reset_otp"):
        try:
            if request.POST["action"] == "unlock":
                services.user_unlock(by=request.user, user=target)
                messages.success(request, f"已解除 {target.username} 的登录锁定。")
            else:
                services.user_reset_second_factor(by=request.user, user=target)
                messages.success(request, f"已重置 {target.username} 的二次验证，其下次登录时重新绑定手机验证器。")
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        return redirect("core:user_edit", uuid=target.uuid)
    form = UserForm(request.POST or None, instance=target, organisations=visible_organisations(request.user),
                    roles_only=policies.is_security_only(request.user))
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("roles", "password")}
        try:
            saved = services.user_save(by=request.user, user=target, data=data, roles=form.cleaned_data["roles"],
                                       password=form.cleaned_data.get("password") or None)
        except ValidationError as exc:
            form_errors_from(exc, form)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已保存用户：{saved.username}")
            return redirect("core:user_list")
    security = None
    if target is not None:
        from axes.models import AccessAttempt
        from django_otp.plugins.otp_totp.models import TOTPDevice

        security = {"has_otp": TOTPDevice.objects.filter(user=target, confirmed=True).exists(),
                    "failures": AccessAttempt.objects.filter(username=target.username).count(),
                    "may_reset_password": not policies.password_reset_refusal(request.user, target)
                    and target.is_active}
    return render(request, "core/user_form.html", {"form": form, "target": target, "security": security})


@login_required
def division_list(request):
    _require_admin(request)
    q = request.GET.get("q", "").strip()
    parent_code = request.GET.get("parent", "")
    qs = visible_divisions(request.user).select_related("parent")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__startswith=q))
    elif parent_code:
        qs = qs.filter(parent__code=parent_code)
    else:
        qs = qs.filter(parent__isnull=True) if request.user.is_superuser else qs.filter(level__in=["city", "county"])
    form = DivisionForm(divisions=visible_divisions(request.user))
    return render(request, "core/division_list.html", {**paginate(request, qs, 100), "q": q, "form": form})


@login_required
def division_add(request):
    _require_admin_write(request)
    form = DivisionForm(request.POST or None, divisions=visible_divisions(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            division = services.division_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"已新增区划：{division.code} {division.name}")
            return redirect(f"/manage/divisions/?parent={division.parent.code}")
    return render(request, "core/division_form.html", {"form": form})


AUDIT_PAGE_SIZE = 50
#: Rows in one Excel export; beyond it the auditor narrows the filters (the file says so).
AUDIT_EXPORT_CAP = 50_000
AUDIT_HEADERS = ["编号", "时间", "操作人", "操作", "对象类型", "对象编号", "人员档案", "摘要", "数据所属机构", "IP 地址",
                 "字段变更 / 查阅内容"]


def _audit_row(e) -> list:
    return [e.id, timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"), e.actor_name, e.get_action_display(),
            e.object_type, e.object_id, str(e.person_uuid or ""), e.summary, e.organisation.name if e.organisation else "",
            e.ip or "", json.dumps(e.changes, ensure_ascii=False)[:2000] if e.changes else ""]


@login_required
def audit_list(request):
    """The audit administrator's page (三员分立): filters, keyset paging, Excel export; reads only."""
    if not selectors.may_read_audit(request.user):
        raise PermissionDenied("只有审计员可以查看审计日志。")
    form = AuditFilterForm(request.GET or None, organisations=visible_organisations(request.user))
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.audit_list(user=request.user, filters=filters)
    if request.GET.get("format") == "xlsx" and form.is_valid():
        rows = list(qs.select_related(None).select_related("organisation")[: AUDIT_EXPORT_CAP + 1])
        book = table_xlsx(sheet="审计日志", headers=AUDIT_HEADERS, rows=(_audit_row(e) for e in rows[:AUDIT_EXPORT_CAP]),
                          title=f"审计日志导出 {timezone.localtime():%Y-%m-%d %H:%M} 导出人：{request.user}"
                          + ("（超过 5 万条，仅导出最新 5 万条，请缩小筛选范围）" if len(rows) > AUDIT_EXPORT_CAP else ""))
        audit(actor=request.user, action=AuditAction.EXPORT, object_type="core.AuditEntry",
              summary=f"导出审计日志 {min(len(rows), AUDIT_EXPORT_CAP)} 条", organisation=request.user.organisation,
              changes={"filters": {k: str(v) for k, v in filters.items() if v not in (None, "")}})
        return book.response(f"审计日志-{timezone.localdate():%Y%m%d}.xlsx")
    entries = list(qs[: AUDIT_PAGE_SIZE + 1])
    has_next = len(entries) > AUDIT_PAGE_SIZE
    entries = entries[:AUDIT_PAGE_SIZE]
    params = request.GET.copy()
    params.pop("before", None)
    params.pop("format", None)
    base = params.urlencode()
    return render(request, "core/audit_list.html", {
        "form": form, "object_list": entries,
        "next_url": f"?{base}&before={entries[-1].id}" if has_next else "",
        "first_url": f"?{base}" if filters.get("before") else "",
        "export_url": f"?{base}&format=xlsx",
    })


@login_required
def profile(request):
    """The user's own page: roles, organisation, API tokens."""
    form = ApiTokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and request.POST.get("revoke"):
        token = ApiToken.objects.filter(user=request.user, prefix=request.POST["revoke"], revoked_at__isnull=True).first()
        if token:
            services.api_token_revoke(by=request.user, token=token)
            messages.success(request, f"已吊销令牌：{token.name}")
        return redirect("core:profile")
    if request.method == "POST" and form.is_valid():
        _, new_token = services.api_token_create(by=request.user, name=form.cleaned_data["name"])
        form = ApiTokenForm()
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    return render(request, "core/profile.html", {"form": form, "tokens": tokens, "new_token": new_token})


@login_required
def division_children(request):
    """htmx helper: the options of a division's children (for cascading selects)."""
    parent = request.GET.get("parent", "")
    children = Division.objects.filter(parent__code=parent).order_by("code") if parent else Division.objects.none()
    return render(request, "core/division_options.html", {"children": children})


# --- 帮助: the operating guides of docs/ inside the application ------------------------------------------


@login_required
def help_index(request):
    from core.helpdocs import GUIDES

    return render(request, "core/help_index.html", {"guides": GUIDES})


@login_required
def help_page(request, slug):
    from core.helpdocs import BY_SLUG, GUIDES, guide_html

    guide = BY_SLUG.get(slug)
    if guide is None:
        raise Http404("没有这份指南。")
    back = request.GET.get("from", "")
    if not (back.startswith("/") and not back.startswith("//") and "\\" not in back):
        back = ""  # only a page of this site
    return render(request, "core/help_page.html", {"guide": guide, "body": guide_html(guide), "guides": GUIDES,
                                                   "back": back})
