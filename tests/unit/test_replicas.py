"""Comparing contextCSNs: whether a replica holds every change up to a mark."""
from directory.replicas import has_reached

EARLY = "20261201100000.000001Z#000000#000#000000"
LATE = "20261201100000.000002Z#000000#000#000000"
OTHER_SERVER = "20261201090000.000000Z#000000#001#000000"


def test_a_replica_has_reached_a_mark_it_equals_or_passes():
    assert has_reached(EARLY, EARLY)
    assert has_reached(LATE, EARLY)
    assert not has_reached(EARLY, LATE)


def test_no_mark_is_always_reached_and_an_empty_replica_reaches_none():
    assert has_reached("", None) and has_reached(None, "")
    assert not has_reached("", EARLY)
    assert not has_reached(None, EARLY)


def test_each_server_of_a_mark_is_compared_with_the_same_servers_csn():
    assert has_reached(f"{LATE} {OTHER_SERVER}", f"{OTHER_SERVER} {EARLY}")
    assert not has_reached(LATE, f"{EARLY} {OTHER_SERVER}")      # the other server's changes are missing


def test_a_consumers_lag_is_the_time_between_the_providers_last_change_and_its_own():
    from webapp.gauges import replica_lag
    provider = "20261201101510.250000Z#000000#000#000000"
    assert replica_lag(provider, "20261201101500.000000Z#000000#000#000000") == 10.25
    assert replica_lag(provider, provider) == 0.0
    assert replica_lag(provider, "20261201101520.000000Z#000000#000#000000") == 0.0      # ahead: caught up
    assert replica_lag(provider, "") > 0, "a consumer that has nothing yet is behind"
