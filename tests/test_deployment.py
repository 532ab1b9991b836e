from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_defines_the_whole_stack_from_one_image() -> None:
    services = compose()["services"]
    assert {"postgres", "redis", "web", "worker", "beat", "migrate"} <= set(services)
    app = {name: services[name] for name in ("web", "worker", "beat", "migrate")}
    assert {s["build"] for s in app.values()} == {"."}
    assert {s["image"] for s in app.values()} == {"nps-service:latest"}
    assert (ROOT / "Dockerfile").exists()


def test_compose_runs_web_on_gunicorn_in_production_mode() -> None:
    web = compose()["services"]["web"]
    assert web["command"][0] == "gunicorn"
    assert web["environment"]["DEBUG"] == "0"
    assert web["environment"]["DATABASE_URL"].startswith("postgres://")
    assert web["environment"]["REDIS_URL"].startswith("redis://")


def test_compose_has_health_checks_and_a_database_volume() -> None:
    stack = compose()
    for name in ("postgres", "redis", "web", "worker"):
        assert "healthcheck" in stack["services"][name], name
    assert "pgdata" in stack["volumes"]
    assert "pgdata:/var/lib/postgresql/data" in stack["services"]["postgres"]["volumes"]


def test_compose_never_ships_a_default_secret_key() -> None:
    assert (
        compose()["services"]["web"]["environment"]["SECRET_KEY"] == "${SECRET_KEY:?Set SECRET_KEY}"
    )
