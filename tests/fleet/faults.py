"""One fault under load, measured: the load runs before, during and after the fault, and the
figures of each phase (requests, failures, P50 and P99 per kind) are printed as a table."""
import time

from load import Load


def fmt(ms):
    return "-" if ms is None else f"{ms:.0f}"


def table(title, phases):
    lines = [f"{title}", f"  {'phase':<8} {'kind':<7} {'requests':>8} {'failed':>6} {'p50 ms':>7} {'p99 ms':>7}"]
    for name, figures in phases:
        for kind, (n, failed, p50, p99) in figures.items():
            lines.append(f"  {name:<8} {kind:<7} {n:>8} {failed:>6} {fmt(p50):>7} {fmt(p99):>7}")
    return "\n".join(lines)


def run_fault(fleet, name, inject, recover, settle=5.0, during=6.0, after=4.0, workers=6):
    """Runs the load, calls inject() after `settle` s, waits `during` s, calls recover() (which
    returns once the fleet is whole again), lets the load run `after` s more, stops it and
    checks the store against what the clients saw. Returns (summary, phases, text)."""
    load = Load(fleet, workers=workers, run=name)
    load.setup()
    load.start()
    try:
        t_start = time.time()
        time.sleep(settle)
        t_fault = time.time()
        inject()
        time.sleep(during)
        recover()
        t_recovered = time.time()
        time.sleep(after)
        t_end = time.time()
    finally:
        load.stop()
    summary = load.check()
    phases = [("before", load.window(t_start, t_fault)),
              ("fault", load.window(t_fault, t_recovered)),
              ("after", load.window(t_recovered, t_end))]
    text = table(f"fault {name}: {t_recovered - t_fault:.1f} s from the fault to a whole fleet; "
                 f"{summary}", phases)
    print(text, flush=True)
    return summary, dict(phases), text
