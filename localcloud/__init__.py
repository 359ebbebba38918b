"""The Docker-free local cloud: the whole stack on one machine for development, demos and tests.

Never deployed. The functions' shared code lives in the layer folder; the local cloud puts it on the
path the way Lambda puts the layer at /opt/python.
"""

import sys
from pathlib import Path

_LAYER = str(Path(__file__).resolve().parent.parent / "layers" / "cofounder")
if _LAYER not in sys.path:
    sys.path.insert(0, _LAYER)
