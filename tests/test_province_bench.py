"""Issue 9: the province bench's generator (bench/province_fill.py) writes rows the application accepts.

Fills 2,000 episodes of one city into the test database the way ``bench/province.py`` fills a province
(secondary indexes and foreign keys dropped, COPY, then put back — which validates every reference and unique
index), then checks the invariants the services keep and that the pages render. PostgreSQL only (COPY).
"""

import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.skipif("postgresql" not in settings.DATABASES["default"]["ENGINE"],
                                reason="the bench fills PostgreSQL with COPY")

#: Each query counts rows that break an invariant the services keep; all must be 0.
INVARIANTS = {
    "status is the last transition's": """
        SELECT count(*) FROM people_episode e JOIN LATERAL (SELECT to_status FROM people_episodetransition t
          WHERE t.episode_id = e.id ORDER BY at DESC, id DESC LIMIT 1) l ON true WHERE l.to_status <> e.status""",
    "admitted_at is the admission's time": """
        SELECT count(*) FROM people_episode e WHERE admitted_at IS DISTINCT FROM (SELECT min(at)
          FROM people_episodetransition t WHERE t.episode_id = e.id AND to_status IN ('admitted', 'in_hospital'))""",
    "in the station means an open bed": """
        SELECT count(*) FROM people_episode e WHERE (status = 'in_station') <> EXISTS (SELECT 1 FROM stay_bedassignment b
          WHERE b.episode_id = e.id AND b.released_at IS NULL)""",
    "in hospital / outside care means an open placement of that kind": """
        SELECT count(*) FROM people_episode e WHERE (status IN ('in_hospital', 'outside_care')) <> EXISTS (
          SELECT 1 FROM stay_placement p WHERE p.episode_id = e.id AND p.ended_at IS NULL
          AND p.kind = CASE e.status WHEN 'in_hospital' THEN 'hospital' ELSE 'outside_care' END)""",
    "left means a departure at left_at": """
        SELECT count(*) FROM people_episode e WHERE (status = 'left') <> EXISTS (SELECT 1 FROM leaving_departure d
          WHERE d.episode_id = e.id AND d.left_at = e.left_at)""",
    "refused / terminated means a notice": """
        SELECT count(*) FROM people_episode e WHERE (status IN ('refused', 'terminated')) <> EXISTS (
          SELECT 1 FROM intake_notice n WHERE n.episode_id = e.id)""",
    "a person's episodes do not overlap": """
        SELECT count(*) FROM people_episode a JOIN people_episode b ON a.person_id = b.person_id AND a.id < b.id
          AND b.requested_at < coalesce(a.left_at, CASE WHEN a.status = 'refused' THEN a.updated_at END, 'infinity')
          AND a.requested_at < coalesce(b.left_at, CASE WHEN b.status = 'refused' THEN b.updated_at END, 'infinity')""",
    "the current station is the latest episode's": """
        SELECT count(*) FROM people_person p JOIN LATERAL (SELECT station_id FROM people_episode e
          WHERE e.person_id = p.id ORDER BY requested_at DESC LIMIT 1) l ON true WHERE l.station_id <> p.current_station_id""",
    "every episode's station holds the file": """
        SELECT count(*) FROM people_episode e WHERE NOT EXISTS (SELECT 1 FROM people_personstation s
          WHERE s.person_id = e.person_id AND s.station_id = e.station_id)""",
    "nothing happens after now": """
        SELECT (SELECT count(*) FROM people_episodetransition WHERE at > now())
             + (SELECT count(*) FROM core_auditentry WHERE at > now())
             + (SELECT count(*) FROM people_episode WHERE updated_at > now())""",
    "an identified file has a real name": """
        SELECT count(*) FROM people_person WHERE (identity_status = 'identified') = name_is_provisional""",
}


@pytest.mark.django_db
def test_e4_province_bench_rows_keep_the_invariants_and_the_pages_render(client):
    from django.utils import timezone

    from bench.province_fill import Filler, big_tables, build_world, drop_secondary, finish, prepare, restore
    from core.crypto import decrypt_id, hash_id, mask_id
    from core.models import AuditEntry, User
    from people.models import Episode, Person

    world = build_world(cities=("441800",))
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending trigger events before ALTER TABLE
        drop_secondary(cursor, big_tables())
        prepare(cursor)
    stats = Filler(world, connection=connection, now=timezone.now(), chunk=1000).fill(2000)
    with connection.cursor() as cursor:
        finish(cursor)
        restore(cursor)  # unique indexes and foreign keys come back: every row passes them
        broken = {}
        for name, sql in INVARIANTS.items():
            cursor.execute(sql)
            broken[name] = cursor.fetchone()[0]
    assert broken == dict.fromkeys(INVARIANTS, 0)
    assert stats.episodes == Episode.objects.count() == 2000
    assert Episode.objects.filter(status__in=["in_station", "in_hospital", "outside_care", "left"]).exists()
    assert AuditEntry.objects.filter(action="read").exists() and AuditEntry.objects.filter(action="transition").exists()
    # ID numbers decrypt, hash and mask like the services' (core.crypto), and agree with the birth date
    person = Person.objects.exclude(id_number_enc="").first()
    number = decrypt_id(person.id_number_enc)
    assert hash_id(number) == person.id_number_hash and mask_id(number) == person.id_number_masked
    assert number[6:14] == f"{person.birth_date:%Y%m%d}"

    episode = Episode.objects.filter(station__code="QYZ").order_by("-id").first()
    pages = {"jiedai": ["/", "/people/", "/people/?q=zhang", "/stay/", "/intake/", "/leaving/",
                        f"/people/{episode.person.uuid}/", f"/people/episodes/{episode.uuid}/"],
             "jianguan": ["/people/", f"/people/{episode.person.uuid}/"],
             "sheng_shenji": [f"/manage/audit/?person={episode.person.uuid}", "/manage/audit/?actor=jiedai"]}
    for username, urls in pages.items():
        client.force_login(User.objects.get(username=username))
        for url in urls:
            assert client.get(url).status_code == 200, (username, url)
