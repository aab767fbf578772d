"""The bridge between the database and the Django-free engine (guitu_match), rules T7 and I4.

- People (their file, photos) and missing-person reports become ``guitu_match.records.Record``s with
  keys ``p:<person uuid>`` and ``r:<report uuid>``.
- The trained model lives in ``<GUITU_MATCH_DIR or VAR_DIR/matching>/model.json``. Without one, the
  engine trains on the current data (``model.train_default_if_small``: the engine's priors while the
  data is small — that priors model is kept in memory only, so a tiny data set never freezes it).
- Three online indexes: people in care (for reports, rule T7), open reports and all files (for a
  person, rules T7 and I4). Each is rebuilt in memory when its data changes (a cheap fingerprint
  query), and saved to disk by ``manage.py match_rebuild`` and the nightly task so a restarted
  process starts warm.
- Rejected and confirmed pairs are never proposed again (``DbDecisionStore``, guitu_match.review).

This module only reads and scores; candidates are written by ``matching.services``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import Count, Exists, Max, OuterRef, QuerySet, Sum

from core.crypto import decrypt_id
from people.models import Episode, Person, PersonPhoto, PhotoKind
from people.states import IN_CARE

log = logging.getLogger(__name__)

_lock = threading.RLock()
_model = None
_indexes: dict[str, tuple[str, object]] = {}
#: Splink's scoring SQL per model (by parameters): generating it costs ~1 s, and it depends only on
#: the model, so every index of the same model reuses it. Kept across reset_cache().
_scoring_sql: dict[str, str] = {}


def engine_dir() -> Path:
    path = Path(getattr(settings, "GUITU_MATCH_DIR", None) or Path(settings.VAR_DIR) / "matching")
    path.mkdir(parents=True, exist_ok=True)
    return path


def faces_enabled() -> bool:
    return bool(getattr(settings, "GUITU_MATCH_FACES", True))


def reset_cache() -> None:
    """Forget the model and indexes held in memory (tests, after match_rebuild)."""
    global _model
    with _lock:
        _model = None
        _indexes.clear()


# --- records ----------------------------------------------------------------------------------

def person_key(person) -> str:
    return f"p:{person.uuid}"


def report_key(report) -> str:
    return f"r:{report.uuid}"


def _aliases(text: str) -> list[str]:
    return [a.strip() for a in (text or "").replace("；", ";").replace("，", ";").split(";") if a.strip()]


def _face_vector_for_person(person: Person) -> list[float] | None:
    """The newest portrait photo's embedding (computed once and cached in PhotoFace)."""
    if not faces_enabled():
        return None
    from guitu_match import faces
    from matching.models import PhotoFace

    photo = (PersonPhoto.objects.filter(person=person, kind=PhotoKind.PORTRAIT)
             .order_by("-taken_on", "-created_at").first())
    if photo is None:
        return None
    cached = PhotoFace.objects.filter(photo=photo).first()
    if cached is None:
        vector, note = None, ""
        try:
            with photo.image.open("rb") as handle:
                vector = faces.embed_photo(handle, largest=True).to_bytes()
        except faces.FaceError as exc:
            note = exc.message
        except (OSError, ValueError) as exc:
            note = f"照片无法读取：{exc}"[:200]
        cached = PhotoFace.objects.create(photo=photo, vector=vector, note=note[:200])
    if not cached.vector:
        return None
    return faces.vector_from_bytes(bytes(cached.vector)).tolist()


def _face_vector_for_report(report) -> list[float] | None:
    if not faces_enabled():
        return None
    from guitu_match import faces

    photo = report.photos.exclude(face_vector=None).order_by("-id").first()
    if photo is None or not photo.face_vector:
        return None
    return faces.vector_from_bytes(bytes(photo.face_vector)).tolist()


def _written_id(record) -> str | None:
    """The valid ID number, else one kept as said that failed its check (core.idnumbers): the engine compares the
    latter only at 身份证号码只差一位 and never as an ID number (guitu_match.idcard.written_form)."""
    return decrypt_id(record.id_number_enc) or decrypt_id(record.id_number_unchecked_enc) or None


def person_record(person: Person):
    """A person's file as an engine record (source ``file``)."""
    from guitu_match.records import Record

    birth_year = person.birth_date.year if person.birth_date else person.birth_year_est
    by_min = by_max = None
    if person.birth_date:
        by_min = by_max = birth_year  # documented: no uncertainty (a bare stated year gets the engine's slack)
    elif person.age_min is not None and person.age_max is not None and person.created_at:
        # An estimated age range (as of the file's creation): the birth year lies within it.
        by_min, by_max = person.created_at.year - person.age_max, person.created_at.year - person.age_min
    name = "" if person.name_is_provisional else person.name
    return Record(
        id=person_key(person), source="file", name=name or None, aliases=_aliases(person.aliases),
        sex=person.sex or None, birth_year=birth_year, birth_year_min=by_min, birth_year_max=by_max,
        id_number=_written_id(person), hukou_text=person.hukou_text or None,
        division_code=person.hukou_division.code[:6] if person.hukou_division_id else None,
        dialect=person.dialect or None, height_cm=person.height_cm, marks=person.marks or None,
        face_embedding=_face_vector_for_person(person),
    )


def report_record(report):
    """A missing-person report as an engine record (source ``report``)."""
    from guitu_match.records import Record

    by_min = by_max = None
    birth_year = report.est_birth_year
    if not birth_year and report.age_min is not None and report.age_max is not None:
        year = (report.last_seen_on or report.reported_at.date()).year
        by_min, by_max = year - report.age_max, year - report.age_min
    return Record(
        id=report_key(report), source="report", name=report.name or None, aliases=_aliases(report.aliases),
        sex=report.sex or None, birth_year=birth_year, birth_year_min=by_min, birth_year_max=by_max,
        id_number=_written_id(report), hukou_text=report.hukou_text or None,
        division_code=report.hukou_division.code[:6] if report.hukou_division_id else None,
        dialect=report.dialect or None, height_cm=report.height_cm, marks=report.marks or None,
        face_embedding=_face_vector_for_report(report),
    )


# --- the sides --------------------------------------------------------------------------------

def people_in_care() -> QuerySet[Person]:
    """Everyone currently in care at any station (rule T7: 'compared with every person currently in care')."""
    open_episode = Episode.objects.filter(person=OuterRef("pk"), status__in=list(IN_CARE))
    return Person.objects.filter(Exists(open_episode), merged_into__isnull=True)


def open_reports():
    from matching.models import MissingReport, ReportStatus

    return MissingReport.objects.filter(status=ReportStatus.OPEN)


def all_files() -> QuerySet[Person]:
    """Every file that is not merged into another (rule I4: compare against the system's records)."""
    return Person.objects.filter(merged_into__isnull=True)


@dataclass(frozen=True)
class Side:
    name: str
    queryset: Callable[[], QuerySet]
    to_record: Callable
    select: tuple[str, ...]


#: The candidates found in one side share the probability (guitu_match.model.final_sql: at most one
#: record per person) — except in "files", which holds every earlier file of a person on purpose (I4).
SIDES = {
    "in_care": Side("in_care", people_in_care, person_record, ("hukou_division",)),
    "reports": Side("reports", open_reports, report_record, ("hukou_division",)),
    "files": Side("files", all_files, person_record, ("hukou_division",)),
}


def _fingerprint(qs: QuerySet) -> str:
    agg = qs.order_by().aggregate(n=Count("pk"), last=Max("updated_at"), top=Max("pk"), total=Sum("pk"))
    return hashlib.sha1(json.dumps(agg, default=str, sort_keys=True).encode()).hexdigest()


def side_records(side: Side) -> list:
    return [side.to_record(obj) for obj in side.queryset().select_related(*side.select).iterator(chunk_size=2000)]


# --- model and indexes ------------------------------------------------------------------------

def get_model():
    """The trained model: loaded from disk, or trained on the current data with the engine's priors."""
    global _model
    from guitu_match import model as mm

    with _lock:
        if _model is not None:
            return _model
        path = engine_dir() / "model.json"
        if path.exists():
            try:
                _model = mm.MatchModel.load(path)
                return _model
            except (ValueError, KeyError, OSError) as exc:
                log.warning("model %s unreadable, retraining: %s", path, exc)
        _model = train_model(save=True)
        return _model


def train_model(*, save: bool):
    """Train on people in care × open reports (or the files alone); saved only when really trained."""
    from guitu_match import model as mm

    left = mm.prepare_table(side_records(SIDES["in_care"]))
    reports = side_records(SIDES["reports"])
    if reports:
        model = mm.train_default_if_small(left, mm.prepare_table(reports))
    else:
        model = mm.train_default_if_small(mm.prepare_table(side_records(SIDES["files"])))
    if save and model.meta.get("trained"):
        model.save(engine_dir() / "model.json")
    return model


def get_index(name: str):
    """The online index of one side, rebuilt when its data changed since it was built."""
    from guitu_match.index import MatchIndex

    side = SIDES[name]
    version = _fingerprint(side.queryset())
    with _lock:
        cached = _indexes.get(name)
        if cached and cached[0] == version:
            return cached[1]
        model = get_model()
        directory = engine_dir() / name
        stamp = directory / "version.txt"
        index = None
        if stamp.exists() and stamp.read_text() == version:
            try:
                index = MatchIndex.load(directory)
                index.model = model
            except Exception as exc:  # a damaged or old index: rebuild
                log.warning("index %s unreadable: %s", directory, exc)
                index = None
        if index is None:
            records = side_records(side)
            index = MatchIndex.build(records, model=model) if records else None
        if index is not None:
            index.compete = name != "files"
            _share_scoring_sql(index)
        _indexes[name] = (version, index)
        return index


def _share_scoring_sql(index) -> None:
    key = hashlib.sha1(json.dumps(index.model.params, sort_keys=True, default=str).encode()).hexdigest()
    sql = _scoring_sql.get(key)
    if sql is None:
        sql = index._capture_scoring_sql()
        if sql:
            _scoring_sql[key] = sql
    if sql:
        index._scoring_sql, index._scoring_sql_tried = sql, True


def rebuild(*, retrain: bool = True) -> dict:
    """Retrain the model and rebuild and save every index (manage.py match_rebuild, nightly)."""
    global _model
    from guitu_match.index import MatchIndex

    with _lock:
        reset_cache()
        if retrain:
            path = engine_dir() / "model.json"
            model = train_model(save=True)
            if not model.meta.get("trained") and path.exists():
                path.unlink()  # too little data: priors, not a stale model
            _model = model
        model = get_model()
        summary = {"trained": bool(model.meta.get("trained")), "threshold": model.threshold}
        for name, side in SIDES.items():
            version = _fingerprint(side.queryset())
            records = side_records(side)
            directory = engine_dir() / name
            if records:
                index = MatchIndex.build(records, model=model)
                index.compete = name != "files"
                _share_scoring_sql(index)
                index.save(directory)
                (directory / "version.txt").write_text(version)
            else:
                index = None
            _indexes[name] = (version, index)
            summary[name] = len(records)
        return summary


# --- decisions --------------------------------------------------------------------------------

def pair(a: str, b: str) -> tuple[str, str]:
    from guitu_match.review import pair_key

    return pair_key(a, b)


class DbDecisionStore:
    """guitu_match.review.DecisionStore over MatchDecision rows."""

    def get(self, left_id: str, right_id: str):
        from guitu_match.review import Decision
        from matching.models import MatchDecision

        left, right = pair(left_id, right_id)
        row = MatchDecision.objects.filter(left_key=left, right_key=right).first()
        if row is None:
            return None
        return Decision(left, right, row.decision, by=str(row.decided_by), at=row.updated_at, note=row.note)

    def put(self, decision) -> None:  # decisions are written by matching.services (with audit)
        raise NotImplementedError("请通过 matching.services.candidate_decide 记录审核结论")

    def decided_ids(self, record_id: str) -> set[str]:
        from guitu_match.review import CONFIRMED, REJECTED
        from matching.models import MatchDecision

        rows = MatchDecision.objects.filter(decision__in=[CONFIRMED, REJECTED])
        out = set(rows.filter(left_key=record_id).values_list("right_key", flat=True))
        out |= set(rows.filter(right_key=record_id).values_list("left_key", flat=True))
        return out


def query(index_name: str, record, *, k: int = 20, exclude: Iterable[str] = ()) -> list:
    """Candidates above the model's threshold for ``record`` against one side, decided pairs left out."""
    index = get_index(index_name)
    if index is None:
        return []
    skip = set(exclude)
    found = index.query(record, k=k + len(skip), min_probability=index.model.threshold, store=DbDecisionStore())
    return [c for c in found if c.record_id not in skip][:k]


def closest(index_name: str, record, *, k: int = 10, exclude: Iterable[str] = ()) -> list:
    """The k best-scoring records whatever their probability (the "closest matches" below the threshold),
    decided pairs left out: a caseworker is never left with "0 candidates"."""
    index = get_index(index_name)
    if index is None:
        return []
    skip = set(exclude)
    found = index.query(record, k=k + len(skip), min_probability=0.0, store=DbDecisionStore())
    return [c for c in found if c.record_id not in skip][:k]


def face_similarity(a: list[float] | None, b: list[float] | None) -> float | None:
    if a is None or b is None:
        return None
    from guitu_match import faces

    return round(float(faces.face_similarity(a, b)), 3)
