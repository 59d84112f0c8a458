# One image for web, worker and beat (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DEALERCRM_VAR_DIR=/app/var

WORKDIR /app
RUN useradd --create-home --uid 1000 dealercrm

COPY . .
RUN pip install .

RUN DJANGO_DEBUG=0 SECRET_KEY=build-only python manage.py collectstatic --noinput \
    && mkdir -p /app/var && chown -R dealercrm /app/var

USER dealercrm
EXPOSE 8000
CMD ["gunicorn", "dealercrm.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
