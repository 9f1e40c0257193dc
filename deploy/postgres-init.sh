#!/bin/sh
# The services' login role: reads and appends events, never changes them (see eventlog migrations).
set -e
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" <<SQL
CREATE ROLE onewindow_app LOGIN PASSWORD '$ONEWINDOW_APP_PASSWORD';
GRANT CONNECT ON DATABASE $POSTGRES_DB TO onewindow_app;
SQL
