"""Whether the machine itself takes a core away: one real-time sleeper pinned to each core.

    .venv/bin/python -m bench.stall --seconds 120 --log var/bench/stalls.jsonl    # as root

Each sleeper runs at SCHED_FIFO priority on its own core and sleeps 1 ms at a time. Inside the
machine nothing runs before a real-time thread that is ready, so when one wakes more than
`--threshold-ms` late, its core was not running at all: the hypervisor gave it to someone else,
or interrupts were off. A request that was slow at the same moment waited for the machine, not
for the helpdesk. bench.dashboard starts this beside its long runs with `--stalls`.

Each late wake-up is appended to the log as {"at": epoch seconds, "cpu": n, "late_ms": ms}; at the
end a summary goes to standard output, with the steal time the kernel counted meanwhile.
"""

import argparse
import json
import multiprocessing
import os
import time


def sleeper(cpu, seconds, threshold, path):
    os.sched_setaffinity(0, {cpu})
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(50))
    end = time.monotonic() + seconds
    with open(path, "a") as log:
        while True:
            before = time.monotonic()
            if before > end:
                return
            time.sleep(0.001)
            late = (time.monotonic() - before - 0.001) * 1000
            if late > threshold:
                log.write(json.dumps({"at": round(time.time(), 4), "cpu": cpu, "late_ms": round(late, 1)}) + "\n")
                log.flush()


def stopped_during(began, finished, late):
    """How long (ms) the machine stopped a core between `began` and `finished` (epoch seconds), from
    the late wake-ups: each says its core did not run for `late_ms` before `at`. The most over the
    cores, since what waited ran on one core at a time."""
    stopped = {}
    for entry in late:
        overlap = min(finished, entry["at"]) - max(began, entry["at"] - entry["late_ms"] / 1000)
        if overlap > 0:
            stopped[entry["cpu"]] = stopped.get(entry["cpu"], 0) + overlap * 1000
    return max(stopped.values(), default=0)


def steal_ticks():
    with open("/proc/stat") as stat:
        return int(stat.readline().split()[8])


def watch(seconds, threshold, path):
    """Sleepers on every core for `seconds`; returns the late wake-ups and the steal time (ms)."""
    open(path, "a").close()
    start_lines = sum(1 for _ in open(path))
    steal = steal_ticks()
    workers = [
        multiprocessing.Process(target=sleeper, args=(cpu, seconds, threshold, path), daemon=True)
        for cpu in sorted(os.sched_getaffinity(0))
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    late = [json.loads(line) for line in list(open(path))[start_lines:]]
    return late, (steal_ticks() - steal) * 1000 // os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--threshold-ms", type=float, default=10)
    parser.add_argument("--log", default="var/bench/stalls.jsonl")
    args = parser.parse_args()
    os.makedirs(os.path.dirname(args.log) or ".", exist_ok=True)
    late, steal_ms = watch(args.seconds, args.threshold_ms, args.log)
    worst = sorted((entry["late_ms"] for entry in late), reverse=True)[:10]
    print(
        f"{len(late)} late wake-ups over {args.threshold_ms:g} ms in {args.seconds:g} s; worst {worst}; "
        f"steal {steal_ms} ms"
    )


if __name__ == "__main__":
    main()
