"""The four-level network (rule P4): city centre → county station → township → village. Townships (乡镇/街道)
and villages (村/居) are core Organisations with users; this app keeps their contacts (救助联络员 / 网格员) and the
temporary rescue points (临时救助点) and guidance points (求助引导点), each with address and coordinates.

Scoping: a record belongs to its organisation, and is also seen by the stations of its county (the county
station routes returnees and sightings through the network)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models import STATION_KINDS, Division, Organisation, TimeStamped


def county_scope_q(org_ids) -> Q:
    station_counties = Organisation.objects.filter(id__in=org_ids, kind__in=STATION_KINDS).values(
        "division__code"
    )
    return Q(organisation_id__in=org_ids) | Q(county__code__in=station_counties)


class ContactKind(models.TextChoices):
    LIAISON = "liaison", "救助联络员（乡镇/街道）"
    GRID = "grid", "网格员（村/居）"


class Contact(TimeStamped):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, verbose_name="所在机构", on_delete=models.PROTECT, related_name="+"
    )
    county = models.ForeignKey(
        Division, verbose_name="所在县（区）", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField("类别", max_length=10, choices=ContactKind.choices)
    name = models.CharField("姓名", max_length=50)
    phone = models.CharField("电话", max_length=40)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登录账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField("备注", max_length=200, blank=True)
    is_active = models.BooleanField("在岗", default=True)

    class Meta:
        ordering = ["county__code", "organisation__name", "name"]
        verbose_name = verbose_name_plural = "联络员/网格员"
        constraints = [
            # one active entry per person and organisation (a phone number is the person here)
            models.UniqueConstraint(
                fields=["organisation", "phone"],
                condition=Q(is_active=True),
                name="network_one_active_contact_per_phone",
            ),
        ]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return county_scope_q(org_ids)

    def __str__(self) -> str:
        return f"{self.name}（{self.organisation.display_short}）"


class PointKind(models.TextChoices):
    RESCUE = "rescue", "临时救助点"
    GUIDANCE = "guidance", "求助引导点"


class ServicePoint(TimeStamped):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, verbose_name="设立机构", on_delete=models.PROTECT, related_name="+"
    )
    county = models.ForeignKey(
        Division, verbose_name="所在县（区）", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField("类型", max_length=10, choices=PointKind.choices)
    name = models.CharField("名称", max_length=100)
    address = models.CharField("地址", max_length=200)
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6)
    phone = models.CharField("电话", max_length=40, blank=True)
    hours = models.CharField("开放时间", max_length=100, blank=True)
    is_active = models.BooleanField("在用", default=True)

    class Meta:
        ordering = ["county__code", "kind", "name"]
        verbose_name = verbose_name_plural = "救助点/引导点"
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="network_point_unique_name")
        ]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return county_scope_q(org_ids)

    def __str__(self) -> str:
        return f"{self.name}（{self.get_kind_display()}）"
