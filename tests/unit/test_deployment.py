"""What can be checked of the deployment without a Docker engine or a cluster: every variable
the compose file and the manifests set is a setting of that service, every secret a service has
is set, every command and build input exists, every dashboard query names an exported metric."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import SecretStr
from pydantic_settings import BaseSettings

from services.dept_adapter.settings import DeptAdapterSettings
from services.intake.settings import IntakeSettings
from services.notifier.settings import NotifierSettings
from services.router.settings import RouterSettings

ROOT = Path(__file__).parents[2]
SETTINGS: dict[str, type[BaseSettings]] = {
    "intake": IntakeSettings,
    "router": RouterSettings,
    "dept_adapter": DeptAdapterSettings,
    "notifier": NotifierSettings,
}
# read by the OpenTelemetry SDK itself (runtime/tracing.py configures it from the environment)
OTEL = {"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_TRACES_EXPORTER", "OTEL_SERVICE_NAME"}
MUST_SET = {"ONEWINDOW_DATABASE_URL", "ONEWINDOW_KAFKA_BOOTSTRAP_SERVERS"}


def variables(settings: type[BaseSettings]) -> set[str]:
    prefix = str(settings.model_config.get("env_prefix", ""))
    return {(prefix + name).upper() for name in settings.model_fields}


def secrets(settings: type[BaseSettings]) -> set[str]:
    """Settings holding secrets: their demo defaults must never reach production."""
    prefix = str(settings.model_config.get("env_prefix", ""))
    return {
        (prefix + name).upper()
        for name, field in settings.model_fields.items()
        if SecretStr in (field.annotation, *getattr(field.annotation, "__args__", ()))
    }


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def compose_env(service: str) -> set[str]:
    return set(compose()["services"][service]["environment"])


def manifests() -> list[dict[str, Any]]:
    return [
        doc
        for path in sorted((ROOT / "deploy" / "k8s").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]


def k8s_env(service: str) -> set[str]:
    docs = manifests()
    config = {
        d["metadata"]["name"]: set(d.get("data", {})) for d in docs if d["kind"] == "ConfigMap"
    }
    secret = {
        d["metadata"]["name"]: set(d.get("stringData", {})) for d in docs if d["kind"] == "Secret"
    }
    (deployment,) = [
        d
        for d in docs
        if d["kind"] == "Deployment" and d["metadata"]["name"] == service.replace("_", "-")
    ]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    names = {e["name"] for e in container.get("env", [])}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            names |= config[source["configMapRef"]["name"]]
        else:
            names |= secret[source["secretRef"]["name"]]
    return names


@pytest.mark.parametrize("service", SETTINGS)
@pytest.mark.parametrize("where", [compose_env, k8s_env], ids=["compose", "k8s"])
def test_every_variable_set_is_a_setting_and_every_secret_is_set(service: str, where: Any) -> None:
    settings = SETTINGS[service]
    found = where(service)
    assert found - variables(settings) - OTEL == set(), "set but no such setting"
    assert (MUST_SET | secrets(settings)) - found == set(), "a secret or connection left unset"


@pytest.mark.parametrize("service", SETTINGS)
def test_every_service_runs_a_module_that_exists_with_probes_on_its_endpoints(service: str) -> None:
    declared = compose()["services"][service]
    assert declared["command"] == ["python", "-m", f"services.{service}"]
    assert (ROOT / "services" / service / "__main__.py").is_file()
    (deployment,) = [
        d
        for d in manifests()
        if d["kind"] == "Deployment" and d["metadata"]["name"] == service.replace("_", "-")
    ]
    spec = deployment["spec"]
    (container,) = spec["template"]["spec"]["containers"]
    assert container["command"] == declared["command"]
    assert spec["replicas"] >= 2
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_build_context_dockerfile_and_mounted_files_exist() -> None:
    for name, declared in compose()["services"].items():
        build = declared.get("build")
        if build:
            assert (ROOT / build["context"] / build["dockerfile"]).is_file(), name
        for volume in declared.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name}: {source}"
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    for line in dockerfile.splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), line


def test_every_metric_a_dashboard_queries_is_exported_by_some_service() -> None:
    from runtime.metrics import SHARED_METRICS
    from services.dept_adapter.metrics import METRICS as ADAPTER
    from services.intake.metrics import METRICS as INTAKE
    from services.notifier.metrics import METRICS as NOTIFIER
    from services.router.metrics import METRICS as ROUTER

    exported = SHARED_METRICS | ADAPTER | INTAKE | NOTIFIER | ROUTER
    dashboards = sorted((ROOT / "deploy" / "grafana" / "dashboards").glob("*.json"))
    assert {d.stem for d in dashboards} >= {"flow-overview", "department-health", "time-limits"}
    queried = {
        name
        for dashboard in dashboards
        for panel in json.loads(dashboard.read_text(encoding="utf-8"))["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\bonewindow_[a-z_]+\b", target["expr"])
    }
    assert queried, "no dashboard queries anything"
    assert queried - exported == set()


def test_prometheus_scrapes_every_service_where_it_serves_metrics() -> None:
    config = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    (job,) = config["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    targets = {t.split(":")[0] for c in job["static_configs"] for t in c["targets"]}
    assert targets == set(SETTINGS)
