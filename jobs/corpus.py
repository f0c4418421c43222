"""Job `corpus`: successful executions (and .sql files, tables) -> sql_corpus with DDL and error features (= `sqlfix corpus`).

Spark python task:  jobs/corpus.py --profile databricks --catalog main --schema sqlfix
"""

import sys

from sqlfix.cli import main

if __name__ == "__main__":
    sys.exit(main(["corpus", *sys.argv[1:]]))
