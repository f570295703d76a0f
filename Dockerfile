# One image for the three services; docker-compose.yml picks the app each container runs.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY pyproject.toml README.md ./
COPY services ./services
COPY migrations ./migrations
COPY data ./data
RUN pip install --no-cache-dir --no-deps . && useradd --system --uid 10001 app
USER app
EXPOSE 8000
