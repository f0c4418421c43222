"""Job `evaluate`: `sqlfix evaluate` as a Spark python task (the bundle's console entry point is `sqlfix-evaluate`).

Spark python task:  jobs/evaluate.py --profile databricks --catalog main --schema sqlfix
"""

import sys

from sqlfix.cli import main

if __name__ == "__main__":
    sys.exit(main(["evaluate", *sys.argv[1:]]))
