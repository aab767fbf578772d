"""Portrait-like placeholder photos for the demo and the browser journeys: a drawn head and shoulders
with Pillow (no real faces, nothing downloaded), varied by a seed so each file looks different."""

import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

SKIN = ((236, 200, 170), (222, 184, 150), (205, 160, 125), (188, 142, 108), (170, 124, 92))
HAIR = ((30, 28, 26), (52, 42, 36), (80, 76, 72), (150, 148, 145), (200, 198, 195))
CLOTHES = ((52, 74, 110), (96, 60, 48), (60, 92, 70), (120, 120, 128), (150, 40, 40), (70, 70, 70))
BACKGROUND = ((214, 224, 236), (228, 228, 222), (206, 220, 214), (236, 230, 218))


def portrait_png(seed: int, *, sex: str = "男", old: bool = False, size: tuple[int, int] = (360, 450)) -> bytes:
    """A PNG of a drawn head-and-shoulders figure; the same seed gives the same picture."""
    rng = random.Random(seed)
    w, h = size
    image = Image.new("RGB", size, rng.choice(BACKGROUND))
    draw = ImageDraw.Draw(image)
    skin = rng.choice(SKIN)
    hair = rng.choice(HAIR[3:] if old else HAIR[:3])
    cx = w // 2 + rng.randint(-12, 12)
    head_w, head_h = int(w * rng.uniform(0.34, 0.40)), int(h * rng.uniform(0.38, 0.43))
    top = int(h * 0.14)
    # shoulders and neck
    draw.ellipse((cx - w * 0.48, h * 0.70, cx + w * 0.48, h * 1.30), fill=rng.choice(CLOTHES))
    draw.rectangle((cx - head_w * 0.22, top + head_h * 0.85, cx + head_w * 0.22, h * 0.76), fill=skin)
    # hair behind the head (longer for women)
    if sex == "女":
        draw.rounded_rectangle((cx - head_w * 0.6, top - 8, cx + head_w * 0.6, top + head_h * 0.95), radius=head_w // 2,
                               fill=hair)
    # head
    box = (cx - head_w // 2, top, cx + head_w // 2, top + head_h)
    draw.ellipse(box, fill=skin)
    draw.chord((box[0] - 4, top - 12, box[2] + 4, top + head_h * 0.55), 180, 360, fill=hair)
    # ears, eyes, brows, nose, mouth
    ey = top + head_h * rng.uniform(0.46, 0.52)
    for side in (-1, 1):
        draw.ellipse((cx + side * head_w * 0.5 - 9, ey - 4, cx + side * head_w * 0.5 + 9, ey + 26), fill=skin)
        ex = cx + side * head_w * 0.2
        draw.ellipse((ex - 9, ey - 4, ex + 9, ey + 5), fill=(250, 250, 248))
        draw.ellipse((ex - 4, ey - 3, ex + 4, ey + 4), fill=(40, 30, 25))
        draw.line((ex - 12, ey - 14, ex + 12, ey - 14 - side * rng.randint(-3, 3)), fill=hair, width=4)
    draw.line((cx, ey + 8, cx - 5, ey + head_h * 0.2), fill=tuple(c - 40 for c in skin), width=3)
    my = ey + head_h * rng.uniform(0.28, 0.32)
    draw.arc((cx - 22, my - 10, cx + 22, my + 8), 20, 160, fill=(150, 80, 70), width=3)
    if old:
        for k in (1, 2):
            draw.line((cx - head_w * 0.3, top + k * 12 + 20, cx + head_w * 0.3, top + k * 12 + 20),
                      fill=tuple(c - 25 for c in skin), width=1)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def portrait_upload(seed: int, *, sex: str = "男", old: bool = False, name: str = "portrait.png") -> SimpleUploadedFile:
    """The portrait as an upload for ``people.services.photo_add`` and the reports' photos."""
    return SimpleUploadedFile(name, portrait_png(seed, sex=sex, old=old), content_type="image/png")
