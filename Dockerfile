# One image for both processes: docker-compose.yml runs `contractsync api` and `contractsync worker`.
# Built in a separate stage so the runtime image carries the installed virtualenv only.
FROM python:3.11.14-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY . .
RUN /opt/venv/bin/pip install .

FROM python:3.11.14-slim-bookworm
RUN useradd --system --uid 10001 --create-home --home-dir /app contractsync
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    API_HOST=0.0.0.0
USER contractsync
WORKDIR /app
EXPOSE 8000 9464
CMD ["contractsync", "api"]
