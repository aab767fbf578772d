"""Second factor (等保 2.0 三级 身份鉴别: two kinds of credential) on django-otp: TOTP apps with recovery codes.

Who must use it is one rule, :func:`otp_required`: administrators of every kind, the roles that may
see full ID numbers, users of civil-affairs departments, installation superusers — and everybody
when ``GUITU_OTP_FOR_ALL`` is on. In demo mode the printed demo accounts are exempt so the printed
password alone logs in. After the password, such a user is sent to set up an authenticator app (first
time) or to enter its code; until then every other page redirects there (core.sessionpolicy).
"""

import io

from django.conf import settings
from django.db import transaction
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.models import OrgKind, Role

RECOVERY_CODE_COUNT = 10
#: Roles that must use a second factor (administrators, and the roles that may reveal full ID numbers).
#: (people.services.REVEAL_ROLES, plus police, who may reveal the numbers of their own organisation's files.)
OTP_ROLES = (Role.ADMIN, Role.SECURITY, Role.AUDITOR, Role.HEAD, Role.RECEPTION, Role.TRACER, Role.POLICE,
             Role.SUPERVISOR)


def otp_required(user) -> bool:
    """Must ``user`` pass a second factor after the password?"""
    if not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_demo_exempt", False):
        return False
    if settings.GUITU_OTP_FOR_ALL or user.is_superuser or user.has_role(*OTP_ROLES):
        return True
    org = user.organisation
    return org is not None and org.kind == OrgKind.CIVIL_AFFAIRS


def confirmed_totp(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_totp(user) -> TOTPDevice:
    """The authenticator being set up (unconfirmed), created on first call."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="手机验证器", confirmed=False)
    return device


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG QR code (no script, no external image)."""
    import qrcode
    import qrcode.image.svg

    out = io.BytesIO()
    qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage).save(out)
    svg = out.getvalue().decode()
    return svg[svg.index("<svg") :]


def base32_secret(device: TOTPDevice) -> str:
    import base64

    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@transaction.atomic
def new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes with ``RECOVERY_CODE_COUNT`` new single-use codes (shown once)."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name="恢复码", defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def verify(request, token: str):
    """Check ``token`` (a 6-digit code or a recovery code) for ``request.user``; on success mark the session
    verified and return the device that accepted it, else ``None``. Devices throttle repeated failures."""
    user = request.user
    token = (token or "").strip().replace(" ", "")
    if not token:
        return None
    candidates = []
    if token.isdigit() and len(token) == 6:
        candidates = list(TOTPDevice.objects.filter(user=user, confirmed=True))
    else:
        candidates = list(StaticDevice.objects.filter(user=user, confirmed=True))
    with transaction.atomic():
        for device in candidates:
            device = type(device).objects.select_for_update().get(pk=device.pk)
            allowed, _ = device.verify_is_allowed()
            if allowed and device.verify_token(token.lower() if isinstance(device, StaticDevice) else token):
                otp_login(request, device)
                return device
    return None


def remaining_recovery_codes(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def reset_devices(user) -> None:
    """Remove every second-factor device of ``user`` (lost phone); they set up a new one at next login."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
