"""Pages of daily care and the special groups (rules C2, I8, N10, N11): scoped fetch → form → service → render."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.audit import log_read
from core.excel import list_export, wants_xlsx
from core.models import User
from core.paging import paginate
from core.views import form_errors_from
from dailycare import access, selectors, services
from dailycare.forms import (
    AssessmentForm,
    BasicServicesForm,
    CarePlanForm,
    DisposeForm,
    DvReportForm,
    EndForm,
    GuardianshipForm,
    LongTermForm,
    MealForm,
    MinorPlanForm,
    ReferralForm,
    ReviewForm,
    ShelterForm,
)
from dailycare.models import CareGroup, Meal
from oversight.views import apply_form


def _deny(message: str):
    raise PermissionDenied(message)


def _date(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _staff(station):
    return User.objects.filter(organisation=station, is_active=True).order_by("full_name", "username")


def _writable_zones(user):
    return [z.pk for z in selectors.zones(user=user) if access.may_care(user, z.station)]


def _form_page(request, form, call, *, title: str, done: str, back: str, intro: str = "", extra=None):
    """GET shows the form; a valid POST runs ``call(cleaned_data)`` and goes to what it returns (or ``back``)."""
    if request.method == "POST" and form.is_valid():
        try:
            result = call(form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, done)
            return redirect(result or back)
    return render(request, "dailycare/form.html", {"form": form, "title": title, "intro": intro, "back": back,
                                                   **(extra or {})})


# --- rule C2: meals and samples ----------------------------------------------------------------------------
@login_required
def home(request):
    day = _date(request.GET.get("day", "")) or timezone.localdate()
    board = selectors.day_board(user=request.user, day=day)
    log_read(request, "三餐登记（当日）", count=sum(3 - row["missing"] for row in board))
    return render(request, "dailycare/home.html", {
        "board": board, "day": day, "previous": day - datetime.timedelta(days=1),
        "next": day + datetime.timedelta(days=1) if day < timezone.localdate() else None,
        "due_samples": selectors.sample_list(user=request.user, state="due").count(),
        "open_minors": selectors.minor_plan_list(user=request.user).count(),
        "open_shelters": selectors.shelter_list(user=request.user).count(),
    })


def _meal_filters(request) -> dict:
    return {"zone": request.GET.get("zone", "")[:36], "date_from": _date(request.GET.get("from", "")),
            "date_to": _date(request.GET.get("to", "")),
            "meal": request.GET.get("meal", "") if request.GET.get("meal", "") in Meal.values else ""}


@login_required
def meal_list(request):
    filters = _meal_filters(request)
    qs = selectors.meal_list(user=request.user, **filters)
    if wants_xlsx(request):
        rows = ([m.zone.station.display_short, m.zone.name, m.served_on, m.get_meal_display(),
                 timezone.localtime(m.served_at), m.menu, m.headcount, str(m.recorded_by),
                 timezone.localtime(m.sample.kept_at), str(m.sample.kept_by), m.sample.items, m.sample.grams,
                 timezone.localtime(m.sample.keep_until),
                 timezone.localtime(m.sample.disposed_at) if m.sample.disposed_at else "",
                 str(m.sample.disposed_by or "")] for m in qs.iterator(chunk_size=500))
        return list_export(request, title="三餐及留样登记", filename="meal-samples", filters=filters, rows=rows,
                           headers=["机构", "区域", "日期", "餐次", "供餐时间", "菜谱", "就餐人数", "记录人",
                                    "留样时间", "留样人", "留样品种", "每样重量（克）", "留样期满", "销毁时间",
                                    "销毁人"])
    return render(request, "dailycare/meal_list.html", {
        **paginate(request, qs), "zones": selectors.zones(user=request.user)[:200], "filters": filters,
        "meals": Meal.choices, "can_record": bool(_writable_zones(request.user))})


@login_required
def meal_new(request):
    zones = selectors.zones(user=request.user).filter(pk__in=_writable_zones(request.user))
    if not zones.exists():
        _deny("三餐由本机构照料员、医护人员、站长登记；请先在“在站人员”中设置照料区域。")
    initial = {"served_on": timezone.localdate(), "grams": 125, "storage": "留样冰箱（0–8℃）"}
    zone = selectors.uuid_or_blank(request.GET.get("zone", "")[:36])
    if zone and zones.filter(uuid=zone).exists():
        initial["zone"] = zones.get(uuid=zone)
    if request.GET.get("meal") in Meal.values:
        initial["meal"] = request.GET["meal"]
    if _date(request.GET.get("day", "")):
        initial["served_on"] = _date(request.GET["day"])
    form = MealForm(request.POST or None, zones=zones, initial=initial)

    def call(d):
        record = services.meal_record(by=request.user, zone=d["zone"], served_on=d["served_on"], meal=d["meal"],
                                      menu=d["menu"], headcount=d["headcount"], sample_items=d["sample_items"],
                                      served_at=d["served_at"], kept_at=d["kept_at"], grams=d["grams"],
                                      storage=d["storage"], note=d["note"])
        return reverse("dailycare:home") + f"?day={record.served_on:%Y-%m-%d}"

    return _form_page(request, form, call, title="登记三餐及留样", done="已登记，留样已记录。",
                      back=reverse("dailycare:home"),
                      intro=f"每餐留样，留样保存 {services.keep_hours()} 小时后方可销毁（规则C2）。")


@login_required
def meal_detail(request, uuid):
    meal = selectors.meal_get(user=request.user, uuid=uuid)
    return redirect("dailycare:sample", uuid=meal.sample.uuid)


@login_required
def sample_list(request):
    state = request.GET.get("state", "")
    zone = request.GET.get("zone", "")[:36]
    qs = selectors.sample_list(user=request.user, state=state, zone=zone)
    return render(request, "dailycare/sample_list.html", {
        **paginate(request, qs), "state": state, "zone": zone, "zones": selectors.zones(user=request.user)[:200],
        "now": timezone.now()})


@login_required
def sample_detail(request, uuid):
    sample = selectors.sample_get(user=request.user, uuid=uuid)
    writable = access.may_care(request.user, sample.meal.zone.station)
    return render(request, "dailycare/sample_detail.html", {
        "sample": sample, "meal": sample.meal, "now": timezone.now(),
        "form": DisposeForm() if writable and sample.disposed_at is None else None})


@login_required
@require_POST
def sample_dispose(request, uuid):
    sample = selectors.sample_get(user=request.user, uuid=uuid)
    if not access.may_care(request.user, sample.meal.zone.station):
        _deny("留样由本机构照料员、医护人员或站长销毁。")
    apply_form(request, DisposeForm(request.POST), lambda d: services.sample_dispose(
        by=request.user, sample=sample, disposed_at=d["disposed_at"], note=d["disposal_note"]), "已登记销毁。")
    return redirect("dailycare:sample", uuid=sample.uuid)


# --- rule C2: "六个一" ---------------------------------------------------------------------------------------
@login_required
def basic_services(request, uuid):
    episode = selectors.episode_get(user=request.user, uuid=uuid)
    if request.method == "POST" and not access.may_care_for(request.user, episode):
        _deny("“六个一”服务由本机构工作人员登记。")
    form = BasicServicesForm(request.POST or None, services=services.basic_services_missing(episode))
    back = reverse("people:episode", args=[episode.uuid])
    log_read(request, "“六个一”服务", person_uuid=episode.person.uuid, organisation=episode.station)
    return _form_page(
        request, form,
        lambda d: services.basic_services_record(by=request.user, episode=episode, outcomes=form.outcomes(),
                                                 done_at=d["done_at"], note=d["note"]) and back,
        title=f"“六个一”基本服务：{episode.person.name}（{episode.number}）", done="已登记。", back=back,
        intro="入站后为受助人员提供“六个一”基本服务，逐项登记经办人和时间（规则C2）。",
        extra={"done_items": episode.basic_services.select_related("service", "done_by")})


# --- rules I8, N10: minors -----------------------------------------------------------------------------------
@login_required
def minor_list(request):
    state = request.GET.get("state", "open")
    q = request.GET.get("q", "")[:50]
    qs = selectors.minor_plan_list(user=request.user, state=state, q=q)
    if wants_xlsx(request):
        rows = ([p.episode.station.display_short, p.episode.person.name, p.episode.number, str(p.responsible),
                 timezone.localtime(p.written_at), p.assessment, p.plan,
                 p.reviews.count(), timezone.localtime(p.temporary_guardianship_from)
                 if p.temporary_guardianship_from else "", p.long_term_from or "",
                 timezone.localtime(p.closed_at) if p.closed_at else ""] for p in qs.iterator(chunk_size=500))
        return list_export(request, title="未成年人一人一策", filename="minor-plans", rows=rows,
                           filters={"state": state, "q": q},
                           headers=["机构", "姓名", "救助编号", "责任人", "制定时间", "综合评估", "保护方案",
                                    "评估次数", "临时监护开始", "长期监护开始", "结束时间"])
    return render(request, "dailycare/minor_list.html", {**paginate(request, qs), "state": state, "q": q})


@login_required
def minor_plan_new(request, uuid):
    episode = selectors.episode_get(user=request.user, uuid=uuid)
    if request.method == "POST" and not access.may_plan(request.user, episode):
        _deny("一人一策由本机构照料员、医护人员、寻亲员或站长制定。")
    if hasattr(episode, "minor_plan"):
        return redirect("dailycare:minor_plan", uuid=episode.minor_plan.uuid)
    form = MinorPlanForm(request.POST or None, staff=_staff(episode.station))
    log_read(request, "一人一策", person_uuid=episode.person.uuid, organisation=episode.station)

    def call(d):
        plan = services.minor_plan_create(by=request.user, episode=episode, assessment=d["assessment"],
                                          plan=d["plan"], responsible=d["responsible"])
        return reverse("dailycare:minor_plan", args=[plan.uuid])

    return _form_page(request, form, call, title=f"制定一人一策：{episode.person.name}（{episode.number}）",
                      done="一人一策已制定。", back=reverse("people:episode", args=[episode.uuid]),
                      intro="每名未成年受助人员一人一策：综合评估、保护方案、责任人，并定期评估（规则I8）。")


@login_required
def minor_plan(request, uuid):
    plan = selectors.minor_plan_get(user=request.user, uuid=uuid)
    station = plan.episode.station
    writable = access.may_plan(request.user, plan.episode) and plan.closed_at is None
    departments = selectors.departments_above(station)
    log_read(request, "一人一策", person_uuid=plan.episode.person.uuid, organisation=station)
    forms = {}
    if writable:
        depts = _departments(station)
        forms = {"edit_form": MinorPlanForm(initial={"assessment": plan.assessment, "plan": plan.plan,
                                                     "responsible": plan.responsible},
                                            staff=_staff(station)),
                 "review_form": ReviewForm(),
                 "assessment_form": AssessmentForm(),
                 "referral_form": ReferralForm(centres=selectors.minor_centres(user=request.user)),
                 "guardianship_form": GuardianshipForm(departments=depts, initial={
                     "department": depts.first(), "started_at": plan.episode.admitted_at}) if
                 plan.temporary_guardianship_from is None else None,
                 "long_term_form": LongTermForm(departments=depts, initial={"department": depts.first()})
                 if plan.temporary_guardianship_from and plan.long_term_from is None else None}
    return render(request, "dailycare/minor_plan.html", {
        "plan": plan, "episode": plan.episode, "writable": writable, "departments": departments,
        "reviews": plan.reviews.select_related("reviewed_by"),
        "assessments": plan.guardianship_assessments.select_related("assessed_by"),
        "referrals": plan.referrals.select_related("centre", "referred_by"),
        "review_due": _review_due(plan), **forms})


def _departments(station):
    from core.models import Organisation

    return Organisation.objects.filter(pk__in=[d.pk for d in selectors.departments_above(station)])


def _review_due(plan):
    """When the next review is due (rule I8: every GUITU_RULES["I8_REVIEW_DAYS"] days)."""
    from django.conf import settings

    last = plan.reviews.order_by("-reviewed_at").first()
    start = last.reviewed_at if last else plan.written_at
    return start + datetime.timedelta(days=int(settings.GUITU_RULES.get("I8_REVIEW_DAYS", 7)))


def _plan_action(request, uuid, form_for, call, done: str):
    plan = selectors.minor_plan_get(user=request.user, uuid=uuid)
    if not access.may_plan(request.user, plan.episode):
        _deny("一人一策由本机构照料员、医护人员、寻亲员或站长办理。")
    apply_form(request, form_for(plan), lambda d: call(plan, d), done)
    return redirect("dailycare:minor_plan", uuid=plan.uuid)


@login_required
@require_POST
def minor_plan_edit(request, uuid):
    return _plan_action(request, uuid, lambda p: MinorPlanForm(request.POST, staff=_staff(p.episode.station)),
                        lambda p, d: services.minor_plan_update(by=request.user, plan=p, assessment=d["assessment"],
                                                                plan_text=d["plan"], responsible=d["responsible"]),
                        "已保存。")


@login_required
@require_POST
def minor_plan_review(request, uuid):
    return _plan_action(request, uuid, lambda p: ReviewForm(request.POST),
                        lambda p, d: services.plan_review_add(by=request.user, plan=p, findings=d["findings"],
                                                              changes=d["changes"], reviewed_at=d["reviewed_at"]),
                        "已记录评估。")


@login_required
@require_POST
def minor_guardianship(request, uuid):
    return _plan_action(request, uuid,
                        lambda p: GuardianshipForm(request.POST, departments=_departments(p.episode.station)),
                        lambda p, d: services.temporary_guardianship_record(
                            by=request.user, plan=p, department=d["department"], started_at=d["started_at"]),
                        "已登记民政部门临时监护。")


@login_required
@require_POST
def minor_assess(request, uuid):
    return _plan_action(request, uuid, lambda p: AssessmentForm(request.POST),
                        lambda p, d: services.guardianship_assess(by=request.user, plan=p, **d), "已保存家庭监护评估。")


@login_required
@require_POST
def minor_refer(request, uuid):
    return _plan_action(request, uuid,
                        lambda p: ReferralForm(request.POST, centres=selectors.minor_centres(user=request.user)),
                        lambda p, d: services.minor_refer(by=request.user, plan=p, centre=d["centre"],
                                                          reason=d["reason"], referred_at=d["referred_at"]),
                        "已登记转介。")


@login_required
@require_POST
def minor_long_term(request, uuid):
    return _plan_action(request, uuid,
                        lambda p: LongTermForm(request.POST, departments=_departments(p.episode.station)),
                        lambda p, d: services.long_term_guardianship_record(
                            by=request.user, plan=p, department=d["department"], since=d["since"],
                            basis=d["basis"]),
                        "已登记长期监护。")


# --- rule I8: care plans -------------------------------------------------------------------------------------
@login_required
def care_list(request):
    group = request.GET.get("group", "")
    group = group if group in CareGroup.values else ""
    state = request.GET.get("state", "open")
    qs = selectors.care_plan_list(user=request.user, group=group, state=state)
    if wants_xlsx(request):
        rows = ([c.episode.station.display_short, c.episode.person.name, c.episode.number, c.get_group_display(),
                 c.zone.name, c.needs, c.measures, str(c.responsible), timezone.localtime(c.written_at),
                 timezone.localtime(c.ended_at) if c.ended_at else ""] for c in qs.iterator(chunk_size=500))
        return list_export(request, title="特殊群体照料方案", filename="care-plans", rows=rows,
                           filters={"group": group, "state": state},
                           headers=["机构", "姓名", "救助编号", "人员类别", "照料区域", "照料需求", "照料措施",
                                    "责任人", "制定时间", "结束时间"])
    return render(request, "dailycare/care_list.html", {**paginate(request, qs), "group": group, "state": state,
                                                        "groups": CareGroup.choices})


@login_required
def care_plan_new(request, uuid):
    episode = selectors.episode_get(user=request.user, uuid=uuid)
    if request.method == "POST" and not access.may_plan(request.user, episode):
        _deny("照料方案由本机构照料员、医护人员或站长制定。")
    from stay.models import Zone

    zones = Zone.objects.filter(station=episode.station, is_active=True)
    group = request.GET.get("group", "")
    form = CarePlanForm(request.POST or None, zones=zones, staff=_staff(episode.station),
                        initial={"group": group} if group in CareGroup.values else {})
    log_read(request, "照料方案", person_uuid=episode.person.uuid, organisation=episode.station)

    def call(d):
        care = services.care_plan_create(by=request.user, episode=episode, group=d["group"], zone=d["zone"],
                                         needs=d["needs"], measures=d["measures"], responsible=d["responsible"])
        return reverse("dailycare:care_plan", args=[care.uuid])

    return _form_page(request, form, call, title=f"制定照料方案：{episode.person.name}（{episode.number}）",
                      done="照料方案已制定。", back=reverse("people:episode", args=[episode.uuid]),
                      intro="老年人、残疾人、精神障碍患者、孕妇分区照料，针对性提供服务（规则I8）。")


@login_required
def care_plan(request, uuid):
    care = selectors.care_plan_get(user=request.user, uuid=uuid)
    log_read(request, "照料方案", person_uuid=care.episode.person.uuid, organisation=care.episode.station)
    writable = access.may_plan(request.user, care.episode) and care.ended_at is None
    return render(request, "dailycare/care_plan.html", {"care": care, "episode": care.episode,
                                                        "end_form": EndForm() if writable else None})


@login_required
@require_POST
def care_plan_end(request, uuid):
    care = selectors.care_plan_get(user=request.user, uuid=uuid)
    if not access.may_plan(request.user, care.episode):
        _deny("照料方案由本机构照料员、医护人员或站长办理。")
    apply_form(request, EndForm(request.POST), lambda d: services.care_plan_end(by=request.user, care=care),
               "照料方案已结束。")
    return redirect("dailycare:care_plan", uuid=care.uuid)


# --- rule N11: domestic violence -----------------------------------------------------------------------------
@login_required
def shelter_list(request):
    state = request.GET.get("state", "open")
    qs = selectors.shelter_list(user=request.user, state=state)
    return render(request, "dailycare/shelter_list.html", {**paginate(request, qs), "state": state})


@login_required
def shelter_new(request, uuid):
    episode = selectors.episode_get(user=request.user, uuid=uuid)
    if request.method == "POST" and not access.may_shelter(request.user, episode):
        _deny("临时庇护由本机构接待员、照料员或站长登记。")
    if hasattr(episode, "dv_shelter"):
        return redirect("dailycare:shelter", uuid=episode.dv_shelter.uuid)
    form = ShelterForm(request.POST or None)
    log_read(request, "家庭暴力临时庇护", person_uuid=episode.person.uuid, organisation=episode.station)

    def call(d):
        shelter = services.dv_shelter_open(by=request.user, episode=episode, **d)
        return reverse("dailycare:shelter", args=[shelter.uuid])

    return _form_page(request, form, call, title=f"家庭暴力受害人临时庇护：{episode.person.name}（{episode.number}）",
                      done="已登记临时庇护；请及时向公安机关、妇联等报告（规则N11）。",
                      back=reverse("people:episode", args=[episode.uuid]),
                      intro="家庭暴力受害人可临时庇护；救助管理机构知悉家庭暴力的，应当及时报告（反家庭暴力法，规则N11）。")


@login_required
def shelter(request, uuid):
    record = selectors.shelter_get(user=request.user, uuid=uuid)
    log_read(request, "家庭暴力临时庇护", person_uuid=record.episode.person.uuid, organisation=record.episode.station)
    writable = access.may_shelter(request.user, record.episode)
    return render(request, "dailycare/shelter.html", {
        "shelter": record, "episode": record.episode, "reports": record.reports.select_related("recorded_by"),
        "report_form": DvReportForm(initial={"reported_at": timezone.localtime().replace(second=0, microsecond=0)})
        if writable else None,
        "end_form": EndForm() if writable and record.ended_at is None else None})


@login_required
@require_POST
def shelter_report(request, uuid):
    record = selectors.shelter_get(user=request.user, uuid=uuid)
    if not access.may_shelter(request.user, record.episode):
        _deny("家庭暴力报告由本机构接待员、照料员或站长登记。")
    apply_form(request, DvReportForm(request.POST),
               lambda d: services.dv_report_add(by=request.user, shelter=record, **d), "已登记报告。")
    return redirect("dailycare:shelter", uuid=record.uuid)


@login_required
@require_POST
def shelter_end(request, uuid):
    record = selectors.shelter_get(user=request.user, uuid=uuid)
    if not access.may_shelter(request.user, record.episode):
        _deny("临时庇护由本机构接待员、照料员或站长办理。")
    apply_form(request, EndForm(request.POST),
               lambda d: services.dv_shelter_end(by=request.user, shelter=record, note=d["note"]), "临时庇护已结束。")
    return redirect("dailycare:shelter", uuid=record.uuid)
