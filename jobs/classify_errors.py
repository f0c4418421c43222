"""Job `classify_errors`: label a lake table's errors with the 81-leaf taxonomy (= `sqlfix classify`).

Spark python task:  jobs/classify_errors.py --profile databricks --catalog main --schema sqlfix --table bug_pairs
"""

import sys

from sqlfix.cli import main

if __name__ == "__main__":
    sys.exit(main(["classify", *sys.argv[1:]]))
