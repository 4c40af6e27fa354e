"""A git remote that a Pages-style service publishes (GitLab Pages, Forgejo/Codeberg Pages, GitHub Pages).

Stateless, with the `git` binary: each publish fetches the branch's tip (shallow) into a fresh
temporary repository, writes the bundle under `<path>/<slug>/`, commits when anything changed and
pushes. A push refused because someone else pushed first is tried again from their commit (a few
times); anything else is a PublishError for the worker to retry later. The remote may hold
credentials (https://user:token@host/...) or use SSH keys of the account running the worker; it is
never printed: messages name it as "the git remote".
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from .base import PublishError, Target

PUSH_RACES = 3  # pushes refused as not fast-forward before giving up this try


class GitConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    remote: SecretStr  # may carry a token
    branch: str = Field(default="pages", pattern=r"^[A-Za-z0-9._/\-]+$")
    path: str = ""
    author: str = "Contingency status page <status@example.org>"
    timeout: float = Field(default=60.0, gt=0, le=600)

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        value = value.strip("/")
        if ".." in value.split("/"):
            raise ValueError("must not contain '..'")
        return value

    @field_validator("author")
    @classmethod
    def _author(cls, value: str) -> str:
        if not re.fullmatch(r"[^<>\n]+ <[^<>\s]+@[^<>\s]+>", value):
            raise ValueError(f"{value!r} should be of the form Name <address@example.org>")
        return value


class GitTarget(Target):
    kind = "git"

    def __init__(self, config: GitConfig) -> None:
        self.config = config

    def publish(self, slug: str, files: Mapping[str, bytes]) -> str:
        with tempfile.TemporaryDirectory(prefix="contingency-status-git-") as work:
            for _ in range(PUSH_RACES):
                outcome = self._once(Path(work) / "repo", slug, files)
                if outcome is not None:
                    return outcome
        raise PublishError(f"the git remote kept moving: {PUSH_RACES} pushes were refused as not fast-forward")

    def _once(self, repo: Path, slug: str, files: Mapping[str, bytes]) -> str | None:
        """One fetch, write, commit and push; None when the push lost a race (try again)."""
        if repo.exists():
            shutil.rmtree(repo)
        repo.mkdir(parents=True)
        branch = self.config.branch
        self._git(repo, "init", "--quiet")
        self._git(repo, "remote", "add", "origin", self.config.remote.get_secret_value())
        listed = self._git(repo, "ls-remote", "--heads", "origin", f"refs/heads/{branch}")
        if listed.strip():
            self._git(repo, "fetch", "--quiet", "--depth", "1", "origin", f"refs/heads/{branch}")
            self._git(repo, "checkout", "--quiet", "-B", branch, "FETCH_HEAD")
        else:
            self._git(repo, "checkout", "--quiet", "--orphan", branch)
        folder = repo / self.config.path / slug if self.config.path else repo / slug
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            (folder / name).write_bytes(content)
        self._git(repo, "add", "--all", ".")
        if not self._git(repo, "status", "--porcelain").strip():
            return "nothing changed"
        name, _, address = self.config.author.partition(" <")
        self._git(
            repo,
            "-c",
            f"user.name={name}",
            "-c",
            f"user.email={address.rstrip('>')}",
            "commit",
            "--quiet",
            "-m",
            f"Status page of {slug}",
        )
        pushed = self._run(repo, "push", "--quiet", "origin", f"HEAD:refs/heads/{branch}")
        if pushed.returncode == 0:
            return f"pushed to {branch}"
        if re.search(r"non-fast-forward|fetch first|rejected", pushed.stderr):
            return None
        raise PublishError(f"the git remote refused the push: {self._clean(pushed.stderr)}")

    def _git(self, repo: Path, *args: str) -> str:
        """Run git; its output, or PublishError with its message."""
        done = self._run(repo, *args)
        if done.returncode != 0:
            raise PublishError(f"git {args[0]} failed: {self._clean(done.stderr)}")
        return done.stdout

    def _run(self, repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
        environ = {
            **os.environ,
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_SSH_COMMAND": os.environ.get("GIT_SSH_COMMAND", "ssh -o BatchMode=yes"),
        }
        try:
            return subprocess.run(
                ["git", *args],
                cwd=repo,
                env=environ,
                capture_output=True,
                text=True,
                timeout=self.config.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise PublishError(f"git {args[0]} took longer than {self.config.timeout:g}s") from None
        except OSError as exc:
            raise PublishError(f"cannot run git: {exc.strerror or exc}") from None

    def _clean(self, text: str) -> str:
        """git's message, one line, without the remote's address (it may carry a token)."""
        remote = self.config.remote.get_secret_value()
        lines = [line.strip() for line in text.replace(remote, "the git remote").splitlines() if line.strip()]
        message = " ".join(lines)[:300] or "no message"
        return re.sub(r"://[^/@\s]+@", "://***@", message)

    def describe(self) -> str:
        where = f"{self.config.path}/" if self.config.path else ""
        return f"the git remote's branch {self.config.branch}, under {where or '/'}"
