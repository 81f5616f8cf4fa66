"""Conditional writes on S3 for the commit point (docs/reliability.md, "Two publishers").

Mixed into ``S3Backend``; boto3 only (through the backend's client, so this module imports
neither boto3 nor botocore: a ``ClientError`` is recognised by its ``response``).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from ..errors import ConcurrentPublishError
from .base import Tagged

SHA256_META = "sha256"  # as S3Backend stores it: x-amz-meta-sha256
#: what a store answers when a conditional write loses (AWS answers 409 to a concurrent one)
LOST_CODES = {"PreconditionFailed", "ConditionalRequestConflict"}
MISSING_CODES = {"NoSuchKey", "404", "NotFound"}


def _code(exc: Exception) -> tuple[str | None, int | None]:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None, None
    code = response.get("Error", {}).get("Code")
    return code, response.get("ResponseMetadata", {}).get("HTTPStatusCode")


class ConditionalWrites:
    """``get_tagged`` and ``put_if`` for ``S3Backend`` (which provides ``client``,
    ``quick``, ``bucket``, ``settings``, ``_key``, ``_errors`` and ``describe``)."""

    bucket: str
    settings: Any
    client: Any
    quick: Any
    _key: Callable[[str], str]
    _errors: Callable[..., AbstractContextManager[None]]
    describe: Callable[[], str]

    def get_tagged(self, key: str) -> Tagged:
        """The object's bytes and ETag, by one GET (absent: both None)."""
        with self._errors("read", key):
            try:
                resp = self.quick.get_object(Bucket=self.bucket, Key=self._key(key))
            except Exception as exc:
                if _code(exc)[0] in MISSING_CODES:
                    return Tagged(None, None)
                raise
            return Tagged(resp["Body"].read(), resp.get("ETag"))

    def put_if(
        self,
        key: str,
        data: bytes,
        expected: str | None,
        *,
        content_type: str,
        cache_control: str,
        force: bool = False,
    ) -> str:
        """``PutObject`` with ``If-Match: expected`` (``If-None-Match: *`` for None) and a
        Content-MD5 every S3-compatible store checks; a 412 ``PreconditionFailed`` (or
        AWS's 409 ``ConditionalRequestConflict``) raises ``ConcurrentPublishError``."""
        extra: dict[str, Any] = {
            "ContentMD5": base64.b64encode(hashlib.md5(data).digest()).decode(),
            "ContentType": content_type,
            "CacheControl": cache_control,
            "Metadata": {SHA256_META: hashlib.sha256(data).hexdigest()},
        }
        if not force:  # force: a store that ignores (or refuses) the conditions
            extra.update({"IfMatch": expected} if expected is not None else {"IfNoneMatch": "*"})
        if self.settings.acl:
            extra["ACL"] = self.settings.acl
        if self.settings.storage_class:
            extra["StorageClass"] = self.settings.storage_class
        full = self._key(key)
        with self._errors("upload", key):
            try:
                resp = self.client.put_object(Bucket=self.bucket, Key=full, Body=data, **extra)
            except Exception as exc:
                code, status = _code(exc)
                if code in LOST_CODES or status == 412:
                    raise ConcurrentPublishError(
                        f"{key} changed since this publish read it ({code or status})",
                        field=self.describe(),
                    ) from None
                raise
            etag = resp.get("ETag")
            if not etag:  # a store that does not answer with it: ask
                etag = self.client.head_object(Bucket=self.bucket, Key=full)["ETag"]
            return str(etag)
