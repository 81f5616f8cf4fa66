"""S3-compatible object storage as destination (AWS S3, R2, B2, MinIO, SeaweedFS …).

The only module that imports boto3/botocore, and only when an ``s3://`` destination is used
(importing boto3 costs a few hundred milliseconds). Credentials come from boto3's standard
chain alone (environment, shared config/profile, instance role); nothing here stores,
logs or formats them.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..errors import StorageError
from . import sigv4
from .base import BytesCallback, RemoteObject, RemoteSettings, TransferCancelled
from .s3codes import CREDENTIAL_CODES, CREDENTIALS_HINT, DENIED_CODES, MISSING_BUCKET_CODES
from .s3cond import ConditionalWrites

#: S3 bucket names (and the looser names other servers accept: dots, upper case for B2 …).
BUCKET_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,254}$")
SHA256_META = "sha256"  # stored as x-amz-meta-sha256
MB = 1024 * 1024
PART_SIZE = 8 * MB  # multipart threshold and part size: memory stays ~ PART_SIZE x CONCURRENCY
CONCURRENCY = 4  # parts in flight per file
FAST_MAX = 5 * 1024 * MB  # the largest single PUT S3 accepts
SHA256_RE = re.compile(r"[0-9a-f]{64}")
PROBE_KEY = "audiofeed-probe"  # only used to learn the bucket's URL (never requested)
log = logging.getLogger("audiofeed")
#: Optional upload cap in bytes per second (conference Wi-Fi, shared uplinks); env only.
BANDWIDTH_ENV = "AUDIOFEED_S3_MAX_BANDWIDTH"


def parse_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> ("bucket", "some/prefix")."""
    rest = url[len("s3://") :] if url.startswith("s3://") else url
    bucket, _, prefix = rest.partition("/")
    prefix = "/".join(part for part in prefix.split("/") if part)
    if not BUCKET_RE.match(bucket):
        raise StorageError(
            f"{url!r} is not s3://BUCKET/PREFIX (bucket names are 3-255 letters, digits, "
            "'.', '-' or '_')",
            field="publish.destination",
        )
    if ".." in prefix.split("/"):
        raise StorageError(f"{url!r}: the prefix may not contain '..'", field="publish.destination")
    return bucket, prefix


def sdk_checksums(endpoint_url: str | None) -> dict[str, str]:
    """boto3's request checksums for a store other than AWS: only where a request needs
    them (many S3-compatible stores refuse the SDK's default CRC32 trailers). The sha256
    in each object's metadata is checked after upload either way; the environment wins."""
    env = os.environ
    endpoint = endpoint_url or env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
    if not endpoint or env.get("AWS_REQUEST_CHECKSUM_CALCULATION"):
        return {}
    return {"request_checksum_calculation": "when_required"}


class S3Backend(ConditionalWrites):
    """Publishes into ``bucket`` under ``prefix``: direct signed requests where the
    environment says everything (``storage.sigv4``), boto3 for the rest (and for the
    manifest's conditional writes, ``s3cond``)."""

    def __init__(self, url: str, settings: RemoteSettings | None = None):
        self.bucket, self.prefix = parse_url(url)
        self.settings = settings = settings or RemoteSettings()
        bandwidth = os.environ.get(BANDWIDTH_ENV, "").strip()
        if bandwidth and not bandwidth.isdigit():
            raise StorageError(
                f"{bandwidth!r} is not a number of bytes per second (e.g. 5000000)",
                field=BANDWIDTH_ENV,
            )
        self.bandwidth = int(bandwidth) if bandwidth else None
        self._sdk: dict[str, Any] | None = None
        self._http = sigv4.Session()
        #: (bucket root, signing region, credentials) for direct requests; () = SDK only
        self._direct_state: tuple[sigv4.Location, str, sigv4.Credentials] | tuple[()] | None
        self._direct_state = None
        self._checksum_header = True  # with direct PUTs, until the server refuses it
        where = sigv4.bucket_location(
            self.bucket, settings.endpoint_url, settings.region, settings.addressing_style
        )
        url = (
            f"{where[0].scheme}://{where[0].host.removeprefix(self.bucket + '.')}" if where else ""
        )
        self.endpoint = _public(url or self.client.meta.endpoint_url)

    # -- the SDK, imported only when needed (a few hundred ms) ----------------------------
    def _boto(self) -> dict[str, Any]:
        if self._sdk is None:
            settings = self.settings
            with self._errors("connect"):
                import boto3
                from boto3.s3.transfer import TransferConfig
                from botocore.config import Config

                session = boto3.session.Session(profile_name=settings.profile)
                retries: dict[str, Any] = {}
                if not os.environ.get("AWS_RETRY_MODE") and not os.environ.get("AWS_MAX_ATTEMPTS"):
                    # backoff with jitter for throttling (503 SlowDown) and 5xx; env vars win
                    retries = {"mode": "standard", "max_attempts": 6}
                base = Config(
                    s3={"addressing_style": settings.addressing_style or "auto"},
                    connect_timeout=10,
                    read_timeout=60,
                    max_pool_connections=32,
                    user_agent_extra="audiofeed",
                    **sdk_checksums(settings.endpoint_url),
                )

                def client(config: Any) -> Any:
                    return session.client(
                        "s3",
                        endpoint_url=settings.endpoint_url,  # None: AWS_ENDPOINT_URL(_S3)
                        region_name=settings.region,  # None: AWS_REGION / the profile's
                        config=config,
                    )

                self._sdk = {
                    "session": session,
                    "client": client(base.merge(Config(retries=retries)) if retries else base),
                    # the first request (reading the manifest) fails fast on a wrong endpoint
                    "quick": client(
                        base.merge(
                            Config(
                                retries={"mode": "standard", "max_attempts": 2},
                                connect_timeout=5,
                            )
                        )
                    ),
                    "transfer": TransferConfig(
                        multipart_threshold=PART_SIZE,
                        multipart_chunksize=PART_SIZE,
                        max_concurrency=CONCURRENCY,
                        use_threads=True,
                        max_bandwidth=self.bandwidth,
                    ),
                }
        return self._sdk

    @property
    def client(self) -> Any:
        return self._boto()["client"]

    @property
    def quick(self) -> Any:
        return self._boto()["quick"]

    # -- direct requests (storage.sigv4): no SDK import, no per-request SDK overhead -------
    def _direct(self) -> tuple[sigv4.Location, str, sigv4.Credentials] | None:
        """Where and as whom to send direct requests; None: the SDK does everything.

        From the environment when it says everything (static keys, an endpoint or region);
        else from the SDK's own resolution (profiles, SSO, roles; boto3 is loaded then)."""
        if self._direct_state is None:
            self._direct_state = ()
            if os.environ.get("AUDIOFEED_S3_SDK_ONLY"):
                return None
            settings = self.settings
            creds = sigv4.env_credentials(settings.profile)
            where = sigv4.bucket_location(
                self.bucket, settings.endpoint_url, settings.region, settings.addressing_style
            )
            if creds and where:
                self._direct_state = (where[0], where[1], creds)
            else:
                with self._errors("connect"):
                    found = self._boto()["session"].get_credentials()
                if found is None:
                    return None
                frozen = found.get_frozen_credentials()
                creds = sigv4.Credentials(
                    frozen.access_key, frozen.secret_key, frozen.token or None
                )
                url = self.client.generate_presigned_url(
                    "put_object", Params={"Bucket": self.bucket, "Key": PROBE_KEY}
                )
                loc = sigv4.Location.from_url(url.split("?", 1)[0])
                if not loc.path.endswith("/" + PROBE_KEY):
                    return None
                root = sigv4.Location(loc.scheme, loc.host, loc.path[: -len(PROBE_KEY)])
                region = self.client.meta.region_name or "us-east-1"
                self._direct_state = (root, region, creds)
        return self._direct_state or None

    def _request(
        self, method: str, key: str | None, query: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes] | None:
        """A direct bodiless request for an object (or the bucket, ``key`` None); None when
        direct requests are off or the connection failed (the caller uses the SDK)."""
        direct = self._direct()
        if direct is None:
            return None
        root, region, creds = direct
        loc = sigv4.object_location(root, key) if key is not None else root
        try:
            return self._http.request(
                method, loc, region, creds, query=sigv4.canonical_query(query or {})
            )
        except OSError as exc:
            log.debug("direct %s failed (%s); using the SDK", method, exc)
            return None

    # -- naming --------------------------------------------------------------------------
    def describe(self) -> str:
        where = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        return f"{where} ({self.endpoint})"

    def _key(self, key: str) -> str:
        if key.startswith("/") or any(part in ("", ".", "..") for part in key.split("/")):
            raise StorageError(f"object key {key!r} escapes the destination")
        return f"{self.prefix}/{key}" if self.prefix else key

    def _rel(self, full: str) -> str:
        return full[len(self.prefix) + 1 :] if self.prefix else full

    # -- errors --------------------------------------------------------------------------
    @contextmanager
    def _errors(self, doing: str, key: str | None = None) -> Iterator[None]:
        """Turn SDK exceptions into one StorageError line that never includes a secret."""
        try:
            yield
        except StorageError:
            raise
        except Exception as exc:
            raise self._translate(exc, doing, key) from None

    def _translate(self, exc: Exception, doing: str, key: str | None) -> StorageError:
        from botocore import exceptions as bx

        bucket = getattr(self, "bucket", "?")
        endpoint = getattr(self, "endpoint", None) or _public(self.settings.endpoint_url or "AWS")
        what = f"{doing} {key}" if key else doing
        if isinstance(exc, bx.ProfileNotFound):
            name = getattr(exc, "kwargs", {}).get("profile") or self.settings.profile
            return StorageError(
                f"profile {name!r} not found in the AWS shared config files",
                field="--profile" if self.settings.profile else "AWS_PROFILE",
            )
        if isinstance(exc, bx.NoCredentialsError | bx.PartialCredentialsError):
            return StorageError(f"no usable credentials for {endpoint}: {CREDENTIALS_HINT}")
        if isinstance(exc, bx.EndpointConnectionError | bx.ConnectTimeoutError):
            return StorageError(
                f"cannot reach {endpoint} ({type(exc).__name__}); check publish.endpoint_url "
                "and your network"
            )
        if isinstance(exc, bx.ReadTimeoutError | bx.ConnectionClosedError):
            return StorageError(f"{what}: {endpoint} stopped answering; run publish again")
        if isinstance(exc, bx.ClientError):
            err = exc.response.get("Error", {})
            code = str(err.get("Code", ""))
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in MISSING_BUCKET_CODES:
                return StorageError(
                    f"bucket {bucket!r} does not exist at {endpoint}; create it or fix "
                    "publish.destination",
                    field="publish.destination",
                )
            if code in CREDENTIAL_CODES:
                return StorageError(
                    f"credentials rejected by {endpoint} ({code}): {CREDENTIALS_HINT}"
                )
            if code in DENIED_CODES or status == 403:
                return StorageError(
                    f"access denied to s3://{bucket} at {endpoint} while trying to {what} "
                    f"({code or status}); the credentials need s3:ListBucket, s3:GetObject, "
                    "s3:PutObject (and s3:DeleteObject for --prune)"
                )
            message = _one_line(str(err.get("Message") or ""))
            return StorageError(f"{what}: {endpoint} answered {code or status}: {message}")
        if isinstance(exc, bx.BotoCoreError):
            return StorageError(f"{what}: {_one_line(str(exc))}")
        if isinstance(exc, OSError):
            return StorageError(f"{what}: {exc.strerror or exc}")
        return StorageError(f"{what}: {type(exc).__name__}")

    # -- reading -------------------------------------------------------------------------
    def list(self) -> dict[str, RemoteObject]:
        direct = self._list_direct()
        if direct is not None:
            return direct
        result: dict[str, RemoteObject] = {}
        with self._errors("list"):
            paginator = self.client.get_paginator("list_objects_v2")
            kwargs: dict[str, str] = {"Bucket": self.bucket}
            if self.prefix:
                kwargs["Prefix"] = self.prefix + "/"
            for page in paginator.paginate(**kwargs):
                for item in page.get("Contents", []):
                    full = item["Key"]
                    if full.endswith("/"):
                        continue  # "folder" markers some tools create
                    key = self._rel(full)
                    result[key] = RemoteObject(key=key, size=int(item["Size"]))
        return result

    def _list_direct(self) -> dict[str, RemoteObject] | None:
        result: dict[str, RemoteObject] = {}
        query = {"list-type": "2", **({"prefix": self.prefix + "/"} if self.prefix else {})}
        while True:
            answer = self._request("GET", None, query)
            page = sigv4.parse_listing(answer[2]) if answer and answer[0] == 200 else None
            if page is None:
                return None
            for full, size in page[0]:
                if not full.endswith("/"):  # "folder" markers some tools create
                    result[self._rel(full)] = RemoteObject(key=self._rel(full), size=size)
            if page[1] is None:
                return result
            query["continuation-token"] = page[1]

    def head(self, key: str) -> RemoteObject | None:
        answer = self._request("HEAD", self._key(key))
        if answer is not None and answer[0] in (200, 404):
            if answer[0] == 404:
                return None
            h = answer[1]
            return RemoteObject(
                key=key,
                size=int(h.get("content-length", 0)),
                sha256=h.get(f"x-amz-meta-{SHA256_META}"),
                content_type=h.get("content-type"),
            )
        from botocore.exceptions import ClientError

        with self._errors("check", key):
            try:
                resp = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                    return None
                raise
        meta = {k.lower(): v for k, v in (resp.get("Metadata") or {}).items()}
        return RemoteObject(
            key=key,
            size=int(resp["ContentLength"]),
            sha256=meta.get(SHA256_META),
            content_type=resp.get("ContentType"),
        )

    def get(self, key: str) -> bytes | None:
        answer = self._request("GET", self._key(key))
        if answer is not None:
            if answer[0] == 200:
                return answer[2]
            if answer[0] == 404 and sigv4.error_code(answer[2]) == "NoSuchKey":
                return None
        from botocore.exceptions import ClientError

        with self._errors("read", key):
            try:
                resp = self.quick.get_object(Bucket=self.bucket, Key=self._key(key))
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                    return None
                raise
            return resp["Body"].read()

    # -- writing -------------------------------------------------------------------------
    def put(
        self,
        key: str,
        source: Path,
        *,
        content_type: str,
        cache_control: str,
        sha256: str,
        progress: BytesCallback | None = None,
    ) -> RemoteObject | None:
        """Stream ``source`` up; the object appears only when complete.

        Fast path (``_put_signed``): one PUT whose signed payload hash and
        ``x-amz-checksum-sha256`` are the sha256 audiofeed computed while building, so the
        file is never hashed again and the destination itself verifies every byte. Where
        that is not possible (no static credentials, a bandwidth cap, a server that refuses
        it) boto3's transfer manager: multipart above PART_SIZE, parts in parallel, the
        SDK's per-request checksums plus our sha256 metadata (then checked by HEAD)."""
        stored = self._put_signed(key, source, content_type, cache_control, sha256, progress)
        if stored is not None:
            return stored
        extra: dict[str, Any] = {
            "ContentType": content_type,
            "CacheControl": cache_control,
            "Metadata": {SHA256_META: sha256},
        }
        if self.settings.acl:
            extra["ACL"] = self.settings.acl
        if self.settings.storage_class:
            extra["StorageClass"] = self.settings.storage_class
        with self._errors("upload", key):
            from boto3.s3.transfer import create_transfer_manager

            manager = create_transfer_manager(self.client, self._boto()["transfer"])
            try:
                future = manager.upload(
                    str(source),
                    self.bucket,
                    self._key(key),
                    extra_args=extra,
                    subscribers=[_subscriber(progress)] if progress else None,
                )
                future.result()  # a cancelled upload raises here; its parts are aborted
            finally:
                manager.shutdown()
        return None

    def _put_signed(
        self,
        key: str,
        source: Path,
        content_type: str,
        cache_control: str,
        sha256: str,
        progress: BytesCallback | None,
    ) -> RemoteObject | None:
        """The fast path of ``put``; None: use the SDK instead (nothing was stored)."""
        size = source.stat().st_size
        if self.bandwidth or size > FAST_MAX or not SHA256_RE.fullmatch(sha256):
            return None
        direct = self._direct()
        if direct is None:
            return None
        root, region, creds = direct
        headers = {
            "content-type": content_type,
            "cache-control": cache_control,
            f"x-amz-meta-{SHA256_META}": sha256,
            "x-amz-checksum-sha256": sigv4.b64_sha256(sha256) if self._checksum_header else "",
            "x-amz-acl": self.settings.acl or "",
            "x-amz-storage-class": self.settings.storage_class or "",
        }
        headers = {k: v for k, v in headers.items() if v}
        loc = sigv4.object_location(root, self._key(key))
        try:
            status, _, body = self._http.put_file(
                loc, region, creds, source, sha256, headers, progress
            )
        except OSError as exc:
            log.debug("signed PUT of %s failed (%s); using the SDK", key, exc)
            return None
        if status == 200:
            return RemoteObject(key=key, size=size, sha256=sha256, content_type=content_type)
        code = sigv4.error_code(body)
        if code in ("BadDigest", "XAmzContentSHA256Mismatch"):
            raise StorageError(
                f"upload {key}: the file changed while publishing (sha256 differs); "
                "run publish again"
            )
        if self._checksum_header and sigv4.refuses_checksum(status, code, body):
            # the signed payload hash (x-amz-content-sha256) still gets every byte checked
            log.debug("%s: %s to x-amz-checksum-sha256; PUT again without it", key, code)
            self._checksum_header = False
            return self._put_signed(key, source, content_type, cache_control, sha256, progress)
        log.debug("signed PUT of %s answered %s %s; using the SDK", key, status, code)
        self._direct_state = ()  # this server wants the SDK's way
        return None

    def delete(self, key: str) -> None:
        with self._errors("delete", key):
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))


def _subscriber(callback: BytesCallback) -> Any:
    """A transfer subscriber feeding ``callback``; ``TransferCancelled`` from it cancels the
    transfer the SDK's way (parts in flight finish, no new ones start, the multipart upload
    is aborted) instead of failing a read, which the SDK would retry with backoff."""
    from s3transfer.subscribers import BaseSubscriber

    class Progress(BaseSubscriber):
        def on_progress(self, future: Any, bytes_transferred: int, **kwargs: Any) -> None:
            try:
                callback(bytes_transferred)
            except TransferCancelled:
                future.cancel()

    return Progress()


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]


def _public(url: str) -> str:
    """An endpoint URL fit for messages: any user:password@ part removed."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc))
