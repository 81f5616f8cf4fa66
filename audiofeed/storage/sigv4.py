"""A small S3 client on ``http.client``: Signature V4, keep-alive, ``sendfile`` uploads.

Two jobs boto3 does expensively for us:

- **uploading a file whose sha256 audiofeed already knows** (it computed it once, while
  building): the known digest is the signed payload hash (``x-amz-content-sha256``), so
  nothing hashes the file again, the server checks the bytes it received against it
  (``XAmzContentSHA256Mismatch`` otherwise), and the body goes from the page cache to the
  socket with ``sendfile`` (plain HTTP) or large ``send`` calls (TLS), never through Python
  buffers of its own;
- **one HEAD** before boto3 is even imported (``audiofeed.unchanged``).

Credentials, endpoint and addressing are resolved by the caller (boto3's chain, or the
environment); this module only signs and talks. No retries here: a failed request is
reported and the caller falls back to boto3, which retries.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import http.client
import ipaddress
import os
import re
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit
from xml.etree import ElementTree

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
TIMEOUT = 60.0
SEND_BLOCK = 8 << 20  # bytes per sendfile() / TLS send (progress is reported per block)


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str
    token: str | None = None


@dataclass(frozen=True)
class Location:
    """Where one object lives: ``scheme://host`` + ``path`` (already URL-encoded)."""

    scheme: str
    host: str
    path: str

    @classmethod
    def from_url(cls, url: str) -> Location:
        """From a URL as boto3 would address the object (e.g. a presigned one)."""
        parts = urlsplit(url)
        return cls(parts.scheme, parts.netloc, parts.path or "/")

    def sibling(self, old_key_path: str, new_key_path: str) -> Location:
        """The same bucket, another key (both given URL-encoded, without the bucket)."""
        assert self.path.endswith(old_key_path)
        return Location(self.scheme, self.host, self.path[: -len(old_key_path)] + new_key_path)


def quote_key(key: str) -> str:
    return quote(key, safe="/~")


def canonical_query(params: dict[str, str]) -> str:
    """A query string in SigV4's canonical form: RFC 3986 encoded, then sorted by the
    *encoded* names (as AWS and botocore sort: ``%C3%A9`` before ``~``)."""
    pairs = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in params.items())
    return "&".join(f"{k}={v}" for k, v in pairs)


def sign(
    method: str,
    loc: Location,
    region: str,
    creds: Credentials,
    payload_sha256: str,
    headers: dict[str, str] | None = None,
    *,
    query: str = "",
    now: dt.datetime | None = None,
) -> dict[str, str]:
    """The request's headers with AWS Signature Version 4 added (service ``s3``)."""
    now = now or dt.datetime.now(dt.UTC)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    out = {k.lower(): str(v).strip() for k, v in (headers or {}).items()}
    out["host"] = loc.host
    out["x-amz-content-sha256"] = payload_sha256
    out["x-amz-date"] = amz_date
    if creds.token:
        out["x-amz-security-token"] = creds.token
    canonical, names = canonical_request(method, loc, query, out, payload_sha256)
    scope = f"{day}/{region}/s3/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = f"AWS4{creds.secret_key}".encode()
    for part in (day, region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    out["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={creds.access_key}/{scope}, "
        f"SignedHeaders={names}, Signature={signature}"
    )
    return out


def canonical_request(
    method: str, loc: Location, query: str, headers: dict[str, str], payload_sha256: str
) -> tuple[str, str]:
    """SigV4's canonical request (every header given is signed; names in lower case) and
    the signed header list. The path is used as sent: S3 does not normalise it."""
    names = sorted(headers)
    canonical = "\n".join(
        [
            method,
            loc.path,
            query,
            "".join(f"{n}:{' '.join(headers[n].split())}\n" for n in names),
            ";".join(names),
            payload_sha256,
        ]
    )
    return canonical, ";".join(names)


class Session:
    """Keep-alive connections, one per thread and host."""

    def __init__(self, *, timeout: float = TIMEOUT, cafile: str | None = None):
        self.timeout = timeout
        self.cafile = cafile if cafile is not None else os.environ.get("AWS_CA_BUNDLE")
        self._local = threading.local()
        self._context: ssl.SSLContext | None = None

    def _conn(self, loc: Location, fresh: bool = False) -> http.client.HTTPConnection:
        conns: dict[tuple[str, str], http.client.HTTPConnection] = self._local.__dict__.setdefault(
            "conns", {}
        )
        key = (loc.scheme, loc.host)
        conn = conns.get(key)
        if conn is None or fresh:
            if conn is not None:
                conn.close()
            if loc.scheme == "https":
                if self._context is None:
                    self._context = ssl.create_default_context(cafile=self.cafile or None)
                conn = http.client.HTTPSConnection(
                    loc.host, timeout=self.timeout, context=self._context
                )
            elif loc.scheme == "http":
                conn = http.client.HTTPConnection(loc.host, timeout=self.timeout)
            else:
                raise ValueError(f"unsupported scheme {loc.scheme!r}")
            conns[key] = conn
        return conn

    def close(self) -> None:
        for conn in self._local.__dict__.get("conns", {}).values():
            conn.close()

    def request(
        self,
        method: str,
        loc: Location,
        region: str,
        creds: Credentials,
        *,
        query: str = "",
    ) -> tuple[int, dict[str, str], bytes]:
        """A bodiless request (GET, HEAD, DELETE): status, headers (lower case), body."""
        headers = sign(method, loc, region, creds, EMPTY_SHA256, query=query)
        target = f"{loc.path}?{query}" if query else loc.path
        return self._exchange(
            loc, lambda conn: conn.request(method, target, headers=_wire(headers))
        )

    def _exchange(
        self, loc: Location, send: Callable[[http.client.HTTPConnection], None]
    ) -> tuple[int, dict[str, str], bytes]:
        """``send`` a request on a kept-alive connection and read the answer; a connection
        the server closed meanwhile is replaced once."""
        for attempt in (0, 1):
            conn = self._conn(loc, fresh=attempt > 0)
            try:
                send(conn)
                resp = conn.getresponse()
                body = resp.read()
                return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                conn.close()
                if attempt:
                    raise
            except BaseException:
                conn.close()  # mid-request: this connection cannot be reused
                raise
        raise AssertionError("unreachable")

    def head(self, loc: Location, region: str, creds: Credentials) -> tuple[int, dict[str, str]]:
        status, headers, _ = self.request("HEAD", loc, region, creds)
        return status, headers

    def put_file(
        self,
        loc: Location,
        region: str,
        creds: Credentials,
        source: Path,
        sha256: str,
        headers: dict[str, str],
        progress=None,  # type: ignore[no-untyped-def]
    ) -> tuple[int, dict[str, str], bytes]:
        """PUT ``source`` with its known sha256 as the signed payload hash."""
        size = source.stat().st_size
        signed = sign("PUT", loc, region, creds, sha256, {**headers, "content-length": str(size)})

        def send(conn: http.client.HTTPConnection) -> None:
            conn.putrequest("PUT", loc.path, skip_host=True, skip_accept_encoding=True)
            for name, value in _wire(signed).items():
                conn.putheader(name, value)
            conn.endheaders()
            with open(source, "rb") as f:
                _send_body(conn, f, size, progress)

        return self._exchange(loc, send)


def _wire(headers: dict[str, str]) -> dict[str, str]:
    """Header names as sent (``host`` included: the signature covers the exact value)."""
    return {("Host" if k == "host" else k): v for k, v in headers.items()}


def _send_body(conn: http.client.HTTPConnection, f, size: int, progress) -> None:  # type: ignore[no-untyped-def]
    """The body: ``sendfile`` in blocks on a plain socket, read + sendall over TLS."""
    sock = conn.sock
    assert sock is not None
    sent = 0
    while sent < size:
        block = min(SEND_BLOCK, size - sent)
        if isinstance(sock, ssl.SSLSocket):
            chunk = f.read(block)
            sock.sendall(chunk)
            n = len(chunk)
        else:
            n = sock.sendfile(f, sent, block)
        if not n:
            raise OSError(f"file shrank while uploading ({sent} of {size} bytes sent)")
        sent += n
        if progress is not None:
            progress(n)


def env_credentials(profile: str | None) -> Credentials | None:
    """Static credentials from the environment, unless a profile is asked for (then only
    boto3 knows: shared files, SSO, ``credential_process``)."""
    if profile or os.environ.get("AWS_PROFILE"):
        return None
    access = os.environ.get("AWS_ACCESS_KEY_ID")
    secret = os.environ.get("AWS_SECRET_ACCESS_KEY")
    if not access or not secret:
        return None
    return Credentials(access, secret, os.environ.get("AWS_SESSION_TOKEN") or None)


def _host(scheme: str, hostname: str, port: int | None) -> str:
    """The Host header for an endpoint, as botocore writes it: the name in lower case, an
    IPv6 address in brackets, the port only when it is not the scheme's default."""
    name = f"[{hostname}]" if ":" in hostname else hostname
    if port is None or port == {"http": 80, "https": 443}[scheme]:
        return name
    return f"{name}:{port}"


def _dns_bucket(bucket: str) -> bool:
    return bool(re.fullmatch(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]", bucket))


def _ip_host(host: str) -> bool:
    name = (
        host.rsplit(":", 1)[0].strip("[]") if not host.startswith("[") else host[1:].split("]")[0]
    )
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


def bucket_location(
    bucket: str,
    endpoint_url: str | None,
    region: str | None,
    addressing_style: str | None,
) -> tuple[Location, str] | None:
    """The bucket's root URL (path ending in '/') and the signing region, as boto3 would
    address them, from the settings and the environment alone; None when that takes
    boto3's own resolution (no region for AWS, a named custom host in 'auto' style)."""
    endpoint = (
        endpoint_url or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    )
    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    style = addressing_style or "auto"
    if endpoint:
        parts = urlsplit(endpoint)
        if parts.username or parts.password or parts.path not in ("", "/"):
            return None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
        try:
            port = parts.port
        except ValueError:  # not a number
            return None
        scheme, host = parts.scheme, _host(parts.scheme, parts.hostname, port)
        if style == "auto":
            if not _ip_host(host):
                return None
            style = "path"
        region = region or "us-east-1"
    else:
        if not region:
            return None
        scheme, host = "https", f"s3.{region}.amazonaws.com"
        if style == "auto":
            style = "virtual" if _dns_bucket(bucket) else "path"
    if style == "virtual":
        return Location(scheme, f"{bucket}.{host}", "/"), region
    return Location(scheme, host, f"/{quote(bucket, safe='')}/"), region


def object_location(root: Location, key: str) -> Location:
    return Location(root.scheme, root.host, root.path + quote_key(key))


def parse_listing(body: bytes) -> tuple[list[tuple[str, int]], str | None] | None:
    """A ListObjectsV2 page: [(key, size)] and the continuation token (None: last page);
    None if it is not one."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return None
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    if root.tag != f"{ns}ListBucketResult":
        return None
    items = [
        (item.findtext(f"{ns}Key") or "", int(item.findtext(f"{ns}Size") or 0))
        for item in root.iter(f"{ns}Contents")
    ]
    token = root.findtext(f"{ns}NextContinuationToken")
    more = root.findtext(f"{ns}IsTruncated") == "true" and token
    return [(k, n) for k, n in items if k], (token if more else None)


def b64_sha256(hexdigest: str) -> str:
    """A hex sha256 as ``x-amz-checksum-sha256`` wants it (base64 of the 32 bytes)."""
    return base64.b64encode(bytes.fromhex(hexdigest)).decode()


def refuses_checksum(status: int, code: str, body: bytes) -> bool:
    """Whether an error answer to a PUT says the store does not take the
    ``x-amz-checksum-sha256`` header (rather than that the bytes did not match it)."""
    if status not in (400, 501) or code in ("BadDigest", "XAmzContentSHA256Mismatch"):
        return False
    if code not in ("NotImplemented", "InvalidRequest", "InvalidArgument", "NotSupported"):
        return False
    return b"checksum" in body.lower()


def error_code(body: bytes) -> str:
    """<Code> of an S3 error document, or ''."""
    start, end = body.find(b"<Code>"), body.find(b"</Code>")
    return body[start + 6 : end].decode(errors="replace") if 0 <= start < end else ""
