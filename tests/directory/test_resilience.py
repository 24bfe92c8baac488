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
