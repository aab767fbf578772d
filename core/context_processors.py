from django.urls import NoReverseMatch, reverse

from core.models import Role

# (label, url name, roles that see it; empty = everyone logged in)
NAV = [
    ("首页", "home", ()),
    ("人员档案", "people:list", ()),
    ("回归跟踪", "aftercare:home", ()),
    ("街面巡查", "outreach:home", ()),
    ("救助网络", "network:home", ()),
    ("接待服务", "intake:list", (Role.RECEPTION, Role.HEAD, Role.ADMIN, Role.CARER, Role.MEDICAL, Role.TRACER,
                              Role.SUPERVISOR)),
    ("在站人员", "stay:board", ()),
    ("站外托养", "outsidecare:home", ()),
    ("日常照料", "dailycare:home", ()),
    ("离站记录", "leaving:list", ()),
    ("异常情况", "incidents:list", ()),
    ("寻亲", "tracing:home", ()),
    ("寻亲公告", "announcements:list", ()),
    ("走失报案", "matching:report_list", ()),
    ("待办", "deadlines:inbox", ()),
    ("监督管理", "oversight:home", ()),
    ("落户安置", "settlement:list", (Role.HEAD, Role.ADMIN, Role.SUPERVISOR, Role.POLICE, Role.TRACER)),
    ("区域协作", "regional:home", (Role.HEAD, Role.ADMIN, Role.RECEPTION, Role.TRACER, Role.SUPERVISOR)),
    ("专项行动", "campaign:list", (Role.HEAD, Role.ADMIN, Role.SUPERVISOR, Role.STATISTICIAN)),
    ("统计", "figures:home", (Role.STATISTICIAN, Role.HEAD, Role.SUPERVISOR)),
    ("工作人员", "staff:list", (Role.HEAD, Role.ADMIN, Role.SUPERVISOR, Role.STATISTICIAN)),
    ("超期在站报告", "stay:n5_reports", (Role.SUPERVISOR, Role.HEAD, Role.ADMIN)),
    ("机构与用户", "core:org_list", (Role.ADMIN, Role.SECURITY, Role.HEAD)),
    ("审计日志", "core:audit_list", (Role.AUDITOR,)),
]


def navigation(request):
    from django.conf import settings

    user = getattr(request, "user", None)
    demo = {"demo_mode": settings.GUITU_DEMO}
    if user is None or not user.is_authenticated:
        return demo
    from core.twofactor import otp_required

    verified = getattr(user, "is_verified", lambda: True)()
    if settings.GUITU_OTP_ENFORCED and otp_required(user) and not verified:
        return demo  # no menu until the second factor is passed: every page would send them back
    items = []
    for label, name, roles in NAV:
        if roles and not (user.is_superuser or user.has_role(*roles)):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        active = request.path == url if url == "/" else request.path.startswith(url)
        item = {"label": label, "url": url, "active": active}
        if name == "deadlines:inbox":
            # The badge: open overdue items of the user's organisation and roles (one cached count).
            from deadlines.selectors import nav_count

            item["badge"] = nav_count(user)
            if item["badge"]:
                item["label"] = f"{label}（{item['badge']}）"
        items.append(item)
    # 帮助: the operating guide of the section the user is in (docs/ rendered in the app)
    from django.utils.http import urlencode

    from core.helpdocs import guide_for_path

    guide = guide_for_path(request.path)
    items.append({"label": "帮助", "url": reverse("help_page", args=[guide.slug]) + "?" + urlencode({"from": request.path}),
                  "active": request.path.startswith("/help/")})
    return {**demo, "nav_items": items}
