#!/bin/sh
# Creates one PostgreSQL database per subgraph on the server's first start (compose.yml mounts this
# into /docker-entrypoint-initdb.d/). WEALTHTECH_DATABASES is a comma-separated list of names; each
# subgraph then creates its own tables through its migrations when it starts.
set -eu
for database in $(echo "${WEALTHTECH_DATABASES:?comma-separated database names}" | tr ',' ' '); do
    echo "creating database ${database}"
    psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
        -c "CREATE DATABASE \"${database}\""
done
