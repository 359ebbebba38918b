"""Moved to :mod:`localcloud.stack` (template.yaml translated by samtranslator, then read as CloudFormation).

Kept so that existing imports (``from localcloud.template import ...``) keep working; new code imports
``localcloud.stack``.
"""

from localcloud.stack import *  # noqa: F403
from localcloud.stack import __all__  # noqa: F401
