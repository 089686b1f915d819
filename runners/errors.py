"""The runner's exception tree: one root, stable codes matching the contract.

Docker (aiodocker, aiohttp) errors are converted to these where they enter, in
`runners.docker_api`; nothing above that layer sees a third-party exception.
"""

from __future__ import annotations


class RunnerError(Exception):
    """Root of every error the runner raises. `code` is the contract's error code."""

    code = "runner_error"
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RuntimeUnavailable(RunnerError):
    """The Docker engine cannot be reached, or a language image is missing."""

    code = "runtime_unavailable"
    status = 503


class UnknownLanguage(RunnerError):
    """No language with this id."""

    code = "unknown_language"
    status = 400


class RunInProgress(RunnerError):
    """The session already has an active run."""

    code = "run_in_progress"
    status = 409


class RateLimited(RunnerError):
    """The run queue is full."""

    code = "rate_limited"
    status = 429


class SandboxError(RunnerError):
    """The engine failed while running a program (the platform, not the program)."""

    code = "runtime_error"
    status = 500
