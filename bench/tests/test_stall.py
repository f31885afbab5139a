"""bench.stall: how long the machine stopped a core while a request ran, from the sleepers' late wake-ups."""

from bench.stall import stopped_during


def late(at, cpu, ms):
    return {"at": at, "cpu": cpu, "late_ms": ms}


def test_a_stop_inside_the_request_counts_whole():
    assert round(stopped_during(100.0, 100.2, [late(100.15, 0, 100)]), 1) == 100.0


def test_only_the_part_of_a_stop_within_the_request_counts():
    # The core stopped from 99.95 to 100.05; the request began at 100.0.
    assert round(stopped_during(100.0, 100.2, [late(100.05, 1, 100)]), 1) == 50.0


def test_stops_before_or_after_the_request_do_not_count():
    assert stopped_during(100.0, 100.1, [late(99.99, 0, 50), late(100.3, 0, 50)]) == 0


def test_stops_add_up_per_core_and_the_most_stopped_core_is_the_answer():
    stops = [late(100.03, 0, 20), late(100.08, 0, 30), late(100.05, 1, 40)]
    assert round(stopped_during(100.0, 100.1, stops), 1) == 50.0
