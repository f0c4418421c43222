"""Job `optimize`: SQL optimisation data: instances, slow queries, verified rewrites, ReSTEM (= `sqlfix optimize`).

Spark python task:  jobs/optimize.py --profile databricks --catalog main --schema sqlfix rules
"""

import sys

from sqlfix.cli import main

if __name__ == "__main__":
    sys.exit(main(["optimize", *sys.argv[1:]]))
