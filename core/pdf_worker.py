"""The PDF worker process: WeasyPrint runs here, never in a web worker (issue 8, hole 7).

Started by :mod:`core.printing` as ``python -m core.pdf_worker``; reads framed requests on stdin and
writes framed answers on stdout. No Django: it only turns HTML into PDF bytes. The parent kills it
when a render exceeds ``GUITU_PDF_TIMEOUT_SECONDS`` and starts a fresh one for the next request, so a
pathological document costs one worker, not a pinned web process. Its address space is capped
(``GUITU_PDF_MEMORY_MB``) so a huge document fails instead of swapping the machine.

Frame: 4-byte big-endian length, then the payload. Request payload: JSON ``{"html", "base_url"}``.
Answer payload: one status byte (``b"0"`` ok, ``b"1"`` error) followed by the PDF or a UTF-8 message.
"""

import json
import os
import resource
import struct
import sys


def read_frame(stream) -> bytes | None:
    header = stream.read(4)
    if len(header) < 4:
        return None
    (size,) = struct.unpack(">I", header)
    data = stream.read(size)
    if len(data) < size:
        return None
    return data


def write_frame(stream, data: bytes) -> None:
    stream.write(struct.pack(">I", len(data)) + data)
    stream.flush()


def main() -> None:
    memory_mb = int(os.environ.get("GUITU_PDF_MEMORY_MB", "0") or 0)
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    # stdout carries frames only: anything WeasyPrint or its libraries print goes to stderr.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    from weasyprint import HTML

    # Warm the font configuration (about 1.5 s for the CJK fonts) before the first real document.
    HTML(string="<p>归途</p>").write_pdf()
    write_frame(out, b"0ready")
    stdin = sys.stdin.buffer
    while True:
        request = read_frame(stdin)
        if request is None:
            return
        try:
            job = json.loads(request)
            pdf = HTML(string=job["html"], base_url=job.get("base_url") or None).write_pdf()
            write_frame(out, b"0" + pdf)
        except MemoryError:
            write_frame(out, b"1" + "生成 PDF 所需内存超过上限。".encode())
        except Exception as exc:  # noqa: BLE001 - any failure is reported to the parent, which decides
            write_frame(out, b"1" + f"生成 PDF 失败：{type(exc).__name__}".encode())


if __name__ == "__main__":
    main()
