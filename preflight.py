"""Can this Python run the workshop? `python3 preflight.py` prints one sentence (and the way out) before pip does.

Standard library only: run it before anything is installed, with the Python you will make the venv with.
The answer comes from support_matrix.json (see the README's support matrix); the code is
workshop_utils/core/support.py, loaded by path so that nothing of the package (or its dependencies) is imported.
"""

import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = importlib.util.spec_from_file_location("workshop_support", os.path.join(HERE, "workshop_utils", "core",
                                                                                "support.py"))
support = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(support)

if __name__ == "__main__":
    sys.exit(support.main())
