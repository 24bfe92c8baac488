"""`make run`'s processes: a job worker that dies is started again, and the rest keeps running."""
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request

from devtools.slapd import free_port

from faults.helpers import descendants
from support import ROOT


def _lines(process, out: queue.Queue):
    for line in process.stdout:
        out.put(line)


def _wait_for(out: queue.Queue, pattern: str, timeout: float = 60.0) -> re.Match:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            line = out.get(timeout=0.2)
        except queue.Empty:
            continue
        seen.append(line)
        match = re.search(pattern, line)
        if match:
            return match
    raise AssertionError(f"no line matching {pattern!r} within {timeout} s; saw:\n{''.join(seen[-30:])}")


def test_make_run_starts_a_dead_worker_again_and_keeps_serving(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SESAME_")}
    env.update(SESAME_INSTANCE=str(tmp_path / "instance"), SESAME_PORT=str(port), PYTHONUNBUFFERED="1")
    process = subprocess.Popen([sys.executable, "-m", "devtools.embedded"], cwd=ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    out: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(process, out), daemon=True).start()
    try:
        worker = int(_wait_for(out, r"job worker started \(pid (\d+)\)").group(1))
        _wait_for(out, r"Sésame is running")
        for pid in [worker] + descendants(worker):
            os.kill(pid, signal.SIGKILL)
        _wait_for(out, r"the job worker stopped unexpectedly .*starting it again", timeout=10)
        again = int(_wait_for(out, r"job worker started \(pid (\d+)\)", timeout=10).group(1))
        assert again != worker
        os.kill(again, 0)                      # the new one runs
        # « Sésame is running » is said once the web server accepts connections (devtools/embedded.py)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/connexion", timeout=10) as page:
            assert page.status == 200          # the web server, Redis and slapd kept running
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 0
    _wait_for(out, r"Sésame stopped", timeout=5)
