"""Printable forms (rule N12): the same template as an HTML print view or as a PDF (WeasyPrint, CJK font).

Views call :func:`print_response`; ``?format=pdf`` gives the PDF, otherwise the HTML print view.
Templates extend ``print_base.html`` (A4 page, Noto CJK from Debian's fonts-noto-cjk).
"""

import functools
import json
import os
import selectors
import shutil
import subprocess
import sys
import threading
import time

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme

from core.audit import audit
from core.models import AuditAction
from core.pdf_worker import write_frame


class PdfError(Exception):
    """The PDF could not be made (too slow, too big, or broken); the message is Chinese and safe to show."""


class NoCJKFont(PdfError, RuntimeError):
    """No Chinese font is installed: a PDF would print every character as a box."""


@functools.lru_cache(maxsize=1)
def cjk_font_available() -> bool:
    """Whether fontconfig knows a font covering Chinese (Debian's fonts-noto-cjk, installed by the Makefile)."""
    if shutil.which("fc-list") is None:
        return False
    out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=10).stdout
    return bool(out.strip())


class _Worker:
    """One long-lived ``python -m core.pdf_worker`` per web process, restarted when killed or worn out.

    Renders run one at a time (a lock): WeasyPrint is CPU-bound, so queueing is fairer than
    oversubscribing the cores. Waiting for the lock counts against the caller's time limit.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.proc: subprocess.Popen | None = None
        self.jobs = 0

    def _start(self, deadline: float) -> subprocess.Popen:
        env = {**os.environ, "GUITU_PDF_MEMORY_MB": str(settings.GUITU_PDF_MEMORY_MB)}
        proc = subprocess.Popen([sys.executable, "-m", "core.pdf_worker"], cwd=settings.BASE_DIR, env=env,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.proc, self.jobs = proc, 0
        if self._read(deadline) != b"0ready":
            self._kill()
            raise PdfError("PDF 生成程序未能启动，请改用网页打印。")
        return proc

    def _kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            for stream in (self.proc.stdin, self.proc.stdout):
                stream.close()
        self.proc = None

    def _read(self, deadline: float) -> bytes | None:
        """Read one frame from the worker before ``deadline`` (None on timeout or a dead worker)."""
        stdout = self.proc.stdout
        fd = stdout.fileno()
        buf = b""
        need = 4
        size = None
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while len(buf) < need:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    return None
                chunk = os.read(fd, max(need - len(buf), 65536))
                if not chunk:
                    return None
                buf += chunk
                if size is None and len(buf) >= 4:
                    size = int.from_bytes(buf[:4], "big")
                    need = 4 + size
        return buf[4:need]

    def render(self, html: str, base_url: str, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        if not self.lock.acquire(timeout=timeout):
            raise PdfError("PDF 生成繁忙，请稍后重试或改用网页打印。")
        try:
            if self.proc is None or self.proc.poll() is not None or self.jobs >= settings.GUITU_PDF_WORKER_MAX_JOBS:
                self._kill()
                self._start(deadline)
            try:
                write_frame(self.proc.stdin, json.dumps({"html": html, "base_url": base_url}).encode())
            except (BrokenPipeError, OSError):
                self._kill()
                raise PdfError("PDF 生成程序意外退出，请重试。") from None
            answer = self._read(deadline)
            self.jobs += 1
            if answer is None:
                # Too slow (or crashed): kill it, so the CPU is free again; the next request starts a new one.
                self._kill()
                raise PdfError(f"PDF 生成超过 {timeout:g} 秒被中止。请改用网页打印，或缩短过长的文字后重试。")
            if answer[:1] != b"0":
                raise PdfError(answer[1:].decode(errors="replace"))
            return answer[1:]
        finally:
            self.lock.release()


_worker = _Worker()


def render_pdf(html: str, base_url: str, *, timeout: float | None = None) -> bytes:
    """HTML → PDF bytes in the PDF worker process, within ``GUITU_PDF_TIMEOUT_SECONDS`` (raises PdfError).

    Refuses to run without a CJK font rather than print boxes (NoCJKFont, a PdfError)."""
    if not cjk_font_available():
        raise NoCJKFont("系统未安装中文字体（fonts-noto-cjk），无法生成 PDF；请运行 make sysdeps 安装后重试。")
    return _worker.render(html, base_url, timeout or settings.GUITU_PDF_TIMEOUT_SECONDS)


def pdf_failed_response(exc: PdfError) -> HttpResponse:
    """The page shown instead of a PDF that could not be made (503: try again or print the HTML view)."""
    return HttpResponse(f"<!doctype html><meta charset=utf-8><title>无法生成 PDF</title><p>{exc}</p>"
                        "<p><a href=\"?\">返回网页打印版</a></p>", status=503)


def print_response(request, template: str, context: dict, *, filename: str, organisation=None,
                   person_uuid=None, title: str = "") -> HttpResponse:
    """Render a printable form; every print or PDF of personal data is audited as an export."""
    referer = request.META.get("HTTP_REFERER", "")
    back = referer if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}) else "/"
    html = render_to_string(template, {**context, "request": request, "as_pdf": request.GET.get("format") == "pdf",
                                       "back_url": back}, request=request)
    audit(actor=request.user, action=AuditAction.EXPORT, object_type="print", object_id=filename[:64],
          summary=f"打印/导出《{title or filename}》", organisation=organisation, person_uuid=person_uuid)
    if request.GET.get("format") == "pdf":
        try:
            pdf = render_pdf(html, base_url=request.build_absolute_uri("/"))
        except PdfError as exc:
            return pdf_failed_response(exc)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
        return response
    return HttpResponse(html)
