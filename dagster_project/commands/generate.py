"""itam generate"""
from __future__ import annotations

from dagster_project.cli import CliError


def run(args) -> int:
    from dagster_project.generate import generate_landing

    if args.devices < 40:
        raise CliError("--devices must be at least 40 so every planted case fits")
    summary = generate_landing(args.landing.resolve(), devices=args.devices, seed=args.seed,
                               exports=args.exports, progress=print)
    print(f"wrote sample exports to {args.landing} ({summary.get('files', '?')} files)")
    return 0
