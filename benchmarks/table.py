"""Print benchmarks/results.json as the markdown table docs/benchmarks.md shows.

.venvs/bench/bin/python benchmarks/table.py
"""

from __future__ import annotations

import json
from pathlib import Path


def _num(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"


def main() -> None:
    data = json.loads((Path(__file__).parent / "results.json").read_text())
    m = data["machine"]
    print(
        f"Run of commit `{data.get('commit', '?')}` on Python {m['python']}, {m['platform']},"
        f" {m['cpus']} CPUs; 1-minute load average {m['load_avg_1m']} when it ended.\n"
    )
    print("| figure | trackline | same-run baseline | ratio | aim |")
    print("| --- | --- | --- | --- | --- |")
    for r in data["results"]:
        base = (
            f"{r['baseline']}: {_num(r['baseline_value'])} {r['unit']}" if "baseline" in r else "—"
        )
        ratio = f"{r['ratio']:.3g}" if r.get("ratio") is not None else "—"
        aim = f"{r['aim']}: {'**met**' if r['met'] else 'not met'}" if "aim" in r else "—"
        note = f" ({r['note']})" if r.get("note") else ""
        print(
            f"| {r['benchmark'].strip()}{note} | {_num(r['value'])} {r['unit']} | {base}"
            f" | {ratio} | {aim} |"
        )


if __name__ == "__main__":
    main()
