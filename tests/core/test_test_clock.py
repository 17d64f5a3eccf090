"""The suite's shifted clock (XIANJIE_TEST_NOW): `make test` runs the suite again on other dates."""

import datetime as dt
import subprocess

import time_machine
from django.utils import timezone

from ..conftest import TEST_NOW_ENV, shifted_now

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def test_session_runs_on_the_shifted_date(_shifted_clock):  # type: ignore[no-untyped-def]
    moment = shifted_now()
    assert _shifted_clock == moment
    if moment is None:
        # No shift asked for: the session-wide travel is not running.
        assert _shifted_clock is None
    else:
        # The clock ticks on from the moment (a run lasts minutes, the moments are hours from
        # midnight), so the local date is the shifted one.
        assert timezone.localdate() == timezone.localtime(moment).date()
        assert abs(timezone.now() - moment) < dt.timedelta(hours=1)


def test_a_test_freezing_its_own_time_nests_inside_the_shift(_shifted_clock):  # type: ignore[no-untyped-def]
    before = timezone.localdate()
    with time_machine.travel(dt.datetime(2020, 5, 5, 9, 0, tzinfo=SHANGHAI), tick=False):
        assert timezone.localdate() == dt.date(2020, 5, 5)
    # Back on the session's clock (shifted or real) afterwards.
    assert timezone.localdate() == before


def test_the_moment_is_read_in_the_app_time_zone_unless_it_has_an_offset(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv(TEST_NOW_ENV, "2029-01-01T00:30:00")
    # 00:30 in Shanghai on New Year's Day is still 31 December in UTC.
    assert shifted_now() == dt.datetime(2028, 12, 31, 16, 30, tzinfo=dt.UTC)
    monkeypatch.setenv(TEST_NOW_ENV, "2031-02-28T10:00:00+08:00")
    assert shifted_now() == dt.datetime(2031, 2, 28, 2, 0, tzinfo=dt.UTC)
    monkeypatch.setenv(TEST_NOW_ENV, " ")
    assert shifted_now() is None


def test_make_test_runs_the_suite_again_on_each_shifted_clock(monkeypatch, capsys):  # type: ignore[no-untyped-def]
    from config import stack

    calls = []

    def fake_run(cmd, *, cwd, env):  # type: ignore[no-untyped-def]
        calls.append((cmd, env[TEST_NOW_ENV]))
        return subprocess.CompletedProcess(cmd, 1 if env[TEST_NOW_ENV].startswith("2029") else 0)

    monkeypatch.setattr(stack.subprocess, "run", fake_run)
    assert stack.run_on_shifted_clocks() == 1
    moments = [moment for _, moment in calls]
    assert moments == list(stack.SHIFTED_CLOCKS)
    # The last day of a February, and New Year's night in Shanghai (31 December in UTC).
    assert [dt.datetime.fromisoformat(m).astimezone(dt.UTC).strftime("%m-%d") for m in moments] == [
        "02-28",
        "12-31",
    ]
    for cmd, _ in calls:
        # The browser tests are left out by exclusion; every other tests directory is in.
        assert "--ignore=tests/browser" in cmd and not any(a.startswith("tests/") for a in cmd)
    assert "FAILED on a shifted clock" in capsys.readouterr().out

    monkeypatch.setattr(
        stack.subprocess, "run", lambda cmd, **kw: subprocess.CompletedProcess(cmd, 0)
    )
    assert stack.run_on_shifted_clocks() == 0
