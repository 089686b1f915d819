"""The execution engine: languages, images, locked-down Docker sandboxes, the warm
pool, run scheduling and output streaming. `RunnerService` is the entry point."""

from __future__ import annotations

from runners.errors import (
    RateLimited,
    RunInProgress,
    RunnerError,
    RuntimeUnavailable,
    SandboxError,
    UnknownLanguage,
)
from runners.languages import LANGUAGES, Language, get_language
from runners.output import OutputEvent
from runners.run_control import RunControl
from runners.sandbox import Limits
from runners.scheduler import Ticket
from runners.service import LanguageInfo, RunnerConfig, RunnerService, RunResult

__all__ = [
    "LANGUAGES",
    "Language",
    "LanguageInfo",
    "Limits",
    "OutputEvent",
    "RateLimited",
    "RunControl",
    "RunInProgress",
    "RunResult",
    "RunnerConfig",
    "RunnerError",
    "RunnerService",
    "RuntimeUnavailable",
    "SandboxError",
    "Ticket",
    "UnknownLanguage",
    "get_language",
]
