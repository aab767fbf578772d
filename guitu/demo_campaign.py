"""The demo city's special campaign (seed document 004, rule O4): the city department configures a campaign with
three reporting dates, enters each county's declarations with a scanned document, and submitted the table on the
first reporting date — all through the services, so the summary table shows every column from the demo records."""

from __future__ import annotations

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from campaign import services
from campaign.models import Campaign
from core.models import Division, Organisation, User

D = datetime.timedelta(days=1)
NAME = "救助管理服务质量大提升专项行动"
#: County code → (leadership mechanism, meetings, patrol duties assigned, pay policy in place)
DECLARED = {
    "441881": (True, 3, True, True),
    "441882": (True, 1, True, False),
    "441821": (False, 0, False, False),
}


def _scan(title: str) -> SimpleUploadedFile:
    """A stand-in for a scanned meeting record (the real thing is a photo or PDF of a stamped document)."""
    image = Image.new("RGB", (420, 594), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 400, 574), outline="black", width=2)
    draw.text((40, 40), title.encode("ascii", "ignore").decode() or "meeting record", fill="black")
    for y in range(100, 540, 24):
        draw.line((40, y, 380, y), fill=(120, 120, 120))
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return SimpleUploadedFile(f"{title}.png", buf.getvalue(), content_type="image/png")


def seed_campaign(orgs: dict[str, Organisation], staff: dict[str, User], now: datetime.datetime, *,
                  stdout=None) -> int:
    """Seed the campaign once; returns the number of declarations entered (0 when already seeded)."""
    from guitu.demo import _do

    bureau = orgs["bureau"]
    if Campaign.objects.filter(department=bureau, name=NAME).exists():
        return 0
    by = staff["jianguan"]
    today = now.date()
    starts = today - 150 * D
    first, second, last = today - 60 * D, today + 30 * D, today + 200 * D
    campaign = _do(now - 150 * D, services.campaign_create, by=by, department=bureau, data={
        "name": NAME, "starts_on": starts, "ends_on": today + 220 * D, "document_ref": "清民〔2026〕9号",
        "note": "各县（市、区）民政局和市救助管理站按期填写情况汇总表，形成阶段总结报告，报市民政局。",
    }, reporting_dates=[(first, "第一阶段"), (second, "第二阶段"), (last, "总结阶段")])
    created = 0
    for code, (mechanism, meetings, patrol, pay) in DECLARED.items():
        division = Division.objects.get(code=code)
        _do(now - 70 * D, services.declaration_create, by=by, campaign=campaign, division=division, data={
            "declared_on": today - 70 * D, "leadership_mechanism": mechanism, "meetings_held": meetings,
            "leadership_note": (f"{(today - 100 * D):%m月%d日}召开联席会议，研究站外托养监管和街面巡查分工。"
                                if meetings else ""),
            "leaders_guidance": "分管副县长到救助管理站调研，协调解决床位不足问题。" if mechanism else "",
            "patrol_duties": patrol, "pay_policy": pay,
            "pay_policy_note": "已落实救助管理机构工作人员工资倾斜政策" if pay else "正在协调人社、财政部门",
        }, document=_scan(f"{division.name}联席会议纪要"))
        created += 1
    reporting = campaign.dates.get(due_on=first)
    _do(now - 61 * D, services.submission_create, by=by, reporting_date=reporting, as_of=first - D)
    if stdout:
        stdout.write(f"  专项行动：{NAME}（{created} 个县填报，第一阶段汇总表已报送）")
    return created
