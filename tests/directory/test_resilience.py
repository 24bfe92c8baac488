"""When slapd stops, the directory says so; when it comes back, the same pool recovers."""
import pytest

from directory.errors import DirectoryUnavailable


def test_pool_recovers_after_slapd_restarts(demo_directory, slapd):
    assert demo_directory.ping()
    slapd.restart()
    assert demo_directory.ping()


def test_unavailable_while_stopped_then_back(demo_directory, slapd):
    slapd.stop()
    try:
        with pytest.raises(DirectoryUnavailable):
            demo_directory.ping()
    finally:
        slapd.start()
    assert demo_directory.establishment("0990001N").uai == "0990001N"


def test_every_idle_connection_is_renewed_after_a_restart(demo_directory, slapd):
    import threading
    barrier = threading.Barrier(4)

    def hold():
        def wait(conn):
            barrier.wait(5)   # four connections in use at once, then all four go back idle
        demo_directory.reads.run(wait)
    threads = [threading.Thread(target=hold) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    slapd.restart()
    for _ in range(4):
        assert demo_directory.ping()
