# syntax=docker/dockerfile:1
# The sentimon API image: the package installed (not editable) into a virtual
# environment, the shipped model baked in, run as an unprivileged user.
#
#   docker build -t sentimon:local .
#   docker build -t sentimon:local-gpu --build-arg ONNXRUNTIME_PACKAGE=onnxruntime-gpu .
ARG PYTHON_IMAGE=python:3.11.14-slim-trixie

FROM ${PYTHON_IMAGE} AS build
# Set to onnxruntime-gpu for the Compose gpu profile; empty keeps the CPU onnxruntime.
ARG ONNXRUNTIME_PACKAGE=""
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# The locked dependencies first, in a layer that only a new lock rebuilds (requirements/,
# docs/development.md). onnxruntime-gpu comes from its own lock; any other package named
# in ONNXRUNTIME_PACKAGE is installed as given, unlocked.
COPY requirements/runtime.txt requirements/onnxruntime-gpu.txt ./requirements/
RUN python -m venv /opt/sentimon \
    && /opt/sentimon/bin/pip install --require-hashes -r requirements/runtime.txt \
    && case "${ONNXRUNTIME_PACKAGE}" in \
         "") ;; \
         onnxruntime-gpu) /opt/sentimon/bin/pip uninstall -y onnxruntime \
           && /opt/sentimon/bin/pip install --require-hashes -r requirements/onnxruntime-gpu.txt ;; \
         *) /opt/sentimon/bin/pip uninstall -y onnxruntime \
           && /opt/sentimon/bin/pip install "${ONNXRUNTIME_PACKAGE}" ;; \
       esac
COPY pyproject.toml README.md ./
COPY src ./src
# --no-deps: the lock above holds every dependency.
RUN /opt/sentimon/bin/pip install . --no-deps

FROM ${PYTHON_IMAGE}
# The log directory is readable by others: the collector reads it from a shared volume.
# /run/grafana-secret: Compose's grafana-password writes Grafana's password there, for
# Grafana (group 0) to read; a new volume takes this owner and mode.
RUN groupadd --system --gid 10001 sentimon \
    && useradd --system --uid 10001 --gid sentimon --no-create-home \
         --home-dir /nonexistent --shell /usr/sbin/nologin sentimon \
    && install -d -o sentimon -g sentimon -m 0755 /var/log/sentimon \
    && install -d -o sentimon -g sentimon -m 0700 /var/lib/sentimon \
    && install -d -o sentimon -g 0 -m 0750 /run/grafana-secret
COPY --from=build /opt/sentimon /opt/sentimon
COPY models/sentimon-bilstm /opt/sentimon/models/sentimon-bilstm
ENV PATH=/opt/sentimon/bin:${PATH} \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SENTIMON_HOST=0.0.0.0 \
    SENTIMON_PORT=8000 \
    SENTIMON_MODEL_DIR=/opt/sentimon/models/sentimon-bilstm \
    SENTIMON_LOG_DIR=/var/log/sentimon
USER 10001:10001
EXPOSE 8000
# No curl in a slim image: Python asks /readyz (503, an exception, until the model is loaded).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('SENTIMON_PORT', '8000'), timeout=2)"]
ENTRYPOINT ["sentimon"]
CMD ["serve"]
