"""Root filesystems harsher than any Grafana host, to start the plugin in (issue 11's acceptance tests):

- `busybox`: nothing but a static busybox, so there is no libc, no loader, no /etc, no HOME at all;
- `alpine-amd64`: that plus the minimal glibc Grafana's Alpine image adds on x86_64 (the seven files under
  /usr/glibc-compat/lib, /lib64/ld-linux-x86-64.so.2 linked to its loader): what most Docker users run.

The plugin folder is bind-mounted read-only at Grafana's plugin path, the whole root is then remounted read-only
(Kubernetes `readOnlyRootFilesystem: true`), and the plugin is started as uid 472 gid 472 (the Grafana image's
user; the Helm chart's runAsUser/runAsGroup) by `chroot --userspec`, which execs it: the process go-plugin
starts is the plugin itself. The network namespace is the host's, so the plugin's 127.0.0.1 listener and the
emulator on 127.0.0.1 are reachable.

/dev holds null, zero, random and urandom (every container runtime provides them; gRPC's seed needs urandom).
arm64 executables run under Debian's qemu-user-static through binfmt_misc, registered with the F flag so that
the kernel keeps the emulator open and it works inside the root (`ensure_arm64_binfmt`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from .bundle import PLUGIN_ID

PLUGIN_PATH = f"/var/lib/grafana/plugins/{PLUGIN_ID}"
GRAFANA_UID, GRAFANA_GID = 472, 472
# Alpine's glibc-compat files (grafana/grafana packaging/docker/Dockerfile), taken from this machine's glibc.
ALPINE_GLIBC = ["ld-linux-x86-64.so.2", "libc.so.6", "libdl.so.2", "libm.so.6", "libpthread.so.0", "librt.so.1",
                "libresolv.so.2"]
BINFMT = Path("/proc/sys/fs/binfmt_misc")
QEMU_RULE = Path("/usr/lib/binfmt.d/qemu-aarch64.conf")  # Debian's qemu-user-static


class PluginRoot:
    def __init__(self, base: Path, dist: Path, layout: str = "busybox") -> None:
        if layout not in ("busybox", "alpine-amd64"):
            raise ValueError(layout)
        self.path = base / f"root-{layout}"
        self.dist = dist
        self.layout = layout
        self._mounts: list[Path] = []

    def __enter__(self) -> PluginRoot:
        if os.geteuid() != 0:
            raise RuntimeError("building a root filesystem with bind mounts needs root (CI runs as root)")
        root = self.path
        for sub in ("bin", "dev", "tmp", "proc", PLUGIN_PATH.lstrip("/")):
            (root / sub).mkdir(parents=True, exist_ok=True)
        busybox = shutil.which("busybox") or "/bin/busybox"
        shutil.copyfile(busybox, root / "bin" / "busybox")
        (root / "bin" / "busybox").chmod(0o755)
        self._check_static(root / "bin" / "busybox")
        for name, major, minor in (("null", 1, 3), ("zero", 1, 5), ("random", 1, 8), ("urandom", 1, 9)):
            os.mknod(root / "dev" / name, 0o666 | 0o020000, os.makedev(major, minor))
            os.chmod(root / "dev" / name, 0o666)
        if self.layout == "alpine-amd64":
            compat = root / "usr" / "glibc-compat" / "lib"
            compat.mkdir(parents=True)
            for name in ALPINE_GLIBC:
                shutil.copyfile(Path("/lib/x86_64-linux-gnu") / name, compat / name)
            (root / "lib64").mkdir()
            (root / "lib64" / "ld-linux-x86-64.so.2").symlink_to("/usr/glibc-compat/lib/ld-linux-x86-64.so.2")
        self._bind(self.dist, root / PLUGIN_PATH.lstrip("/"))
        self._bind(root, root, recursive=True)  # --rbind: the plugin mount inside comes along
        return self

    def __exit__(self, *exc: object) -> None:
        for mount in reversed(self._mounts):
            subprocess.run(["umount", "-l", str(mount)], check=False)
        shutil.rmtree(self.path, ignore_errors=True)

    def _bind(self, source: Path, target: Path, recursive: bool = False) -> None:
        subprocess.run(["mount", "--rbind" if recursive else "--bind", str(source), str(target)], check=True)
        self._mounts.append(target)
        subprocess.run(["mount", "-o", "remount,bind,ro", str(target)], check=True)

    @staticmethod
    def _check_static(binary: Path) -> None:
        out = subprocess.run(["readelf", "-l", str(binary)], capture_output=True, text=True, check=True).stdout
        if "INTERP" in out:
            raise RuntimeError(f"{binary} is dynamically linked: install Debian's busybox-static")

    def command(self, arch: str) -> list[str]:
        """argv that starts the plugin's executable inside this root, as the Grafana user."""
        return ["/usr/sbin/chroot", f"--userspec={GRAFANA_UID}:{GRAFANA_GID}", str(self.path),
                f"{PLUGIN_PATH}/gpx_cloudwatch_linux_{arch}"]


def ensure_arm64_binfmt() -> None:
    """Register qemu-aarch64 with binfmt_misc (flag F) unless it already is; mount binfmt_misc first if needed."""
    if not (BINFMT / "register").exists():
        subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT)], check=True)
    entry = BINFMT / "qemu-aarch64"
    if entry.exists():
        if "F" not in entry.read_text().split("flags:")[1].splitlines()[0]:
            entry.write_text("-1")  # registered without F (works outside a chroot only): register it again
        else:
            return
    (BINFMT / "register").write_text(QEMU_RULE.read_text().strip())
