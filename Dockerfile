# The gateway's container image (docs/DEPLOY.md). CPU by default; `--build-arg TORCH_VARIANT=cu128`
# builds the CUDA one (docs/GPU.md). Model weights are fetched at first start into the /models volume,
# as scripts/serve does, unless `--build-arg BAKE_MODELS=1` puts them in the image.
ARG BASE_IMAGE=python:3.11-slim-bookworm

FROM ${BASE_IMAGE} AS base
# Extra CAs for builds behind a TLS-intercepting proxy (deploy/context/README.md); none by default.
COPY deploy/context/ca-certificates/ /usr/local/share/ca-certificates/
RUN update-ca-certificates >/dev/null 2>&1 || true
ENV LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
# PRISMA_ENGINES=download: prisma fetches its engines at build (LiteLLM's own image does the same).
# offline: the npm-only engines of scripts/setup_db_offline (node at run time; for hosts without
# Prisma's download servers). none: no database layer (no keys, budgets or UI).
ARG PRISMA_ENGINES=download
RUN if [ "$PRISMA_ENGINES" = offline ]; then \
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        nodejs postgresql-client >/dev/null && rm -rf /var/lib/apt/lists/*; fi

FROM base AS build
ARG PIP_INDEX_URL=https://pypi.org/simple
ARG PIP_DEFAULT_TIMEOUT=180
ARG TORCH_VERSION=2.13.0
ARG TORCH_VARIANT=cpu
# Empty: torch comes from PIP_INDEX_URL or deploy/context/wheels only.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/${TORCH_VARIANT}
ARG PRISMA_ENGINES=download
WORKDIR /app
COPY deploy/context/wheels/ /wheels/
# torch first and pinned, as scripts/bootstrap does, so pip never picks another build of it.
RUN python3 -m venv /app/.venv \
 && /app/.venv/bin/pip install --quiet --find-links /wheels ${TORCH_INDEX_URL:+--extra-index-url "$TORCH_INDEX_URL"} \
      "torch==${TORCH_VERSION}"
# Dependencies from pyproject.toml alone (a layer that survives source edits), then the sources.
COPY pyproject.toml ./
RUN mkdir plugins embedding_server && /app/.venv/bin/pip install --quiet --find-links /wheels . \
 && /app/.venv/bin/pip uninstall --quiet --yes llm-gateway && rmdir plugins embedding_server
# RapidOCR asks for opencv-python, the GUI build, which loads X11 and OpenGL libraries (libxcb, libGL:
# ~300 MB of Mesa in a slim image); the headless build of the same version is the same cv2 without them.
RUN v=$(/app/.venv/bin/python -c 'import importlib.metadata as m; print(m.version("opencv-python"))') \
 && /app/.venv/bin/pip uninstall --quiet --yes opencv-python \
 && /app/.venv/bin/pip install --quiet --no-deps --find-links /wheels "opencv-python-headless==$v"
COPY plugins ./plugins
COPY embedding_server ./embedding_server
RUN /app/.venv/bin/pip install --quiet --no-deps . && touch /app/.venv/.installed
COPY scripts/setup_db_offline ./scripts/
COPY scripts/prisma_offline ./scripts/prisma_offline
RUN if [ "$PRISMA_ENGINES" = offline ]; then \
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null \
      && PRISMA_OFFLINE_DIR=/app/.cache/prisma-offline scripts/setup_db_offline --engines-only \
      && rm -rf /app/.cache/prisma-offline/cli/node_modules/.cache /root/.npm; \
    elif [ "$PRISMA_ENGINES" = download ]; then \
      schema=$(/app/.venv/bin/python -c 'import litellm_proxy_extras, os; print(os.path.dirname(litellm_proxy_extras.__file__))')/schema.prisma \
      && PRISMA_BINARY_CACHE_DIR=/app/.cache/prisma-python PATH=/app/.venv/bin:$PATH prisma generate --schema "$schema"; \
    fi; mkdir -p /app/.cache

FROM base AS runtime
ARG BAKE_MODELS=0
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin gateway \
 && mkdir -p /models && chown gateway /models
WORKDIR /app
COPY --from=build /app/.venv /app/.venv
COPY --from=build --chown=gateway /app/.cache /app/.cache
COPY pyproject.toml README.md litellm_config.yaml ./
COPY plugins ./plugins
COPY embedding_server ./embedding_server
COPY scripts ./scripts
# Models live in the volume (HF cache); the gateway user owns it. GATEWAY_BOOTSTRAP=0: the venv is built.
ENV HF_HOME=/models PRISMA_BINARY_CACHE_DIR=/app/.cache/prisma-python PRISMA_OFFLINE_DIR=/app/.cache/prisma-offline \
    GATEWAY_BOOTSTRAP=0 PORT=8765 HOST=0.0.0.0 PATH=/app/.venv/bin:$PATH
USER gateway
RUN if [ "$BAKE_MODELS" = 1 ]; then python -m embedding_server.download --missing --config litellm_config.yaml; fi
VOLUME ["/models"]
EXPOSE 8765
# /health/liveliness needs no key and no backend: the process answers. /health is the readiness view.
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"8765\")}/health', timeout=4)"
ENTRYPOINT ["scripts/container_start"]
