"""Job `generate`: oriented generation for the latest targets -> generated_pairs (= `sqlfix generate`).

Spark python task:  jobs/generate.py --profile databricks --catalog main --schema sqlfix --generator mutators
"""

import sys

from sqlfix.cli import main

if __name__ == "__main__":
    sys.exit(main(["generate", *sys.argv[1:]]))
