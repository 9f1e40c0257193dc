"""intake's HTTP routes: thin — parse, call a handler or a query, return."""
