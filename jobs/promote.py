"""Job `promote`: `sqlfix promote` as a Spark python task (the bundle's console entry point is `sqlfix-promote`).

Spark python task:  jobs/promote.py --profile databricks --catalog main --schema sqlfix
"""

import sys

from sqlfix.cli import main

if __name__ == "__main__":
    sys.exit(main(["promote", *sys.argv[1:]]))
