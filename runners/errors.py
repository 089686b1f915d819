"""The runner's errors: branches of the playground's one exception tree.

Docker (aiodocker, aiohttp) errors are converted to these where they enter, in
`runners.docker_api`; nothing above that layer sees a third-party exception. Each
carries the contract's error `code` and an HTTP `status`.
"""

from __future__ import annotations

from playground.errors import PlaygroundError, RateLimited, UnknownLanguage

__all__ = [
    "RateLimited",
    "RunInProgress",
    "RunnerError",
    "RuntimeUnavailable",
    "SandboxError",
    "UnknownLanguage",
]


class RunnerError(PlaygroundError):
    """Root of the errors only the runner raises."""

    code = "runner_error"
    status = 500


class RuntimeUnavailable(RunnerError):
    """The Docker engine cannot be reached, or a language image is missing."""

    code = "runtime_unavailable"
    status = 503


class RunInProgress(RunnerError):
    """The session already has an active run."""

    code = "run_in_progress"
    status = 409


class SandboxError(RunnerError):
    """The engine failed while running a program (the platform, not the program)."""

    code = "runtime_error"
    status = 500
