"""An S3-compatible bucket (AWS S3, MinIO, Ceph, a provider's object store) served as a static site.

boto3 with short timeouts and no retries of its own: the publishing worker retries with back-off.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from .base import PublishError, Target, content_type


class S3Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    bucket: str = Field(min_length=3, max_length=63, pattern=r"^[a-z0-9][a-z0-9.\-]*[a-z0-9]$")
    prefix: str = ""
    endpoint_url: str | None = None  # an S3-compatible service; AWS when not given
    region: str = "eu-west-2"
    access_key_id: str | None = None
    secret_access_key: SecretStr | None = None
    timeout: float = Field(default=10.0, gt=0, le=300)
    cache_seconds: int = Field(default=10, ge=0, le=86400)

    @field_validator("endpoint_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("should be an http(s) address")
        return value

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        value = value.strip("/")
        return f"{value}/" if value else ""

    @field_validator("secret_access_key")
    @classmethod
    def _paired(cls, value: SecretStr | None, info: Any) -> SecretStr | None:
        if (value is None) != (info.data.get("access_key_id") is None):
            raise ValueError("give the access key id and the secret access key together (or neither)")
        return value


class S3Target(Target):
    kind = "s3"

    def __init__(self, config: S3Config) -> None:
        self.config = config

    def _client(self) -> Any:
        import boto3
        from botocore.config import Config

        config = self.config
        secret = config.secret_access_key.get_secret_value() if config.secret_access_key else None
        return boto3.client(
            "s3",
            endpoint_url=config.endpoint_url,
            region_name=config.region,
            aws_access_key_id=config.access_key_id,
            aws_secret_access_key=secret,
            config=Config(
                connect_timeout=config.timeout,
                read_timeout=config.timeout,
                retries={"max_attempts": 1, "mode": "standard"},
            ),
        )

    def publish(self, slug: str, files: Mapping[str, bytes]) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        client = self._client()
        try:
            for name, content in files.items():
                client.put_object(
                    Bucket=self.config.bucket,
                    Key=f"{self.config.prefix}{slug}/{name}",
                    Body=content,
                    ContentType=content_type(name),
                    CacheControl=f"public, max-age={self.config.cache_seconds}",
                )
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise PublishError(
                f"the bucket {self.config.bucket!r} refused: {error.get('Code', '?')} {error.get('Message', '')}".strip()
            ) from None
        except BotoCoreError as exc:
            raise PublishError(f"the bucket {self.config.bucket!r} could not be reached: {exc}") from None
        return f"{len(files)} file(s) put in {self.config.bucket}"

    def describe(self) -> str:
        where = self.config.endpoint_url or f"AWS {self.config.region}"
        return f"the bucket {self.config.bucket} at {where}, under {self.config.prefix or '/'}"
