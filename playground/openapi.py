"""`GET /api/openapi.json`: the HTTP API described for clients and tools.

Written by hand next to the routes it describes; `tests/playground/test_openapi.py`
checks it against the routes the app really serves, so the two cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import __version__


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    text = {
        400: "Bad request",
        404: "Not found",
        410: "Gone",
        413: "Too large",
        422: "Unprocessable",
        429: "Rate limited",
        503: "Unavailable",
    }
    return {str(s): _json(_ref("Error"), text[s]) for s in statuses}


def _query(name: str, kind: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": {"type": kind},
        "description": description,
    }


_SESSION_ID = {
    "name": "session_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
}
_RUN_ID = {"name": "run_id", "in": "path", "required": True, "schema": {"type": "string"}}
_INT = {"type": "integer"}
_STR = {"type": "string"}
_BOOL = {"type": "boolean"}
_NULL_INT = {"type": ["integer", "null"]}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": _STR, "message": _STR},
            }
        },
    },
    "Session": {
        "type": "object",
        "required": ["id", "title", "language", "created_at", "updated_at"],
        "properties": {
            "id": _STR,
            "title": _STR,
            "language": _STR,
            "created_at": _INT,
            "updated_at": _INT,
        },
    },
    "SessionDetail": {
        "allOf": [
            _ref("Session"),
            {
                "type": "object",
                "properties": {
                    "code": _STR,
                    "time_limit_s": {"type": ["number", "null"]},
                    "memory_mb": {
                        "type": ["integer", "null"],
                        "description": "The session's own memory limit per run (meta."
                        "memory_mb), used when from 16 MiB up to the server's limit.",
                    },
                    "runs": {"type": "array", "items": _ref("Run")},
                },
            },
        ]
    },
    "SessionListItem": {
        "allOf": [
            _ref("Session"),
            {
                "type": "object",
                "properties": {"last_run": {"oneOf": [_ref("Run"), {"type": "null"}]}},
            },
        ]
    },
    "SessionList": {
        "type": "object",
        "required": ["items", "total"],
        "properties": {"items": {"type": "array", "items": _ref("SessionListItem")}, "total": _INT},
    },
    "NewSession": {
        "type": "object",
        "required": ["language"],
        "properties": {"language": _STR, "title": _STR, "code": _STR},
    },
    "Language": {
        "type": "object",
        "required": ["id", "name", "version", "image", "available", "template"],
        "properties": {
            "id": _STR,
            "name": _STR,
            "version": _STR,
            "image": _STR,
            "available": _BOOL,
            "template": _STR,
        },
    },
    "Run": {
        "type": "object",
        "required": [
            "id",
            "session_id",
            "language",
            "user",
            "status",
            "exit_code",
            "started_at",
            "finished_at",
            "duration_ms",
            "timed_out",
            "oom_killed",
            "output_truncated",
        ],
        "properties": {
            "id": _STR,
            "session_id": {"type": ["string", "null"]},
            "language": _STR,
            "user": {"type": ["string", "null"]},
            "status": {"enum": ["queued", "running", "ok", "failed", "timeout", "killed", "error"]},
            "exit_code": _NULL_INT,
            "started_at": _NULL_INT,
            "finished_at": _NULL_INT,
            "duration_ms": _NULL_INT,
            "timed_out": _BOOL,
            "oom_killed": _BOOL,
            "output_truncated": _BOOL,
            "compile_failed": {
                "type": "boolean",
                "description": "The run ended in its compile step: the program never started.",
            },
            "cpu_ms": {
                "type": ["integer", "null"],
                "description": "CPU time the program used (its compile step not counted); "
                "null when not measured: it never started, or was stopped, timed out or "
                "cut off at the output limit.",
            },
            "memory_kb": {
                "type": ["integer", "null"],
                "description": "Peak resident memory of the program's largest process, in "
                "KiB; null when not measured, as for cpu_ms.",
            },
            "doc_seq": _NULL_INT,
        },
    },
    "OutputChunk": {
        "type": "object",
        "required": ["seq", "t", "stream", "data"],
        "properties": {
            "seq": _INT,
            "t": _INT,
            "stream": {"enum": ["stdout", "stderr"]},
            "data": _STR,
        },
    },
    "InputChunk": {
        "type": "object",
        "required": ["seq", "t", "data", "eof"],
        "properties": {
            "seq": _INT,
            "t": _INT,
            "data": _STR,
            "eof": {"type": "boolean", "description": "Someone ended the program's stdin."},
        },
    },
    "RunDetail": {
        "allOf": [
            _ref("RunWithOutput"),
            {
                "type": "object",
                "properties": {
                    "code": _STR,
                    "input": {
                        "type": "array",
                        "items": _ref("InputChunk"),
                        "description": "What people typed into the program while it "
                        "ran, to be placed among the output by `t`.",
                    },
                },
            },
        ]
    },
    "RunWithOutput": {
        "allOf": [
            _ref("Run"),
            {
                "type": "object",
                "properties": {"output": {"type": "array", "items": _ref("OutputChunk")}},
            },
        ]
    },
    "Execute": {
        "type": "object",
        "required": ["language", "code"],
        "properties": {
            "language": _STR,
            "code": _STR,
            "stdin": _STR,
            # Each lowers the server's own limit of the same name (GET /api/limits)
            # for this run only; asking for more than it is a 400.
            "time_limit_s": {
                "type": "number",
                "minimum": 0.1,
                "description": "Wall-clock limit over compile and run, at most the "
                "server's time_limit_s.",
            },
            "memory_mb": {
                "type": "integer",
                "minimum": 16,
                "description": "Memory limit (no swap), at most the server's memory_mb. "
                "A run asking for less than the server's takes a fresh container.",
            },
            "output_bytes": {
                "type": "integer",
                "minimum": 1,
                "description": "Output cap, at most the server's output_bytes; past it "
                "the run is killed with output_truncated.",
            },
        },
    },
    "Timeline": {
        "type": "object",
        "required": ["events"],
        "properties": {
            "events": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["t", "kind"],
                    "properties": {
                        "t": _INT,
                        "kind": {"enum": ["edit", "run_started", "run_finished"]},
                        "seq": _INT,
                        "run_id": _STR,
                        "author": _STR,
                    },
                },
            },
            "next": {"type": ["string", "null"]},
        },
    },
    "Snapshot": {
        "type": "object",
        "required": ["at", "code", "language", "title"],
        "properties": {"at": _INT, "seq": _INT, "code": _STR, "language": _STR, "title": _STR},
    },
    "Export": {
        "type": "object",
        "required": ["format", "version"],
        "properties": {"format": {"const": "playground-session-history"}, "version": _INT},
    },
}

PATHS: dict[str, Any] = {
    "/healthz": {
        "get": {
            "summary": "Liveness, database and Docker reachability",
            "responses": {
                "200": _json(
                    {"type": "object", "properties": {"status": _STR, "db": _BOOL, "docker": _BOOL}}
                )
            },
        }
    },
    "/metrics": {
        "get": {
            "summary": "Prometheus metrics",
            "responses": {
                "200": {"description": "OK", "content": {"text/plain": {"schema": _STR}}}
            },
        }
    },
    "/api/openapi.json": {
        "get": {"summary": "This document", "responses": {"200": _json({"type": "object"})}}
    },
    "/api/languages": {
        "get": {
            "summary": "Languages that can run here",
            "responses": {"200": _json({"type": "array", "items": _ref("Language")})},
        }
    },
    "/api/limits": {
        "get": {
            "summary": "Limits in force for runs and documents",
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "time_limit_s": {"type": "number"},
                            "memory_mb": _INT,
                            "pids": _INT,
                            "output_bytes": _INT,
                            "code_bytes": _INT,
                            "message_bytes": _INT,
                            "network": _BOOL,
                        },
                    }
                )
            },
        }
    },
    "/api/sessions": {
        "post": {
            "summary": "Create a session",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("NewSession")}},
            },
            "responses": {"201": _json(_ref("Session"), "Created"), **_errors(400, 413, 429)},
        },
        "get": {
            "summary": "Sessions, newest activity first",
            "parameters": [
                _query("q", "string", "search titles and code"),
                _query("language", "string", "only this language"),
                _query("limit", "integer", "1-200, default 50"),
                _query("offset", "integer", "default 0"),
            ],
            "responses": {"200": _json(_ref("SessionList")), **_errors(400)},
        },
    },
    "/api/sessions/import": {
        "post": {
            "summary": "Create a session from an export file",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("Export")}},
            },
            "responses": {"201": _json(_ref("Session"), "Created"), **_errors(400, 413, 422)},
        }
    },
    "/api/sessions/{session_id}": {
        "parameters": [_SESSION_ID],
        "get": {
            "summary": "A session with its code and runs",
            "responses": {"200": _json(_ref("SessionDetail")), **_errors(404)},
        },
        "patch": {
            "summary": "Rename a session (an edit of the document)",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"type": "object", "properties": {"title": _STR}}
                    }
                },
            },
            "responses": {"200": _json(_ref("Session")), **_errors(400, 404)},
        },
        "delete": {
            "summary": "Delete a session and its history; its sockets close (4404)",
            "responses": {"204": {"description": "Deleted"}, **_errors(404)},
        },
    },
    "/api/sessions/{session_id}/timeline": {
        "parameters": [_SESSION_ID],
        "get": {
            "summary": "Edits and runs in time order, paged",
            "parameters": [
                _query("since", "integer", "ms since epoch, inclusive"),
                _query("until", "integer", "ms since epoch, inclusive"),
                _query("limit", "integer", "events per page (max 5000)"),
                _query("cursor", "string", "`next` of the previous page"),
            ],
            "responses": {"200": _json(_ref("Timeline")), **_errors(400, 404)},
        },
    },
    "/api/sessions/{session_id}/snapshot": {
        "parameters": [_SESSION_ID],
        "get": {
            "summary": "The document as it stood at a time or after an update",
            "parameters": [
                _query("at", "integer", "ms since epoch (default: now)"),
                _query("seq", "integer", "an update seq instead of a time"),
            ],
            "responses": {"200": _json(_ref("Snapshot")), **_errors(400, 404, 410)},
        },
    },
    "/api/sessions/{session_id}/export": {
        "parameters": [_SESSION_ID],
        "get": {
            "summary": "The whole history as one JSON file",
            "responses": {"200": _json(_ref("Export")), **_errors(404)},
        },
    },
    "/api/sessions/{session_id}/runs": {
        "parameters": [_SESSION_ID],
        "get": {
            "summary": "A session's runs, latest first",
            "responses": {"200": _json({"type": "array", "items": _ref("Run")}), **_errors(404)},
        },
    },
    "/api/runs/{run_id}": {
        "parameters": [_RUN_ID],
        "get": {
            "summary": "One run with its output, what was typed into it, and its code",
            "responses": {"200": _json(_ref("RunDetail")), **_errors(404)},
        },
    },
    "/api/execute": {
        "post": {
            "summary": "One-shot run without a session",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("Execute")}},
            },
            "responses": {"200": _json(_ref("RunWithOutput")), **_errors(400, 413, 429, 503)},
        }
    },
}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "playground",
            "version": __version__,
            "description": "Collaborative code-execution playground. WebSockets "
            "(not described here): /ws/doc/{id} (y-websocket protocol), "
            "/ws/run/{id} (JSON run channel).",
        },
        "paths": PATHS,
        "components": {"schemas": SCHEMAS},
    }


async def openapi(request: Request) -> Response:
    return JSONResponse(document())


routes = [Route("/api/openapi.json", openapi)]
