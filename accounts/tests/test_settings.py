import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from helpdesk.env import env_bool, env_int, env_list, env_url


def test_env_bool_parses_and_refuses(monkeypatch):
    monkeypatch.setenv("X_FLAG", "yes")
    assert env_bool("X_FLAG") is True
    monkeypatch.setenv("X_FLAG", "0")
    assert env_bool("X_FLAG", True) is False
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        env_bool("X_FLAG")


def test_env_int_refuses_words_and_small_values(monkeypatch):
    monkeypatch.setenv("X_NUM", "12")
    assert env_int("X_NUM") == 12
    monkeypatch.setenv("X_NUM", "twelve")
    with pytest.raises(ImproperlyConfigured, match="integer"):
        env_int("X_NUM")
    monkeypatch.setenv("X_NUM", "-1")
    with pytest.raises(ImproperlyConfigured, match="at least 0"):
        env_int("X_NUM", minimum=0)


def test_env_list_and_url(monkeypatch):
    monkeypatch.setenv("X_HOSTS", "a.example, b.example,")
    assert env_list("X_HOSTS") == ["a.example", "b.example"]
    monkeypatch.setenv("X_URL", "https://help.example.com/")
    assert env_url("X_URL") == "https://help.example.com"
    monkeypatch.setenv("X_URL", "help.example.com")
    with pytest.raises(ImproperlyConfigured, match="X_URL"):
        env_url("X_URL")


def _check(**env):
    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "TIME_ZONE", "LANGUAGE_CODE"}}
    return subprocess.run(
        [sys.executable, "manage.py", "check"], env={**base, **env}, capture_output=True, text=True, timeout=60
    )


def test_production_profile_requires_secret_key():
    result = _check(DEBUG="0", ALLOWED_HOSTS="help.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_bad_time_zone_and_language_fail_at_start():
    assert "TIME_ZONE is not a known time zone" in _check(TIME_ZONE="Mars/Olympus").stderr
    assert "LANGUAGE_CODE must be one of" in _check(LANGUAGE_CODE="klingon").stderr


def test_redis_url_switches_celery_off_eager():
    from django.conf import settings

    assert settings.CELERY_TASK_ALWAYS_EAGER is (not settings.REDIS_URL)
