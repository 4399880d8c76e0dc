"""The worked example of docs/corpus.md: Friends (MELD) as a corpus over time and speakers.

    .venv/bin/python examples/meld_corpus.py --data-dir ../shared/data --out examples/out/meld.jsonl

Writes every MELD utterance (train, dev and test: 13,708 lines of Friends, seasons 1–9) as
JSONL with

- ``aired``: an approximate air date of its episode — the season's premiere plus a week per
  episode (real schedules had breaks, so dates drift within a season; good enough to order
  the show and bucket it by quarter, not to date a scene);
- ``speaker``: one of the six main characters, or ``other``.

MELD is GPL-3.0 (github.com/declare-lab/MELD); the data stays in the data folder and in the
file this script writes, never in the repository.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
from pathlib import Path

PREMIERES = {  # the first episode of each season (US broadcast)
    1: dt.date(1994, 9, 22),
    2: dt.date(1995, 9, 21),
    3: dt.date(1996, 9, 19),
    4: dt.date(1997, 9, 25),
    5: dt.date(1998, 9, 24),
    6: dt.date(1999, 9, 23),
    7: dt.date(2000, 10, 12),
    8: dt.date(2001, 9, 27),
    9: dt.date(2002, 9, 26),
    10: dt.date(2003, 9, 25),
}
MAIN = {"Rachel", "Ross", "Monica", "Chandler", "Joey", "Phoebe"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    rows = []
    for split in ("train", "dev", "test"):
        with open(args.data_dir / "meld" / f"{split}_sent_emo.csv", encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                season, episode = int(row["Season"]), int(row["Episode"])
                aired = PREMIERES[season] + dt.timedelta(weeks=episode - 1)
                rows.append(
                    {
                        "id": f"{split}-{row['Dialogue_ID']}-{row['Utterance_ID']}",
                        "text": row["Utterance"],
                        "aired": aired.isoformat(),
                        "speaker": row["Speaker"] if row["Speaker"] in MAIN else "other",
                    }
                )
    rows.sort(key=lambda r: (r["aired"], r["id"]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows):,} utterances -> {args.out}")


if __name__ == "__main__":
    main()
