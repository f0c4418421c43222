"""Job `targets`: the rare, weak and named taxonomy leaves -> generation_targets (= `sqlfix targets`).

Spark python task:  jobs/targets.py --profile databricks --catalog main --schema sqlfix
"""

import sys

from sqlfix.cli import main

if __name__ == "__main__":
    sys.exit(main(["targets", *sys.argv[1:]]))
