"""Job `build_dataset`: approved kept pairs -> versioned sft_train / sft_eval (= `sqlfix build-dataset`).

Spark python task:  jobs/build_dataset.py --profile databricks --catalog main --schema sqlfix
Local, with an export for training:  python jobs/build_dataset.py --export .demo/dataset
"""

import sys

from sqlfix.cli import main

if __name__ == "__main__":
    sys.exit(main(["build-dataset", *sys.argv[1:]]))
