"""人脸比对 / Faces: embeddings, similarity and a FAISS index.

No Django imports: this module is a plain algorithm, tested without a database.

* :func:`embed_photo` turns one photo into a 128-d L2-normalised float32 embedding with
  ``face_recognition`` (dlib ResNet, weights from ``face-recognition-models``, fully offline).
  Only dlib's HOG detector is used (the CNN detector costs ~8.6 s per photo on our CPUs);
  large photos are downscaled first (longest side <= 1000 px by default).
* :func:`face_similarity` / :func:`similarity_from_cosine` map two embeddings to a similarity in
  [0, 1] that the linkage model consumes as the ``face_sim`` column (float or ``None``).
* :class:`FaceIndex` is a FAISS inner-product index (exact ``IndexFlatIP`` while small,
  ``IndexIVFFlat`` trained on the data once large) with an id map, save/load and removal.

Similarity mapping (documented in ``docs/faces.md``)
----------------------------------------------------
dlib's model was trained so that two photos of the same person have a Euclidean distance
below 0.6 between the *raw* 128-d descriptors (99.38 % on LFW).  Raw descriptors are not unit
length (measured norms 1.35-1.59, mean ~1.45-1.5), and FAISS inner-product search needs unit
vectors, so we work on the unit sphere: for unit vectors ``d = sqrt(2 - 2*cos)``.  dlib's 0.6
rule corresponds to ``d ~= 0.40`` there (``cos ~= 0.92``).  The similarity is a logistic
curve centred on that decision point::

    face_sim = 1 / (1 + exp((d - 0.40) / 0.03))

so ``face_sim = 0.5`` exactly at dlib's own threshold, ~0.98 at ``d = 0.28`` (a typical pair
of different photos of one adult), ~1.0 for the same photo re-scanned, and < 0.2 for
strangers (unit distances of 0.45-0.62 between the six different people of the test group
photo -> 0.002-0.16).  The value is *not* a calibrated probability; it is a monotone score the
Splink comparison cuts into levels (:data:`FACE_SIM_STRONG`, :data:`FACE_SIM_MEDIUM`,
:data:`FACE_SIM_WEAK`) whose weights are estimated from data like every other comparison.

The model is weaker on children and on East Asian faces (its training data is mostly adult
Western faces): strangers among them score higher than the curve suggests.  Face hits are
therefore candidates for a person to review, never an identification on their own; tune the
levels on local, confirmed pairs when there are enough of them.
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
import threading
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

__all__ = [
    "DIM",
    "FACE_SIM_MEDIUM",
    "FACE_SIM_STRONG",
    "FACE_SIM_WEAK",
    "FaceError",
    "FaceIndex",
    "FaceResult",
    "cosine_from_similarity",
    "describe_face_sim",
    "embed_faces",
    "embed_photo",
    "face_sim_level",
    "face_sim_levels",
    "face_similarity",
    "normalise",
    "similarity_from_cosine",
    "similarity_from_distance",
    "vector_from_bytes",
    "vector_to_bytes",
]

DIM = 128

# --- similarity mapping -------------------------------------------------------------------------

#: Unit-sphere distance equivalent to dlib's published raw-distance threshold of 0.6
#: (0.6 / typical raw norm ~1.5).  face_sim is 0.5 here.
SIM_CENTRE_DISTANCE = 0.40
#: Width of the logistic: 0.03 of unit distance moves face_sim by a factor of e in the odds.
SIM_SCALE = 0.03

#: Strong agreement: unit distance <= ~0.35 (raw dlib distance ~0.52), clearly inside dlib's
#: threshold.  Different photos of one adult usually land here.
FACE_SIM_STRONG = 0.85
#: Medium agreement: inside dlib's own 0.6 rule (unit distance <= 0.40).
FACE_SIM_MEDIUM = 0.5
#: Weak: just outside dlib's rule (unit distance <= ~0.44).  Some strangers reach this level,
#: especially children and East Asian faces; it only adds to other agreeing evidence.
FACE_SIM_WEAK = 0.2

_LEVELS: tuple[tuple[str, float, str], ...] = (
    ("strong", FACE_SIM_STRONG, "人脸高度相似"),
    ("medium", FACE_SIM_MEDIUM, "人脸相似"),
    ("weak", FACE_SIM_WEAK, "人脸略有相似"),
)


def face_sim_levels() -> list[tuple[str, float, str]]:
    """Levels for the linkage comparison, strongest first: ``(key, min_face_sim, 中文说明)``.

    A pair falls in the first level whose threshold its ``face_sim`` reaches; below the last
    one it is ``"none"`` (faces disagree); a missing photo on either side is ``None`` (null
    level, no evidence either way).
    """
    return list(_LEVELS)


def face_sim_level(sim: float | None) -> str | None:
    """``"strong" | "medium" | "weak" | "none"`` for a face_sim value, ``None`` if missing."""
    if sim is None or (isinstance(sim, float) and math.isnan(sim)):
        return None
    for key, threshold, _label in _LEVELS:
        if sim >= threshold:
            return key
    return "none"


def describe_face_sim(sim: float | None) -> str:
    """A caseworker-readable Chinese phrase for a face_sim value (for match explanations)."""
    level = face_sim_level(sim)
    if level is None:
        return "无可比对的照片"
    for key, _threshold, label in _LEVELS:
        if key == level:
            return f"{label}（{sim:.2f}），需人工核对照片"
    return f"人脸不相似（{sim:.2f}）"


def similarity_from_distance(distance: Any) -> Any:
    """face_sim from the Euclidean distance between *unit-normalised* embeddings (0..2).

    Works on scalars and numpy arrays.  For raw dlib distances divide by the descriptors'
    norm first, or better call :func:`face_similarity` on the vectors.
    """
    d = np.asarray(distance, dtype=np.float64)
    z = np.clip((d - SIM_CENTRE_DISTANCE) / SIM_SCALE, -60.0, 60.0)
    out = 1.0 / (1.0 + np.exp(z))
    return float(out) if out.ndim == 0 else out


def similarity_from_cosine(cosine: Any) -> Any:
    """face_sim from the cosine (= inner product of unit embeddings, what FAISS returns)."""
    c = np.clip(np.asarray(cosine, dtype=np.float64), -1.0, 1.0)
    return similarity_from_distance(np.sqrt(np.maximum(0.0, 2.0 - 2.0 * c)))


def cosine_from_similarity(sim: float) -> float:
    """Inverse of :func:`similarity_from_cosine` (for thresholds in SQL or FAISS range search)."""
    if not 0.0 < sim < 1.0:
        raise ValueError("face_sim must be strictly between 0 and 1")
    d = SIM_CENTRE_DISTANCE + SIM_SCALE * math.log(1.0 / sim - 1.0)
    return 1.0 - d * d / 2.0


def normalise(vector: Any) -> np.ndarray:
    """L2-normalise one vector (shape (128,)) or a matrix of row vectors, as float32."""
    v = np.asarray(vector, dtype=np.float32)
    if v.shape[-1] != DIM:
        raise ValueError(f"embedding must have {DIM} dimensions, got shape {v.shape}")
    norms = np.linalg.norm(v, axis=-1, keepdims=True)
    if np.any(norms == 0) or not np.all(np.isfinite(norms)):
        raise ValueError("embedding has zero or non-finite length")
    return np.ascontiguousarray(v / norms, dtype=np.float32)


def face_similarity(a: Any, b: Any) -> float:
    """face_sim in [0, 1] between two embeddings (normalised here if they are not yet)."""
    ua, ub = normalise(a).reshape(DIM), normalise(b).reshape(DIM)
    return similarity_from_cosine(float(np.dot(ua, ub)))


def vector_to_bytes(vector: Any) -> bytes:
    """512 bytes (128 little-endian float32) for storing an embedding in a BinaryField."""
    return normalise(vector).reshape(DIM).astype("<f4").tobytes()


def vector_from_bytes(data: bytes) -> np.ndarray:
    if len(data) != DIM * 4:
        raise ValueError(f"embedding bytes must be {DIM * 4} long, got {len(data)}")
    return np.frombuffer(data, dtype="<f4").astype(np.float32)


# --- embeddings ---------------------------------------------------------------------------------


class FaceError(ValueError):
    """A photo that cannot give exactly one face embedding; ``message`` is Chinese, for users.

    ``code`` is one of ``"unreadable"``, ``"no_face"``, ``"multiple_faces"``.
    """

    def __init__(self, message: str, code: str = "unreadable", face_count: int = 0):
        super().__init__(message)
        self.message = message
        self.code = code
        self.face_count = face_count


MSG_UNREADABLE = "无法读取图片，请上传 JPG 或 PNG 格式的照片"
MSG_NO_FACE = "照片中未检测到人脸"
MSG_SMALL_FACE = "人脸较小（约 {px} 像素），比对结果可能不可靠，建议上传更清晰的正面照片"


def msg_multiple(n: int) -> str:
    return f"照片中有多张人脸（{n} 张），请上传单人正面照片"


@dataclass(frozen=True)
class FaceResult:
    """One face found in a photo.

    ``vector``: 128 float32, unit length.  ``box``: ``(top, right, bottom, left)`` in pixels of
    the original photo (after EXIF rotation).  ``face_count``: faces detected in the photo.
    ``image_size``: ``(width, height)`` of the original.  ``warnings``: Chinese notes for the user.
    """

    vector: np.ndarray
    box: tuple[int, int, int, int]
    face_count: int
    image_size: tuple[int, int]
    warnings: tuple[str, ...] = field(default=())

    @property
    def area(self) -> int:
        top, right, bottom, left = self.box
        return max(0, bottom - top) * max(0, right - left)

    def to_bytes(self) -> bytes:
        return vector_to_bytes(self.vector)


_fr_module = None
_fr_lock = threading.Lock()
# dlib's detector, shape predictor and ResNet are module-level objects in face_recognition and
# its DNN keeps per-object buffers: one call at a time per process (Django runs threads).
_dlib_lock = threading.Lock()


def _face_recognition():
    """Import face_recognition lazily (it loads ~100 MB of dlib models at import)."""
    global _fr_module
    if _fr_module is None:
        with _fr_lock:
            if _fr_module is None:
                with warnings.catch_warnings():
                    # face_recognition_models imports pkg_resources (deprecated in setuptools).
                    warnings.simplefilter("ignore")
                    import face_recognition  # noqa: PLC0415

                _fr_module = face_recognition
    return _fr_module


Source = str | os.PathLike | bytes | bytearray | memoryview | BinaryIO

#: Refuse images above this many pixels before decoding them (decompression bombs).
MAX_PIXELS = 80_000_000


def _load_image(source: Source, max_side: int) -> tuple[np.ndarray, float, tuple[int, int]]:
    """Decode, apply EXIF rotation, convert to RGB, downscale; return (array, scale, orig size)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        if isinstance(source, bytes | bytearray | memoryview):
            fp: Any = io.BytesIO(bytes(source))
        elif hasattr(source, "read"):
            if hasattr(source, "seek"):
                try:
                    source.seek(0)
                except (OSError, ValueError):
                    pass
            fp = io.BytesIO(source.read())
        else:
            fp = os.fspath(source)
        with Image.open(fp) as im:
            width, height = im.size
            if width <= 0 or height <= 0 or width * height > MAX_PIXELS:
                raise FaceError(MSG_UNREADABLE, "unreadable")
            # JPEG: let the decoder shrink by 1/2..1/8 directly (much faster for phone photos).
            if im.format == "JPEG" and max(width, height) > 2 * max_side:
                im.draft("RGB", (max_side, max_side))
            im.load()
            # Phone photos are often stored sideways with an EXIF orientation tag.
            orientation = im.getexif().get(0x0112, 1)
            orig_size = (height, width) if orientation in (5, 6, 7, 8) else (width, height)
            im = ImageOps.exif_transpose(im)
            im = im.convert("RGB")
            longest = max(im.size)
            if longest > max_side:
                ratio = max_side / longest
                im = im.resize(
                    (max(1, round(im.width * ratio)), max(1, round(im.height * ratio))),
                    Image.Resampling.BILINEAR,
                )
            scale = orig_size[0] / im.width
            return np.asarray(im, dtype=np.uint8), scale, orig_size
    except FaceError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise FaceError(MSG_UNREADABLE, "unreadable") from exc


def _detect(arr: np.ndarray, upsample: int | None) -> list[tuple[int, int, int, int]]:
    with _dlib_lock:
        return _detect_unlocked(arr, upsample)


def _detect_unlocked(arr: np.ndarray, upsample: int | None) -> list[tuple[int, int, int, int]]:
    fr = _face_recognition()
    if upsample is not None:
        return list(fr.face_locations(arr, number_of_times_to_upsample=upsample, model="hog"))
    # Auto: small images are upsampled once (HOG's smallest face is ~80 px, ~40 px upsampled);
    # large ones are searched as they are and only upsampled if nothing was found.
    if max(arr.shape[:2]) <= 600:
        return list(fr.face_locations(arr, number_of_times_to_upsample=1, model="hog"))
    found = list(fr.face_locations(arr, number_of_times_to_upsample=0, model="hog"))
    if not found:
        found = list(fr.face_locations(arr, number_of_times_to_upsample=1, model="hog"))
    return found


def _box_area(box: tuple[int, int, int, int]) -> int:
    top, right, bottom, left = box
    return max(0, bottom - top) * max(0, right - left)


def _encode(arr, boxes, scale, orig_size, count) -> list[FaceResult]:
    fr = _face_recognition()
    with _dlib_lock:
        vectors = fr.face_encodings(arr, known_face_locations=boxes, num_jitters=1, model="small")
    results = []
    for box, vec in zip(boxes, vectors, strict=True):
        top, right, bottom, left = (int(round(x * scale)) for x in box)
        top, left = max(0, top), max(0, left)
        right, bottom = min(orig_size[0], right), min(orig_size[1], bottom)
        side = min(bottom - top, right - left)
        notes = (MSG_SMALL_FACE.format(px=side),) if side < 60 else ()
        results.append(
            FaceResult(
                vector=normalise(vec),
                box=(top, right, bottom, left),
                face_count=count,
                image_size=orig_size,
                warnings=notes,
            )
        )
    return results


def embed_photo(
    source: Source,
    *,
    largest: bool = False,
    max_side: int = 1000,
    upsample: int | None = None,
) -> FaceResult:
    """Embed the one face of a photo.

    ``source``: a path, the image bytes, or a binary file object (e.g. a Django upload).
    Raises :class:`FaceError` with a Chinese message when the image cannot be read, shows no
    face, or shows several faces -- unless ``largest=True``, which takes the largest face.
    ``max_side``: photos are downscaled so that their longest side is at most this (HOG speed).
    ``upsample``: HOG upsampling; ``None`` chooses by image size.
    """
    arr, scale, orig_size = _load_image(source, max_side)
    boxes = _detect(arr, upsample)
    if not boxes:
        raise FaceError(MSG_NO_FACE, "no_face", 0)
    if len(boxes) > 1 and not largest:
        raise FaceError(msg_multiple(len(boxes)), "multiple_faces", len(boxes))
    box = max(boxes, key=_box_area)
    return _encode(arr, [box], scale, orig_size, len(boxes))[0]


def embed_faces(source: Source, *, max_side: int = 1000, upsample: int | None = None) -> list[FaceResult]:
    """Embed every face of a photo, largest first (empty list if none; FaceError if unreadable)."""
    arr, scale, orig_size = _load_image(source, max_side)
    boxes = sorted(_detect(arr, upsample), key=_box_area, reverse=True)
    if not boxes:
        return []
    return _encode(arr, boxes, scale, orig_size, len(boxes))


# --- FAISS index --------------------------------------------------------------------------------

_faiss_module = None


def _faiss():
    global _faiss_module
    if _faiss_module is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import faiss  # noqa: PLC0415

        _faiss_module = faiss
    return _faiss_module


class _single_thread:
    """Run one FAISS call on one OpenMP thread (faster for a single query; per calling thread)."""

    def __enter__(self):
        faiss = _faiss()
        self.prev = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)

    def __exit__(self, *exc):
        _faiss().omp_set_num_threads(self.prev)


FaceId = str | int


class FaceIndex:
    """Nearest-neighbour search over unit face embeddings, keyed by your own ids (str or int).

    Exact (``IndexFlatIP`` behind an id map) while it holds fewer than ``ivf_threshold``
    vectors; at that size it is rebuilt once as ``IndexIVFFlat`` (inner product) trained on the
    data it holds, with ``nlist`` lists (default: ``4*sqrt(n)`` capped to 64..1024) and
    ``nprobe`` lists probed per query.  Adding an id that is already present replaces its
    vector.  Not a process-safe store: one writer; reads and writes in a process are locked.
    """

    INDEX_FILE = "index.faiss"
    IDS_FILE = "ids.json"
    FORMAT = 1

    def __init__(self, *, ivf_threshold: int = 100_000, nlist: int | None = None, nprobe: int = 32):
        self.ivf_threshold = int(ivf_threshold)
        self.nlist = nlist
        self.nprobe = int(nprobe)
        self._lock = threading.RLock()
        self._label_of: dict[FaceId, int] = {}
        self._id_of: dict[int, FaceId] = {}
        self._next_label = 0
        self._index = self._new_flat()

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def build(cls, ids: Sequence[FaceId], vectors: Any, **kwargs: Any) -> FaceIndex:
        """Build an index from scratch: flat when small, trained IVF when large."""
        index = cls(**kwargs)
        index.add(ids, vectors)
        return index

    def _new_flat(self):
        faiss = _faiss()
        return faiss.IndexIDMap2(faiss.IndexFlatIP(DIM))

    @property
    def kind(self) -> str:
        return "ivf" if self._ivf() is not None else "flat"

    def _ivf(self):
        faiss = _faiss()
        try:
            return faiss.extract_index_ivf(self._index)
        except RuntimeError:
            return None

    def __len__(self) -> int:
        return len(self._label_of)

    def __contains__(self, face_id: object) -> bool:
        return face_id in self._label_of

    def ids(self) -> list[FaceId]:
        return list(self._label_of)

    # -- writes ---------------------------------------------------------------------------------

    def add(self, ids: Sequence[FaceId] | FaceId, vectors: Any) -> None:
        """Add (or replace) vectors under ``ids``; vectors are normalised here."""
        if isinstance(ids, str | int):
            ids = [ids]
        ids = list(ids)
        x = normalise(np.asarray(vectors, dtype=np.float32).reshape(-1, DIM))
        if len(ids) != len(x):
            raise ValueError(f"{len(ids)} ids for {len(x)} vectors")
        for face_id in ids:
            if not isinstance(face_id, str | int) or isinstance(face_id, bool):
                raise TypeError(f"face ids must be str or int, got {type(face_id).__name__}")
        if len(set(ids)) != len(ids):
            # Last one wins, as with successive single adds.
            last = {face_id: i for i, face_id in enumerate(ids)}
            keep = sorted(last.values())
            ids, x = [ids[i] for i in keep], x[keep]
        with self._lock:
            self.remove([i for i in ids if i in self._label_of])
            labels = np.arange(self._next_label, self._next_label + len(ids), dtype=np.int64)
            self._next_label += len(ids)
            if self.kind == "flat" and len(self._label_of) + len(ids) >= self.ivf_threshold:
                old_labels, old_x = self._all_vectors()
                self._index = self._trained_ivf(np.vstack([old_x, x]))
                if len(old_labels):
                    self._index.add_with_ids(old_x, old_labels)
            if len(ids):
                self._index.add_with_ids(x, labels)
            for face_id, label in zip(ids, labels.tolist(), strict=True):
                self._label_of[face_id] = label
                self._id_of[label] = face_id

    def remove(self, ids: Iterable[FaceId] | FaceId) -> int:
        """Remove ids (unknown ones are ignored); returns how many were removed."""
        if isinstance(ids, str | int):
            ids = [ids]
        with self._lock:
            labels = [self._label_of.pop(i) for i in list(ids) if i in self._label_of]
            if not labels:
                return 0
            for label in labels:
                self._id_of.pop(label, None)
            self._index.remove_ids(np.asarray(labels, dtype=np.int64))
            return len(labels)

    def rebuild(self) -> None:
        """Retrain from the vectors held (e.g. after the index grew far beyond its training)."""
        with self._lock:
            labels, x = self._all_vectors()
            if len(labels) >= self.ivf_threshold:
                self._index = self._trained_ivf(x)
            else:
                self._index = self._new_flat()
            if len(labels):
                self._index.add_with_ids(x, labels)

    def _trained_ivf(self, x: np.ndarray):
        faiss = _faiss()
        n = len(x)
        nlist = self.nlist or int(min(1024, max(64, 4 * math.sqrt(n))))
        quantizer = faiss.IndexFlatIP(DIM)
        ivf = faiss.IndexIVFFlat(quantizer, DIM, nlist, faiss.METRIC_INNER_PRODUCT)
        ivf.own_fields = True
        quantizer.this.disown()
        # k-means on at most 256 points per list (FAISS's own cap), sampled evenly.
        cap = 256 * nlist
        sample = x if n <= cap else x[np.random.default_rng(0).choice(n, cap, replace=False)]
        ivf.train(np.ascontiguousarray(sample))
        ivf.nprobe = self.nprobe
        return ivf

    def _all_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """All (labels, vectors) currently stored, from either index kind."""
        faiss = _faiss()
        ivf = self._ivf()
        if ivf is None:
            n = self._index.ntotal
            if n == 0:
                return np.empty(0, np.int64), np.empty((0, DIM), np.float32)
            labels = faiss.vector_to_array(self._index.id_map).astype(np.int64)
            flat = faiss.downcast_index(self._index.index)
            x = flat.reconstruct_n(0, n)
            return labels, np.ascontiguousarray(x, dtype=np.float32)
        invlists = ivf.invlists
        all_labels, all_x = [], []
        for list_no in range(ivf.nlist):
            size = invlists.list_size(list_no)
            if size == 0:
                continue
            ids_ptr = invlists.get_ids(list_no)
            codes_ptr = invlists.get_codes(list_no)
            all_labels.append(faiss.rev_swig_ptr(ids_ptr, size).copy())
            codes = faiss.rev_swig_ptr(codes_ptr, size * invlists.code_size).copy()
            all_x.append(codes.view(np.float32).reshape(size, DIM))
        if not all_labels:
            return np.empty(0, np.int64), np.empty((0, DIM), np.float32)
        return np.concatenate(all_labels).astype(np.int64), np.ascontiguousarray(np.vstack(all_x))

    # -- reads ----------------------------------------------------------------------------------

    def search(
        self, vector: Any, k: int = 10, min_similarity: float | None = None
    ) -> list[tuple[FaceId, float]]:
        """Top-``k`` ``(id, face_sim)`` for one embedding, most similar first (one thread)."""
        q = normalise(np.asarray(vector, dtype=np.float32).reshape(1, DIM))
        with self._lock, _single_thread():
            return self._search(q, k, min_similarity)[0]

    def search_many(
        self, vectors: Any, k: int = 10, min_similarity: float | None = None
    ) -> list[list[tuple[FaceId, float]]]:
        """Batch search (uses all FAISS threads)."""
        q = normalise(np.asarray(vectors, dtype=np.float32).reshape(-1, DIM))
        with self._lock:
            return self._search(q, k, min_similarity)

    def _search(self, q: np.ndarray, k: int, min_similarity: float | None):
        if len(self._label_of) == 0 or k <= 0:
            return [[] for _ in range(len(q))]
        k = min(int(k), len(self._label_of))
        cos, labels = self._index.search(q, k)
        sims = similarity_from_cosine(cos)
        out = []
        for row_sims, row_labels in zip(np.atleast_2d(sims), labels, strict=True):
            row = []
            for sim, label in zip(row_sims.tolist(), row_labels.tolist(), strict=True):
                if label < 0 or label not in self._id_of:
                    continue
                if min_similarity is not None and sim < min_similarity:
                    break
                row.append((self._id_of[label], sim))
            out.append(row)
        return out

    # -- persistence ----------------------------------------------------------------------------

    def save(self, directory: str | os.PathLike) -> None:
        """Write ``index.faiss`` and ``ids.json`` into ``directory`` (created; files replaced atomically)."""
        faiss = _faiss()
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        with self._lock:
            meta = {
                "format": self.FORMAT,
                "dim": DIM,
                "kind": self.kind,
                "ivf_threshold": self.ivf_threshold,
                "nlist": self.nlist,
                "nprobe": self.nprobe,
                "next_label": self._next_label,
                "labels": list(self._id_of.keys()),
                "ids": list(self._id_of.values()),
            }
            fd, tmp_index = tempfile.mkstemp(dir=path, prefix=".index-", suffix=".tmp")
            os.close(fd)
            fd, tmp_ids = tempfile.mkstemp(dir=path, prefix=".ids-", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(meta, fh, ensure_ascii=False)
                faiss.write_index(self._index, tmp_index)
                os.replace(tmp_index, path / self.INDEX_FILE)
                os.replace(tmp_ids, path / self.IDS_FILE)
            finally:
                for tmp in (tmp_index, tmp_ids):
                    if os.path.exists(tmp):
                        os.unlink(tmp)

    @classmethod
    def load(cls, directory: str | os.PathLike) -> FaceIndex:
        faiss = _faiss()
        path = Path(directory)
        meta = json.loads((path / cls.IDS_FILE).read_text(encoding="utf-8"))
        if meta.get("format") != cls.FORMAT or meta.get("dim") != DIM:
            raise ValueError(f"unsupported face index in {path}: format {meta.get('format')}")
        index = cls(ivf_threshold=meta["ivf_threshold"], nlist=meta["nlist"], nprobe=meta["nprobe"])
        index._index = faiss.read_index(str(path / cls.INDEX_FILE))
        ivf = index._ivf()
        if ivf is not None:
            ivf.nprobe = index.nprobe
        index._next_label = int(meta["next_label"])
        for label, face_id in zip(meta["labels"], meta["ids"], strict=True):
            index._id_of[int(label)] = face_id
            index._label_of[face_id] = int(label)
        if index._index.ntotal != len(index._label_of):
            raise ValueError(
                f"face index in {path} is inconsistent: {index._index.ntotal} vectors, "
                f"{len(index._label_of)} ids"
            )
        return index
