"""Job `mine_logs`: bronze query_logs -> silver bug_pairs, incrementally (= `sqlfix mine`).

Spark python task:  jobs/mine_logs.py --profile databricks --catalog main --schema sqlfix ...
"""

import sys

from sqlfix.cli import main

if __name__ == "__main__":
    sys.exit(main(["mine", *sys.argv[1:]]))
