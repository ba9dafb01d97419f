"""A stand-in for grafana.com's plugin signing route on 127.0.0.1, over HTTPS (the real @grafana/sign-plugin
always posts with node's https module), so the real signer runs end to end without the network.

- POST /api/plugins/ci/sign with `Authorization: Bearer <token>` and the unsigned manifest JSON (what
  @grafana/sign-plugin's manifest.ts `signManifest` sends) → 200 and the manifest clear-signed (a placeholder
  signature block) with the fields grafana.com adds; every request is kept in `requests`.
- The certificate is a fresh self-signed one for 127.0.0.1 made with the openssl command; point node at it with
  NODE_EXTRA_CA_CERTS=<cert>, and at the server with GRAFANA_COM_URL=<url>.
"""

from __future__ import annotations

import json
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from support.fake_signer import clearsigned


@dataclass
class FakeGrafanaCom:
    url: str  # the GRAFANA_COM_URL value: https://127.0.0.1:<port>/api
    cert: Path
    requests: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def fake_grafana_com(workdir: Path) -> Iterator[FakeGrafanaCom]:
    cert, key = workdir / "cert.pem", workdir / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out",
                    str(cert)], check=True, capture_output=True, timeout=60)
    requests: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = json.loads(self._body())
            requests.append({"path": self.path, "authorization": self.headers.get("Authorization"), "body": body})
            if self.path != "/api/plugins/ci/sign":
                self.send_response(404)
                self.end_headers()
                return
            signed = clearsigned({**body, "manifestVersion": "2.0.0", "signatureType":
                                  body.get("signatureType", "private"), "signedByOrg": "pyaws",
                                  "signedByOrgName": "pyaws", "time": 1764547200000, "keyId": "7e4d0c6a708866e7"})
            data = signed.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
                return self.rfile.read(int(self.headers.get("Content-Length", "0")))
            data = b""  # node's https.request without a Content-Length sends the body chunked (RFC 9112 7.1)
            while size := int(self.rfile.readline().split(b";")[0].strip(), 16):
                data += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
            return data

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield FakeGrafanaCom(f"https://127.0.0.1:{server.server_address[1]}/api", cert, requests)
    finally:
        server.shutdown()
        server.server_close()
