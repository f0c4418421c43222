"""Job `demo`: the closed loop on the embedded default, simulate -> ... -> fix (= `sqlfix demo`).

Spark python task:  jobs/demo.py
"""

import sys

from sqlfix.cli import main

if __name__ == "__main__":
    sys.exit(main(["demo", *sys.argv[1:]]))
