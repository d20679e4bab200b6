from .case import *  # noqa: F401,F403
from .limits import *  # noqa: F401,F403
from .search import *  # noqa: F401,F403
from .overdue import *  # noqa: F401,F403
