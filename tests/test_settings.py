"""Settings: CLI flag > environment > config file > default, and bad values refused in one line."""
from __future__ import annotations

import pytest

from computewatch import settings
from crawl_helpers import run_cli


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for key in list(__import__("os").environ):
        if key.startswith("COMPUTEWATCH_"):
            monkeypatch.delenv(key)
    config = tmp_path / "config.toml"
    monkeypatch.setenv("COMPUTEWATCH_CONFIG", str(config))
    monkeypatch.setenv("COMPUTEWATCH_HOME", str(tmp_path / "home"))
    return config


def test_precedence_cli_over_env_over_file_over_default(clean_env, monkeypatch):
    assert settings.load().download_delay == 1.0                      # default
    clean_env.write_text('download_delay = 2.5\nautothrottle = false\ndb = "sqlite:///f.db"\n')
    conf = settings.load()
    assert (conf.download_delay, conf.autothrottle, conf.db) == (2.5, False, "sqlite:///f.db")
    monkeypatch.setenv("COMPUTEWATCH_DB", "sqlite:///env.db")
    monkeypatch.setenv("COMPUTEWATCH_AUTOTHROTTLE", "yes")
    conf = settings.load()
    assert (conf.db, conf.autothrottle, conf.download_delay) == ("sqlite:///env.db", True, 2.5)
    assert settings.load(db="sqlite:///cli.db").db == "sqlite:///cli.db"


def test_default_database_is_the_sqlite_file_in_the_data_home(clean_env, tmp_path):
    assert settings.load().db == f"sqlite:///{tmp_path / 'home' / 'computewatch.db'}"


@pytest.mark.parametrize("env, message", [
    ({"COMPUTEWATCH_DOWNLOAD_DELAY": "-1"}, "download_delay: must be 0 or more"),
    ({"COMPUTEWATCH_FETCH_TIMEOUT": "0"}, "fetch_timeout: must be greater than 0"),
    ({"COMPUTEWATCH_CONCURRENCY_PER_DOMAIN": "two"}, "concurrency_per_domain: not a valid int"),
    ({"COMPUTEWATCH_AUTOTHROTTLE": "maybe"}, "autothrottle: not a valid bool"),
])
def test_bad_values_are_one_line_errors(env, message, tmp_path):
    result = run_cli("claims", "--db", f"sqlite:///{tmp_path / 'x.db'}", env=env)
    assert result.returncode == 2
    assert result.stderr.startswith(f"computewatch: error: setting {message}")
    assert result.stderr.count("\n") == 1


def test_unknown_key_in_the_config_file_is_named(clean_env):
    clean_env.write_text("dowload_delay = 0\n")
    with pytest.raises(settings.SettingsError, match="dowload_delay"):
        settings.load()
