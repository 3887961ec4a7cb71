# One image for every process of the fleet; the command picks the role (`wire worker`, `wire beat`, ...).
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY pipeline ./pipeline
COPY workers ./workers
COPY config ./config
COPY migrations ./migrations
COPY tests/fixtures ./tests/fixtures
RUN pip install --no-cache-dir .
USER nobody
ENTRYPOINT ["wire"]
