"""Job `simulate_logs`: a seeded platform log with ground truth (= `sqlfix simulate-logs`).

Spark python task:  jobs/simulate_logs.py --profile databricks --catalog main --schema sqlfix ...
"""

import sys

from sqlfix.cli import main

if __name__ == "__main__":
    sys.exit(main(["simulate-logs", *sys.argv[1:]]))
