"""netauto push: approved changes to the routers, safely (DESIGN §10)."""
