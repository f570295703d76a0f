# One image for the three services; docker-compose.yml picks the app each container runs.

# The front-end packages the gateway serves (API docs), pinned by sha256 in scripts/front_assets.txt.
FROM node:20-slim AS assets
WORKDIR /src
COPY scripts/fetch_assets.sh scripts/front_assets.txt ./scripts/
RUN ./scripts/fetch_assets.sh

FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    MI_DATA_DIR=/app/data MI_ASSETS_DIR=/app/build/assets MI_VAR_DIR=/var/lib/marche-inclusif
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY pyproject.toml README.md ./
COPY services ./services
COPY migrations ./migrations
COPY data ./data
COPY --from=assets /src/build/assets ./build/assets
# The installed package lives outside /app: data and assets are found through MI_DATA_DIR and
# MI_ASSETS_DIR; what the services write (claimants' proofs) goes under MI_VAR_DIR, owned by app.
RUN pip install --no-cache-dir --no-deps . && useradd --system --uid 10001 app \
    && install -d -o app -g app -m 0700 /var/lib/marche-inclusif /var/lib/marche-inclusif/proofs
USER app
EXPOSE 8000
