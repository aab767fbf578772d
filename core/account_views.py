"""The second-factor pages: set up an authenticator app, enter its code, recovery codes (core.twofactor)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from core import twofactor
from core.audit import audit
from core.models import AuditAction

RECOVERY_SESSION_KEY = "guitu_new_recovery_codes"


class TokenForm(forms.Form):
    token = forms.CharField(
        label="动态码或恢复码",
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": "autofocus"}
        ),
    )


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    return target if url_has_allowed_host_and_scheme(target, {request.get_host()}) else "/"


@login_required
def otp_verify(request):
    """After the password: enter the authenticator's 6-digit code (or a recovery code)."""
    user = request.user
    if user.is_verified():
        return redirect(_next(request))
    if twofactor.confirmed_totp(user) is None:
        return redirect("otp_setup")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = twofactor.verify(request, form.cleaned_data["token"])
        if device is not None:
            recovery = device.__class__.__name__ == "StaticDevice"
            audit(
                actor=user,
                action=AuditAction.LOGIN,
                obj=user,
                organisation=user.organisation,
                summary=f"二次验证通过（{'恢复码' if recovery else '动态码'}）{user.username}",
            )
            if recovery:
                messages.warning(
                    request,
                    f"您使用了一个恢复码，还剩 {twofactor.remaining_recovery_codes(user)} 个。"
                    "如手机丢失，请在“我的账号”重新绑定验证器。",
                )
            return redirect(_next(request))
        audit(
            actor=user,
            action=AuditAction.LOGIN_FAILED,
            obj=user,
            organisation=user.organisation,
            summary=f"二次验证失败 {user.username}",
        )
        form.add_error("token", "动态码不正确或已过期；多次错误后需等待片刻再试。")
    return render(request, "registration/otp_verify.html", {"form": form, "next": _next(request)})


@login_required
def otp_setup(request):
    """Bind an authenticator app: scan the QR code, confirm with a code, receive recovery codes once."""
    user = request.user
    if twofactor.confirmed_totp(user) is not None and not user.is_verified():
        return redirect("otp_verify")
    if (
        twofactor.confirmed_totp(user) is not None
        and request.method == "GET"
        and not request.GET.get("renew")
    ):
        return redirect("otp_recovery")
    device = twofactor.pending_totp(user)
    form = TokenForm(request.POST or None)
    form.fields["token"].label = "验证器上的 6 位动态码"
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].strip()):
            # A new authenticator replaces the old one.
            from django_otp.plugins.otp_totp.models import TOTPDevice

            TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            twofactor.otp_login(request, device)
            request.session[RECOVERY_SESSION_KEY] = twofactor.new_recovery_codes(user)
            audit(
                actor=user,
                action=AuditAction.UPDATE,
                obj=user,
                organisation=user.organisation,
                summary=f"绑定二次验证（手机验证器）并生成恢复码 {user.username}",
            )
            return redirect("otp_recovery")
        form.add_error("token", "动态码不正确：请确认手机时间准确，输入验证器上当前显示的 6 位数字。")
    return render(
        request,
        "registration/otp_setup.html",
        {"form": form, "qr_svg": twofactor.qr_svg(device), "secret": twofactor.base32_secret(device)},
    )


@login_required
def otp_recovery(request):
    """Show new recovery codes once; let a verified user generate a fresh set."""
    user = request.user
    if twofactor.otp_required(user) and not user.is_verified():
        return redirect("otp_verify")
    if request.method == "POST" and twofactor.confirmed_totp(user) is not None:
        request.session[RECOVERY_SESSION_KEY] = twofactor.new_recovery_codes(user)
        audit(
            actor=user,
            action=AuditAction.UPDATE,
            obj=user,
            organisation=user.organisation,
            summary=f"重新生成二次验证恢复码 {user.username}",
        )
        return redirect("otp_recovery")
    codes = request.session.pop(RECOVERY_SESSION_KEY, None)
    return render(
        request,
        "registration/otp_recovery.html",
        {
            "codes": codes,
            "has_device": twofactor.confirmed_totp(user) is not None,
            "remaining": twofactor.remaining_recovery_codes(user),
            "required": twofactor.otp_required(user),
        },
    )
