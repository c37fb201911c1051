#!/usr/bin/env python3
"""Load for the failover drill (scripts/failover-drill.sh): citizens' online
submissions (POST /api/v1/petitions, no token) from several threads until a
stop file appears. Every acknowledged submission (201 with a petition
number) is appended to ACKED as "number<TAB>unix time" and flushed at once:
that file is what the drill checks against the new primary. Anything else
(an error status, a refused connection, a timeout) is counted as failed
and tried again with the next submission: the client keeps going through
the failover. One more thread logs in as the demo clerk and reads the
petition list twice a second. Prints a JSON summary at the end. Standard
library only.
"""

import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request

base, acked_path, stop_path = sys.argv[1], sys.argv[2], sys.argv[3]
workers = int(sys.argv[4]) if len(sys.argv) > 4 else 4
run = str(int(time.time()) % 100000)

lock = threading.Lock()
counter = [0]
acked = []  # (time, number)
failed = {}  # reason -> count
first_failure = [None]
acked_file = open(acked_path, "a", encoding="utf-8")


def title(i):
    # Unique per submission: a number given again after a loss (the
    # sequence rolled back with the lost commits) must not pass for the
    # acknowledged petition.
    return f"演练{run}第{i}号：拖欠工资"


def claim(i):
    return {
        "jurisdiction": "440304",
        "title": title(i),
        "request": f"要求支付拖欠工资（演练第{i}件）",
        "facts_and_reasons": f"信访人{i}反映所在公司自今年起拖欠工资，多次讨要未果，演练编号{run}-{i}。",
        "category": "claim",
        "topic": "0202",
        "petitioners": [{"name": f"信访人{i}", "phone": f"139{i:08d}", "address": "深圳市福田区"}],
    }


def worker():
    while not os.path.exists(stop_path):
        with lock:
            counter[0] += 1
            i = counter[0]
        body = json.dumps(claim(i)).encode()
        req = urllib.request.Request(
            base + "/api/v1/petitions", data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        reason = None
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                data = json.loads(resp.read())
                if resp.status == 201 and data.get("number"):
                    now = time.time()
                    with lock:
                        acked.append((now, data["number"]))
                        acked_file.write(f"{data['number']}\t{title(i)}\t{now:.3f}\n")
                        acked_file.flush()
                else:
                    reason = f"status {resp.status}"
        except urllib.error.HTTPError as e:
            reason = f"status {e.code}"
        except (urllib.error.URLError, OSError) as e:
            reason = type(getattr(e, "reason", e)).__name__
        if reason:
            with lock:
                failed[reason] = failed.get(reason, 0) + 1
                if first_failure[0] is None:
                    first_failure[0] = time.time()
            time.sleep(0.05)


lists = {"ok": 0, "failed": 0}


def lister():
    """A clerk reading the petition list twice a second (from the read
    replica while there is one): a list may lag, never fail."""
    token = None
    while not os.path.exists(stop_path):
        try:
            if token is None:
                req = urllib.request.Request(
                    base + "/api/v1/auth/login",
                    data=json.dumps({"username": "ft_clerk", "password": "Xinfang@2026"}).encode(),
                    method="POST",
                    headers={"Content-Type": "application/json"},
                )
                with urllib.request.urlopen(req, timeout=10) as resp:
                    token = json.loads(resp.read())["token"]
            req = urllib.request.Request(base + "/api/v1/petitions?per_page=20", headers={"Authorization": "Bearer " + token})
            with urllib.request.urlopen(req, timeout=10) as resp:
                json.loads(resp.read())
            lists["ok"] += 1
        except urllib.error.HTTPError as e:
            lists["failed"] += 1
            if e.code == 401:
                token = None
        except (urllib.error.URLError, OSError, KeyError, ValueError):
            lists["failed"] += 1
        time.sleep(0.5)


threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
threads.append(threading.Thread(target=lister, daemon=True))
started = time.time()
for t in threads:
    t.start()
for t in threads:
    t.join()
acked_file.close()

times = sorted(t for t, _ in acked)
gap, gap_from = 0.0, None
for a, b in zip(times, times[1:]):
    if b - a > gap:
        gap, gap_from = b - a, a
summary = {
    "acknowledged": len(acked),
    "failed": sum(failed.values()),
    "failed_by_reason": failed,
    "seconds": round(time.time() - started, 1),
    "longest_gap_seconds": round(gap, 2),
    "longest_gap_started": gap_from,
    "first_failure": first_failure[0],
    "lists_ok": lists["ok"],
    "lists_failed": lists["failed"],
}
print(json.dumps(summary, ensure_ascii=False))
