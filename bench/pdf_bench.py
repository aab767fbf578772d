"""PDF rendering with long free text (issue 8, hole 7): a person's file and a public poster.

Usage: .venv/bin/python bench/pdf_bench.py [--sizes 500,2000,4000,10000] [--repeat 3]

Renders the real templates (people/print_file.html, announcements/public/poster.html) with in-memory
objects — no database — through ``core.printing.render_pdf``, i.e. in the PDF worker process with its
time limit, exactly as a request does. The text is random Chinese without spaces or line breaks (the
case that was quadratic), plus a 10,000-character unbroken Latin run and a mixed text. Prints a
Markdown table for docs/benchmarks.md. Before the fix: 500 chars 0.9 s, 2,000 9.6 s, 4,000 39 s,
10,000 more than 5 minutes.
"""

import argparse
import datetime
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guitu.settings")

CHARS = (
    "救助管理站流浪乞讨人员自述家住河南省周口市郸城县口音较重说话不清楚身高约一米七左右右手背有疤痕穿蓝色外套"
)


def main() -> None:
    import django

    django.setup()
    from django.template.loader import render_to_string
    from django.utils import timezone

    from announcements.models import Announcement
    from core.models import Organisation
    from core.printing import render_pdf
    from people.models import Person

    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="500,2000,4000,10000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(8)
    station = Organisation(name="英德市救助管理站", code="YDZ", phone="0763-1234567")

    def file_html(marks: str) -> str:
        person = Person(
            name="无名氏-英德站-2026-001", file_no="YDZ-2026-00001", registered_by=station, marks=marks
        )
        return render_to_string(
            "people/print_file.html",
            {
                "person": person,
                "episodes": [],
                "transitions": [],
                "contacts": [],
                "printed_at": timezone.now(),
                "printed_by": "基准测试",
                "as_pdf": True,
            },
        )

    def poster_html(text: str) -> str:
        a = Announcement(
            code="XQ-2026-0001",
            station=station,
            sex="男",
            features=text,
            statement=text,
            found_place="英德市火车站广场",
            contact_phone="0763-1234567",
        )
        return render_to_string(
            "announcements/public/poster.html",
            {"a": a, "photo_uri": "", "qr_uri": "", "detail_url": "", "as_pdf": True},
        )

    def worker_cpu() -> float:
        """CPU seconds used so far by the PDF worker process (wall time on a shared machine says little)."""
        from core import printing

        fields = Path(f"/proc/{printing._worker.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def timed(html: str) -> tuple[float, float]:
        cpu, t = worker_cpu(), time.perf_counter()
        render_pdf(html, base_url=str(ROOT), timeout=600)
        return time.perf_counter() - t, worker_cpu() - cpu

    t = time.perf_counter()
    render_pdf(file_html("冷启动"), base_url=str(ROOT), timeout=600)
    cold = time.perf_counter() - t
    cases = []
    for n in [int(s) for s in args.sizes.split(",")]:
        cases.append(
            (
                f"人员档案，体貌特征 {n:,} 个汉字（无空格）",
                file_html("".join(rng.choice(CHARS) for _ in range(n))),
            )
        )
    cases.append(("人员档案，10,000 个连续拉丁字母", file_html("x" * 10000)))
    cases.append(
        (
            "人员档案，10,000 字中英混排",
            file_html(("".join(rng.choice(CHARS) for _ in range(50)) + " ABC-123 ") * 170),
        )
    )
    cases.append(
        ("寻亲海报，特征和自述各 2,000 字", poster_html("".join(rng.choice(CHARS) for _ in range(2000))))
    )
    print(
        f"Machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
        f"load {os.getloadavg()[0]:.1f}, {datetime.date.today():%Y-%m-%d}"
    )
    print(f"Worker start (import WeasyPrint, load CJK fonts): {cold:.2f} s\n")
    print("| document | median wall s | max wall s | median CPU s |\n| --- | --- | --- | --- |")
    for label, html in cases:
        runs = [timed(html) for _ in range(args.repeat)]
        walls, cpus = [w for w, _ in runs], [c for _, c in runs]
        print(
            f"| {label} | {statistics.median(walls):.2f} | {max(walls):.2f} | {statistics.median(cpus):.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
