"""Every write of the staff app (rule O6): keyword-only, one transaction each, audited (old → new, M2M too).

Callers check who may act (``staff.access``); these functions check what is allowed.
"""

import datetime
import decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from core.audit import audit_create, audit_update, snapshot
from core.models import Organisation
from oversight.services import audit_create_with, clean_text, not_future
from staff.models import ExamResult, StaffMember, TrainingKind, TrainingSession

CERT_VALUES = ("", "assistant", "social_worker", "senior")


def pass_mark() -> decimal.Decimal:
    """The passing score of a professional test (GUITU_RULES["O6_PASS_MARK"], default 60)."""
    return decimal.Decimal(str(getattr(settings, "GUITU_RULES", {}).get("O6_PASS_MARK", 60)))


def _staff_fields(data: dict) -> dict:
    cleaned = {
        "name": clean_text(data.get("name"), 50, "name", "姓名", required=True),
        "post": clean_text(data.get("post"), 50, "post", "岗位", required=True),
        "qualifications": clean_text(data.get("qualifications"), 200, "qualifications", "学历/资格"),
        "cert_number": clean_text(data.get("cert_number"), 50, "cert_number", "证书编号"),
        "social_worker_cert": data.get("social_worker_cert") or "",
        "hired_on": data.get("hired_on"),
    }
    if cleaned["social_worker_cert"] not in CERT_VALUES:
        raise ValidationError({"social_worker_cert": "请选择社会工作者证书等级。"})
    if cleaned["social_worker_cert"] and not cleaned["cert_number"]:
        raise ValidationError({"cert_number": "持有社会工作者证书的，请填写证书编号。"})
    if cleaned["hired_on"] is None:
        raise ValidationError({"hired_on": "请填写入职日期。"})
    if cleaned["hired_on"] > timezone.localdate():
        raise ValidationError({"hired_on": "入职日期不能晚于今天。"})
    return cleaned


@transaction.atomic
def staff_create(*, by, organisation: Organisation, data: dict, user=None) -> StaffMember:
    """Add a person to the organisation's staff register (rule O6); a system account is optional."""
    fields = _staff_fields(data)
    if user is not None and user.organisation_id != organisation.pk:
        raise ValidationError({"user": "关联的系统账号须属于本机构。"})
    member = StaffMember.objects.create(organisation=organisation, user=user, **fields)
    audit_create(actor=by, obj=member, organisation=organisation, summary=f"登记工作人员：{member}")
    return member


@transaction.atomic
def staff_update(*, by, staff: StaffMember, data: dict) -> StaffMember:
    staff = StaffMember.objects.select_for_update().get(pk=staff.pk)
    fields = _staff_fields(data)
    before = snapshot(staff, list(fields))
    for key, value in fields.items():
        setattr(staff, key, value)
    staff.save()
    audit_update(
        actor=by,
        obj=staff,
        before=before,
        organisation=staff.organisation,
        summary=f"修改工作人员信息：{staff}",
    )
    return staff


@transaction.atomic
def staff_leave(*, by, staff: StaffMember, on: datetime.date) -> StaffMember:
    staff = StaffMember.objects.select_for_update().get(pk=staff.pk)
    if staff.left_on is not None:
        raise ValidationError("该工作人员已离职。")
    if on < staff.hired_on:
        raise ValidationError({"left_on": "离职日期不能早于入职日期。"})
    before = snapshot(staff, ["left_on"])
    staff.left_on = on
    staff.save(update_fields=["left_on", "updated_at"])
    audit_update(
        actor=by, obj=staff, before=before, organisation=staff.organisation, summary=f"工作人员离职：{staff}"
    )
    return staff


def active_staff(organisation: Organisation, on: datetime.date | None = None):
    on = on or timezone.localdate()
    return StaffMember.objects.filter(organisation=organisation, hired_on__lte=on).filter(
        Q(left_on__isnull=True) | Q(left_on__gte=on)
    )


@transaction.atomic
def training_create(
    *,
    by,
    organisation: Organisation,
    topic: str,
    held_at: datetime.datetime,
    hours: decimal.Decimal,
    kind: str,
    attendees: list[StaffMember],
    days: decimal.Decimal = 0,
    trainer: str = "",
) -> TrainingSession:
    """Record a training session and who attended (rule O6: at least monthly; off-job training in days)."""
    topic = clean_text(topic, 200, "topic", "培训主题", required=True)
    trainer = clean_text(trainer, 100, "trainer", "授课人/主办单位")
    if kind not in TrainingKind.values:
        raise ValidationError({"kind": "请选择培训方式。"})
    held_at = not_future(held_at, "held_at", "培训时间")
    hours, days = decimal.Decimal(hours or 0), decimal.Decimal(days or 0)
    if not decimal.Decimal("0.5") <= hours <= decimal.Decimal("200"):
        raise ValidationError({"hours": "培训时长应在 0.5–200 小时之间。"})
    if not decimal.Decimal(0) <= days <= decimal.Decimal(60):
        raise ValidationError({"days": "天数应在 0–60 之间。"})
    if kind == TrainingKind.INTERNAL and days:
        days = decimal.Decimal(0)
    if not attendees:
        raise ValidationError({"attendees": "请选择参训人员。"})
    day = timezone.localtime(held_at).date()
    allowed = set(active_staff(organisation, day).values_list("pk", flat=True))
    if any(a.pk not in allowed for a in attendees):
        raise ValidationError({"attendees": "参训人员须为培训当日在职的本机构工作人员。"})
    session = TrainingSession.objects.create(
        organisation=organisation,
        topic=topic,
        held_on=day,
        held_at=held_at,
        hours=hours,
        days=days,
        kind=kind,
        trainer=trainer,
        recorded_by=by,
    )
    session.attendees.set(attendees)
    audit_create_with(
        by=by,
        obj=session,
        organisation=organisation,
        related={"attendees": attendees},
        summary=f"培训：{topic}（{len(attendees)} 人，规则O6）",
    )
    return session


@transaction.atomic
def exam_record(
    *,
    by,
    staff: StaffMember,
    subject: str,
    taken_on: datetime.date,
    score: decimal.Decimal,
    session: TrainingSession | None = None,
) -> ExamResult:
    """A professional test with its score (pass mark ``O6_PASS_MARK``)."""
    subject = clean_text(subject, 100, "subject", "考试内容", required=True)
    score = decimal.Decimal(score)
    if not decimal.Decimal(0) <= score <= decimal.Decimal(100):
        raise ValidationError({"score": "成绩应在 0–100 之间。"})
    if taken_on > timezone.localdate():
        raise ValidationError({"taken_on": "考试日期不能晚于今天。"})
    if session is not None and session.organisation_id != staff.organisation_id:
        raise ValidationError({"session": "培训不属于该工作人员所在机构。"})
    if ExamResult.objects.filter(staff=staff, subject=subject, taken_on=taken_on).exists():
        raise ValidationError({"subject": "该考试成绩已登记。"})
    result = ExamResult.objects.create(
        staff=staff,
        session=session,
        subject=subject,
        taken_on=taken_on,
        score=score,
        passed=score >= pass_mark(),
        recorded_by=by,
    )
    audit_create(
        actor=by,
        obj=result,
        organisation=staff.organisation,
        summary=f"登记考试成绩：{staff.name} {subject} {score}",
    )
    return result


def campaign_counts(org_ids, start: datetime.date, end: datetime.date) -> dict[str, dict[int, int]]:
    """The staff figures of the campaign summary table (情况汇总表, rule O6) as ``{figure: {organisation id: n}}``
    for staff in post at ``end``: staff, staff with two or more days of off-job training in the period, staff
    tested in the period, social-worker certificates. One GROUP BY per figure, however many organisations."""
    staff = StaffMember.objects.filter(organisation_id__in=org_ids, hired_on__lte=end).filter(
        Q(left_on__isnull=True) | Q(left_on__gte=end)
    )

    def per_org(qs) -> dict[int, int]:
        return dict(qs.order_by().values("organisation").annotate(n=Count("pk", distinct=True))
                    .values_list("organisation", "n"))

    off_job = (
        StaffMember.objects.filter(
            trainings__kind=TrainingKind.OFF_JOB, trainings__held_on__gte=start, trainings__held_on__lte=end
        )
        .values("pk")
        .annotate(total=Sum("trainings__days"))
        .filter(total__gte=2)
        .values("pk")
    )
    return {
        "staff": per_org(staff),
        "off_job_2_days": per_org(staff.filter(pk__in=off_job)),
        "tested": per_org(staff.filter(tests__taken_on__gte=start, tests__taken_on__lte=end)),
        "certified": per_org(staff.exclude(social_worker_cert="")),
    }


def campaign_figures(organisations, start: datetime.date, end: datetime.date) -> list[dict]:
    """The staff lines of the campaign summary table (情况汇总表) per organisation, for staff in post at ``end``:
    staff, staff with two or more days of off-job training in the period, staff tested, social-worker certificates,
    and the training sessions held (:func:`campaign_counts`, plus one GROUP BY for the sessions)."""
    organisations = list(organisations)
    ids = [org.pk for org in organisations]
    counts = campaign_counts(ids, start, end)
    sessions = {
        row["organisation"]: row
        for row in TrainingSession.objects.filter(organisation_id__in=ids, held_on__gte=start, held_on__lte=end)
        .order_by().values("organisation").annotate(n=Count("pk"), h=Sum("hours"))
    }
    return [
        {
            "organisation": org,
            **{key: counts[key].get(org.pk, 0) for key in ("staff", "off_job_2_days", "tested", "certified")},
            "sessions": sessions.get(org.pk, {}).get("n", 0),
            "hours": sessions.get(org.pk, {}).get("h") or 0,
        }
        for org in organisations
    ]
