#!/usr/bin/env bash
# Local dev/test stack for Volley without Docker: PostgreSQL, Redis and a real Apache Kafka broker.
#
#   scripts/stack.sh up      # reuse what already runs, start what is missing, create databases
#   scripts/stack.sh status  # state of each service and whether this script started it
#   scripts/stack.sh down    # stop only what `up` started; services found running are left alone
#
# All three commands are idempotent. `status` exits 0 when every service is up, 1 otherwise.
#
# Environment (defaults in brackets):
#   DATABASE_URL     [postgresql://postgres@127.0.0.1:5432/volley]  database created if missing
#   EXTRA_DATABASES  [volley_test]   space-separated extra databases to create; "" for none
#   REDIS_URL        [redis://127.0.0.1:6379]
#   KAFKA_BROKERS    [127.0.0.1:9092]  only the first host:port is probed / started
#   KAFKA_CONTROLLER_PORT [broker port + 1]  KRaft controller listener of the local broker
#   KAFKA_READY_TIMEOUT   [90]  seconds to wait for a started broker to answer
#   KAFKA_HEAP_OPTS       [-Xms256m -Xmx512m]
#   STACK_DIR        [<repo>/.cache/stack]   pid files, logs, generated config, Kafka data
#   KAFKA_LIBS       [<repo>/.cache/kafka-libs]  Kafka jars resolved from Maven Central
#
# Where things live (all git-ignored under .cache/):
#   $KAFKA_LIBS/*.jar                  broker + tools classpath (scripts/kafka/pom.xml decides it);
#                                      kept outside STACK_DIR so wiping the stack keeps the jars.
#   $STACK_DIR/kafka-data/             KRaft log dir (dev data: wiped if it does not match config)
#   $STACK_DIR/kafka/server.properties generated on every `up`
#   $STACK_DIR/{kafka,redis}.log       service logs;  $STACK_DIR/{kafka,redis}.pid  ownership
#   $STACK_DIR/postgres.started        present only if `up` had to start the PostgreSQL cluster
#
# Running a Kafka CLI tool against the local broker (no tarball needed), e.g.:
#   java -cp '.cache/kafka-libs/*' -Dlog4j2.configurationFile=scripts/kafka/tools-log4j2.properties \
#        org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:9092 --list
# shellcheck disable=SC2016  # single-quoted `bash -c` bodies expand their own "$1"/"$@"
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATABASE_URL=${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/volley}
EXTRA_DATABASES=${EXTRA_DATABASES-volley_test}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
KAFKA_BROKERS=${KAFKA_BROKERS:-127.0.0.1:9092}
KAFKA_READY_TIMEOUT=${KAFKA_READY_TIMEOUT:-90}
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}
STACK_DIR=${STACK_DIR:-$REPO_ROOT/.cache/stack}
KAFKA_LIBS=${KAFKA_LIBS:-$REPO_ROOT/.cache/kafka-libs}

KAFKA_POM=$REPO_ROOT/scripts/kafka/pom.xml
KAFKA_LOG4J=$REPO_ROOT/scripts/kafka/log4j2.properties
KAFKA_TOOLS_LOG4J=$REPO_ROOT/scripts/kafka/tools-log4j2.properties

# Pid files and the data dir are referenced from other processes' command lines, so pin them
# to absolute paths even if the caller passed relative ones.
mkdir -p "$STACK_DIR"
STACK_DIR=$(cd "$STACK_DIR" && pwd)
mkdir -p "$(dirname "$KAFKA_LIBS")"
KAFKA_LIBS=$(cd "$(dirname "$KAFKA_LIBS")" && pwd)/$(basename "$KAFKA_LIBS")

KAFKA_DATA=$STACK_DIR/kafka-data
KAFKA_CONF_DIR=$STACK_DIR/kafka
KAFKA_PID=$STACK_DIR/kafka.pid
KAFKA_LOGFILE=$STACK_DIR/kafka.log
# What the data dir was formatted for; a mismatch means it belongs to another setup.
KAFKA_FORMAT_STAMP=$STACK_DIR/kafka-format.stamp
REDIS_PID=$STACK_DIR/redis.pid
REDIS_LOGFILE=$STACK_DIR/redis.log
PG_MARKER=$STACK_DIR/postgres.started

log() { printf '%s\n' "$*" >&2; }
die() { log "stack.sh: $*"; exit 1; }
summary() { printf '%-9s %-8s %-21s %s\n' "$@"; }

# ---------------------------------------------------------------------------------------------
# Small helpers

# Splits scheme://[user[:pass]@]host[:port][/path][?query] into URL_* globals.
parse_url() {
  local url=$1 default_port=$2 rest hostport auth
  rest=${url#*://}
  rest=${rest%%\?*}
  hostport=${rest%%/*}
  URL_PATH=
  [[ $rest == */* ]] && URL_PATH=${rest#*/}
  URL_USER='' URL_PASS=''
  if [[ $hostport == *@* ]]; then
    auth=${hostport%@*}
    hostport=${hostport##*@}
    URL_USER=$(url_decode "${auth%%:*}")
    [[ $auth == *:* ]] && URL_PASS=$(url_decode "${auth#*:}")
  fi
  split_hostport "$hostport" "$default_port"
}

# host:port, [v6]:port or bare host -> URL_HOST / URL_PORT
split_hostport() {
  local hp=$1 default_port=$2
  if [[ $hp == \[* ]]; then
    URL_HOST=${hp#[}; URL_HOST=${URL_HOST%%]*}
    URL_PORT=${hp##*]}; URL_PORT=${URL_PORT#:}
  elif [[ $hp == *:* ]]; then
    URL_HOST=${hp%:*}; URL_PORT=${hp##*:}
  else
    URL_HOST=$hp; URL_PORT=
  fi
  URL_HOST=${URL_HOST:-127.0.0.1}
  URL_PORT=${URL_PORT:-$default_port}
}

url_decode() { local s=${1//+/ }; printf '%b' "${s//%/\\x}"; }

# We only ever start services on this machine; a remote address that does not answer is an error.
is_local_host() { [[ $1 =~ ^(127\.[0-9.]+|localhost|::1)$ ]]; }

tcp_open() { timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null; }

# A process counts as alive only if it exists, is not a zombie (our own just-died child would
# be one until reaped) and its command line still mentions what we started (pid reuse).
pid_alive() {
  local pid=$1 pattern=$2 stat
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$pattern"
}

# Pid from a pid file if that process is ours and alive; removes stale pid files.
owned_pid() {
  local file=$1 pattern=$2 pid
  [[ -f $file ]] || return 1
  pid=$(tr -dc '0-9' <"$file")
  if pid_alive "$pid" "$pattern"; then
    echo "$pid"
  else
    rm -f "$file"
    return 1
  fi
}

stop_pid() {
  local name=$1 pid=$2 pattern=$3 i
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 60; i++)); do
    pid_alive "$pid" "$pattern" || { log "$name: stopped (pid $pid)"; return 0; }
    sleep 0.5
  done
  log "$name: still running 30 s after SIGTERM, sending SIGKILL (pid $pid)"
  kill -KILL "$pid" 2>/dev/null || true
  sleep 1
}

need() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' not found. Install it with: apt-get install -y $2"
}

# Serialise concurrent `up`/`down` runs (two test jobs starting at once must not race to format
# the Kafka data dir or start two brokers). Every long-lived process we spawn gets `9>&-`:
# a daemon that inherited fd 9 would hold this lock for as long as it runs.
take_lock() {
  exec 9>"$STACK_DIR/.lock"
  flock -w 300 9 || die "another stack.sh holds $STACK_DIR/.lock"
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL

pg_target() {
  parse_url "$DATABASE_URL" 5432
  PG_HOST=$URL_HOST PG_PORT=$URL_PORT PG_USER=$URL_USER PG_DB=${URL_PATH:-postgres}
  [[ -n $URL_PASS ]] && export PGPASSWORD=$URL_PASS
  return 0
}

pg_ready() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 3; }

psql_admin() {
  local args=(-X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -d postgres -tA)
  [[ -n $PG_USER ]] && args+=(-U "$PG_USER")
  psql "${args[@]}" "$@"
}

# The cluster configured for our port, so a machine with several clusters starts the right
# one (and a port no cluster serves is an error rather than a start of some other cluster).
pg_cluster_for_port() {
  local found
  if ! command -v pg_lsclusters >/dev/null; then
    echo "$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n1) main"
    return 0
  fi
  found=$(pg_lsclusters -h 2>/dev/null | awk -v p="$PG_PORT" '$3 == p { print $1, $2; exit }')
  [[ -n $found ]] || die "no PostgreSQL cluster is configured for port $PG_PORT (see pg_lsclusters)"
  echo "$found"
}

pg_up() {
  pg_target
  need pg_isready postgresql-client
  need psql postgresql-client
  local how=reused ver cluster i
  if ! pg_ready; then
    is_local_host "$PG_HOST" || die "PostgreSQL at $PG_HOST:$PG_PORT is not reachable (not local, so not starting one)"
    if ! command -v pg_ctlcluster >/dev/null || [[ ! -d /etc/postgresql ]]; then
      die "PostgreSQL is not running at $PG_HOST:$PG_PORT and no server is installed. Install it with: apt-get install -y postgresql"
    fi
    local found
    found=$(pg_cluster_for_port)
    read -r ver cluster <<<"$found"
    log "postgres: starting cluster $ver/$cluster"
    # --skip-systemctl-redirect: there is no systemd here; start the postmaster directly.
    pg_ctlcluster --skip-systemctl-redirect "$ver" "$cluster" start 9>&-
    echo "$ver $cluster" >"$PG_MARKER"
    for ((i = 0; i < 30; i++)); do pg_ready && break; sleep 1; done
    pg_ready || die "PostgreSQL cluster $ver/$cluster started but $PG_HOST:$PG_PORT does not answer"
    how=started
  elif [[ -f $PG_MARKER ]]; then
    how=started  # by an earlier `up`; still ours to stop
  fi

  local db created=()
  for db in $PG_DB $EXTRA_DATABASES; do
    # Names go into SQL unparameterised; refuse anything that would need escaping.
    [[ $db =~ ^[A-Za-z_][A-Za-z0-9_-]*$ ]] || die "refusing odd database name: '$db'"
    if [[ -z $(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$db'") ]]; then
      psql_admin -c "CREATE DATABASE \"$db\""
      created+=("$db")
    fi
  done
  summary postgres "$how" "$PG_HOST:$PG_PORT" \
    "databases: $PG_DB $EXTRA_DATABASES${created:+ (created: ${created[*]})}"
}

pg_down() {
  [[ -f $PG_MARKER ]] || { log "postgres: not started by stack.sh, leaving it alone"; return 0; }
  local ver cluster
  read -r ver cluster <"$PG_MARKER"
  pg_ctlcluster --skip-systemctl-redirect "$ver" "$cluster" stop || true
  rm -f "$PG_MARKER"
  log "postgres: stopped cluster $ver/$cluster"
}

pg_status() {
  pg_target
  local state=down who=-
  command -v pg_isready >/dev/null && pg_ready && state=up who=external
  [[ -f $PG_MARKER ]] && who="started by stack.sh (cluster $(cat "$PG_MARKER"))"
  summary postgres "$state" "$PG_HOST:$PG_PORT" "$who"
  [[ $state == up ]]
}

# ---------------------------------------------------------------------------------------------
# Redis

redis_target() { parse_url "$REDIS_URL" 6379; REDIS_HOST=$URL_HOST REDIS_PORT=$URL_PORT; }

# -u with a password makes redis-cli warn on stderr; the answer is what matters.
redis_ping() { [[ $(redis-cli -u "$REDIS_URL" ping 2>/dev/null) == PONG ]]; }

redis_up() {
  redis_target
  need redis-cli redis-tools
  local pid i
  if redis_ping; then
    if pid=$(owned_pid "$REDIS_PID" redis-server); then
      summary redis started "$REDIS_HOST:$REDIS_PORT" "pid $pid (already running)"
    else
      summary redis reused "$REDIS_HOST:$REDIS_PORT" "external"
    fi
    return 0
  fi
  is_local_host "$REDIS_HOST" || die "Redis at $REDIS_HOST:$REDIS_PORT does not answer PING (not local, so not starting one)"
  if tcp_open "$REDIS_HOST" "$REDIS_PORT"; then
    die "something listens on $REDIS_HOST:$REDIS_PORT but does not answer PING for $REDIS_URL (wrong password?)"
  fi
  command -v redis-server >/dev/null ||
    die "Redis is not running at $REDIS_HOST:$REDIS_PORT. Install it with: apt-get install -y redis-server"
  # Nothing persisted: a dev/test cache must not resurrect old keys across restarts.
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir "$STACK_DIR" --pidfile "$REDIS_PID" --logfile "$REDIS_LOGFILE" 9>&-
  for ((i = 0; i < 20; i++)); do redis_ping && break; sleep 0.5; done
  redis_ping || { tail -n 20 "$REDIS_LOGFILE" >&2 || true; die "redis-server did not answer PING"; }
  pid=$(owned_pid "$REDIS_PID" redis-server) || die "redis-server answers but wrote no pid file"
  summary redis started "$REDIS_HOST:$REDIS_PORT" "pid $pid, log $REDIS_LOGFILE"
}

redis_down() {
  local pid
  if pid=$(owned_pid "$REDIS_PID" redis-server); then
    stop_pid redis "$pid" redis-server
    rm -f "$REDIS_PID"
  else
    log "redis: not started by stack.sh, leaving it alone"
  fi
}

redis_status() {
  redis_target
  local state=down who=- pid
  command -v redis-cli >/dev/null && redis_ping && state=up who=external
  pid=$(owned_pid "$REDIS_PID" redis-server) && who="started by stack.sh (pid $pid)"
  summary redis "$state" "$REDIS_HOST:$REDIS_PORT" "$who"
  [[ $state == up ]]
}

# ---------------------------------------------------------------------------------------------
# Kafka

kafka_target() {
  local first=${KAFKA_BROKERS%%,*}
  first=${first#*://}  # tolerate PLAINTEXT://host:port
  split_hostport "$first" 9092
  KAFKA_HOST=$URL_HOST KAFKA_PORT=$URL_PORT
  KAFKA_CTRL_PORT=${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}
}

# Sends one Metadata request (v4: the oldest version Kafka 4.x still accepts, and old brokers
# since 1.0 know it) over bash's /dev/tcp and succeeds if the reply carries our correlation id
# and lists at least one broker. Needs neither the jars nor node_modules, and a starting broker
# (port bound, request handling not yet enabled) simply does not answer, so it means "usable".
#   request: size=20 | api_key=3 | api_version=4 | correlation_id="VOLY" | client_id="stack"
#            | topics=[] (none) | allow_auto_topic_creation=false
#   reply:   size | correlation_id | throttle_time_ms | broker count | ...
kafka_probe() {
  local out
  out=$(timeout 3 bash -c '
    exec 3<>"/dev/tcp/$1/$2" || exit 1
    printf "\x00\x00\x00\x14\x00\x03\x00\x04VOLY\x00\x05stack\x00\x00\x00\x00\x00" >&3
    head -c 16 <&3 | od -An -v -tx1' _ "$1" "$2" 2>/dev/null) || return 1
  out=${out//[$' \n']/}
  [[ ${#out} -eq 32 && ${out:8:8} == 564f4c59 ]] || return 1
  ((16#${out:24:8} >= 1))
}

java_ok() {
  command -v java >/dev/null || return 1
  local v
  v=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)
  [[ -n $v && $v -ge 17 ]]
}

kafka_version() { sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_POM"; }

# Resolves the classpath once; afterwards the hash of the pom is the cache key, so a second
# `up` neither runs Maven nor needs the network.
kafka_resolve_libs() {
  local want have tmp
  want=$(sha256sum "$KAFKA_POM" | cut -d' ' -f1)
  have=$(cat "$KAFKA_LIBS/.resolved" 2>/dev/null || true)
  [[ $want == "$have" && -f $KAFKA_LIBS/kafka_2.13-$(kafka_version).jar ]] && return 0
  need mvn maven
  log "kafka: resolving jars from Maven Central into $KAFKA_LIBS (first run only)"
  # Resolve into a scratch dir and swap, so an interrupted run never leaves a half classpath
  # that the cache key would then bless.
  tmp=$KAFKA_LIBS.tmp.$$
  rm -rf "$tmp"
  # Maven's output only matters when it fails (even -q -B leaves stray colour codes).
  if ! mvn -B -q -f "$KAFKA_POM" validate "-Dkafka.libs.dir=$tmp" >"$STACK_DIR/mvn.log" 2>&1; then
    cat "$STACK_DIR/mvn.log" >&2
    rm -rf "$tmp"
    die "Maven could not resolve the Kafka jars (needs Maven Central once; then ~/.m2 serves it)"
  fi
  echo "$want" >"$tmp/.resolved"
  rm -rf "$KAFKA_LIBS"
  mv "$tmp" "$KAFKA_LIBS"
}

# Tool classes log to stdout by default, which would corrupt captured output.
kafka_java() {
  java -Djava.awt.headless=true "-Dlog4j2.configurationFile=$KAFKA_TOOLS_LOG4J" \
    -cp "$KAFKA_LIBS/*" "$@"
}

kafka_write_config() {
  mkdir -p "$KAFKA_CONF_DIR"
  # Single node acting as broker and KRaft controller, with a dynamic quorum bootstrapped by
  # `format --standalone` (as Kafka 4.x's own config/server.properties does).
  cat >"$KAFKA_CONF_DIR/server.properties" <<EOF
# Generated by scripts/stack.sh on every up; edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CTRL_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CTRL_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CTRL_PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DATA

# One broker: every internal topic must fit on it.
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1

# Tests create consumer groups constantly; the default 3 s join delay would slow every one.
group.initial.rebalance.delay.ms=0
# The default 128 MiB compaction buffer alone would eat a quarter of the small heap.
log.cleaner.dedupe.buffer.size=2097152
# Two cores: the defaults (3 network, 8 io threads) only add contention.
num.network.threads=2
num.io.threads=4
EOF
}

kafka_wipe_data() {
  log "kafka: $1; wiping dev data in $KAFKA_DATA"
  rm -rf "$KAFKA_DATA" "$KAFKA_FORMAT_STAMP"
}

# Formats the data dir once. A dir formatted for another cluster id / node / controller
# endpoint, or left half-formatted, would make the broker refuse to start; it only ever holds
# dev data, so it is reformatted rather than repaired.
kafka_prepare_storage() {
  local stamp_want="node.id=1 controller=127.0.0.1:$KAFKA_CTRL_PORT" cid
  if [[ -f $KAFKA_DATA/meta.properties ]]; then
    cid=$(sed -n 's/^cluster\.id=//p' "$KAFKA_DATA/meta.properties")
    if [[ -z $cid ]]; then
      kafka_wipe_data "meta.properties is unreadable"
    elif [[ "$(cat "$KAFKA_FORMAT_STAMP" 2>/dev/null)" != "cluster.id=$cid $stamp_want" ]]; then
      kafka_wipe_data "data dir was formatted for another cluster/config"
    elif [[ ! -d $KAFKA_DATA/__cluster_metadata-0 ]]; then
      kafka_wipe_data "cluster metadata log is missing"
    else
      return 0
    fi
  elif [[ -d $KAFKA_DATA && -n "$(ls -A "$KAFKA_DATA")" ]]; then
    kafka_wipe_data "data dir has no meta.properties"
  fi
  cid=$(kafka_java kafka.tools.StorageTool random-uuid)
  # StorageTool format accepts any string as cluster id and writes it verbatim; check it here.
  [[ $cid =~ ^[A-Za-z0-9_-]{22}$ ]] || die "unexpected cluster id from StorageTool: '$cid'"
  log "kafka: formatting $KAFKA_DATA (cluster id $cid)"
  kafka_java kafka.tools.StorageTool format -t "$cid" -c "$KAFKA_CONF_DIR/server.properties" \
    --standalone >&2
  echo "cluster.id=$cid $stamp_want" >"$KAFKA_FORMAT_STAMP"
}

kafka_start() {
  [[ -f $KAFKA_LOGFILE ]] && mv -f "$KAFKA_LOGFILE" "$KAFKA_LOGFILE.1"
  rm -f "$KAFKA_PID"
  local -a heap
  read -r -a heap <<<"$KAFKA_HEAP_OPTS"
  # setsid: its own session, so the broker outlives the shell or CI step that ran `up` (and a
  # process-group kill of that step). The inner bash records its own pid and then execs java,
  # so the pid file names the JVM itself whether or not setsid had to fork.
  (
    cd "$STACK_DIR"
    setsid bash -c 'echo $$ >"$1"; shift; exec nohup "$@"' _ "$KAFKA_PID" \
      java "${heap[@]}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
      -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
      -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
      "-Dlog4j2.configurationFile=$KAFKA_LOG4J" -cp "$KAFKA_LIBS/*" \
      kafka.Kafka "$KAFKA_CONF_DIR/server.properties" \
      </dev/null >>"$KAFKA_LOGFILE" 2>&1 9>&- &
  )
  local i
  for ((i = 0; i < 50; i++)); do [[ -s $KAFKA_PID ]] && break; sleep 0.1; done
}

# Waits for the broker; returns 0 ready, 1 timeout, 2 process died.
kafka_wait_ready() {
  local deadline=$((SECONDS + KAFKA_READY_TIMEOUT)) pid
  while ((SECONDS < deadline)); do
    kafka_probe "$KAFKA_HOST" "$KAFKA_PORT" && return 0
    pid=$(owned_pid "$KAFKA_PID" kafka.Kafka) || return 2
    sleep 1
  done
  return 1
}

# True if the error that ended the broker is about its data dir. Only ERROR/FATAL lines and the
# stack traces under them are searched: INFO lines mention checkpoints and snapshots all the
# time, and a crash for another reason (a port in use) must not cost the data.
kafka_died_of_storage() {
  awk '/^\[/ { err = ($0 ~ /\] (ERROR|FATAL) /) } err' "$KAFKA_LOGFILE" |
    grep -Eqi 'meta\.properties|cluster ?id|node id|directory id|InconsistentClusterId|CorruptRecord|InvalidRecord|KafkaStorageException|bootstrap\.checkpoint'
}

kafka_fail() {
  log "---- last lines of $KAFKA_LOGFILE ----"
  tail -n 40 "$KAFKA_LOGFILE" >&2 || true
  die "$1"
}

kafka_up() {
  kafka_target
  local pid t0 rc
  if kafka_probe "$KAFKA_HOST" "$KAFKA_PORT"; then
    if pid=$(owned_pid "$KAFKA_PID" kafka.Kafka); then
      summary kafka started "$KAFKA_HOST:$KAFKA_PORT" "pid $pid (already running)"
    else
      summary kafka reused "$KAFKA_HOST:$KAFKA_PORT" "existing cluster"
    fi
    return 0
  fi

  # Our broker may still be coming up (e.g. an earlier `up` was interrupted while waiting).
  if pid=$(owned_pid "$KAFKA_PID" kafka.Kafka); then
    if ! is_local_host "$KAFKA_HOST" ||
      ! grep -q "^listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT," "$KAFKA_CONF_DIR/server.properties"; then
      die "the broker stack.sh started (pid $pid) is not the one at $KAFKA_HOST:$KAFKA_PORT; run '$0 down' first"
    fi
    log "kafka: our broker (pid $pid) is running but not answering yet; waiting"
    t0=$SECONDS
    rc=0; kafka_wait_ready || rc=$?
    ((rc == 0)) || kafka_fail "broker pid $pid did not become ready"
    summary kafka started "$KAFKA_HOST:$KAFKA_PORT" "pid $pid (ready after $((SECONDS - t0)) s)"
    return 0
  fi

  is_local_host "$KAFKA_HOST" ||
    die "Kafka at $KAFKA_HOST:$KAFKA_PORT does not answer (not local, so not starting one)"
  if tcp_open "$KAFKA_HOST" "$KAFKA_PORT"; then
    die "$KAFKA_HOST:$KAFKA_PORT is in use but does not answer a Kafka metadata request"
  fi
  if tcp_open 127.0.0.1 "$KAFKA_CTRL_PORT"; then
    die "127.0.0.1:$KAFKA_CTRL_PORT (KRaft controller port) is in use; set KAFKA_CONTROLLER_PORT"
  fi
  java_ok || die "Kafka needs Java 17+. Install it with: apt-get install -y openjdk-17-jre-headless"

  kafka_resolve_libs
  kafka_write_config
  t0=$SECONDS
  local attempt
  for attempt in 1 2; do
    kafka_prepare_storage
    log "kafka: starting broker on 127.0.0.1:$KAFKA_PORT (controller :$KAFKA_CTRL_PORT)"
    kafka_start
    rc=0; kafka_wait_ready || rc=$?
    ((rc == 0)) && break
    if ((rc == 2 && attempt == 1)) && kafka_died_of_storage; then
      # Storage damage our format checks cannot see (e.g. truncated metadata log): reformat once.
      kafka_wipe_data "broker exited on a storage error"
      continue
    fi
    if ((rc == 1)); then
      pid=$(owned_pid "$KAFKA_PID" kafka.Kafka) && stop_pid kafka "$pid" kafka.Kafka
      rm -f "$KAFKA_PID"
      kafka_fail "broker not ready after ${KAFKA_READY_TIMEOUT} s"
    fi
    kafka_fail "broker exited during startup"
  done
  pid=$(owned_pid "$KAFKA_PID" kafka.Kafka) || kafka_fail "broker answers but its pid file is gone"
  summary kafka started "$KAFKA_HOST:$KAFKA_PORT" \
    "pid $pid, ready in $((SECONDS - t0)) s, log $KAFKA_LOGFILE"
}

kafka_down() {
  local pid
  if pid=$(owned_pid "$KAFKA_PID" kafka.Kafka); then
    stop_pid kafka "$pid" kafka.Kafka
    rm -f "$KAFKA_PID"
  else
    log "kafka: not started by stack.sh, leaving it alone"
  fi
}

kafka_status() {
  kafka_target
  local state=down who=- pid
  kafka_probe "$KAFKA_HOST" "$KAFKA_PORT" && state=up who=external
  if pid=$(owned_pid "$KAFKA_PID" kafka.Kafka); then
    who="started by stack.sh (pid $pid)"
    [[ $state == up ]] || state=starting
  fi
  summary kafka "$state" "$KAFKA_HOST:$KAFKA_PORT" "$who"
  [[ $state == up ]]
}

# ---------------------------------------------------------------------------------------------

cmd=${1:-}
case $cmd in
  up)
    take_lock
    pg_up
    redis_up
    kafka_up
    ;;
  down)
    take_lock
    # Reverse order of `up`: the broker and cache go before the database.
    kafka_down
    redis_down
    pg_down
    ;;
  status)
    rc=0
    pg_status || rc=1
    redis_status || rc=1
    kafka_status || rc=1
    exit "$rc"
    ;;
  *)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac
