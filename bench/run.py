"""`make bench`: speed, cost and scale of the plugin, each figure a median over several runs and a ratio against
a baseline measured in the same run, so the figures mean something on any machine.

    .venv/bin/python bench/run.py [--quick] [--only 1,3] [--dist DIR] [--out docs/benchmarks.md]

Drives the built dist (dist/pyaws-cloudwatch-datasource, `make dist`) through the real go-plugin handshake, against
moto's server (the local AWS emulator) or a fast local fake CloudWatch endpoint; section 9 builds and drives a Go
reference plugin (bench/reference, grafana-plugin-sdk-go + aws-sdk-go-v2) the same way. Prints a markdown table and
writes it, with the machine it was taken on, to docs/benchmarks.md. Benchmarks are not tests: a missed target is
reported, never an exit status (only a benchmark that could not run at all makes the exit status non-zero).
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from against_go import against_go
from dashboard_cost import dashboard_cost
from lib import DIST, ROOT, Report, executable, machine
from logs import logs
from sections import (
    Config,
    batching,
    bounded_memory,
    cold_start,
    credential_cache,
    frames,
    overhead,
    picker_cache,
    size,
    throughput_and_memory,
)

from cloudwatch_datasource.tools.emulator import Emulator, seed_demo_metrics

NOTES = Path(__file__).with_name("notes.md")
SECTIONS: list[tuple[str, str, Callable[[Report, Config], None]]] = [
    ("1", "cold start", cold_start),
    ("2", "overhead", overhead),
    ("3", "batching", batching),
    ("4", "credential cache", credential_cache),
    ("5", "frames", frames),
    ("6", "throughput, concurrency and memory (6 + 7)", throughput_and_memory),
    ("8", "size", size),
    ("9", "against a Go plugin on the same SDK (bench/reference)", against_go),
    ("10", "bounded memory", bounded_memory),
    ("11", "dashboard cost", dashboard_cost),
    ("12", "picker cache", picker_cache),
    ("13", "logs", logs),
]


def config(args: argparse.Namespace) -> Config:
    if args.quick:
        cfg = Config(dist=args.dist, quick=True, cold_runs=10, health_runs=5, overhead_runs=20, batch_runs=2,
                     batch_sizes=(1, 50, 500, 501, 2000), assume_queries=1000, frame_runs=3, load_runs=2,
                     load_seconds=1.5, concurrency=(1, 8, 64))
    else:
        cfg = Config(dist=args.dist, quick=False, cold_runs=15, health_runs=7, overhead_runs=40, batch_runs=3,
                     batch_sizes=(1, 50, 500, 501, 2000), assume_queries=1000, frame_runs=5, load_runs=3,
                     load_seconds=3.0, concurrency=(1, 8, 64))
    if args.runs:
        cfg.cold_runs = max(10, args.runs)
        cfg.health_runs = cfg.overhead_runs = cfg.frame_runs = args.runs
    return cfg


def table(report: Report) -> list[str]:
    lines = ["| # | measure | result (median) | baseline, same run | ratio | target | |",
             "|---|---|---|---|---|---|---|"]
    for r in report.rows:
        ratio = "" if r.ratio is None else (f"{r.ratio:.3f}" if r.ratio < 0.1 else f"{r.ratio:.2f}")
        lines.append(f"| {r.section} | {r.measure} | {r.value} | {r.baseline} | {ratio} | {r.target} | {r.status} |")
    return lines


def document(report: Report, box: dict[str, str], cfg: Config, took: float) -> str:
    mode = "--quick" if cfg.quick else "default"
    out = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`bench/run.py`); do not edit by hand — the hand-written part is `bench/notes.md`, "
        "included at the end. Each figure is a median over several runs; each ratio is result ÷ a baseline measured "
        "in the same run, so ratios compare across machines where milliseconds do not.",
        "",
        f"Machine: {box['cpu']}, {box['cores']} cores, {box['memory']} RAM, {box['arch']}, {box['os']}; "
        f"Python {box['python']}; {box['date']}; run mode {mode}, {took:.0f} s.",
        "",
        *table(report),
        "",
        "Details:",
        "",
        *[f"- {line}" for line in report.details],
    ]
    if report.errors:
        out += ["", "Errors in this run:", "", *[f"- {e}" for e in report.errors]]
    if NOTES.exists():
        out += ["", NOTES.read_text().rstrip()]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer and shorter runs (about half the time)")
    parser.add_argument("--runs", type=int, default=0, help="runs per timing (cold start at least 10)")
    parser.add_argument("--only", default="", help="comma-separated section numbers, e.g. 1,5")
    parser.add_argument("--dist", type=Path, default=DIST, help="the built plugin folder (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md",
                        help="the markdown file to write ('-' for none)")
    args = parser.parse_args(argv)
    cfg = config(args)
    if not executable(cfg.dist).exists():
        sys.stderr.write(f"{executable(cfg.dist)} not found: run `make dist` first (`make bench` does)\n")
        return 2
    wanted = {s.strip() for s in args.only.split(",") if s.strip()}
    box = machine()
    print(f"machine: {box['cpu']}, {box['cores']} cores, {box['arch']}, Python {box['python']}, {box['date']}")

    report = Report()
    started = time.monotonic()
    with Emulator() as emulator:
        seed_demo_metrics(emulator)
        cfg.emulator_url = emulator.url
        for number, title, run in SECTIONS:
            if wanted and number not in wanted and not (number == "6" and "7" in wanted):
                continue
            print(f"\n== {number}. {title}", flush=True)
            section_started = time.monotonic()
            try:
                run(report, cfg)
            except Exception as exc:
                traceback.print_exc()
                report.errors.append(f"{number}. {title}: {type(exc).__name__}: {exc}")
            print(f"  ({time.monotonic() - section_started:.1f} s)", flush=True)
    took = time.monotonic() - started

    print("\n" + "\n".join(table(report)))
    for error in report.errors:
        print(f"ERROR {error}")
    print(f"\n{len(report.rows)} figures in {took:.0f} s")
    if str(args.out) != "-" and not wanted:
        args.out.write_text(document(report, box, cfg, took))
        print(f"written to {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
