"""verification's models, one module per part (each part's services, pages and API beside it)."""

from .audits import *  # noqa: F403
from .checks import *  # noqa: F403
from .datasets import *  # noqa: F403
from .scores import *  # noqa: F403
