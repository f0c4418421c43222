"""Job `fix_queries`: `sqlfix fix` as a Spark python task (the bundle's console entry point is `sqlfix-fix`).

Spark python task:  jobs/fix_queries.py --profile databricks --catalog main --schema sqlfix
"""

import sys

from sqlfix.cli import main

if __name__ == "__main__":
    sys.exit(main(["fix", *sys.argv[1:]]))
