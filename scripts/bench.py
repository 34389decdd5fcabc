"""Benchmark the Table Schema engines on synthetic packages; write BENCHMARKS.md.

For each size, a synthetic package is written (``scripts/synth.py``) and each
command below is run as a whole process, as a curator runs it: wall time and
peak memory (the process's maximum resident set size) are measured from the
outside.

- ``pyarrow read``: a Python process that only reads the CSV files with pyarrow (the floor);
- ``fast`` and ``frictionless``: load the package and run one engine (``intergov.engine.run``);
- ``intergov validate``: the whole command with the fast engine, semantic rules included.

Then the curator's loop: ``make validate`` on the real package.

Example::

    python scripts/bench.py                       # 10k, 100k and 1M rows (what `make bench` runs)
    python scripts/bench.py --sizes 10000 --repeat 1 --out /tmp/bench.md
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TIME = "/usr/bin/time"  # GNU time (Debian package "time"): wall time and peak memory of one command

FLOOR = "import glob, sys, pyarrow.csv as c\nfor f in sorted(glob.glob(sys.argv[1] + '/*.csv')): c.read_csv(f)"
#: Runs of the short commands (the read, the fast engine): at a fraction of a second, one slow run in a few
#: is the machine, not the command.
QUICK_RUNS = 5

ENGINE = (
    "import sys\n"
    "from intergov.package import load\n"
    "from intergov.engine import run\n"
    "package, _ = load(sys.argv[1])\n"
    "print(len(run(package, sys.argv[2]).findings))"
)


@dataclass
class Measure:
    """One command's wall time (seconds) and peak memory (MB)."""

    seconds: float
    megabytes: float


def measure(command: list[str], repeat: int, cache: str) -> Measure:
    """Run ``command`` ``repeat`` times with the descriptor checks' cache in ``cache`` ("": off); the fastest run.

    Measured by ``/usr/bin/time``, a small process of its own: the peak of a
    child forked from this (larger) Python process would count this one's memory.
    """
    best: Measure | None = None
    env = {**os.environ, "INTERGOV_CACHE_DIR": cache}
    for _ in range(repeat):
        with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
            timed = [TIME, "-f", "%e %M", "-o", report.name, *command]
            done = subprocess.run(
                timed, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
            )
            if done.returncode not in (0, 1):
                raise RuntimeError(f"{' '.join(command)} failed: {done.stderr[-2000:]}")
            seconds, kilobytes = report.read().split()[-2:]
        run = Measure(float(seconds), int(kilobytes) / 1024)
        if best is None or run.seconds < best.seconds:
            best = run
    assert best is not None
    return best


def machine() -> list[str]:
    """The machine, as lines for BENCHMARKS.md."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    memory = next(
        line.split(":", 1)[1].strip() for line in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in line
    )
    cores = subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout.strip()
    libraries = ", ".join(
        f"{name} {version(name)}" for name in ("pyarrow", "pandas", "numpy", "frictionless", "pandera")
    )
    return [
        f"- CPU: {model}, {cores} cores (`nproc`)",
        f"- Memory: {memory}",
        f"- Python {platform.python_version()} on {platform.platform()}",
        f"- {libraries}",
    ]


def bench(sizes: list[int], repeat: int, work: Path, frictionless_limit: int) -> tuple[list[str], list[str]]:
    """Measure every command at every size; the table rows and notes."""
    rows, notes = [], []
    for size in sizes:
        out = work / f"synth-{size}"
        subprocess.run([PYTHON, str(ROOT / "scripts" / "synth.py"), "--rows", str(size), "--out", str(out)], check=True)
        descriptor = out / "datapackage" / "datapackage.json"
        data = out / "datapackage" / "data"
        megabytes = sum(f.stat().st_size for f in data.glob("*.csv")) / 1e6
        times = repeat if size < 1_000_000 else 1
        cache = str(work / "cache")  # warm after the first run, as for a curator
        floor = measure([PYTHON, "-c", FLOOR, str(data)], QUICK_RUNS, cache)
        fast = measure([PYTHON, "-c", ENGINE, str(descriptor), "fast"], QUICK_RUNS, cache)
        uncached = measure([PYTHON, "-c", ENGINE, str(descriptor), "fast"], QUICK_RUNS, "")
        whole = measure([str(ROOT / ".venv" / "bin" / "intergov"), "validate", str(descriptor)], times, cache)
        reference = None
        if size <= frictionless_limit:
            reference = measure([PYTHON, "-c", ENGINE, str(descriptor), "frictionless"], times, cache)
        speedup = f"{reference.seconds / fast.seconds:.1f}x" if reference else "n/a"
        for name, m in (("pyarrow read (floor)", floor), ("fast engine", fast),
                        ("fast engine, descriptor checks not cached", uncached), ("frictionless engine", reference),
                        ("intergov validate (fast + rules)", whole)):  # fmt: skip
            if m is None:
                continue
            rows.append(
                f"| {size:,} | {megabytes:.1f} | {name} | {m.seconds:.2f} | {size / m.seconds:,.0f} "
                f"| {m.megabytes:,.0f} | {m.seconds / floor.seconds:.1f}x | {m.megabytes / floor.megabytes:.2f}x |"
            )
        notes.append(
            f"- {size:,} rows: fast engine {speedup} faster than the frictionless engine; "
            f"{fast.seconds / floor.seconds:.1f}x the pyarrow read's time "
            f"({uncached.seconds / floor.seconds:.1f}x with the descriptor checks not cached), "
            f"{fast.megabytes / floor.megabytes:.2f}x its memory."
        )
        if size == 1_000_000 and reference:
            notes.append(
                _targets(
                    reference.seconds / fast.seconds, fast.seconds / floor.seconds, fast.megabytes / floor.megabytes
                )
            )
        print(notes[-1], flush=True)
    return rows, notes


def _targets(speedup: float, time_ratio: float, memory_ratio: float) -> str:
    """The issue's targets at 1M rows, met or missed."""

    def verdict(ok: bool) -> str:
        return "met" if ok else "missed"

    return (
        f"- Targets at 1M rows: at least 25x faster than frictionless ({speedup:.1f}x, {verdict(speedup >= 25)}); "
        f"within 5x of the pyarrow read ({time_ratio:.1f}x, {verdict(time_ratio <= 5)}); "
        f"at most 2x its memory ({memory_ratio:.2f}x, {verdict(memory_ratio <= 2)})."
    )


def curator_loop(repeat: int, cache: str) -> Measure:
    """``make validate`` on the real package, as a whole."""
    return measure(["make", "-s", "validate"], repeat, cache)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="runs of the slow commands below 1M rows")
    parser.add_argument("--frictionless-limit", type=int, default=1_000_000, help="largest size to run frictionless on")
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args(argv)
    if not Path(TIME).exists():
        parser.error(f"measuring needs GNU time at {TIME} (Debian: apt-get install time)")
    with tempfile.TemporaryDirectory(prefix="intergov-bench-") as work:
        rows, notes = bench(args.sizes, args.repeat, Path(work), args.frictionless_limit)
        loop = curator_loop(args.repeat, str(Path(work) / "cache"))
    print(f"make validate: {loop.seconds:.2f} s, {loop.megabytes:,.0f} MB", flush=True)
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python scripts/bench.py`); numbers from the last run. Each command runs as a",
        "whole process (start-up, imports and the descriptor check included); time is the fastest of the runs",
        f"({QUICK_RUNS} for the read and the fast engine; 3 for the others, 1 at 1M rows), memory that run's peak",
        "resident set size (GNU time).",
        "Ratios are to the pyarrow read.",
        "",
        "Machine:",
        "",
        *machine(),
        "",
        "| rows | CSV MB | command | seconds | rows/s | peak MB | time vs read | memory vs read |",
        "|---:|---:|---|---:|---:|---:|---:|---:|",
        *rows,
        "",
        *notes,
        "",
        "Commands: `pyarrow read` is `pyarrow.csv.read_csv` on each CSV file; `fast engine` and",
        "`frictionless engine` load the package and run `intergov.engine.run(package, ENGINE)`;",
        "`intergov validate` is the curator's command (Table Schema layer, then the pandera rules).",
        "The descriptor checks' cache (README, \"The descriptor checks' cache\") is warm, as on every run after",
        "the first; `descriptor checks not cached` runs them, and imports frictionless-py, every time.",
        "",
        "## The curator's loop",
        "",
        f"`make validate` on the real package (`intergov validate`, then `intergov fmt --check`): "
        f"{loop.seconds:.2f} s wall time, {loop.megabytes:,.0f} MB peak.",
        "",
    ]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines[lines.index("Machine:") :]))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
