"""One fault under load, measured: the load runs before, during and after the fault, and the
figures of each phase (requests, failures, P50 and P99 per kind) are printed as a table."""
import time

from load import Load


def fmt(ms):
    return "-" if ms is None else f"{ms:.0f}"


def table(title, phases):
    lines = [f"{title}", f"  {'phase':<8} {'kind':<7} {'requests':>8} {'failed':>6} {'p50 ms':>7} {'p99 ms':>7}  why failed"]
    for name, figures in phases:
        for kind, f in figures.items():
            why = ", ".join(f"{k} {v}" for k, v in sorted(f["failures"].items()))
            lines.append(f"  {name:<8} {kind:<7} {f['requests']:>8} {f['failed']:>6} "
                         f"{fmt(f['p50_ms']):>7} {fmt(f['p99_ms']):>7}  {why}")
    return "\n".join(lines)


def fleet_failures(figures):
    """Failures of the fleet in a phase: every failure but the engine's own contention answer
    (docs/scaling.md: it happens without any fault, and the client retries)."""
    return {kind: {k: v for k, v in f["failures"].items() if k != "contention"}
            for kind, f in figures.items() if any(k != "contention" for k in f["failures"])}


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
