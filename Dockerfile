# Production-like image for docker-compose.yml (web, worker and beat share it).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
COPY . .
RUN pip install --no-cache-dir . \
    && python -c "from config.stack import compile_messages; compile_messages()"
RUN useradd --system --home /app xianjie && mkdir -p /app/var && chown -R xianjie /app/var
USER xianjie
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--config", "python:config.gunicorn", "--bind", "0.0.0.0:8000", "--workers", "3"]
