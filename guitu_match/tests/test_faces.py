"""Face embeddings, similarity and the FAISS index, on real face photos.

The photos come from the ``insightface`` wheel on PyPI (a six-person group photo ``t1.jpg`` and
a single aligned portrait ``Tom_Hanks_54745.png``).  The wheel is downloaded once per machine
into a cache directory keyed by its version and read as a zip file; insightface is never
installed and none of its files are committed.  Without network access the face tests fail
with a clear message instead of being skipped.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageFilter, ImageOps

from guitu_match import faces
from guitu_match.faces import (
    FACE_SIM_MEDIUM,
    FACE_SIM_STRONG,
    FaceError,
    FaceIndex,
    embed_faces,
    embed_photo,
    face_similarity,
)

INSIGHTFACE_VERSION = "2.1"
INSIGHTFACE_WHEEL = f"insightface-{INSIGHTFACE_VERSION}-py3-none-any.whl"
INSIGHTFACE_SHA256 = "dcd58ee79d99d689572477315f3149353afd65a36dc575f597cbb217a7bde399"
PORTRAIT = "insightface/data/images/Tom_Hanks_54745.png"
GROUP = "insightface/data/images/t1.jpg"
GROUP_FACES = 6


def _cache_dir() -> Path:
    base = os.environ.get("GUITU_TEST_CACHE") or tempfile.gettempdir()
    return Path(base) / f"guitu-test-insightface-{INSIGHTFACE_VERSION}"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def face_images() -> dict[str, bytes]:
    return load_face_images()


def load_face_images() -> dict[str, bytes]:
    """{'portrait': png bytes, 'group': jpg bytes} read from the cached insightface wheel.

    Also used by bench/match/faces_bench.py.
    """
    cache = _cache_dir()
    wheel = cache / INSIGHTFACE_WHEEL
    if not wheel.exists() or _sha256(wheel) != INSIGHTFACE_SHA256:
        cache.mkdir(parents=True, exist_ok=True)
        download = Path(tempfile.mkdtemp(dir=cache, prefix=".download-"))
        try:
            _download_wheel(download, wheel)
        finally:
            shutil.rmtree(download, ignore_errors=True)
    with zipfile.ZipFile(wheel) as zf:
        return {"portrait": zf.read(PORTRAIT), "group": zf.read(GROUP)}


def _download_wheel(download: Path, wheel: Path) -> None:
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--disable-pip-version-check", "-q", f"insightface=={INSIGHTFACE_VERSION}", "-d", str(download),
    ]  # fmt: skip
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.fail(_download_failed(str(exc)), pytrace=False)
    got = download / INSIGHTFACE_WHEEL
    if proc.returncode != 0 or not got.exists():
        pytest.fail(_download_failed(proc.stderr.strip() or proc.stdout.strip()), pytrace=False)
    if _sha256(got) != INSIGHTFACE_SHA256:
        pytest.fail(f"insightface {INSIGHTFACE_VERSION} wheel has an unexpected SHA-256", pytrace=False)
    os.replace(got, wheel)


def _download_failed(detail: str) -> str:
    return (
        "人脸测试需要真实照片 / the face tests need real face photos: could not download "
        f"insightface=={INSIGHTFACE_VERSION} from PyPI with `pip download --no-deps` "
        f"into {_cache_dir()} (network or index unreachable?). Put the wheel "
        f"{INSIGHTFACE_WHEEL} there by hand, or set GUITU_TEST_CACHE to a directory holding "
        f"guitu-test-insightface-{INSIGHTFACE_VERSION}/{INSIGHTFACE_WHEEL}.\n{detail}"
    )


def _png(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(scope="session")
def portrait(face_images) -> faces.FaceResult:
    return embed_photo(face_images["portrait"])


@pytest.fixture(scope="session")
def group_crops(face_images) -> list[np.ndarray]:
    """Embeddings of the six other people, each cropped from the group photo as its own photo."""
    group = Image.open(io.BytesIO(face_images["group"])).convert("RGB")
    vectors = []
    for found in embed_faces(face_images["group"]):
        top, right, bottom, left = found.box
        m = (bottom - top) // 2
        crop = group.crop((max(0, left - m), max(0, top - m), right + m, bottom + m))
        vectors.append(embed_photo(_png(crop)).vector)
    return vectors


# --- embedding a photo ---------------------------------------------------------------------------


def test_single_portrait_gives_one_unit_embedding(portrait):
    assert portrait.vector.shape == (faces.DIM,)
    assert portrait.vector.dtype == np.float32
    assert abs(float(np.linalg.norm(portrait.vector)) - 1.0) < 1e-5
    assert portrait.face_count == 1
    assert portrait.image_size == (112, 112)
    top, right, bottom, left = portrait.box
    assert 0 <= top < bottom <= 112 and 0 <= left < right <= 112


def test_path_bytes_and_file_object_give_the_same_embedding(face_images, portrait, tmp_path):
    path = tmp_path / "portrait.png"
    path.write_bytes(face_images["portrait"])
    for source in (path, str(path), io.BytesIO(face_images["portrait"])):
        assert np.allclose(embed_photo(source).vector, portrait.vector, atol=1e-6)


def test_group_photo_asks_for_a_single_person(face_images):
    with pytest.raises(FaceError) as err:
        embed_photo(face_images["group"])
    assert err.value.code == "multiple_faces"
    assert err.value.face_count == GROUP_FACES
    assert err.value.message == f"照片中有多张人脸（{GROUP_FACES} 张），请上传单人正面照片"
    assert str(err.value) == err.value.message


def test_group_photo_largest_face_on_request(face_images):
    result = embed_photo(face_images["group"], largest=True)
    assert result.face_count == GROUP_FACES
    assert result.image_size == (1280, 886)  # boxes are in the original photo's pixels
    assert result.area == max(f.area for f in embed_faces(face_images["group"]))


def test_embed_faces_finds_six_different_people(face_images):
    found = embed_faces(face_images["group"])
    assert len(found) == GROUP_FACES
    assert all(f.face_count == GROUP_FACES for f in found)
    for i in range(len(found)):
        for j in range(i + 1, len(found)):
            assert face_similarity(found[i].vector, found[j].vector) < FACE_SIM_MEDIUM


@pytest.mark.parametrize("kind", ["grey", "noise"])
def test_image_without_a_face(kind):
    if kind == "grey":
        im = Image.new("RGB", (400, 300), (128, 128, 128))
    else:
        im = Image.fromarray(np.random.default_rng(1).integers(0, 256, (300, 400, 3), dtype=np.uint8))
    with pytest.raises(FaceError) as err:
        embed_photo(_png(im))
    assert err.value.code == "no_face"
    assert err.value.message == "照片中未检测到人脸"
    assert embed_faces(_png(im)) == []


def test_unreadable_files(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("这不是照片 / not a photo\n", encoding="utf-8")
    truncated = _png(Image.new("RGB", (50, 50)))[:40]
    for source in (text, b"", truncated, tmp_path / "missing.jpg"):
        with pytest.raises(FaceError) as err:
            embed_photo(source)
        assert err.value.code == "unreadable"
        assert err.value.message == "无法读取图片，请上传 JPG 或 PNG 格式的照片"


def test_exif_rotated_phone_photo_is_turned_upright(face_images, portrait):
    im = Image.open(io.BytesIO(face_images["portrait"])).convert("RGB").resize((336, 336))
    sideways = im.rotate(90, expand=True)  # stored sideways, EXIF says "rotate 90° CW to view"
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    sideways.save(buf, format="JPEG", quality=95, exif=exif.tobytes())
    result = embed_photo(buf.getvalue())
    assert face_similarity(result.vector, portrait.vector) >= FACE_SIM_STRONG


def _variants(png: bytes) -> dict[str, bytes]:
    im = Image.open(io.BytesIO(png)).convert("RGB")
    w, h = im.size
    jpeg = io.BytesIO()
    im.save(jpeg, format="JPEG", quality=60)
    return {
        "enlarged": _png(im.resize((w * 3, h * 3), Image.Resampling.BICUBIC)),
        "shrunk": _png(im.resize((int(w * 0.8), int(h * 0.8)), Image.Resampling.BICUBIC)),
        "rotated +8°": _png(im.rotate(8, resample=Image.Resampling.BICUBIC, fillcolor=(120, 120, 120))),
        "rotated -8°": _png(im.rotate(-8, resample=Image.Resampling.BICUBIC, fillcolor=(120, 120, 120))),
        "brighter": _png(ImageEnhance.Brightness(im).enhance(1.3)),
        "darker": _png(ImageEnhance.Brightness(im).enhance(0.7)),
        "flipped": _png(ImageOps.mirror(im)),
        "cropped": _png(im.crop((4, 4, w - 4, h - 2))),
        "low-quality jpeg": jpeg.getvalue(),
        "blurred": _png(im.filter(ImageFilter.GaussianBlur(1))),
        "more contrast": _png(ImageEnhance.Contrast(im).enhance(1.4)),
    }


def test_same_face_after_transformations_beats_every_other_face(face_images, portrait, group_crops):
    assert len(group_crops) == GROUP_FACES
    for name, data in _variants(face_images["portrait"]).items():
        variant = embed_photo(data).vector
        own = face_similarity(variant, portrait.vector)
        others = [face_similarity(variant, other) for other in group_crops]
        assert own >= FACE_SIM_STRONG, (name, own)
        assert own > max(others), (name, own, others)
        assert max(others) < FACE_SIM_MEDIUM, (name, others)


def test_group_crops_match_the_faces_found_in_the_whole_photo(face_images, group_crops):
    whole = [f.vector for f in embed_faces(face_images["group"])]
    assert len(group_crops) == len(whole)
    for i, crop_vector in enumerate(group_crops):
        sims = [face_similarity(crop_vector, w) for w in whole]
        assert int(np.argmax(sims)) == i
        assert max(sims) >= FACE_SIM_STRONG


# --- similarity mapping --------------------------------------------------------------------------


def test_similarity_mapping_is_monotone_and_centred_on_dlib_threshold():
    assert faces.similarity_from_distance(0.40) == pytest.approx(0.5)
    assert faces.similarity_from_distance(0.0) > 0.999
    assert faces.similarity_from_distance(0.6) < 0.01
    d = np.linspace(0, 2, 201)
    s = faces.similarity_from_distance(d)
    assert np.all(np.diff(s) <= 0) and s.min() >= 0 and s.max() <= 1
    # cosine and distance agree for unit vectors
    assert faces.similarity_from_cosine(1 - 0.40**2 / 2) == pytest.approx(0.5)
    assert faces.similarity_from_cosine(1.0) == pytest.approx(faces.similarity_from_distance(0.0))
    for sim in (0.2, 0.5, 0.85):
        assert faces.similarity_from_cosine(faces.cosine_from_similarity(sim)) == pytest.approx(sim)


def test_face_sim_levels():
    levels = faces.face_sim_levels()
    assert [k for k, _, _ in levels] == ["strong", "medium", "weak"]
    assert [t for _, t, _ in levels] == sorted((t for _, t, _ in levels), reverse=True)
    assert faces.face_sim_level(None) is None
    assert faces.face_sim_level(float("nan")) is None
    assert faces.face_sim_level(0.99) == "strong"
    assert faces.face_sim_level(0.6) == "medium"
    assert faces.face_sim_level(0.3) == "weak"
    assert faces.face_sim_level(0.01) == "none"
    assert "需人工核对" in faces.describe_face_sim(0.9)
    assert faces.describe_face_sim(None) == "无可比对的照片"
    assert "不相似" in faces.describe_face_sim(0.01)


def test_face_similarity_normalises_and_is_symmetric():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=128), rng.normal(size=128)
    assert face_similarity(a, b) == pytest.approx(face_similarity(b, a))
    assert face_similarity(a * 3, a) == pytest.approx(faces.similarity_from_distance(0.0))
    with pytest.raises(ValueError):
        face_similarity(np.zeros(128), a)
    with pytest.raises(ValueError):
        face_similarity(np.ones(64), a)


def test_vector_bytes_round_trip(portrait):
    data = portrait.to_bytes()
    assert len(data) == 512
    assert np.array_equal(faces.vector_from_bytes(data), portrait.vector)


# --- FAISS index ---------------------------------------------------------------------------------


def _cluster_vectors(n: int, seed: int = 0) -> np.ndarray:
    """Synthetic face-like embeddings: a shared direction, identity offsets (cos ~0.85 apart)."""
    rng = np.random.default_rng(seed)
    centre = faces.normalise(rng.normal(size=128))
    return faces.normalise(centre + rng.normal(size=(n, 128)).astype(np.float32) * 0.05)


def test_embedding_from_several_threads(face_images, portrait):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: embed_photo(face_images["portrait"]), range(8)))
    assert all(np.allclose(r.vector, portrait.vector, atol=1e-6) for r in results)


def test_index_returns_the_right_person_first(face_images, portrait, group_crops):
    index = FaceIndex()
    index.add([f"group-{i}" for i in range(len(group_crops))], np.vstack(group_crops))
    index.add(["portrait"], portrait.vector)
    index.add(list(range(1000)), _cluster_vectors(1000))
    assert index.kind == "flat" and len(index) == 1007
    for data in _variants(face_images["portrait"]).values():
        hits = index.search(embed_photo(data).vector, k=5)
        assert hits[0][0] == "portrait"
        assert hits[0][1] >= FACE_SIM_STRONG
        assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    for i, vector in enumerate(group_crops):
        assert index.search(vector, k=1)[0][0] == f"group-{i}"
    strong_only = index.search(portrait.vector, k=10, min_similarity=FACE_SIM_STRONG)
    assert [face_id for face_id, _ in strong_only] == ["portrait"]


def test_index_replace_remove_and_empty(portrait, group_crops):
    index = FaceIndex()
    assert index.search(portrait.vector) == []
    index.add(["a", "b"], np.vstack([portrait.vector, group_crops[0]]))
    index.add("a", group_crops[1])  # replacing: "a" now holds another face
    assert len(index) == 2
    assert index.search(group_crops[1], k=1)[0][0] == "a"
    assert all(face_id != "a" or s < FACE_SIM_MEDIUM for face_id, s in index.search(portrait.vector))
    assert index.remove(["a", "nobody"]) == 1
    assert "a" not in index and "b" in index and len(index) == 1
    assert [face_id for face_id, _ in index.search(group_crops[1], k=5)] == ["b"]
    with pytest.raises(ValueError):
        index.add(["x", "y"], portrait.vector)
    with pytest.raises(TypeError):
        index.add([1.5], portrait.vector)


def test_index_save_load_round_trip(tmp_path, portrait, group_crops):
    index = FaceIndex()
    index.add(["人员-1", 42], np.vstack([portrait.vector, group_crops[0]]))
    index.add([f"g{i}" for i in range(1, len(group_crops))], np.vstack(group_crops[1:]))
    index.remove("g3")
    before = index.search_many(np.vstack([portrait.vector, *group_crops]), k=3)
    index.save(tmp_path / "faces")
    assert sorted(os.listdir(tmp_path / "faces")) == ["ids.json", "index.faiss"]
    loaded = FaceIndex.load(tmp_path / "faces")
    assert loaded.kind == "flat" and len(loaded) == len(index)
    assert set(loaded.ids()) == set(index.ids()) and 42 in loaded and "人员-1" in loaded
    after = loaded.search_many(np.vstack([portrait.vector, *group_crops]), k=3)
    assert [[i for i, _ in row] for row in after] == [[i for i, _ in row] for row in before]
    assert np.allclose([[s for _, s in row] for row in after], [[s for _, s in row] for row in before])
    loaded.add("new", group_crops[3])  # labels keep counting after a reload
    assert loaded.search(group_crops[3], k=1)[0][0] == "new"


def test_index_switches_to_trained_ivf_when_large(tmp_path):
    n = 3000
    x = _cluster_vectors(n, seed=5)
    index = FaceIndex(ivf_threshold=2000, nprobe=16)
    index.add(list(range(1500)), x[:1500])
    assert index.kind == "flat"
    index.add(list(range(1500, n)), x[1500:])  # crosses the threshold: retrained as IVF
    assert index.kind == "ivf" and len(index) == n
    queries = faces.normalise(x[::50] + np.random.default_rng(6).normal(size=(60, 128)) * 0.01)
    exact = FaceIndex(ivf_threshold=10**9)
    exact.add(list(range(n)), x)
    ivf_top = [row[0][0] for row in index.search_many(queries, k=1)]
    exact_top = [row[0][0] for row in exact.search_many(queries, k=1)]
    assert exact_top == list(range(0, n, 50))
    assert sum(a == b for a, b in zip(ivf_top, exact_top, strict=True)) >= 57  # recall >= 0.95
    assert index.remove([0, 50]) == 2 and len(index) == n - 2
    assert all(hit[0] not in (0, 50) for hit in index.search(x[0], k=5))
    index.save(tmp_path / "ivf")
    loaded = FaceIndex.load(tmp_path / "ivf")
    assert loaded.kind == "ivf" and len(loaded) == n - 2
    assert loaded.search(x[100], k=1)[0][0] == 100
    loaded.rebuild()
    assert loaded.kind == "ivf" and loaded.search(x[100], k=1)[0][0] == 100
