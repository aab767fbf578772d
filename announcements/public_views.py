"""The public family-search board (/xunqin/): no login, Chinese, small pages for phones.

Shows only live announcements and only their published snapshot. Never shows clues, never the person's
file. Photos are re-encoded (no EXIF) and served only while their announcement is live.
"""

import base64
import io

import qrcode
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.csrf import csrf_protect, ensure_csrf_cookie
from django.views.decorators.http import require_http_methods

from announcements import selectors, services
from announcements.forms import BoardFilterForm, ClueForm
from core.images import reencode_jpeg
from core.printing import PdfError, pdf_failed_response, render_pdf
from core.views import form_errors_from

PAGE_SIZE = 20
PHOTO_SIZES = {"thumb": 240, "full": 800, "poster": 700}
PHOTO_CACHE_SECONDS = 300


def client_ip(request) -> str | None:
    """The address used for rate limiting: the one client-address reader (core/clientip.py)."""
    from core.clientip import client_ip as trusted_client_ip

    return trusted_client_ip(request)


def _photos(announcement) -> list[dict]:
    return [{"url": reverse("xunqin:photo", args=[ap.uuid]),
             "thumb": reverse("xunqin:photo", args=[ap.uuid]) + "?size=thumb"} for ap in announcement.photos.all()]


def _noindex(response):
    response["X-Robots-Tag"] = "noarchive"
    return response


def board(request):
    form = BoardFilterForm(request.GET or None)
    filters = {k: v for k, v in (form.cleaned_data if form.is_valid() else {}).items() if v not in (None, "")}
    qs = selectors.public_board(**filters)
    paginator = Paginator(qs, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    for a in page.object_list:
        a.public_photos = _photos(a)
    params = request.GET.copy()
    params.pop("page", None)
    province = filters.get("province", "")
    return _noindex(render(request, "announcements/public/board.html", {
        "page_obj": page, "form": form, "filters": filters, "querystring_without_page": params.urlencode(),
        "provinces": selectors.board_provinces(), "cities": selectors.board_cities(province),
    }))


def public_url(request, path: str) -> str:
    """An address for the public (posters' QR codes): the configured public address (GUITU_PUBLIC_BASE_URL),
    never whatever internal host printed the poster; the request's own host only when none is configured."""
    base = (getattr(settings, "GUITU_PUBLIC_BASE_URL", "") or "").rstrip("/")
    return f"{base}{path}" if base else request.build_absolute_uri(path)


def _withdrawn_or_404(request, uuid):
    """A withdrawn announcement's friendly page (410), e.g. when someone scans an old poster."""
    gone = selectors.public_withdrawn(uuid=uuid)
    if gone is None:
        raise Http404("该公告不存在。")
    return _noindex(render(request, "announcements/public/withdrawn.html", gone, status=410))


@ensure_csrf_cookie
def detail(request, uuid):
    try:
        announcement = selectors.public_get(uuid=uuid)
    except Http404:
        return _withdrawn_or_404(request, uuid)
    return _noindex(render(request, "announcements/public/detail.html", {
        "a": announcement, "photos": _photos(announcement), "form": ClueForm(),
    }))


def _throttled(request, ctx, exc):
    response = render(request, "announcements/public/clue.html", {**ctx, "throttled": exc.message}, status=429)
    response["Retry-After"] = str(exc.wait)
    return response


@csrf_protect
@require_http_methods(["GET", "POST"])
def clue(request, uuid):
    """A family sends a clue to the station owning the announcement. Rate-limited per IP and phone."""
    try:
        announcement = selectors.public_get(uuid=uuid)
    except Http404:
        return _withdrawn_or_404(request, uuid)
    form = ClueForm(request.POST or None, request.FILES or None)
    ctx = {"a": announcement, "photos": _photos(announcement), "form": form}
    if request.method == "GET":
        return render(request, "announcements/public/clue.html", ctx)
    if form.data.get("website"):  # honeypot filled in: a bot. Count it, save nothing, say thanks.
        try:
            services.clue_throttle_hit(ip=client_ip(request))
        except services.ClueThrottled as exc:
            return _throttled(request, ctx, exc)
        return render(request, "announcements/public/clue_thanks.html", ctx)
    form.is_valid()
    data = {k: form.data.get(k, "") for k in ("name", "phone", "relationship", "content")}
    try:
        clue_record = services.clue_submit(announcement=announcement, data=data, photo=request.FILES.get("photo"),
                                           ip=client_ip(request))
    except services.ClueThrottled as exc:
        return _throttled(request, ctx, exc)
    except ValidationError as exc:
        form_errors_from(exc, form)
        return render(request, "announcements/public/clue.html", ctx, status=400)
    return render(request, "announcements/public/clue_thanks.html", {**ctx, "clue": clue_record})


def _qr_data_uri(url: str) -> str:
    img = qrcode.make(url, box_size=6, border=2)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _photo_bytes(ap, size: str) -> bytes:
    key = f"xunqin-photo:{ap.uuid}:{size}"
    data = cache.get(key)
    if data is None:
        try:
            with ap.photo.image.open("rb") as handle:
                data = reencode_jpeg(handle, max_side=PHOTO_SIZES[size])
        except (FileNotFoundError, OSError, ValidationError) as exc:
            raise Http404("照片不存在。") from exc
        cache.set(key, data, PHOTO_CACHE_SECONDS)
    return data


def poster(request, uuid):
    """A printable A4 poster with the photo and a QR code to the detail page; ``?format=pdf`` for PDF."""
    announcement = selectors.public_get(uuid=uuid)
    first = announcement.photos.select_related("photo").first()
    photo_uri = ("data:image/jpeg;base64," + base64.b64encode(_photo_bytes(first, "poster")).decode()) if first else ""
    detail_url = public_url(request, reverse("xunqin:detail", args=[announcement.uuid]))
    as_pdf = request.GET.get("format") == "pdf"
    html = render_to_string("announcements/public/poster.html", {
        "a": announcement, "photo_uri": photo_uri, "qr_uri": _qr_data_uri(detail_url), "detail_url": detail_url,
        "as_pdf": as_pdf,
    }, request=request)
    if as_pdf:
        try:
            pdf = render_pdf(html, base_url=request.build_absolute_uri("/"))
        except PdfError as exc:
            return pdf_failed_response(exc)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="xunqin-{announcement.code}.pdf"'
        return response
    return HttpResponse(html)


def photo(request, uuid):
    """A photo of a LIVE announcement only, resized and stripped of metadata; briefly cacheable."""
    ap = selectors.public_photo_get(uuid=uuid)
    size = request.GET.get("size", "full")
    if size not in PHOTO_SIZES:
        size = "full"
    response = HttpResponse(_photo_bytes(ap, size), content_type="image/jpeg")
    response["Cache-Control"] = f"public, max-age={PHOTO_CACHE_SECONDS}"
    response["X-Content-Type-Options"] = "nosniff"
    return response
