"""Argo CD on the local control plane (tools/cluster), syncing from a local git remote.

Used by tools/release --local (tools/delivery/release.py) and by the tests
that need the same steps (deploy/tests/test_bootstrap.py, test_argocd_sync.py):

- `local_cluster`: tools/cluster up in a state folder of its own, and down
  afterwards whatever happened.
- `bootstrapped`: that cluster after deploy/argocd/bootstrap.sh, as written,
  applied this checkout's deploy/ from a `GitRemote`.
- `syncing`: then the real controller and repo server (`ArgoCD`) syncing the
  app of apps from that remote, after a first release.

- `GitRemote`: a bare repository seeded with this checkout's deploy/ folder,
  the one thing Argo CD reads. Two edits make it local: the Argo CD objects
  name the bare repository (file://) instead of GitHub, and the bootstrap
  kustomization names the pinned install manifest taken from the Argo CD
  source archive instead of its GitHub URL (the same file at the same tag).
- `ArgoCD`: the pinned Argo CD's application controller and repo server, and
  the Redis they share, as local processes on loopback. The install manifest
  bootstrap.sh applies also creates Argo CD's own Deployments; kwok marks
  their pods Ready, so bootstrap.sh runs as written, while the processes here
  do the work.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tarfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
CLUSTER = REPO_ROOT / "tools" / "cluster"
# The app of apps and the Applications it creates.
APPS = ("root", "argo-cd", "platform-gateway", "kv")
# How long a sync or rollout may take: git is polled every 10 s, syncs retry,
# and a busy 2-core machine is slow; each wait polls, none sleeps to pass.
SYNC_TIMEOUT = 300.0
GITHUB_URL = "https://github.com/example-org/kv-platform.git"
KUSTOMIZATION = "deploy/argocd/bootstrap/argo-cd/kustomization.yaml"
NAMESPACE = "argocd"
_IDENTITY = {
    "GIT_AUTHOR_NAME": "kv local gitops",
    "GIT_AUTHOR_EMAIL": "gitops@localhost",
    "GIT_COMMITTER_NAME": "kv local gitops",
    "GIT_COMMITTER_EMAIL": "gitops@localhost",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def reference_dir() -> Path:
    configured = os.environ.get("KV_REFERENCE_DIR")
    return Path(configured) if configured else REPO_ROOT.parent / "shared" / "reference"


def install_manifest(version: str) -> bytes:
    """manifests/install.yaml of the Argo CD release, from its source archive."""
    archive = reference_dir() / "sources" / f"argo-cd-{version.removeprefix('v')}.tar.gz"
    with tarfile.open(archive) as tar:
        for member in tar:
            if member.name.endswith("/manifests/install.yaml") and member.name.count("/") == 2:
                extracted = tar.extractfile(member)
                if extracted is not None:
                    return extracted.read()
    raise FileNotFoundError(f"no manifests/install.yaml in {archive}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listens(port: int) -> bool:
    """Whether something accepts connections on the loopback port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_until(what: str, check: Callable[[], bool], timeout: float, every: float = 1.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


@dataclass
class GitRemote:
    """A bare repository Argo CD syncs from, and a working clone to change it."""

    root: Path
    env: dict[str, str] = field(default_factory=lambda: {**os.environ, **_IDENTITY})

    @property
    def bare(self) -> Path:
        return self.root / "gitops.git"

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def url(self) -> str:
        return self.bare.as_uri()

    def git(self, *args: str, cwd: Path | None = None) -> str:
        proc = subprocess.run(
            ["git", *args], cwd=cwd or self.work, env=self.env, capture_output=True, text=True,
            check=False,
        )  # fmt: skip
        if proc.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)} failed: {proc.stderr.strip()}")
        return proc.stdout.strip()

    def seed(self, argocd_version: str) -> None:
        """The bare repository with this checkout's deploy/, made local."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.git("init", "--quiet", "--bare", "--initial-branch=main", str(self.bare),
                 cwd=self.root)  # fmt: skip
        self.git("init", "--quiet", "--initial-branch=main", str(self.work), cwd=self.root)
        listed = self.git("ls-files", "--cached", "--others", "--exclude-standard", "deploy",
                          cwd=REPO_ROOT)  # fmt: skip
        for relative in listed.splitlines():
            source = REPO_ROOT / relative
            if not source.is_file():  # deleted in the working tree
                continue
            target = self.work / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            if source.stat().st_mode & 0o100:
                target.chmod(0o755)
        for manifest in (self.work / "deploy" / "argocd").rglob("*.yaml"):
            text = manifest.read_text()
            if GITHUB_URL in text:
                manifest.write_text(text.replace(GITHUB_URL, self.url))
        kustomization = self.work / KUSTOMIZATION
        (kustomization.parent / "install.yaml").write_bytes(install_manifest(argocd_version))
        remote = (
            f"https://raw.githubusercontent.com/argoproj/argo-cd/{argocd_version}"
            "/manifests/install.yaml"
        )
        text = kustomization.read_text()
        if remote not in text:
            raise RuntimeError(f"{KUSTOMIZATION} does not install {remote}")
        kustomization.write_text(text.replace(remote, "install.yaml"))
        self.git("add", ".")
        self.git("commit", "--quiet", "-m", "seed: this checkout's deploy/, made local")
        self.git("remote", "add", "origin", self.url)
        self.git("push", "--quiet", "origin", "HEAD:refs/heads/main")

    def pull(self) -> None:
        self.git("pull", "--quiet", "--ff-only", "origin", "main")

    def commit(self, message: str, edit: Callable[[Path], None]) -> str:
        """Applies `edit` to the working clone at main's tip, commits and pushes."""
        self.pull()
        edit(self.work)
        self.git("add", "-A")
        self.git("commit", "--quiet", "-m", message)
        self.git("push", "--quiet", "origin", "HEAD:refs/heads/main")
        return self.git("rev-parse", "HEAD")


class Kubectl:
    """kubectl against one kubeconfig."""

    def __init__(self, kubeconfig: Path) -> None:
        self.kubeconfig = kubeconfig
        found = shutil.which("kubectl")
        if found is None:
            raise FileNotFoundError("kubectl is not on PATH (tools/cluster installs it)")
        self.kubectl = found

    def run(self, *args: str, stdin: str | None = None, check: bool = True) -> str:
        proc = subprocess.run(
            [self.kubectl, "--kubeconfig", str(self.kubeconfig), *args], input=stdin,
            capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip
        if check and proc.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)} failed: {proc.stderr.strip()}")
        return proc.stdout

    def get(self, *args: str) -> dict[str, Any] | None:
        out = self.run("get", "-o", "json", *args, check=False)
        if not out.strip():
            return None
        loaded: dict[str, Any] = json.loads(out)
        return loaded

    def context(self) -> str:
        return self.run("config", "current-context").strip()


class ArgoCD:
    """The application controller, the repo server and their Redis, on loopback."""

    def __init__(self, workdir: Path, kubeconfig: Path) -> None:
        self.workdir = workdir
        self.kubeconfig = kubeconfig
        self.procs: list[subprocess.Popen[bytes]] = []
        self.ports: list[int] = []

    def _spawn(self, name: str, args: list[str], env: dict[str, str], port: int) -> None:
        log = (self.workdir / f"{name}.log").open("wb")
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env,
                                cwd=self.workdir)  # fmt: skip
        self.procs.append(proc)

        def listening() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited ({proc.returncode}): {self.log(name)[-2000:]}")
            return listens(port)

        wait_until(f"{name} on port {port}", listening, timeout=120, every=0.2)
        self.ports.append(port)

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self) -> ArgoCD:
        self.workdir.mkdir(parents=True, exist_ok=True)
        redis, repo, repo_metrics, metrics = (free_port() for _ in range(4))
        env = {
            **os.environ,
            "HOME": str(self.workdir),
            "TMPDIR": str(self.workdir),
            "ARGOCD_GPG_ENABLED": "false",
            # The in-cluster destination (kubernetes.default.svc) is the
            # kubeconfig's API server, as for Argo CD's own local runs.
            "ARGOCD_FAKE_IN_CLUSTER": "true",
            "KUBECONFIG": str(self.kubeconfig),
        }
        redis_server = shutil.which("redis-server")
        argocd = shutil.which("argocd")
        if redis_server is None or argocd is None:
            raise FileNotFoundError(
                "redis-server and argocd must be on PATH (tools/test installs them)"
            )
        bin_dir = Path(argocd).parent
        self._spawn("redis", [redis_server, "--port", str(redis), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no"], env, redis)  # fmt: skip
        address = f"127.0.0.1:{redis}"
        self._spawn("repo-server", [
            str(bin_dir / "argocd-repo-server"), "--address", "127.0.0.1", "--port", str(repo),
            "--metrics-address", "127.0.0.1", "--metrics-port", str(repo_metrics),
            # Plain gRPC on loopback (the default client CA path is for TLS only).
            "--redis", address, "--disable-tls", "--client-ca-path", "", "--loglevel", "info",
        ], env, repo)  # fmt: skip
        self._spawn("application-controller", [
            str(bin_dir / "argocd-application-controller"), "--kubeconfig", str(self.kubeconfig),
            "--namespace", NAMESPACE, "--repo-server", f"127.0.0.1:{repo}",
            "--repo-server-plaintext", "--redis", address, "--metrics-port", str(metrics),
            # Fast enough for a test run: git is polled every 10 s.
            "--app-resync", "10", "--app-resync-jitter", "0", "--loglevel", "info",
            # Each resource's health in the Application's status, where
            # kubectl (and the tests) can read it; by default it is kept in
            # Redis for argocd-server, which does not run here.
            "--persist-resource-health",
        ], env, metrics)  # fmt: skip
        return self

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.procs.clear()

    def listening(self) -> list[int]:
        """The ports of the started processes that still accept connections."""
        return [port for port in self.ports if listens(port)]


def bootstrap(kubectl: Kubectl, checkout: Path) -> subprocess.CompletedProcess[str]:
    """deploy/argocd/bootstrap.sh of `checkout`, as written, against the kubeconfig's context."""
    return subprocess.run(
        [str(checkout / "deploy" / "argocd" / "bootstrap.sh"), kubectl.context()],
        env={**os.environ, "KUBECONFIG": str(kubectl.kubeconfig)},
        capture_output=True, text=True, check=False, timeout=900,
    )  # fmt: skip


WIDE_OPEN_DEFAULT = """
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {name: default, namespace: argocd}
spec:
  sourceRepos: ["*"]
  destinations: [{server: "*", namespace: "*"}]
  clusterResourceWhitelist: [{group: "*", kind: "*"}]
"""


def default_project_as_argocd_server_creates_it(kubectl: Kubectl, version: str) -> None:
    """argocd-server creates `default` wide open when it starts, before step 3 of the
    bootstrap; it runs nowhere here, so its objects are created as it creates them."""
    crd = next(d for d in yaml.safe_load_all(install_manifest(version))
               if d and d["metadata"]["name"] == "appprojects.argoproj.io")  # fmt: skip
    create = ("create", "--field-manager=argocd-server", "-f", "-")
    if kubectl.get("namespace/argocd") is None:
        kubectl.run(*create, stdin="apiVersion: v1\nkind: Namespace\nmetadata: {name: argocd}\n")
    if kubectl.get("crd/appprojects.argoproj.io") is None:
        kubectl.run(*create, stdin=json.dumps(crd))

    def established() -> bool:
        status = (kubectl.get("crd/appprojects.argoproj.io") or {}).get("status", {})
        return any(c["type"] == "Established" and c["status"] == "True"
                   for c in status.get("conditions") or [])  # fmt: skip

    wait_until("the AppProject kind to be served", established, 120)
    kubectl.run(*create, stdin=WIDE_OPEN_DEFAULT)


def application(kubectl: Kubectl, name: str) -> dict[str, Any]:
    return kubectl.get("-n", NAMESPACE, f"applications.argoproj.io/{name}") or {}


def synced_at(kubectl: Kubectl, name: str, revision: str) -> bool:
    """The Application is Synced to `revision` and no sync operation is pending or running."""
    app = application(kubectl, name)
    sync = app.get("status", {}).get("sync", {})
    return bool(sync.get("status") == "Synced" and sync.get("revision") == revision
                and "operation" not in app)  # fmt: skip


def wait_synced(kubectl: Kubectl, argocd: ArgoCD, apps: tuple[str, ...], revision: str,
                timeout: float = SYNC_TIMEOUT) -> None:  # fmt: skip
    """Each app Synced to `revision` (refreshed now rather than at the next git poll)."""
    for app in apps:
        refresh(kubectl, app)

        def synced(app: str = app) -> bool:
            return synced_at(kubectl, app, revision)

        try:
            wait_until(f"{app} Synced at {revision[:12]}", synced, timeout, every=2)
        except TimeoutError as error:
            status = json.dumps(application(kubectl, app).get("status", {}))[:3000]
            log = argocd.log("application-controller")[-3000:]
            raise TimeoutError(f"{error}\nstatus: {status}\ncontroller log: {log}") from error


def kv_image(kubectl: Kubectl) -> str:
    """The image of the kv container in the live Deployment ("" when there is none)."""
    deployment = kubectl.get("-n", "kv", "deployment/kv") or {}
    containers = deployment.get("spec", {}).get("template", {}).get("spec", {}).get(
        "containers", [])  # fmt: skip
    return str(next((c["image"] for c in containers if c["name"] == "kv"), ""))


def refresh(kubectl: Kubectl, name: str) -> None:
    """What the UI's Refresh button does: re-read git now instead of at the next poll."""
    kubectl.run("-n", NAMESPACE, "annotate", "--overwrite", f"applications.argoproj.io/{name}",
                "argocd.argoproj.io/refresh=normal")  # fmt: skip


@contextmanager
def local_cluster(state: Path) -> Iterator[Path]:
    """tools/cluster up in its own state folder, yielding the admin kubeconfig's
    path; tools/cluster down afterwards, whatever happened."""
    env = {**os.environ, "KV_CLUSTER_DIR": str(state)}
    try:
        up = subprocess.run([str(CLUSTER), "up"], env=env, capture_output=True, text=True,
                            check=False, timeout=600)  # fmt: skip
        if up.returncode != 0:
            raise RuntimeError(f"tools/cluster up failed:\n{up.stderr}")
        path = subprocess.run([str(CLUSTER), "kubeconfig"], env=env, capture_output=True,
                              text=True, check=True, timeout=30).stdout.strip()  # fmt: skip
        yield Path(path)
    finally:
        subprocess.run(
            [str(CLUSTER), "down"], env=env, capture_output=True, check=False, timeout=120
        )


@dataclass(frozen=True)
class Bootstrapped:
    """A control plane of its own after bootstrap.sh, and the git remote seeded
    with this checkout's deploy/ that it applied."""

    remote: GitRemote
    kubectl: Kubectl


@contextmanager
def bootstrapped(root: Path, version: str) -> Iterator[Bootstrapped]:
    """A new cluster under `root` with Argo CD `version` bootstrapped by bootstrap.sh
    as written, from a git remote under `root`; stopped afterwards."""
    remote = GitRemote(root)
    remote.seed(version)
    # Its own cluster: the bootstrap takes over namespaces and CRDs.
    with local_cluster(root / "cluster") as kubeconfig:
        kubectl = Kubectl(kubeconfig)
        default_project_as_argocd_server_creates_it(kubectl, version)
        done = bootstrap(kubectl, remote.work)
        if done.returncode != 0:
            raise RuntimeError(f"bootstrap.sh failed:\n{done.stdout}{done.stderr}")
        yield Bootstrapped(remote, kubectl)


@dataclass(frozen=True)
class Syncing:
    """Argo CD running on a bootstrapped cluster, syncing from its git remote."""

    remote: GitRemote
    kubectl: Kubectl
    argocd: ArgoCD

    def tip(self) -> str:
        return self.remote.git("rev-parse", "main", cwd=self.remote.bare)

    def wait_synced(self, apps: tuple[str, ...], timeout: float) -> None:
        wait_synced(self.kubectl, self.argocd, apps, self.tip(), timeout)

    def rolled_out(self, image: str) -> bool:
        """The Deployment runs `image` in every Ready pod (its rollout is complete)."""
        deployment = self.kubectl.get("-n", "kv", "deployment/kv") or {}
        status, spec = deployment.get("status", {}), deployment.get("spec", {})
        return (
            kv_image(self.kubectl) == image
            and status.get("observedGeneration", 0) >= deployment["metadata"]["generation"]
            and status.get("updatedReplicas") == spec.get("replicas")
            and status.get("readyReplicas") == spec.get("replicas")
            and status.get("replicas") == spec.get("replicas")
        )

    def wait_rolled_out(self, image: str, timeout: float) -> None:
        wait_until(f"kv rolled out to {image}", lambda: self.rolled_out(image), timeout, every=2)


@contextmanager
def syncing(
    root: Path, version: str, first_release: Callable[[GitRemote], None], timeout: float
) -> Iterator[Syncing]:
    """bootstrapped(), then `first_release` pushed to the remote (the checkout's
    image.yaml may pin no digest) and Argo CD started: every Application Synced.
    Argo CD and the cluster are stopped afterwards, their ports closed."""
    with bootstrapped(root, version) as done:
        argocd = ArgoCD(root / "argocd", done.kubectl.kubeconfig)
        try:
            first_release(done.remote)
            argocd.start()  # it reads the settings the install just created
            running = Syncing(done.remote, done.kubectl, argocd)
            running.wait_synced(APPS, timeout)
            yield running
        finally:
            argocd.stop()
        if argocd.listening():
            raise RuntimeError(f"Argo CD's ports {argocd.listening()} are open after stop")
