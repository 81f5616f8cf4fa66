"""What S3-compatible stores answer, sorted into what audiofeed tells the user."""

from __future__ import annotations

CREDENTIAL_CODES = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "TokenRefreshRequired",
    "AuthorizationHeaderMalformed",
    "InvalidSecurity",
    "UnrecognizedClientException",
}
DENIED_CODES = {"AccessDenied", "AllAccessDisabled", "Forbidden", "403"}
MISSING_BUCKET_CODES = {"NoSuchBucket"}
CREDENTIALS_HINT = (
    "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pass --profile "
    "(credentials never go in config.toml)"
)
