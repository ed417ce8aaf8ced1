"""How the audio benchmarks print a figure against its target: one line each, with the ratio to
the target and ``ok`` or ``MISSED``, so the outputs of ``listen.py`` and ``softphone.py`` read alike."""

from __future__ import annotations


def report(name: str, value: float, unit: str, target: float) -> None:
    ratio = value / target if target else float("inf")
    print(f"{name:<62} {value:>9.3f} {unit:<3} target < {target:g} {unit:<3} ratio {ratio:5.2f}  "
          f"{'ok' if ratio <= 1 else 'MISSED'}")


def report_range(name: str, value: float, low: float, high: float) -> None:
    ok = low <= value <= high
    print(f"{name:<62} {value:>9.3f} s   target {low:g}-{high:g} s        {'ok' if ok else 'MISSED'}")
