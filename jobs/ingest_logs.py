"""Job `ingest_logs`: platform query logs and table schemas into the bronze lake (= `sqlfix ingest`).

Spark python task:  jobs/ingest_logs.py --profile databricks --catalog main --schema sqlfix --source /Volumes/...
"""

import sys

from sqlfix.cli import main

if __name__ == "__main__":
    sys.exit(main(["ingest", *sys.argv[1:]]))
