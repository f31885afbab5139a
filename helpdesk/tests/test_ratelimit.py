import time_machine

from helpdesk import ratelimit


def test_allows_up_to_the_limit_then_refuses(db, monkeypatch):
    monkeypatch.setitem(ratelimit.LIMITS, "ticket_open", (3, 3600))
    with time_machine.travel("2026-11-23 10:00", tick=False):
        assert [ratelimit.allow("ticket_open", 7) for _ in range(4)] == [True, True, True, False]
        assert ratelimit.allow("ticket_open", 8) is True


def test_the_window_resets(db, monkeypatch):
    monkeypatch.setitem(ratelimit.LIMITS, "ticket_open", (1, 3600))
    with time_machine.travel("2026-11-23 10:00", tick=False):
        assert ratelimit.allow("ticket_open", 7)
        assert not ratelimit.allow("ticket_open", 7)
    with time_machine.travel("2026-11-23 11:00", tick=False):
        assert ratelimit.allow("ticket_open", 7)
