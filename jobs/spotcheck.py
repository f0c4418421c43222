"""Job `spotcheck`: sample a filter batch, record reviewers' verdicts, gate the batch (= `sqlfix spotcheck`).

python jobs/spotcheck.py sample --n 50 --out review.csv
python jobs/spotcheck.py record --input review.csv
python jobs/spotcheck.py gate            # exit 3 when the batch is not approved
"""

import sys

from sqlfix.cli import main

if __name__ == "__main__":
    sys.exit(main(["spotcheck", *sys.argv[1:]]))
