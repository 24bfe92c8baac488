"""The pieces of a job's letters kept in Redis: sealed, given back in order, refused when one is missing
or when, end to end, they would not keep the letters' order (the letters are then printed whole)."""
from __future__ import annotations

import secrets

import pytest
from redis import Redis

from directory.passwords import Sealer
from support import SEAL_KEY
from webapp.jobs.chunks import Chunks
from webapp.account_jobs.pieces import end_to_end, in_order


def _item(class_code: str, name: str) -> list:
    return [class_code, name, name.title(), "Zoé", f"{name}.zoe", "PT4HUMM2", "Seconde 1", "", "", None]


@pytest.fixture()
def chunks(redis_server):
    redis = Redis.from_url(redis_server.url)
    job = Chunks(redis, "pieces-" + secrets.token_hex(4), total=6, size=3, hold=5, sealer=Sealer(SEAL_KEY))
    yield job, redis
    job.clear()


def test_pieces_come_back_in_chunk_order_and_sealed(chunks):
    job, redis = chunks
    job.keep_printed(1, [([_item("201", "martin")], b"%PDF-three"), ([], None)])
    job.keep_printed(0, [([_item("201", "bernard")], b"%PDF-one"), ([_item("201", "durand")], b"%PDF-two")])
    stored = redis.hgetall(f"sesame:job:{job.job_id}:pdfs")
    assert len(stored) == 3 and not any(b"%PDF" in value for value in stored.values()), "kept sealed"
    pieces = job.printed(job.parts())
    assert [pdf for _, pdf in pieces] == [b"%PDF-one", b"%PDF-two", b"%PDF-three", None]
    assert in_order(pieces)


def test_a_lost_piece_or_a_chunk_kept_whole_means_no_pieces(chunks):
    job, redis = chunks
    job.keep_printed(0, [([_item("201", "bernard")], b"%PDF-one")])
    job.keep_part(1, [_item("201", "martin")])          # a chunk taken up again after a crash: kept whole
    assert job.printed(job.parts()) is None
    job.keep_printed(1, [([_item("201", "martin")], b"%PDF-two")])
    assert job.printed(job.parts()) is not None
    redis.hdel(f"sesame:job:{job.job_id}:pdfs", "1:0")   # Redis lost it
    assert job.printed(job.parts()) is None


def test_pieces_out_of_the_letters_order_are_not_put_end_to_end():
    first = ([_item("201", "bernard"), _item("201", "martin")], b"1")
    second = ([_item("201", "durand")], b"2")                    # begins before the first ended
    third = ([_item("202", "adam")], b"3")
    assert not in_order([first, second])
    assert in_order([first, ([], None), third])
    assert in_order([([_item("201", "bernard")], b"1"), ([_item("201", "bernard")], b"2")]), "ties keep their order"


def test_pieces_are_put_end_to_end_only_printed_and_in_whole_sheets():
    four = ([_item("201", n) for n in ("adam", "bernard", "claude", "dupont")], b"1")
    three = ([_item("202", n) for n in ("emile", "faure", "garnier")], b"2")
    last = ([_item("203", "hugo")], b"3")
    assert end_to_end([four, three, last], per_sheet=1)
    assert not end_to_end([four, three, last], per_sheet=4), "three letters would leave a place empty mid-document"
    assert end_to_end([four, ([], None), last], per_sheet=4), "the last piece may end a sheet early"
    assert not end_to_end([four, (three[0], None), last], per_sheet=1), "a piece that could not be printed"
    assert not end_to_end([([], None)], per_sheet=1), "no letter at all: printed whole (an empty document)"
