"""The WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`.

The one place that names the plug-ins: forum never imports them (see README, "How it
is built").
"""

import ideas
from forum import create_app

PLUGINS = [ideas.init_app]

app = create_app(plugins=PLUGINS)
