"""Printable forms (rule N12): the same template as an HTML print view or as a PDF (WeasyPrint, CJK font).

Views call :func:`print_response`; ``?format=pdf`` gives the PDF, otherwise the HTML print view.
Templates extend ``print_base.html`` (A4 page, Noto CJK from Debian's fonts-noto-cjk).
"""

from django.http import HttpResponse
from django.template.loader import render_to_string

from core.audit import audit
from core.models import AuditAction


def render_pdf(html: str, base_url: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=base_url).write_pdf()


def print_response(request, template: str, context: dict, *, filename: str, organisation=None,
                   person_uuid=None, title: str = "") -> HttpResponse:
    """Render a printable form; every print or PDF of personal data is audited as an export."""
    html = render_to_string(template, {**context, "request": request, "as_pdf": request.GET.get("format") == "pdf"},
                            request=request)
    audit(actor=request.user, action=AuditAction.EXPORT, object_type="print", object_id=filename[:64],
          summary=f"打印/导出《{title or filename}》", organisation=organisation, person_uuid=person_uuid)
    if request.GET.get("format") == "pdf":
        pdf = render_pdf(html, base_url=request.build_absolute_uri("/"))
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
        return response
    return HttpResponse(html)
