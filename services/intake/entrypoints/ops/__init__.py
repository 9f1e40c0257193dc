"""The ops console's routes and pages: server-rendered HTML for operations staff."""
