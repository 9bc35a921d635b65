# One image for every WealthTech process; compose.yml picks the process with `command:`
# (`python -m subgraphs.<name> serve` or `python -m router ...`).
#
#   docker build -t wealthtech .
#
# GraphiQL's browser bundles come from the npm registry in a build stage, so the router serves them
# from the image (no CDN at run time).

FROM node:20-bookworm-slim AS graphiql-assets
WORKDIR /build/router/assets
COPY router/assets/package.json router/assets/package-lock.json router/assets/build.sh ./
RUN npm ci --no-audit --no-fund --loglevel=error && bash build.sh

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    WEALTHTECH_DATA_DIR=/var/lib/wealthtech
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY crypto ./crypto
COPY subgraphs ./subgraphs
COPY router ./router
COPY wealthtech_cli ./wealthtech_cli
COPY schema ./schema
COPY --from=graphiql-assets /build/router/static/graphiql ./router/static/graphiql
# Editable: the code runs from /app, where the router finds its GraphiQL assets and schema/.
RUN pip install -c constraints.txt -e . \
    && useradd --system --uid 10001 --home-dir /var/lib/wealthtech --create-home wealthtech
USER wealthtech
EXPOSE 4000 4001 4002 4003 4004
CMD ["python", "-m", "router", "--supergraph", "schema/supergraph.graphql", "--host", "0.0.0.0", "--port", "4000"]
