#!/usr/bin/env bash
# Makes sure the servers the tests talk to are running on loopback:
# Redis 127.0.0.1:6379, RabbitMQ 127.0.0.1:5672 (guest/guest) and
# PostgreSQL 127.0.0.1:5432 (trust auth, database "test").
# Installs them from Debian packages when they are missing.
set -euo pipefail

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
	local port=$1 name=$2
	for _ in $(seq 1 60); do
		up "$port" && return 0
		sleep 1
	done
	echo "services: $name did not open port $port" >&2
	return 1
}

apt_updated=
need_pkg() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ -z "$apt_updated" ]; then
		apt-get update -qq
		apt_updated=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}

if ! up 6379; then
	need_pkg redis-server redis-server
	mkdir -p /var/lib/redis /var/log/redis
	redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
		--appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
	wait_port 6379 redis
fi

if ! up 5672; then
	need_pkg rabbitmq-server rabbitmq-server
	rabbitmq-server -detached
	wait_port 5672 rabbitmq
fi

if ! up 5432; then
	need_pkg pg_ctlcluster postgresql
	pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
	wait_port 5432 postgresql
fi

# The tests use trust auth on 127.0.0.1 and a database called "test".
if ! psql -h 127.0.0.1 -U postgres -d test -c 'select 1' >/dev/null 2>&1; then
	hba=$(ls /etc/postgresql/*/main/pg_hba.conf | head -1)
	if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
		sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
		pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main reload
	fi
	su postgres -c "psql -c 'create database test'" >/dev/null 2>&1 || true
fi
echo "services: redis, rabbitmq and postgresql are up"
