"""One SigV4-signed ``HEAD`` over a plain socket, for ``audiofeed.unchanged``.

Part of the storage layer (it depends on nothing of audiofeed), kept outside the
``storage`` package so that loading it does not load the package's backends and plans.

A no-op publish asks S3 a single question (the published manifest's ``x-amz-meta-sha256``)
and should cost no more than that question: ``http.client`` (which brings ``email`` and
``ssl``) and ``datetime`` take longer to import than the request takes on a local
network. This module signs exactly as
``sigv4.sign`` does for a bodiless request (a test checks they agree byte for byte), and
reads the status line and headers itself. ``ssl`` is
imported only for an ``https`` endpoint. Anything unexpected raises; the caller then runs
the full publish.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
MAX_HEADER_BYTES = 64 * 1024


def hmac_sha256(key: bytes, msg: bytes) -> bytes:
    return hmac.digest(key, msg, "sha256")


def signed_headers(
    method: str,
    host: str,
    path: str,
    region: str,
    access_key: str,
    secret_key: str,
    token: str | None = None,
    now: float | None = None,
) -> dict[str, str]:
    """The headers of a bodiless request to ``host`` + ``path`` (URL-encoded) with AWS
    Signature Version 4 (service ``s3``), lower-case names, as ``sigv4.sign`` gives them."""
    stamp = time.gmtime(time.time() if now is None else now)
    amz_date, day = time.strftime("%Y%m%dT%H%M%SZ", stamp), time.strftime("%Y%m%d", stamp)
    out = {"host": host, "x-amz-content-sha256": EMPTY_SHA256, "x-amz-date": amz_date}
    if token:
        out["x-amz-security-token"] = token
    names = sorted(out)
    canonical = "\n".join(
        [
            method,
            path,
            "",
            "".join(f"{n}:{' '.join(out[n].split())}\n" for n in names),
            ";".join(names),
            EMPTY_SHA256,
        ]
    )
    scope = f"{day}/{region}/s3/aws4_request"
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, digest])
    key = f"AWS4{secret_key}".encode()
    for part in (day, region, "s3", "aws4_request"):
        key = hmac_sha256(key, part.encode())
    signature = hmac_sha256(key, to_sign.encode()).hex()
    out["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    return out


def _address(scheme: str, host: str) -> tuple[str, int]:
    default = 443 if scheme == "https" else 80
    if host.startswith("["):  # [v6]:port
        name, _, rest = host[1:].partition("]")
        return name, int(rest[1:]) if rest.startswith(":") else default
    name, sep, port = host.rpartition(":")
    return (name, int(port)) if sep else (host, default)


def _connect(name: str, port: int, timeout: float):  # type: ignore[no-untyped-def]
    """A connected TCP socket, from ``_socket`` (the C module under ``socket``, whose
    import alone takes milliseconds: it builds its enums at start-up)."""
    try:
        import _socket
    except ImportError:  # pragma: no cover - an interpreter without it
        import socket as _socket

    error: OSError | None = None
    for family, kind, proto, _, address in _socket.getaddrinfo(name, port, 0, _socket.SOCK_STREAM):
        sock = _socket.socket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(address)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error or OSError(f"no address for {name}")


def head(
    scheme: str,
    host: str,
    path: str,
    region: str,
    credentials: tuple[str, str, str | None],
    *,
    timeout: float,
) -> tuple[int, dict[str, str]]:
    """``HEAD scheme://host/path``, signed: the status and the headers (lower-case names)."""
    if scheme not in ("http", "https"):
        raise ValueError(f"unsupported scheme {scheme!r}")
    name, port = _address(scheme, host)
    headers = signed_headers("HEAD", host, path, region, *credentials)
    lines = [f"HEAD {path} HTTP/1.1"]
    lines += [f"{'Host' if k == 'host' else k}: {v}" for k, v in headers.items()]
    request = ("\r\n".join([*lines, "Connection: close"]) + "\r\n\r\n").encode()
    if scheme == "https":  # TLS costs its imports and handshake whatever the socket
        import socket
        import ssl

        context = ssl.create_default_context(cafile=os.environ.get("AWS_CA_BUNDLE") or None)
        plain = socket.create_connection((name, port), timeout=timeout)
        try:
            sock = context.wrap_socket(plain, server_hostname=name)
        except BaseException:
            plain.close()
            raise
    else:
        sock = _connect(name, port, timeout)
    try:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(16384)
            if not chunk or len(data) > MAX_HEADER_BYTES:
                raise ConnectionError("incomplete response to HEAD")
            data += chunk
    finally:
        sock.close()
    head_lines = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    version, status, *_ = head_lines[0].split(" ", 2)
    if not version.startswith("HTTP/1."):
        raise ConnectionError(f"not an HTTP/1 response: {head_lines[0]!r}")
    found = {}
    for line in head_lines[1:]:
        k, sep, v = line.partition(":")
        if not sep:
            raise ConnectionError(f"malformed header line {line!r}")
        found[k.strip().lower()] = v.strip()
    return int(status), found
