"""audiofeed's own Signature V4 (storage/sigv4.py) pinned to AWS's published examples and to
botocore's signer, request by request; and the direct PUT's answer to a store that refuses
the ``x-amz-checksum-sha256`` header (through a proxy in front of a real SeaweedFS)."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore.auth
import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials as BotoCredentials

from audiofeed.storage import RemoteSettings, sigv4
from audiofeed.storage.s3 import S3Backend
from tests.s3_show import new_bucket, use_s3_env
from tests.support.faultproxy import fault_proxy

# -- AWS's published examples (S3 API reference, "Examples: Signature Calculations in AWS
# Signature Version 4", header-based authentication): fixed vectors ----------------------------
EXAMPLE = sigv4.Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
EXAMPLE_TIME = dt.datetime(2013, 5, 24, tzinfo=dt.UTC)
EXAMPLE_HOST = "examplebucket.s3.amazonaws.com"
EXAMPLE_SCOPE = "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"


def example(
    method: str,
    path: str,
    payload: str = sigv4.EMPTY_SHA256,
    headers: dict[str, str] | None = None,
    query: str = "",
) -> str:
    loc = sigv4.Location("https", EXAMPLE_HOST, path)
    signed = sigv4.sign(
        method, loc, "us-east-1", EXAMPLE, payload, headers, query=query, now=EXAMPLE_TIME
    )
    return signed["authorization"]


def test_aws_example_get_object() -> None:
    assert example("GET", "/test.txt", headers={"Range": "bytes=0-9"}) == (
        f"AWS4-HMAC-SHA256 Credential={EXAMPLE_SCOPE}, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )


def test_aws_example_put_object() -> None:
    """Key ``test$file.text`` (``$`` encoded), a Date header, a signed payload hash."""
    payload = hashlib.sha256(b"Welcome to Amazon S3.").hexdigest()
    assert payload == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
    headers = {"Date": "Fri, 24 May 2013 00:00:00 GMT", "x-amz-storage-class": "REDUCED_REDUNDANCY"}
    path = "/" + sigv4.quote_key("test$file.text")
    assert path == "/test%24file.text"
    assert example("PUT", path, payload, headers) == (
        f"AWS4-HMAC-SHA256 Credential={EXAMPLE_SCOPE}, "
        "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, "
        "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
    )


def test_aws_example_get_bucket_lifecycle() -> None:
    assert example("GET", "/", query="lifecycle=").endswith(
        "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"
    )


def test_aws_example_list_objects() -> None:
    query = sigv4.canonical_query({"max-keys": "2", "prefix": "J"})
    assert query == "max-keys=2&prefix=J"
    assert example("GET", "/", query=query).endswith(
        "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
    )


# -- botocore's signer, on the same requests --------------------------------------------------
FROZEN = dt.datetime(2026, 11, 28, 12, 34, 56, tzinfo=dt.UTC)
KEYS = (
    "audio/session 1.mp3",
    "audio/café – ü/日本語.mp3",
    "a+b~c%d=e&f'g(h)!*,;:@$.mp3",
    "deep/path/with//double/slash.mp3",
    "notes/..hidden./file.name",
)
ENDPOINTS = (  # (endpoint URL or None for AWS, region, addressing style)
    ("http://127.0.0.1:8333", "us-east-1", "path"),
    ("https://minio.example.org:9000", "eu-central-1", "path"),
    ("https://s3.example.net", "auto", "virtual"),
    (None, "eu-west-1", "virtual"),
    (None, "ap-southeast-2", "path"),
)
TOKEN = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+session/token=="


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    """botocore signs at FROZEN (its clock, not ours: we pass ``now``)."""
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: FROZEN.replace(tzinfo=None))
    return FROZEN


def boto_sign(
    method: str,
    url: str,
    region: str,
    creds: sigv4.Credentials,
    headers: dict[str, str],
    body: bytes = b"",
) -> tuple[AWSRequest, str]:
    """botocore's S3 signature for the request: (the signed request, its canonical request)."""
    request = AWSRequest(method=method, url=url, headers=dict(headers), data=body)
    auth = S3SigV4Auth(
        BotoCredentials(creds.access_key, creds.secret_key, creds.token), "s3", region
    )
    auth.add_auth(request)
    return request, canonical_of(auth, request)


def canonical_of(auth: S3SigV4Auth, request: AWSRequest) -> str:
    """The canonical request botocore signed (its Authorization header set aside)."""
    value = request.headers["Authorization"]
    del request.headers["Authorization"]
    try:
        return auth.canonical_request(request)
    finally:
        request.headers["Authorization"] = value


def ours(
    method: str,
    loc: sigv4.Location,
    region: str,
    creds: sigv4.Credentials,
    payload: str,
    headers: dict[str, str],
    query: str = "",
) -> tuple[dict[str, str], str]:
    signed = sigv4.sign(method, loc, region, creds, payload, headers, query=query, now=FROZEN)
    names = {"host", "x-amz-content-sha256", "x-amz-date", "x-amz-security-token"}
    given = {k.lower(): str(v).strip() for k, v in headers.items()}
    canonical, _ = sigv4.canonical_request(
        method,
        loc,
        query,
        {**given, **{k: v for k, v in signed.items() if k in names}},
        payload,
    )
    return signed, canonical


def assert_same(request: AWSRequest, boto_canonical: str, signed: dict, canonical: str) -> None:
    assert canonical == boto_canonical
    assert signed["authorization"] == request.headers["Authorization"]
    for name in ("X-Amz-Date", "X-Amz-Content-SHA256", "X-Amz-Security-Token"):
        assert signed.get(name.lower()) == request.headers.get(name)


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize(("endpoint", "region", "style"), ENDPOINTS)
@pytest.mark.parametrize("token", [None, TOKEN])
def test_put_signature_is_botocores(
    frozen: dt.datetime, key: str, endpoint: str | None, region: str, style: str, token: str | None
) -> None:
    """The direct PUT: payload hash = the file's sha256, plus x-amz-checksum-sha256,
    metadata, cache control, ACL and storage class, as storage/s3.py sends them."""
    body = b"ID3" + key.encode() * 7
    sha = hashlib.sha256(body).hexdigest()
    creds = sigv4.Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    root, signing_region = sigv4.bucket_location("show-bucket", endpoint, region, style)  # type: ignore[misc]
    assert signing_region == region
    loc = sigv4.object_location(root, key)
    headers = {
        "content-type": "audio/mpeg",
        "cache-control": "public,  max-age=31536000,   immutable",  # runs of spaces
        "x-amz-meta-sha256": sha,
        "x-amz-checksum-sha256": base64.b64encode(bytes.fromhex(sha)).decode(),
        "x-amz-acl": "public-read",
        "x-amz-storage-class": "STANDARD_IA",
        "content-length": str(len(body)),
    }
    signed, canonical = ours("PUT", loc, region, creds, sha, headers)
    request, boto_canonical = boto_sign(
        "PUT", f"{loc.scheme}://{loc.host}{loc.path}", region, creds, headers, body
    )
    assert_same(request, boto_canonical, signed, canonical)


@pytest.mark.parametrize("method", ["HEAD", "GET", "DELETE"])
@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize(("endpoint", "region", "style"), ENDPOINTS[:3])
def test_bodiless_signature_is_botocores(
    frozen: dt.datetime, method: str, key: str, endpoint: str, region: str, style: str
) -> None:
    creds = sigv4.Credentials("AKIDEXAMPLE", "secret/with+chars", TOKEN)
    root, _ = sigv4.bucket_location("show-bucket", endpoint, region, style)  # type: ignore[misc]
    loc = sigv4.object_location(root, key)
    signed, canonical = ours(method, loc, region, creds, sigv4.EMPTY_SHA256, {})
    request, boto_canonical = boto_sign(
        method, f"{loc.scheme}://{loc.host}{loc.path}", region, creds, {}
    )
    assert_same(request, boto_canonical, signed, canonical)


LISTINGS = (
    {"list-type": "2"},
    {"list-type": "2", "prefix": "shows/my show/"},
    {"list-type": "2", "prefix": "café ü+~/", "continuation-token": "1/ab+cd=="},
    {"list-type": "2", "prefix": "a*b'c(d)!", "max-keys": "1000", "encoding-type": "url"},
    {"~tilde": "1", "zz": "2", "é": "3", "a-b": "4", "a_b": "5", "A": "6"},  # sort by encoded
)


@pytest.mark.parametrize("params", LISTINGS)
def test_listing_query_is_botocores(frozen: dt.datetime, params: dict[str, str]) -> None:
    """GET ?list-type=2&prefix=…: the query encoded and sorted as botocore does (it sorts the
    *encoded* names: ``%C3%A9`` comes before ``~tilde``)."""
    creds = sigv4.Credentials("AKIDEXAMPLE", "secret", None)
    root, region = sigv4.bucket_location("show-bucket", "http://127.0.0.1:8333", None, None)  # type: ignore[misc]
    query = sigv4.canonical_query(params)
    signed, canonical = ours("GET", root, region, creds, sigv4.EMPTY_SHA256, {}, query)
    request = AWSRequest(method="GET", url=f"{root.scheme}://{root.host}{root.path}", params=params)
    auth = S3SigV4Auth(BotoCredentials(creds.access_key, creds.secret_key), "s3", region)
    auth.add_auth(request)
    assert query == auth.canonical_query_string(request)
    assert_same(request, canonical_of(auth, request), signed, canonical)


# -- where boto3 would send the request: addressing, key encoding, host and port ------------
class Captured(Exception):
    pass


@functools.cache
def boto_client(endpoint: str | None, region: str, style: str) -> tuple[Any, list[str]]:
    """botocore's own client (made once per endpoint: that is the slow part) and the list
    the URL of each request it is about to send lands in (it is then stopped)."""
    client = boto3.session.Session(
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name=region
    ).client("s3", endpoint_url=endpoint, config=Config(s3={"addressing_style": style}))
    seen: list[str] = []

    def capture(request: AWSRequest, **_: object) -> None:
        seen.append(request.url)
        raise Captured

    client.meta.events.register("before-send.s3", capture)
    return client, seen


def boto_url(endpoint: str | None, region: str, style: str, call: str, **params: str) -> str:
    """The URL botocore's own client sends ``call`` to (captured before sending)."""
    client, seen = boto_client(endpoint, region, style)
    seen.clear()
    with pytest.raises(Captured):
        getattr(client, call)(**params)
    return seen[0]


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize(
    ("endpoint", "region", "style"),
    [
        *ENDPOINTS,
        ("https://s3.example.org:443", "us-east-1", "path"),  # the default port: dropped
        ("http://LOCALHOST:80", "us-east-1", "path"),
        ("http://[::1]:8333", "us-east-1", "auto"),
        ("http://127.0.0.1:8333", "us-east-1", "auto"),
        (None, "eu-west-1", "auto"),
    ],
)
def test_object_url_is_where_boto3_sends(
    monkeypatch: pytest.MonkeyPatch, key: str, endpoint: str | None, region: str, style: str
) -> None:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    found = sigv4.bucket_location("show-bucket", endpoint, region, style)
    assert found is not None
    loc = sigv4.object_location(found[0], key)
    url = boto_url(endpoint, region, style, "head_object", Bucket="show-bucket", Key=key)
    parts = urlsplit(url)
    assert (loc.scheme, loc.path) == (parts.scheme, parts.path)
    # the Host botocore signs (and urllib3 sends) for that URL: lower case, no default port
    assert loc.host == botocore.auth._host_from_url(url)


def test_listing_url_is_where_boto3_sends(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    params = {"list-type": "2", "prefix": "shows/café ü+~/", "continuation-token": "1/ab+cd=="}
    params["encoding-type"] = "url"
    url = boto_url(
        "http://127.0.0.1:8333",
        "us-east-1",
        "path",
        "list_objects_v2",
        Bucket="show-bucket",
        Prefix=params["prefix"],
        ContinuationToken=params["continuation-token"],
        EncodingType="url",
    )
    parts = urlsplit(url)
    assert parts.path == "/show-bucket"  # botocore drops the bucket root's slash; S3 accepts both
    sent = sorted(parts.query.split("&"))
    assert sent == sigv4.canonical_query(params).split("&")


# -- a store that refuses x-amz-checksum-sha256 ----------------------------------------------
def test_refusal_of_the_checksum_header_is_recognised() -> None:
    r2_like = (
        b"<Error><Code>NotImplemented</Code><Message>Header 'x-amz-checksum-sha256' with "
        b"ChecksumType 'FULL_OBJECT' not implemented</Message></Error>"
    )
    assert sigv4.refuses_checksum(501, "NotImplemented", r2_like)
    assert sigv4.refuses_checksum(
        400, "InvalidRequest", b"<Message>Checksum not supported</Message>"
    )
    assert not sigv4.refuses_checksum(400, "BadDigest", b"<Message>checksum mismatch</Message>")
    assert not sigv4.refuses_checksum(403, "SignatureDoesNotMatch", b"<Message>checksum</Message>")
    assert not sigv4.refuses_checksum(501, "NotImplemented", b"<Message>x-amz-acl</Message>")


def test_direct_put_drops_the_checksum_header_a_store_refuses(
    tmp_path: Path, seaweedfs, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Cloudflare R2 lists SHA-256 full-object checksums as not implemented. A store that
    answers NotImplemented to the header gets the same direct PUT again without it (the
    signed payload hash still makes it check every byte), and every later PUT goes without
    it; nothing falls back to the SDK, nothing is uploaded twice after the first refusal."""
    bucket = new_bucket(seaweedfs)
    use_s3_env(monkeypatch, seaweedfs)
    seen: list[tuple[str, bool, str]] = []

    def refuse(method: str, path: str, headers: dict[str, str]) -> tuple[int, str, str] | None:
        seen.append((method, "x-amz-checksum-sha256" in headers, headers.get("user-agent", "")))
        if method == "PUT" and "x-amz-checksum-sha256" in headers:
            message = (
                "Header 'x-amz-checksum-sha256' with ChecksumType 'FULL_OBJECT' not implemented"
            )
            return 501, "NotImplemented", message
        return None

    with fault_proxy(seaweedfs.endpoint, refuse=refuse) as proxy:
        backend = S3Backend(
            f"s3://{bucket}/r2", RemoteSettings(endpoint_url=proxy.url, region="us-east-1")
        )
        shas = {}
        for name in ("a.mp3", "b.mp3"):
            path = tmp_path / name
            path.write_bytes(b"\xff\xfb" + os.urandom(40_000))
            shas[name] = hashlib.sha256(path.read_bytes()).hexdigest()
            stored = backend.put(
                name, path, content_type="audio/mpeg", cache_control="x", sha256=shas[name]
            )
            assert stored is not None and stored.sha256 == shas[name]  # the direct path
        assert backend.head("a.mp3") is not None
        assert proxy.counts["refused"] == 1
    puts = [(with_checksum, agent) for method, with_checksum, agent in seen if method == "PUT"]
    assert [c for c, _ in puts] == [True, False, False]
    assert not any("Boto3" in agent or "Botocore" in agent for _, agent in puts)
    for name, sha in shas.items():
        body = seaweedfs.client().get_object(Bucket=bucket, Key=f"r2/{name}")["Body"].read()
        assert hashlib.sha256(body).hexdigest() == sha
