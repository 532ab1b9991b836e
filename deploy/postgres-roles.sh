#!/bin/sh
# Runs once, when the Postgres volume is first initialised (docker-entrypoint-initdb.d).
# The superuser made by the image (POSTGRES_USER, "nps") owns the tables and runs
# migrations; the app connects as nps_app, which owns nothing and cannot bypass
# row-level security. `migrate` grants nps_app what it needs (DATABASE_APP_ROLE).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_password="$NPS_APP_PASSWORD" <<'SQL'
CREATE ROLE nps_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
GRANT CONNECT ON DATABASE nps TO nps_app;
GRANT USAGE ON SCHEMA public TO nps_app;
SQL
