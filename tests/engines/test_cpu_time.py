"""`indexer/cpu_time.py`: a call's CPU time, its helpers' included; waiting costs none."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from indexer.cpu_time import helped, spent, timed
from tests.cpu_work import busy


def test_waiting_costs_no_cpu_time_and_computing_does() -> None:
    _, waited = timed(time.sleep, 0.05)
    _, computed = timed(busy, 0.05)
    assert waited < 0.01 and computed >= 0.045


def test_a_helper_s_cpu_time_counts_for_the_thread_it_worked_for_only() -> None:
    started = spent()
    with ThreadPoolExecutor(1) as helper:
        _, seconds = helper.submit(timed, busy, 0.05).result()
    helped(seconds)
    assert seconds >= 0.045 and spent() - started >= seconds
    elsewhere: list[float] = []
    thread = threading.Thread(target=lambda: elsewhere.append(spent()))
    thread.start()
    thread.join()
    assert elsewhere[0] < 0.04  # another thread's account holds none of it
