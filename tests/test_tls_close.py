"""A body without a length over TLS (newscrawl/connectionend.py): ended by its
server's clean close, with or without TLS's closing alert, it is the page; cut
by a reset, it is not."""

from __future__ import annotations

import datetime
import ipaddress
import json
import socket
import ssl
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from newscrawl.demo.server import QuietHandler

from .conftest import FAST, run, serving
from .faultsite import QuietServer, article_html


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (Scrapy does not verify them)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


class Handler(QuietHandler):
    """HTTP/1.0: no Content-Length, the body ends with the connection."""

    def do_GET(self) -> None:
        if self.path == "/robots.txt":
            return self.send_page(b"User-agent: *\nAllow: /\n", "text/plain")
        body = article_html(int(self.path.rsplit("/", 1)[1].split(".")[0])).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        if self.path.startswith("/cut/"):
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()  # a reset
        else:
            self.wfile.write(body)
            self.wfile.flush()
            if self.path.startswith("/alert/"):  # TLS's closing alert, then the FIN
                self.connection.unwrap()
            # else Python's server ends the TCP connection without TLS's alert.
        self.close_connection = True
        return None


@pytest.fixture
def tls_base(tmp_path: Path) -> Iterator[str]:
    cert_file, key_file = _certificate(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)

    class TLSServer(QuietServer):
        def get_request(self) -> tuple[socket.socket, object]:
            connection, address = super().get_request()
            return context.wrap_socket(connection, server_side=True), address

    with serving(Handler, TLSServer) as base:
        yield base.replace("http://", "https://")


def test_a_body_without_length_over_tls_is_whole_when_its_tcp_connection_closed_cleanly(
    tls_base: str, tmp_path: Path
) -> None:
    """d1428a8 took Twisted's word: an end without TLS's closing alert is a lost
    connection. The page, and a site's robots.txt served so (its site then not
    crawled at all), were lost as cut, exit 1; Python's own server ends so."""
    urls = [f"{tls_base}/plain/1.html", f"{tls_base}/alert/2.html", f"{tls_base}/cut/3.html"]
    result = run("newscrawl", "scrape", *urls, *FAST, "-s", "RETRY_TIMES=0", cwd=tmp_path)
    stored = {json.loads(line)["url"] for line in result.stdout.decode().splitlines()}
    assert stored == set(urls[:2]), result.stderr.decode()
    assert result.returncode == 1  # the cut page: not the page, and said so
