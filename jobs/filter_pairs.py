"""Job `filter_pairs`: the execution filter, bug_pairs -> pair_verdicts (= `sqlfix filter`).

Spark python task:  jobs/filter_pairs.py --profile databricks --catalog main --schema sqlfix
File mode:          python jobs/filter_pairs.py --input pairs.jsonl --ddl schema.sql --output out.jsonl
"""

import sys

from sqlfix.cli import main

if __name__ == "__main__":
    sys.exit(main(["filter", *sys.argv[1:]]))
