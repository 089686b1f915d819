"""Fan-out latency of the playground against the reference y-websocket server.

One typist and N stock `y-websocket` clients in one room, the same Node load driver
against both servers in the same run. Prints medians of the per-run p50/p99 and the
ratio playground / reference.

    .venv/bin/python bench/fanout.py [--sizes 20 60] [--repeats 3] [--updates 100]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "tests" / "node"
sys.path.insert(0, str(ROOT))
from benchlib import start_reference  # noqa: E402

from tests.conftest import ServerProcess  # noqa: E402


def drive(ws_base: str, room: str, n: int, updates: int, interval_ms: int) -> dict[str, float]:
    out = subprocess.run(
        [
            "node",
            str(ROOT / "bench" / "fanout.mjs"),
            ws_base,
            room,
            str(n),
            str(updates),
            str(interval_ms),
        ],
        capture_output=True,
        check=True,
        timeout=300,
    )
    result: dict[str, float] = json.loads(out.stdout.decode().strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 60])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--updates", type=int, default=100)
    parser.add_argument("--interval-ms", type=int, default=30)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        ours = ServerProcess(Path(tmp) / "bench.db", env={"PLAYGROUND_LOG_LEVEL": "warning"})
        ours.start()
        reference, reference_ws = start_reference()
        try:
            print(f"{'N':>4} {'server':<11} {'p50 ms':>8} {'p99 ms':>8} {'missing':>8}")
            for n in args.sizes:
                results: dict[str, list[dict[str, float]]] = {"playground": [], "reference": []}
                for _ in range(args.repeats):
                    # Alternate the order so neither server always runs on a warmer machine.
                    for name in ("playground", "reference"):
                        if name == "playground":
                            room = ours.create_session(code="")["id"]
                            ws = ours.ws_url + "/ws/doc"
                        else:
                            room, ws = f"bench-{time.monotonic_ns()}", reference_ws
                        results[name].append(drive(ws, room, n, args.updates, args.interval_ms))
                medians = {}
                for name, runs in results.items():
                    p50 = statistics.median(r["p50_ms"] for r in runs)
                    p99 = statistics.median(r["p99_ms"] for r in runs)
                    missing = sum(r["missing"] for r in runs)
                    medians[name] = (p50, p99)
                    print(f"{n:>4} {name:<11} {p50:>8.2f} {p99:>8.2f} {missing:>8}")
                ratio50 = medians["playground"][0] / max(medians["reference"][0], 1e-9)
                ratio99 = medians["playground"][1] / max(medians["reference"][1], 1e-9)
                print(
                    f"{n:>4} ratio       {ratio50:>7.2f}x {ratio99:>7.2f}x  (playground/reference)"
                )
        finally:
            reference.kill()
            ours.kill()


if __name__ == "__main__":
    main()
