# Stand-ins for the postgres, redis and nginx images, from Debian packages, for hosts that cannot pull
# from a registry (scripts/deploy_check). Real deployments use the official images of compose.yaml.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      postgresql redis-server nginx-light >/dev/null \
 && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/default
COPY postgres-start /usr/local/bin/postgres-start
