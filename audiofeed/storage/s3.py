"""S3-compatible object storage as destination (AWS S3, R2, B2, MinIO, SeaweedFS …).

The only module that imports boto3/botocore, and only when an ``s3://`` destination is used
(importing boto3 costs a few hundred milliseconds). Credentials come from boto3's standard
chain alone (environment, shared config/profile, instance role); nothing here stores,
logs or formats them.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..errors import StorageError
from .base import BytesCallback, RemoteObject, RemoteSettings, TransferCancelled
from .s3codes import CREDENTIAL_CODES, CREDENTIALS_HINT, DENIED_CODES, MISSING_BUCKET_CODES
from .s3cond import ConditionalWrites

#: S3 bucket names (and the looser names other servers accept: dots, upper case for B2 …).
BUCKET_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,254}$")
SHA256_META = "sha256"  # stored as x-amz-meta-sha256
MB = 1024 * 1024
#: files below this size go up in one PUT (the store checks the full-object sha256);
#: larger ones as multipart uploads (see docs/performance.md for how these were chosen)
MULTIPART_THRESHOLD = 64 * MB
#: up to this size a PUT is sent without the transfer manager (_put_object)
DIRECT_PUT = 8 * MB
PART_SIZE = 8 * MB  # memory stays ~ PART_SIZE x CONCURRENCY per large file
CONCURRENCY = 4  # parts in flight per file
MAX_CONNECTIONS = 32  # the deploy sends up to 16 objects at once, each up to 4 parts
SHA256_RE = re.compile(r"[0-9a-f]{64}")
#: the answer when the bytes that arrived are not the ones the checksum names
CHANGED_WHILE_SENDING = {"BadDigest", "XAmzContentSHA256Mismatch", "InvalidDigest"}
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
    """Publishes into ``bucket`` under ``prefix`` through boto3 and its transfer manager
    (and the manifest's conditional writes, ``s3cond``)."""

    def __init__(self, url: str, settings: RemoteSettings | None = None):
        self.bucket, self.prefix = parse_url(url)
        self.settings = settings or RemoteSettings()
        bandwidth = os.environ.get(BANDWIDTH_ENV, "").strip()
        if bandwidth and not bandwidth.isdigit():
            raise StorageError(
                f"{bandwidth!r} is not a number of bytes per second (e.g. 5000000)",
                field=BANDWIDTH_ENV,
            )
        self.bandwidth = int(bandwidth) if bandwidth else None
        self._sdk: dict[str, Any] | None = None
        self._sdk_lock = threading.Lock()
        #: whether single PUTs carry the build's sha256 as ``ChecksumSHA256``, until the
        #: store says it does not take it (Cloudflare R2)
        self._full_checksum = True
        self.endpoint = _public(self.settings.endpoint_url or self.client.meta.endpoint_url)

    # -- the SDK, imported only when needed (a few hundred ms) ----------------------------
    def _boto(self) -> dict[str, Any]:
        with self._sdk_lock:
            if self._sdk is None:
                self._sdk = self._connect()
        return self._sdk

    def _connect(self) -> dict[str, Any]:
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
                max_pool_connections=MAX_CONNECTIONS,
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

            main = base.merge(Config(retries=retries)) if retries else base
            return {
                "new": lambda config: client(main.merge(config)),
                "client": client(main),
                "transfer": TransferConfig(
                    multipart_threshold=MULTIPART_THRESHOLD,
                    multipart_chunksize=PART_SIZE,
                    max_concurrency=CONCURRENCY,
                    use_threads=True,
                    max_bandwidth=self.bandwidth,
                ),
            }

    @property
    def client(self) -> Any:
        return self._boto()["client"]

    @property
    def quick(self) -> Any:
        """A client that gives up soon (the first request: a wrong endpoint fails fast)."""
        return self._variant(
            "quick", retries={"mode": "standard", "max_attempts": 2}, connect_timeout=5
        )

    @property
    def uploader(self) -> Any:
        """The client for uploads that carry a SHA-256 checksum the store verifies (a
        signed header): the body is not hashed a second time for the signature."""
        style = self.settings.addressing_style or "auto"
        return self._variant(
            "upload", s3={"addressing_style": style, "payload_signing_enabled": False}
        )

    def _variant(self, name: str, **config: Any) -> Any:
        sdk = self._boto()
        with self._sdk_lock:
            if name not in sdk:
                from botocore.config import Config

                sdk[name] = sdk["new"](Config(**config))
        return sdk[name]

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
            if code in CHANGED_WHILE_SENDING:
                return StorageError(
                    f"{what}: the file changed while publishing (sha256 differs); run publish again"
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
        result: dict[str, RemoteObject] = {}
        with self._errors("list"):
            paginator = self.quick.get_paginator("list_objects_v2")
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

    def head(self, key: str) -> RemoteObject | None:
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
        from botocore.exceptions import ClientError

        with self._errors("read", key):
            try:
                resp = self.quick.get_object(Bucket=self.bucket, Key=self._key(key))
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                    return None
                raise
            return resp["Body"].read()

    def stat(self, key: str) -> dict[str, Any] | None:
        """An object's size, ETag and audiofeed sha256 metadata (None if absent): no bytes."""
        from botocore.exceptions import ClientError

        with self._errors("read", key):
            try:
                resp = self.quick.head_object(Bucket=self.bucket, Key=self._key(key))
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                    return None
                raise
        meta = {k.lower(): v for k, v in (resp.get("Metadata") or {}).items()}
        sha = meta.get(SHA256_META)
        return {
            "size": int(resp["ContentLength"]),
            "etag": str(resp.get("ETag", "")).strip('"'),
            "sha256": sha if sha and SHA256_RE.fullmatch(sha) else None,
        }

    def download(self, key: str, dest: Path) -> str:
        """Copy an object to ``dest`` (whole or not at all), hashing as it arrives; its sha256."""
        import hashlib

        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".tmp-{dest.name}-{os.getpid()}")
        digest = hashlib.sha256()
        try:
            with self._errors("read", key):
                body = self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
                with open(tmp, "wb") as f:
                    for chunk in body.iter_chunks(MB):
                        digest.update(chunk)
                        f.write(chunk)
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
        return digest.hexdigest()

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
        """Stream ``source`` up with boto3's transfer manager; the object appears only when
        complete. Up to ``MULTIPART_THRESHOLD`` one PUT whose ``ChecksumSHA256`` is the
        sha256 the build computed, so the store itself verifies every byte (the answer is
        then trusted); above it a multipart upload, parts in parallel, each with the SDK's
        SHA-256 part checksum, and our sha256 in the metadata (then checked by HEAD)."""
        size = source.stat().st_size
        full = bool(self._full_checksum and size < MULTIPART_THRESHOLD)
        full = full and bool(SHA256_RE.fullmatch(sha256))
        extra: dict[str, Any] = {
            "ContentType": content_type,
            "CacheControl": cache_control,
            "Metadata": {SHA256_META: sha256},
        }
        if full:
            extra["ChecksumSHA256"] = base64.b64encode(bytes.fromhex(sha256)).decode()
        elif self._full_checksum:
            extra["ChecksumAlgorithm"] = "SHA256"  # each part checked by the store
        if self.settings.acl:
            extra["ACL"] = self.settings.acl
        if self.settings.storage_class:
            extra["StorageClass"] = self.settings.storage_class
        try:
            if full and not self.bandwidth and size <= DIRECT_PUT:
                self._put_object(key, source, size, extra, progress)
            else:
                self._transfer(key, source, extra, progress)
        except StorageError as exc:
            refused = isinstance(exc.__cause__, Exception) and _refuses(exc.__cause__)
            if not (self._full_checksum and refused):
                raise
            # the store does not take a full-object SHA-256 (R2): the SDK's checksums and
            # the HEAD after upload still check every byte
            log.debug("%s: the store refuses ChecksumSHA256; uploading without it", key)
            self._full_checksum = False
            extra.pop("ChecksumSHA256", None)
            extra.pop("ChecksumAlgorithm", None)
            self._transfer(key, source, extra, progress)
            full = False
        if full:
            return RemoteObject(key=key, size=size, sha256=sha256, content_type=content_type)
        return None

    def _put_object(
        self,
        key: str,
        source: Path,
        size: int,
        extra: dict[str, Any],
        progress: BytesCallback | None,
    ) -> None:
        """One PUT straight from the file: for a small object the transfer manager's
        threads and queues cost more CPU than the request (docs/performance.md). The body
        reports progress as it is read (and rewinds it when the SDK retries). A cancel
        asked for meanwhile lets this PUT finish (at most DIRECT_PUT bytes, what a part
        of a multipart upload takes) and is raised after it."""
        from s3transfer.utils import ReadFileChunk

        cancelled: list[TransferCancelled] = []

        def report(bytes_transferred: int) -> None:
            try:
                if progress and not cancelled:
                    progress(bytes_transferred)
            except TransferCancelled as exc:  # raised in the SDK's read, it would be retried
                cancelled.append(exc)

        try:
            with ReadFileChunk.from_filename(str(source), 0, size, [report]) as body:
                self.uploader.put_object(Bucket=self.bucket, Key=self._key(key), Body=body, **extra)
        except Exception as exc:
            raise self._translate(exc, "upload", key) from exc  # the cause: see _refuses
        if cancelled:
            raise cancelled[0]

    def _transfer(
        self, key: str, source: Path, extra: dict[str, Any], progress: BytesCallback | None
    ) -> None:
        from boto3.s3.transfer import create_transfer_manager

        checked = "ChecksumSHA256" in extra or "ChecksumAlgorithm" in extra
        client = self.uploader if checked else self.client
        manager = create_transfer_manager(client, self._boto()["transfer"])
        try:
            future = manager.upload(
                str(source),
                self.bucket,
                self._key(key),
                extra_args=extra,
                subscribers=[_subscriber(progress)] if progress else None,
            )
            try:
                future.result()  # a cancelled upload raises here; its parts are aborted
            except Exception as exc:
                if isinstance(exc, TransferCancelled | StorageError):
                    raise
                error = self._translate(exc, "upload", key)
                raise error from exc
        finally:
            manager.shutdown()

    def delete(self, key: str) -> None:
        with self._errors("delete", key):
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))


def _refuses(exc: Exception) -> bool:
    """Whether an upload error says the store does not take ``ChecksumSHA256`` (rather
    than that the bytes did not match it)."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    err = response.get("Error", {})
    code = str(err.get("Code", ""))
    if code not in ("NotImplemented", "InvalidRequest", "InvalidArgument", "NotSupported"):
        return False
    return "checksum" in str(err.get("Message", "")).lower()


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
