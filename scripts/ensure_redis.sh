#!/usr/bin/env bash
# Makes sure a Redis answers on 127.0.0.1:${REDIS_PORT:-6379}: starts one (installing it with apt if missing).
set -euo pipefail
port=${REDIS_PORT:-6379}
ping() { (exec 3<>/dev/tcp/127.0.0.1/"$port" && printf 'PING\r\n' >&3 && timeout 2 head -c 5 <&3 | grep -q PONG) 2>/dev/null; }
ping && exit 0
if ! command -v redis-server >/dev/null; then
  echo "redis-server missing: installing it with apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq redis-server >/dev/null
fi
mkdir -p /tmp/cofounder-redis
redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
  --dir /tmp/cofounder-redis --logfile /tmp/cofounder-redis/redis.log
for _ in $(seq 50); do ping && exit 0; sleep 0.1; done
echo "redis did not start on port $port" >&2
exit 1
