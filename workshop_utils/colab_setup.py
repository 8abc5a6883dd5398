"""Colab set-up, run by each notebook's first cell on Colab only (as a script, before the package loads).

Keeps Colab's own TensorFlow and adds what Colab lacks: tf-keras matching TensorFlow's minor version
(TFMOT needs Keras 2 models), TFMOT, the LiteRT interpreter and the small helpers the package uses.
"""

import importlib.metadata
import subprocess
import sys


def main() -> None:
    tf_version = importlib.metadata.version("tensorflow")
    minor = ".".join(tf_version.split(".")[:2])
    packages = [
        f"tf-keras=={minor}.*", "tensorflow-model-optimization==0.8.1", "ai-edge-litert",
        "tabulate", "filelock>=3.12",
    ]
    print(f"Colab TensorFlow {tf_version}: installing {', '.join(packages)}")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", *packages], check=True)


if __name__ == "__main__":
    main()
