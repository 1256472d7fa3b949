"""Render every results table from its committed JSON into the Markdown docs.

python docs/render.py           # rewrite docs/results.md and every <!-- table: ... --> block
python docs/render.py --check   # exit 1 naming the files that are out of date
"""

from __future__ import annotations

import argparse
import sys

from agents.results_tables import ROOT, rendered_files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report out-of-date files")
    args = parser.parse_args(argv)
    stale = [p for p, text in rendered_files().items() if not p.is_file() or p.read_text() != text]
    if args.check:
        for path in stale:
            print(f"out of date: {path.relative_to(ROOT)} (run python docs/render.py)")
        return 1 if stale else 0
    for path in stale:
        path.write_text(rendered_files()[path])
        print(f"rendered {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
