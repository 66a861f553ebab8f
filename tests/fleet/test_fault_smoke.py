"""The smoke form of the fault matrix (tests/fleet/fault_matrix.py), in the default run: under a
mixed load through HAProxy, one commerce-server instance is SIGKILLed and later restarted. No
acknowledged order is lost or doubled, nothing is oversold, carts hold exactly what their
clients saw acknowledged, HAProxy routes around the dead instance and back to it without a
manual step, and the fleet answers throughout."""
from faults import fleet_failures, run_fault
from fleet import Fleet

ALL = {"server-1", "server-2", "server-3"}


def test_a_server_instance_killed_under_load():
    fleet = Fleet(products=200)
    try:
        fleet.wait_backends(ALL)

        def inject():
            fleet.kill("server-2")
            fleet.wait_backends(ALL - {"server-2"}, timeout=10)   # ~1 s: 2 checks 500 ms apart

        def recover():
            fleet.start("server-2")
            fleet.wait_backends(ALL, timeout=30)

        summary, phases, _ = run_fault(fleet, "kill-server", inject, recover)
        assert summary["acked"] > 0
        # Served throughout: orders and searches went through during the fault...
        for kind in ("order", "search"):
            f = phases["fault"][kind]
            assert f["requests"] - f["failed"] > 0, (kind, phases["fault"])
        # ...and once the fleet is whole, nothing fails but the engine's contention answers
        # (503 after its serialization retries, which clients retry; seen without faults too).
        assert not fleet_failures(phases["after"]), (phases["after"], summary["messages"])
    finally:
        fleet.stop()
    fleet.remove()
