FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
RUN useradd --create-home --uid 10001 nps

COPY pyproject.toml constraints.txt README.md ./
COPY . .
RUN pip install -c constraints.txt . \
 && DEBUG=0 SECRET_KEY=collectstatic-only DATABASE_URL=sqlite:////tmp/build.db \
    python manage.py collectstatic --noinput

USER nps
EXPOSE 8000
# A sync worker cannot signal the master while it streams a response, so the
# timeout is also the longest CSV export: 300 s is several million rows.
CMD ["gunicorn", "nps_site.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2", "--timeout", "300", "--access-logfile", "-"]
