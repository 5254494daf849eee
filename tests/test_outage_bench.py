"""bench/outage_day.py: the pure parts (percentiles, the mix, rate steps, the write
accounting, reading forms and HAProxy's log), and a short smoke run of HAProxy in
front of two gunicorn hosts when HAProxy is installed."""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _module():
    spec = importlib.util.spec_from_file_location("outage_day", BENCH / "outage_day.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("outage_day", module)
    spec.loader.exec_module(module)
    return module


od = _module()


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))  # 1..100
    assert od.percentile(values, 50) == 50
    assert od.percentile(values, 99) == 99
    assert od.percentile(values, 100) == 100
    assert od.percentile([7.0], 99) == 7.0
    assert od.percentile([3, 1, 2], 50) == 2  # unsorted input
    assert od.percentile([], 50) is None


def test_mix_follows_its_weights_and_is_seeded():
    mix = od.Mix({"read": 90, "write": 10, "never": 0}, seed=3)
    picks = [mix.pick() for _ in range(5000)]
    assert "never" not in picks
    assert 0.07 < picks.count("write") / len(picks) < 0.13
    again = od.Mix({"read": 90, "write": 10, "never": 0}, seed=3)
    assert [again.pick() for _ in range(5000)] == picks
    assert mix.shares() == {"read": 0.9, "write": 0.1}
    with pytest.raises(ValueError, match="positive total"):
        od.Mix({"read": 0})


def test_the_outage_mix_has_every_kind_of_visit():
    assert set(od.MIX) == {"home", "status", "incident", "topic", "search", "member_read", "affected",
                           "new_topic", "reply"}
    assert all(callable(getattr(od.Load, name)) for name in [*od.MIX, "staff_update"])


def test_surge_rates_are_thirty_times_the_base_and_step_up():
    surge, steps = od.surge_rates(2.0, 30, [1.0, 0.5, 2.0])
    assert surge == 60.0
    assert steps == [30.0, 60.0, 120.0]


def _step(rate, p99, requests=1000, errors=0, scheduled=100, started=100):
    return {"rate": rate, "read_p99_ms": p99, "requests": requests, "errors": errors,
            "scheduled": scheduled, "started": started}


def test_a_step_is_held_only_under_the_read_limit_with_few_errors_and_a_client_that_kept_up():
    assert od.step_held(_step(10, 499.9))
    assert not od.step_held(_step(10, 500.0))
    assert not od.step_held(_step(10, None))
    assert not od.step_held(_step(10, 100, errors=11))  # over 1 %
    assert od.step_held(_step(10, 100, errors=10))
    assert not od.step_held(_step(10, 100, scheduled=100, started=80))


def test_highest_held_rate_stops_at_the_first_failed_step():
    steps = [_step(40, 600), _step(10, 100), _step(20, 300), _step(80, 200)]
    assert od.highest_held(steps) == 20  # 80 passing after 40 failed does not count
    assert od.highest_held([_step(10, 900)]) is None
    assert od.highest_held([]) is None


def test_accounting_matches_exactly_or_names_each_mismatch():
    ok = od.account({"reply": 3, "new_topic": 2}, {"reply": 3, "new_topic": 2}, mail_expected=3, mailed=3)
    assert ok["ok"]
    assert ok["problems"] == []
    lost = od.account({"reply": 3, "new_topic": 2}, {"reply": 2, "new_topic": 3}, mail_expected=2, mailed=1)
    assert not lost["ok"]
    assert lost["problems"] == ["new_topic: 2 accepted but 3 stored", "reply: 3 accepted but 2 stored",
                                "mail: 2 expected but 1 in the outbox"]
    assert not od.account({}, {"affected": 1}, 0, 0)["ok"]  # stored without an answer is a mismatch too


def test_summarise_counts_errors_per_route():
    samples = [("GET /", 200, 10.0), ("GET /", 200, 30.0), ("GET /", 502, 5.0), ("POST /x", 302, 40.0),
               ("POST /x", 0, 15.0), ("GET /t/<id>", 422, 1.0)]
    out = od.summarise(samples)
    assert out["GET /"] == {"requests": 3, "errors": 1, "busy": 0, "p50_ms": 10.0, "p99_ms": 30.0,
                            "error_statuses": {"502": 1}}
    assert out["POST /x"]["errors"] == 1
    assert out["POST /x"]["error_statuses"] == {"0": 1}
    assert out["GET /t/<id>"]["errors"] == 0  # a 422 is the form's answer, not a failure


def test_a_busy_search_is_counted_apart_not_as_an_error():
    out = od.summarise([("GET /search", od.BUSY, 3.0), ("GET /search", 200, 9.0), ("GET /search", 500, 9.0)])
    assert out["GET /search"]["busy"] == 1
    assert out["GET /search"]["errors"] == 1


def test_cpu_accounting_counts_live_processes_from_their_start():
    before = {1: 2.0, 2: 5.0, 3: 1.0}
    after = {1: 3.5, 2: 5.0, 4: 0.25}  # 3 died (missed), 4 was born
    assert od.cpu_used(before, after) == 1.75
    mine = od.cpu_seconds([os.getpid(), 999_999_999])
    assert list(mine) == [os.getpid()]
    assert mine[os.getpid()] > 0


def test_hidden_fields_reads_the_tokens_of_a_form():
    html = ('<form><input id="csrf_token" name="csrf_token" type="hidden" value="abc.def">'
            '<input name="submission_token" type="hidden" value="x&amp;y">'
            '<input name="title" type="text" value="not hidden">'
            '<input name="csrf_token" type="hidden" value="second"></form>')
    assert od.hidden_fields(html) == {"csrf_token": "abc.def", "submission_token": "x&y"}


def test_haproxy_log_lines_give_queue_time_and_hosts():
    lines = ["REQ 1000.005 0 0 12 13 200 hosts/host1 0 GET /\n", "noise\n",
             "REQ 1001.250 250 1 40 291 200 hosts/host2 1 GET /t/3\n",
             "REQ 1002.999 -1 -1 -1 10001 503 hosts/<NOSRV> +3 GET /\n"]
    log = od.HaproxyLog(lines)
    out = log.between(0, 2000)
    assert out["requests"] == 3
    assert out["queue_p99_ms"] == 250
    assert out["by_server"] == {"host1": 1, "host2": 1, "<NOSRV>": 1}
    assert log.between(1001, 1002)["by_server"] == {"host2": 1}  # by arrival time


# --- smoke: the building blocks against real processes -------------------------------

def _get(url: str):
    with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 - 127.0.0.1 only
        return resp.status, resp.read().decode()


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("haproxy"), reason="HAProxy is not installed")
def test_haproxy_routes_around_a_stopped_host(tmp_path):
    """HAProxy with the committed config, in front of two tiny gunicorn hosts (a WSGI
    app that answers with its own port): both hosts serve; with one stopped every
    request still gets a 200 from the other; the X-Request-Start header arrives."""
    app = tmp_path / "hostapp.py"
    app.write_text(
        "import os\n"
        "def app(environ, start_response):\n"
        "    body = (os.environ['HOST_NAME'] + ' ' + environ.get('HTTP_X_REQUEST_START', '')).encode()\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))])\n"
        "    return [body]\n")
    base = 5136  # this branch's range, clear of the bench's own 5130-5133
    procs = od.Processes()
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    try:
        for i, name in ((1, "host1"), (2, "host2")):
            procs.start(name, [gunicorn, "-w", "1", "-b", f"127.0.0.1:{base + i}", "--no-control-socket",
                               "--chdir", str(tmp_path), "hostapp:app"], {**os.environ, "HOST_NAME": name})
        env = {**os.environ, "FRONT_ADDR": f"127.0.0.1:{base}", "HOST1_ADDR": f"127.0.0.1:{base + 1}",
               "HOST2_ADDR": f"127.0.0.1:{base + 2}", "STATS_ADDR": f"127.0.0.1:{base + 3}", "HOST_MAXCONN": "4"}
        # The app has no /healthz: the health check sees 404, so the config must be told
        # otherwise; a copy with the check pointed at "/" keeps the rest as committed.
        cfg = tmp_path / "haproxy.cfg"
        cfg.write_text(od.HAPROXY_CFG.read_text().replace("GET /healthz", "GET /"))
        with open(tmp_path / "haproxy.log", "w") as out:
            procs.start("haproxy", [shutil.which("haproxy"), "-db", "-f", str(cfg)], env, stdout=out,
                        stderr=subprocess.STDOUT)
        assert od.wait_http(f"http://127.0.0.1:{base}/", 30)
        time.sleep(2.5)  # both marked up
        seen = {_get(f"http://127.0.0.1:{base}/")[1].split()[0] for _ in range(20)}
        assert seen == {"host1", "host2"}
        status, body = _get(f"http://127.0.0.1:{base}/")
        assert body.split()[1].startswith("t=")
        procs.stop("host2", sig=signal.SIGKILL)
        answers = [_get(f"http://127.0.0.1:{base}/") for _ in range(20)]
        assert all(status == 200 and body.startswith("host1") for status, body in answers)
        time.sleep(0.5)
        by_server = od.HaproxyLog.from_file(tmp_path / "haproxy.log").between(0, time.time() + 1)["by_server"]
        assert by_server["host1"] >= 30
        assert by_server["host2"] >= 1
    finally:
        procs.stop_all()
    assert all(p.poll() is not None for p in procs.procs.values())
