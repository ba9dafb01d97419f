"""A real `redis-server` (Debian's package, scripts/setup.sh --system) for the tests: on 127.0.0.1, a free port,
no persistence, with a password (`requirepass`), optionally an ACL user and TLS with a throwaway CA.

    with start_redis(tmp_path, password="pw") as server:       # redis://:pw@127.0.0.1:<port>/0
        server.url, server.port, server.password
    with start_redis(tmp_path, password="pw", tls=True) as s:  # rediss://..., s.tls.ca_file for the client

The TLS files are made with the `cryptography` package (a dev dependency through moto): a CA and a server
certificate for 127.0.0.1 signed by it, valid for a day. Redis's TLS options are those of redis.conf
(https://redis.io/docs/latest/operate/oss_and_stack/management/security/encryption/): tls-port, tls-cert-file,
tls-key-file, tls-ca-cert-file, tls-auth-clients.
"""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
START_TIMEOUT_S = 20.0
# The passwords of the servers the shared fixtures start (tests/conftest.py `redis_server`, `redis_tls_server`):
# named like secrets, so tests/test_zz_secrets.py looks for them in every plugin's output. URL-unsafe characters
# on purpose (AUTH sends them as they are; a URL would need them escaped).
REDIS_PASSWORD = "redis-pw-Qx7+/=:@ secret"
REDIS_ACL_USER = "grafana"
REDIS_ACL_PASSWORD = "acl-user-pw-8k2LmN"


@dataclass(frozen=True)
class TlsFiles:
    ca_file: Path
    cert_file: Path
    key_file: Path


def make_tls_files(directory: Path, *, common_name: str = "127.0.0.1") -> TlsFiles:
    """A throwaway CA and a server certificate for 127.0.0.1 (IP SAN) it signs."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cloudwatch-datasource test CA")])
    ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
               .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                            content_commitment=False, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False, encipher_only=False,
                                            decipher_only=False), critical=True)
               .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    files = TlsFiles(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    files.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()))
    files.key_file.chmod(0o600)
    return files


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """One redis-server child process; a context manager that stops it."""

    def __init__(self, directory: Path, *, password: str = "", username: str = "", user_password: str = "",
                 tls: bool = False) -> None:
        self.directory = directory
        self.password = password
        self.username = username
        self.user_password = user_password
        self.tls: TlsFiles | None = make_tls_files(directory / "tls") if tls else None
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log_file = directory / "redis.log"

    # --- addresses ----------------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The URL a client uses, without credentials (they go in their own settings)."""
        return f"{'rediss' if self.tls else 'redis'}://127.0.0.1:{self.port}/0"

    def url_with_password(self) -> str:
        return f"{'rediss' if self.tls else 'redis'}://:{self.password}@127.0.0.1:{self.port}/0"

    # --- life ---------------------------------------------------------------------------------------------------
    def start(self, port: int = 0) -> RedisServer:
        """Start on `port`, or on a free one (0)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        last_error = ""
        for _ in range(1 if port else 5):  # a free port can be taken before redis binds it: try another
            self.port = port or free_port()
            self.process = subprocess.Popen(self._command(), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                            cwd=self.directory)
            ready, last_error = self._wait_ready()
            if ready:
                return self
            self.stop()
        raise RuntimeError(f"redis-server did not start: {last_error}; log: {self._log_tail()}")

    def _command(self) -> list[str]:
        args = [REDIS_SERVER, "--bind", "127.0.0.1", "--dir", str(self.directory), "--logfile",
                str(self.log_file), "--save", "", "--appendonly", "no", "--daemonize", "no",
                "--protected-mode", "yes", "--databases", "2"]
        if self.password:
            args += ["--requirepass", self.password]
        if self.username:
            # An ACL user with every command and key (redis.conf `user`): AUTH <username> <password>.
            args += ["--user", self.username, "on", f">{self.user_password}", "~*", "&*", "+@all"]
        if self.tls is not None:
            args += ["--port", "0", "--tls-port", str(self.port), "--tls-cert-file", str(self.tls.cert_file),
                     "--tls-key-file", str(self.tls.key_file), "--tls-ca-cert-file", str(self.tls.ca_file),
                     "--tls-auth-clients", "no"]
        else:
            args += ["--port", str(self.port)]
        return args

    def client(self) -> object:
        """A redis-py client with the server's password (and CA), for tests that look inside."""
        import redis

        kwargs: dict[str, object] = {"host": "127.0.0.1", "port": self.port, "password": self.password or None,
                                     "socket_timeout": 5}
        if self.tls is not None:
            kwargs.update(ssl=True, ssl_ca_certs=str(self.tls.ca_file))
        return redis.Redis(**kwargs)  # type: ignore[arg-type]

    def _wait_ready(self) -> tuple[bool, str]:
        import redis

        deadline = time.monotonic() + START_TIMEOUT_S
        error = ""
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                return False, f"exited with status {self.process.returncode}"
            client = self.client()
            try:
                if client.ping():  # type: ignore[attr-defined]
                    return True, ""
            except redis.RedisError as exc:
                error = type(exc).__name__
            finally:
                client.close()  # type: ignore[attr-defined]
            time.sleep(0.05)
        return False, f"not answering PING after {START_TIMEOUT_S:g} s ({error})"

    def _log_tail(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-800:]
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> RedisServer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def start_redis(directory: Path, *, password: str = "", username: str = "", user_password: str = "",
                tls: bool = False, port: int = 0) -> RedisServer:
    """Start a redis-server in `directory` (its TLS files, log) on `port` (0: a free one) and wait until it
    answers PING."""
    return RedisServer(directory, password=password, username=username, user_password=user_password,
                       tls=tls).start(port)
