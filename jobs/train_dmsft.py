"""Job `train_dmsft`: DM-SFT training, MLflow logging and registration (= `sqlfix train`).

python jobs/train_dmsft.py --config conf/train/dmsft.yaml --p 0.5 --deepspeed conf/deepspeed/zero2.json
deepspeed --num_gpus 8 jobs/train_dmsft.py --config conf/train/dmsft.yaml --deepspeed conf/deepspeed/zero3.json
"""

import sys

from sqlfix.cli import main

if __name__ == "__main__":
    sys.exit(main(["train", *sys.argv[1:]]))
