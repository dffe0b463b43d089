"""Which image each service of deploy/compose.yaml runs: the upstream image where a
registry gives it (or it is already here), else a stand-in built from Debian's package
of the same program, else none, and the service is left out.

compose.yaml names every upstream image as ${VARIABLE:-default}; a choice here is that
variable set for Compose, so a plain `docker compose up` with a registry still runs
exactly the pinned images.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sentimon.compose.engine import Engine, EngineError

# The API's base image when no registry gives python:*-slim: Debian 12's Python 3.11.
LOCAL_BASE = "sentimon-base:bookworm"
DEBIAN_SUITE = "bookworm"
BASE_PACKAGES = "python3,python3-venv,python-is-python3,ca-certificates"
# The host's certificate authorities, carried into the base, so that pip and apt inside
# a build trust what the host trusts (a TLS-inspecting proxy's CA included).
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
IMAGE_CA_BUNDLE = "/etc/ssl/certs/host-ca-bundle.pem"
PULL_TIMEOUT_SECONDS = 300

_VARIABLE_IMAGE = re.compile(r"^\$\{(?P<variable>[A-Z_]+):-(?P<default>[^}]+)\}$")


@dataclass(frozen=True)
class StandIn:
    """How to build a service's program from Debian's package."""

    package: str
    binary: str
    data_dir: str = ""


# Programs Debian packages; Grafana, Loki and Alloy it does not.
STANDINS = {
    "prometheus": StandIn("prometheus", "prometheus", "/prometheus"),
    "alertmanager": StandIn("prometheus-alertmanager", "prometheus-alertmanager", "/alertmanager"),
    "node-exporter": StandIn("prometheus-node-exporter", "prometheus-node-exporter"),
}


@dataclass(frozen=True)
class Upstream:
    service: str
    variable: str
    default: str


@dataclass
class Choice:
    service: str
    variable: str
    """The Compose variable that names the service's image."""
    image: str | None
    """What the service runs; None: left out."""
    how: str
    """One line for the person: pulled, found here, stand-in of version X, or why not."""


def upstream_images(services: dict[str, dict]) -> list[Upstream]:
    """Every service whose image is ${VARIABLE:-default}, in file order."""
    found = []
    for name, service in services.items():
        if match := _VARIABLE_IMAGE.match(str(service.get("image", ""))):
            found.append(Upstream(name, match["variable"], match["default"]))
    return found


def python_base(services: dict[str, dict]) -> Upstream:
    """The API image's base: the build argument PYTHON_IMAGE, as ${VARIABLE:-default}."""
    match = _VARIABLE_IMAGE.match(services["api"]["build"]["args"]["PYTHON_IMAGE"])
    if match is None:
        raise EngineError("compose.yaml: api's PYTHON_IMAGE must read ${VARIABLE:-image}")
    return Upstream("api", match["variable"], match["default"])


def _pull(engine: Engine, image: str) -> bool:
    try:
        return engine.run("pull", image, check=False, timeout=PULL_TIMEOUT_SECONDS).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def available(engine: Engine, image: str) -> str | None:
    """'found here' or 'pulled' when the engine has or can get image; None otherwise."""
    if engine.has_image(image):
        return "found here"
    if _pull(engine, image):
        return "pulled"
    return None


def _recipe_hash(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
    return digest.hexdigest()[:16]


def _label(engine: Engine, image: str, key: str) -> str | None:
    result = engine.run(
        "image", "inspect", "--format", f'{{{{index .Config.Labels "{key}"}}}}', image, check=False
    )
    return result.stdout.strip() if result.returncode == 0 else None


def _mirror() -> str:
    return os.environ.get("SENTIMON_DEBIAN_MIRROR", "http://deb.debian.org/debian")


def build_local_base(engine: Engine, say: Callable[[str], None]) -> str:
    """LOCAL_BASE from Debian's packages with debootstrap (root), unless it is here."""
    recipe = _recipe_hash(DEBIAN_SUITE, BASE_PACKAGES, _mirror())
    if _label(engine, LOCAL_BASE, "sentimon.recipe") == recipe:
        return LOCAL_BASE
    debootstrap = shutil.which("debootstrap")
    if debootstrap is None:
        raise EngineError("no base image for the API and no debootstrap to make one")
    say(f"building {LOCAL_BASE} from Debian {DEBIAN_SUITE} with debootstrap (about a minute)")
    with tempfile.TemporaryDirectory(prefix="sentimon-base-") as scratch:
        root = Path(scratch) / "rootfs"
        subprocess.run(
            [
                debootstrap,
                "--variant=minbase",
                f"--include={BASE_PACKAGES}",
                DEBIAN_SUITE,
                str(root),
                _mirror(),
            ],
            check=True,
            capture_output=True,
            timeout=900,
        )
        (root / "etc/apt/sources.list").write_text(
            f"deb {_mirror()} {DEBIAN_SUITE} main\ndeb {_mirror()} {DEBIAN_SUITE}-updates main\n"
        )
        if HOST_CA_BUNDLE.is_file():
            shutil.copyfile(HOST_CA_BUNDLE, root / IMAGE_CA_BUNDLE.lstrip("/"))
        shutil.rmtree(root / "var/cache/apt/archives", ignore_errors=True)
        shutil.rmtree(root / "var/lib/apt/lists", ignore_errors=True)
        (root / "var/lib/apt/lists/partial").mkdir(parents=True)
        (root / "var/cache/apt/archives/partial").mkdir(parents=True)
        changes = [f"LABEL sentimon.recipe={recipe}"]
        if HOST_CA_BUNDLE.is_file():
            changes += [f"ENV PIP_CERT={IMAGE_CA_BUNDLE}", f"ENV SSL_CERT_FILE={IMAGE_CA_BUNDLE}"]
        tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
        command = [engine.cli, "import"]
        for change in changes:
            command += ["--change", change]
        imported = subprocess.run(
            [*command, "-", LOCAL_BASE],
            stdin=tar.stdout,
            capture_output=True,
            text=True,
            env=engine.environ(),
            timeout=600,
        )
        tar.wait()
        if imported.returncode != 0:
            raise EngineError(f"importing {LOCAL_BASE}: {imported.stderr.strip()}")
    return LOCAL_BASE


def build_standin(
    engine: Engine, deploy: Path, service: str, base: str, say: Callable[[str], None]
) -> str:
    """The stand-in image of service, tagged with the Debian version it holds."""
    standin = STANDINS[service]
    containerfile = deploy / "images" / "standin.Containerfile"
    name = f"sentimon-standin/{service}"
    recipe = _recipe_hash(containerfile.read_bytes(), repr(standin), base)
    if _label(engine, f"{name}:local", "sentimon.recipe") != recipe:
        say(f"building {name} from Debian's {standin.package}")
        engine.run(
            "build",
            "-f",
            str(containerfile),
            "--label",
            f"sentimon.recipe={recipe}",
            "--build-arg",
            f"BASE={base}",
            "--build-arg",
            f"PACKAGE={standin.package}",
            "--build-arg",
            f"BINARY={standin.binary}",
            "--build-arg",
            f"DATA_DIR={standin.data_dir}",
            "-t",
            f"{name}:local",
            str(containerfile.parent),
            timeout=900,
        )
    held = engine.run(
        "run", "--rm", "--entrypoint", "cat", f"{name}:local", "/etc/sentimon-standin"
    ).stdout.split()
    version = re.sub(r"[^A-Za-z0-9_.-]", "_", held[1])
    engine.run("tag", f"{name}:local", f"{name}:{version}")
    return f"{name}:{version}"


def choose(
    engine: Engine,
    deploy: Path,
    upstream: list[Upstream],
    say: Callable[[str], None],
    base: Callable[[], str],
) -> list[Choice]:
    """An image, or none, for each upstream service; base() gives the local Debian base."""
    choices = []
    for item in upstream:
        if wanted := os.environ.get(item.variable):  # the person's own choice stands
            choices.append(Choice(item.service, item.variable, wanted, f"{wanted} (as set)"))
        elif how := available(engine, item.default):
            choices.append(
                Choice(item.service, item.variable, item.default, f"{item.default} ({how})")
            )
        elif item.service in STANDINS:
            image = build_standin(engine, deploy, item.service, base(), say)
            how = f"{image}: stand-in for {item.default}, from Debian"
            choices.append(Choice(item.service, item.variable, image, how))
        else:
            how = f"left out: no registry gives {item.default}"
            choices.append(Choice(item.service, item.variable, None, how))
    return choices
