#!/usr/bin/env bash
# ota-proxy side by side with nginx and Squid on 127.0.0.1. See bench/README.md and docs/benchmarks.md.
#
#   bench/run.sh [--smoke] [--scenarios S0,S1,S2,S3,S4,S5,S6] [--runs N] [--runs-slow N] [--profile] [--keep]
#                [--quiet-wait SECONDS] [--s6-clients N] [--s6-stalled K] [--s6-rate BYTES_PER_S] [--s6-secs S]
#
# Builds what it needs, installs nginx, squid and wrk from Debian packages when missing, starts the origin,
# ota-proxy (the runnable jar), nginx and Squid, runs each scenario with the proxies interleaved run by run,
# prints medians with min/max and ours/peer ratios, and stops everything it started.
#
#   --smoke        tiny sizes, one run, proxies started once (cold runs use cache-busting paths): about a minute
#   --scenarios    which scenarios to run (default all but S0, whose restarts the others record anyway)
#   --runs N       runs of S0, S1, S2 and S3 (default 5); --runs-slow N: runs of S4, S5 and S6 (default 3)
#   --profile      also record ota-proxy with JFR (and async-profiler, from Maven Central, when it loads) during
#                  the measured phases of S1, S2, the first S3 fan-out and the first S4 cold and warm passes;
#                  hot frames go to <out>/*-hot.txt (profiled runs are slower: keep their numbers apart)
#   --quiet-wait S before each run, wait for others' load to drop, at most S seconds in all (default 600, smoke 0)
#   --keep         keep the work directory (caches, logs)
#   --s6-clients N, --s6-stalled K, --s6-rate B, --s6-secs S: S6's slow clients (default 1000), how many of them
#                  stall (100), each one's read rate in bytes/s (262144), the measurement window (25 s)
# Results: bench/target/results-<time>/ (results.tsv, summary.md, machine.txt, bench.log, wrk outputs).
# Environment: BENCH_DATA (data set dir), BENCH_OUT (results dir), BENCH_PROXIES (default "ota-proxy nginx squid"),
# OTA_JAVA_OPTS (JVM flags for ota-proxy that replace the launcher script's defaults, for experiments only),
# BENCH_OTA_JAR (the runnable jar to measure instead of runtime/target/ota-proxy.jar, e.g. one built from a commit).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")

SMOKE=0
SCENARIOS=S1,S2,S3,S4,S5,S6
S6_CLIENTS=; S6_STALLED=; S6_RATE=; S6_SECS=
RUNS=
RUNS_SLOW=
PROFILE=0
KEEP=0
QUIET_WAIT=
usage() { sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) SMOKE=1 ;;
        --scenarios) SCENARIOS=$2; shift ;;
        --runs) RUNS=$2; shift ;;
        --runs-slow) RUNS_SLOW=$2; shift ;;
        --profile) PROFILE=1 ;;
        --keep) KEEP=1 ;;
        --quiet-wait) QUIET_WAIT=$2; shift ;;
        --s6-clients) S6_CLIENTS=$2; shift ;;
        --s6-stalled) S6_STALLED=$2; shift ;;
        --s6-rate) S6_RATE=$2; shift ;;
        --s6-secs) S6_SECS=$2; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

# ---------------------------------------------------------------- sizes
MiB=$((1 << 20))
if [ "$SMOKE" = 1 ]; then
    BIG=$((64 * MiB)); FAN=$((16 * MiB)); SMALL=50; OTA=400
    RATE=20000000                     # 16 MiB at 20 MB/s: a 0.8 s fill
    S2_SECS=2; S2_WARM=1; S3_CLIENTS=8; S3_LATE=3; S3_LATE_START=150; S3_LATE_STEP=100
    S5_CLIENTS=8; S5_SECS=3; S5_RATE=1000000
    S4_CLIENTS=2; S4_CONNS=2
    : "${S6_CLIENTS:=40}"; : "${S6_STALLED:=4}"; : "${S6_SECS:=5}"; S6_RAMP_MS=1000; S6_START_WAIT=5
    : "${RUNS:=1}"; : "${RUNS_SLOW:=1}"; : "${QUIET_WAIT:=0}"
    DATA=${BENCH_DATA:-/var/tmp/ota-proxy-bench/data-smoke}
else
    BIG=$((1024 * MiB)); FAN=$((256 * MiB)); SMALL=1000; OTA=20000
    RATE=100000000                    # ~100 MB/s WAN link: 256 MiB in 2.7 s
    S2_SECS=10; S2_WARM=15; S3_CLIENTS=32; S3_LATE=8; S3_LATE_START=500; S3_LATE_STEP=250
    S5_CLIENTS=64; S5_SECS=10; S5_RATE=1000000
    S4_CLIENTS=4; S4_CONNS=4
    : "${S6_CLIENTS:=1000}"; : "${S6_STALLED:=100}"; : "${S6_SECS:=25}"; S6_RAMP_MS=3000; S6_START_WAIT=10
    : "${RUNS:=5}"; : "${RUNS_SLOW:=3}"; : "${QUIET_WAIT:=600}"
    DATA=${BENCH_DATA:-/var/tmp/ota-proxy-bench/data}
fi

# S6: a 64 MiB file read at 256 KiB/s per client (16 KiB every 62.5 ms, 32 KiB receive buffers), 4 KiB hits
: "${S6_RATE:=262144}"
S6_SIZE=$((64 * MiB))

# S6 holds over a thousand connections open: let every process started here (ota-proxy, nginx, Squid, the
# clients) have enough file descriptors; nginx and Squid also get explicit limits in their configurations
NOFILE_WANT=65536
NOFILE_HARD=$(ulimit -Hn)
if [ "$NOFILE_HARD" != unlimited ] && [ "$NOFILE_HARD" -lt "$NOFILE_WANT" ]; then NOFILE_WANT=$NOFILE_HARD; fi
ulimit -n "$NOFILE_WANT" 2>/dev/null || true

STAMP=$(date +%Y%m%d-%H%M%S)
OUT=${BENCH_OUT:-$HERE/target/results-$STAMP$([ "$SMOKE" = 1 ] && echo -smoke || true)}
mkdir -p "$OUT"
WORK=$(mktemp -d /var/tmp/ota-proxy-bench-work.XXXXXX)
chmod 755 "$WORK"
mkdir -p "$WORK/logs"
RESULTS=$OUT/results.tsv
printf 'scenario\tmetric\ttarget\trun\tvalue\n' > "$RESULTS"
log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" | tee -a "$OUT/bench.log" >&2; }
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >> "$RESULTS"; }
has() { case ",$SCENARIOS," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

# ---------------------------------------------------------------- process bookkeeping
declare -A PID=()        # name -> pid of what we started
stop_one() {
    local name=$1 pid=${PID[$1]:-}
    [ -n "$pid" ] || return 0
    unset "PID[$name]"
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        log "$name (pid $pid) ignored SIGTERM for 10 s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    for name in "${!PID[@]}"; do stop_one "$name"; done
    if [ "$KEEP" = 1 ]; then log "work dir kept: $WORK"; else rm -rf "$WORK"; fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- prerequisites
need_pkgs=()
command -v nginx >/dev/null || need_pkgs+=(nginx)
command -v squid >/dev/null || need_pkgs+=(squid)
command -v wrk >/dev/null || need_pkgs+=(wrk)
command -v curl >/dev/null || need_pkgs+=(curl)
if [ ${#need_pkgs[@]} -gt 0 ]; then
    log "installing ${need_pkgs[*]} from Debian packages"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi
# Debian starts the packaged services where an init system exists; ours are separate instances on our own ports.

TS_JAR=$ROOT/test-support/target/ota-proxy-test-support-0.1.0-SNAPSHOT.jar
JAR=${BENCH_OTA_JAR:-$ROOT/runtime/target/ota-proxy.jar}
if [ ! -f "$TS_JAR" ]; then
    log "building test-support"
    (cd "$ROOT" && mvn -B -q -ntp -pl test-support -am install -DskipTests)
fi
if [ ! -f "$JAR" ]; then
    log "building the runnable jar"
    (cd "$ROOT" && mvn -B -q -ntp -pl runtime -am package -DskipTests)
fi
# a private copy, so a concurrent build cannot swap the jar under a running benchmark
cp "$JAR" "$WORK/ota-proxy.jar"
cp "$ROOT/bin/ota-proxy" "$WORK/ota-proxy"
cp "$TS_JAR" "$WORK/test-support.jar"
CLASSES=$WORK/classes
mkdir -p "$CLASSES"
javac -nowarn -d "$CLASSES" -cp "$WORK/test-support.jar" "$HERE"/src/*.java
CP=$CLASSES:$WORK/test-support.jar
CLIENT=(java -XX:+UseParallelGC -Xmx1g -cp "$CP" BenchClient)
# a failing or hanging client must not end the whole run: its numbers are just missing (and logged)
client() {
    local rc=0
    timeout 900 "${CLIENT[@]}" "$@" || rc=$?
    [ "$rc" = 0 ] || log "client $1 failed (exit $rc)"
    return 0
}

log "data set in $DATA"
# the main data set only when a scenario reads it; S6 has its own two files
if has S1 || has S2 || has S3 || has S4 || has S5; then
    java -cp "$CP" BenchOrigin gen "$DATA" "$BIG" "$FAN" "$SMALL" "$OTA" | tee -a "$OUT/bench.log" >&2
fi
if has S6; then
    java -cp "$CP" BenchOrigin file "$DATA/s6/64m" "$S6_SIZE" 6
    java -cp "$CP" BenchOrigin file "$DATA/s6/4k" 4096 7
fi
MANIFEST=$DATA/ota-manifest.txt
SMALL_MANIFEST=$WORK/small-manifest.txt
for ((i = 0; i < SMALL; i++)); do printf '/small/f%04d 4096 -\n' "$i"; done > "$SMALL_MANIFEST"

# ---------------------------------------------------------------- the machine
{
    echo "date: $(date -Is)"
    echo "nproc: $(nproc)"
    free -h | sed 's/^/free: /'
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
    echo "kernel: $(uname -r)"
    java -version 2>&1 | sed 's/^/java: /'
    # the Java bin/ota-proxy runs: JAVA, else JAVA_HOME's, else the PATH's (as the launcher picks it)
    ota_java=${JAVA:-${JAVA_HOME:+$JAVA_HOME/bin/java}}
    echo "ota-proxy java: $("${ota_java:-java}" -version 2>&1 | head -1)"
    echo "nginx: $(nginx -v 2>&1)"
    echo "squid: $(squid -v | head -1)"
    echo "wrk: $(wrk --version 2>&1 | head -1)"
    echo "ota-proxy jar: $(sha256sum "$JAR" | cut -c1-16) $(stat -c %y "$JAR")"
    echo "ota-proxy JVM flags: ${OTA_JAVA_OPTS:-(the defaults of bin/ota-proxy)}"
    echo "git: $(cd "$ROOT" && git rev-parse --short HEAD) $(cd "$ROOT" && git status --porcelain | grep -c . || true) changed files"
    echo "loadavg at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "open files limit (ulimit -n) of the proxies and clients: $(ulimit -n)"
} > "$OUT/machine.txt"
sed 's/^/  /' "$OUT/machine.txt" >&2

# ---------------------------------------------------------------- helpers
free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
    done
}
ORIGIN=
origin_ctl() { curl -s --max-time 5 "http://$ORIGIN/__$1"; }
origin_stat() { origin_ctl stats | tr ' ' '\n' | sed -n "s/^$1=//p"; }
kv() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }

# sum of VmHWM (peak RSS) over a process and its children, in MiB
peak_rss_mb() {
    local total=0 p kb
    for p in "$1" $(pgrep -P "$1" || true); do
        kb=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$p/status" 2>/dev/null || true)
        total=$((total + ${kb:-0}))
    done
    echo $((total / 1024))
}

start_origin() {
    rm -f "$WORK/origin.port"
    java -XX:+UseParallelGC -Xmx256m -cp "$CP" BenchOrigin serve "$DATA" "$WORK/origin.port" > "$WORK/logs/origin.log" 2>&1 &
    PID[origin]=$!
    for _ in $(seq 100); do [ -s "$WORK/origin.port" ] && break; sleep 0.1; done
    ORIGIN=127.0.0.1:$(cat "$WORK/origin.port")
    log "origin on $ORIGIN (pid ${PID[origin]})"
}
set_rate() { origin_ctl "rate/$1" >/dev/null; }

declare -A PORT=()
PORT[ota-proxy]=$(free_port); PORT[nginx]=$(free_port); PORT[squid]=$(free_port)

# waits until a proxy relays a request to the origin (never cached: no_cache for ota-proxy, no-store otherwise)
# (first until its port takes a connection, which costs no process per poll: a curl every few ms would take CPU
# from the start it measures on two cores)
await_proxy() {
    local name=$1 code
    for _ in $(seq 3000); do
        (exec 3<>"/dev/tcp/127.0.0.1/${PORT[$name]}") 2>/dev/null && break
        kill -0 "${PID[$name]}" 2>/dev/null || { log "$name died; see $WORK/logs"; return 1; }
        sleep 0.01
    done
    for _ in $(seq 3000); do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -x "http://127.0.0.1:${PORT[$name]}" \
            -H 'OTA-File-Cache-Control: no_cache' "http://$ORIGIN/__ping" || true)
        [ "$code" = 200 ] && return 0
        kill -0 "${PID[$name]}" 2>/dev/null || { log "$name died; see $WORK/logs"; return 1; }
        sleep 0.02
    done
    log "$name not ready after 60 s"; return 1
}

OTA_STARTS=0
start_ota() {
    OTA_STARTS=$((OTA_STARTS + 1))
    rm -rf "$WORK/ota-cache"
    # started as operators start it, through bin/ota-proxy: its heap and GC are what is measured
    # (OTA_JAVA_OPTS replaces them, for experiments)
    # the class data sharing archive of the first start (written at its exit) serves the later ones, as on a gateway
    LAUNCHED_AT=$(date +%s.%N)
    OTA_PROXY_JAVA_OPTS=${OTA_JAVA_OPTS:-} OTA_PROXY_JAR="$WORK/ota-proxy.jar" OTA_PROXY_CDS_DIR="$WORK/cds" \
        sh "$WORK/ota-proxy" --host 127.0.0.1 --port "${PORT[ota-proxy]}" --cache-dir "$WORK/ota-cache" \
        > "$WORK/logs/ota-proxy-$OTA_STARTS.log" 2>&1 &
    PID[ota-proxy]=$!
    await_proxy ota-proxy
}

start_nginx() {
    local d=$WORK/nginx
    rm -rf "$d"; mkdir -p "$d/cache" "$d/tmp" "$d/logs"
    cat > "$d/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 2;
worker_rlimit_nofile 16384;
user root;
pid $d/nginx.pid;
error_log $d/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_requests 1000000;
    client_body_temp_path $d/tmp/body;
    proxy_temp_path $d/tmp/proxy;
    fastcgi_temp_path $d/tmp/fastcgi;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
    proxy_cache_path $d/cache levels=1:2 keys_zone=ota:64m max_size=20g inactive=1d use_temp_path=off;
    upstream origin { server $ORIGIN; keepalive 64; }
    server {
        listen 127.0.0.1:${PORT[nginx]} backlog=1024;
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$http_host;
            proxy_cache ota;
            proxy_cache_valid 200 1d;
            proxy_cache_lock on;
            proxy_buffering on;
            proxy_buffers 16 64k;
            proxy_buffer_size 64k;
            proxy_busy_buffers_size 128k;
        }
    }
}
EOF
    LAUNCHED_AT=$(date +%s.%N)
    nginx -p "$d" -c "$d/nginx.conf" > "$WORK/logs/nginx.out" 2>&1 &
    PID[nginx]=$!
    await_proxy nginx
}

start_squid() {
    local d=$WORK/squid
    rm -rf "$d"; mkdir -p "$d/cache"
    cat > "$d/squid.conf" <<EOF
http_port 127.0.0.1:${PORT[squid]}
visible_hostname ota-bench
pid_filename $d/squid.pid
cache_effective_user proxy
cache_log $d/cache.log
access_log none
cache_store_log none
coredump_dir $d
http_access allow all
cache_dir aufs $d/cache 20000 16 256
maximum_object_size 2 GB
cache_mem 64 MB
maximum_object_size_in_memory 64 KB
collapsed_forwarding on
refresh_pattern . 1440 100% 10080 override-expire ignore-reload
via off
forwarded_for delete
shutdown_lifetime 1 seconds
max_filedescriptors 16384
EOF
    chown -R proxy:proxy "$d"
    squid -z -N -f "$d/squid.conf" > "$WORK/logs/squid-z.out" 2>&1
    LAUNCHED_AT=$(date +%s.%N)
    squid -N -f "$d/squid.conf" > "$WORK/logs/squid.out" 2>&1 &
    PID[squid]=$!
    await_proxy squid
}

# S2's ceilings on ota-proxy's own Jetty (bench/jetty/JettyFloor.java): the Jetty and servlet API bundles are
# taken from the runnable jar, so it is exactly the server ota-proxy runs on. jetty-floor: a bare blocking servlet;
# jetty-core: a Jetty core handler run on the thread that read the request (what a servlet cannot do)
start_jetty_floor() {
    local name=$1 mode=$2 d=$WORK/jetty-floor
    mkdir -p "$d/lib" "$d/classes"
    local built=0; [ -f "$d/classes/JettyFloor.class" ] && built=1
    [ "$built" = 1 ] || (cd "$d/lib" && unzip -q -o -j "$WORK/ota-proxy.jar" \
        'bundles/org.apache.felix.http.jetty12-*.jar' 'bundles/org.apache.felix.http.servlet-api-*.jar' \
        'bundles/slf4j-api-*.jar') || return 1
    local cp; cp=$(ls "$d"/lib/*.jar | tr '\n' ':')
    [ "$built" = 1 ] || javac -nowarn -d "$d/classes" -cp "$cp" "$HERE/jetty/JettyFloor.java" || return 1
    rm -f "$d/$name.port"
    java -Xms32m -Xmx128m -XX:+UseSerialGC -cp "$d/classes:$cp" JettyFloor "$d/$name.port" "$mode" \
        > "$WORK/logs/$name.log" 2>&1 &
    PID[$name]=$!
    for _ in $(seq 100); do [ -s "$d/$name.port" ] && break; sleep 0.1; done
    [ -s "$d/$name.port" ] || { log "$name did not start; see $WORK/logs/$name.log"; return 1; }
    PORT[$name]=$(cat "$d/$name.port")
    log "$name (JettyFloor $mode on ota-proxy's Jetty, 4 KiB from memory) on 127.0.0.1:${PORT[$name]}"
}

# starts a proxy and records how long it took from launch to relaying its first request (S0 startup_s)
START_RUNS=0
LAUNCHED_AT=0 # set by each start_* right before it launches the process, after clearing the old cache
# (the metric's name is the second argument when not startup_s)
start_proxy() {
    local t1
    case $1 in ota-proxy) start_ota ;; nginx) start_nginx ;; squid) start_squid ;; esac
    t1=$(date +%s.%N)
    START_RUNS=$((START_RUNS + 1))
    record S0 "${2:-startup_s}" "$1" "$START_RUNS" \
        "$(awk -v a="$LAUNCHED_AT" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')"
}

# CPU seconds (user + system) a process and its direct children have used so far
CLK_TCK=$(getconf CLK_TCK)
cpu_s() {
    local ticks=0 p t
    for p in "$1" $(pgrep -P "$1" || true); do
        # fields 14 and 15 of /proc/PID/stat, counted after the command name in parentheses
        t=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}' || true)
        ticks=$((ticks + ${t:-0}))
    done
    awk -v t="$ticks" -v hz="$CLK_TCK" 'BEGIN {printf "%.2f", t / hz}'
}
per_1000() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN {printf "%.3f", (b - a) * 1000 / n}'; }
running() { [ -n "${PID[$1]:-}" ]; }
# a fresh process on an empty cache; in smoke mode only started once (paths are cache-busting anyway)
restart_cold() {
    if [ "$SMOKE" = 1 ]; then running "$1" || start_proxy "$1"; return 0; fi
    # a fresh port each time: the last instance's connections in TIME_WAIT must not delay the bind (nginx retries
    # a refused bind for 2.5 s), which S0 would count as start-up
    stop_one "$1"; PORT[$1]=$(free_port); start_proxy "$1"
}
read -r -a PROXIES <<< "${BENCH_PROXIES:-ota-proxy nginx squid}"
has_proxy() { case " ${PROXIES[*]} " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

# a second request must not reach the origin, or the warm numbers would measure the origin
check_cached() {
    local name=$1 what=$2; shift 2
    origin_ctl reset >/dev/null
    "$@" > /dev/null
    local n; n=$(origin_stat requests)
    if [ "$n" != 0 ]; then
        log "WARNING: $name does not cache $what: $n upstream requests on a repeat"
        record S0 "not_cached_$what" "$name" 0 "$n"
    fi
}

# ---------------------------------------------------------------- profiling (--profile)
AP_LIB=${ASYNC_PROFILER_LIB:-}
if [ "$PROFILE" = 1 ] && [ -z "$AP_LIB" ]; then
    AP_JAR=$HOME/.m2/repository/tools/profiler/async-profiler/3.0/async-profiler-3.0.jar
    [ -f "$AP_JAR" ] || mvn -B -q dependency:get -Dartifact=tools.profiler:async-profiler:3.0 >/dev/null 2>&1 || true
    if [ -f "$AP_JAR" ] && [ "$(uname -m)" = x86_64 ]; then
        mkdir -p "$WORK/ap" && (cd "$WORK/ap" && unzip -q -o "$AP_JAR" 'linux-x64/*') && AP_LIB=$WORK/ap/linux-x64/libasyncProfiler.so
    fi
    [ -n "$AP_LIB" ] || log "async-profiler not available: JFR only"
fi
prof_start() {
    [ "$PROFILE" = 1 ] || return 0
    local pid=${PID[ota-proxy]}
    # every fsync and every compilation is recorded (the profile settings keep only those over 10 and 100 ms)
    jcmd "$pid" JFR.start name="$1" settings=profile filename="$OUT/$1.jfr" 'jdk.FileForce#threshold=0ms' \
        'jdk.Compilation#threshold=0ms' >/dev/null
    # jcmd splits unquoted options at '=': quote them
    [ -z "$AP_LIB" ] || jcmd "$pid" JVMTI.agent_load "$AP_LIB" "\"start,event=cpu,interval=1ms\"" >/dev/null
}
prof_stop() {
    [ "$PROFILE" = 1 ] || return 0
    local pid=${PID[ota-proxy]}
    jcmd "$pid" JFR.stop name="$1" >/dev/null
    java -cp "$CP" BenchReport jfrtop "$OUT/$1.jfr" 25 > "$OUT/$1-jfr-hot.txt"
    if [ -n "$AP_LIB" ]; then
        jcmd "$pid" JVMTI.agent_load "$AP_LIB" "\"stop,file=$OUT/$1.collapsed,collapsed\"" >/dev/null
        if [ -s "$OUT/$1.collapsed" ]; then
            java -cp "$CP" BenchReport aptop "$OUT/$1.collapsed" 30 > "$OUT/$1-cpu-hot.txt"
            { echo; echo "=== only stacks through ota-proxy code (request and fill threads)"
              java -cp "$CP" BenchReport aptop "$OUT/$1.collapsed" 60 'io/otaproxy'; } >> "$OUT/$1-cpu-hot.txt"
        fi
    fi
    log "profile of ota-proxy in $1: $OUT/$1-jfr-hot.txt $([ -n "$AP_LIB" ] && echo "$OUT/$1-cpu-hot.txt")"
}

# CPU used by everything on the machine over one second, in % of all cores
busy_pct() {
    local a b
    a=($(head -1 /proc/stat)); sleep 1; b=($(head -1 /proc/stat))
    local idle=$(( (b[4] + b[5]) - (a[4] + a[5]) )) total=0 i
    for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
    echo $(( total > 0 ? 100 * (total - idle) / total : 0 ))
}
# other work may share the machine: before a run, wait until it is nearly idle, within a total budget
QUIET_SPENT=0
await_quiet() {
    local waited=0 b
    b=$(busy_pct)
    while [ "$b" -gt 15 ] && [ "$QUIET_SPENT" -lt "$QUIET_WAIT" ]; do
        [ "$waited" = 0 ] && log "machine busy (${b}% cpu used by others): waiting (budget left $((QUIET_WAIT - QUIET_SPENT)) s)"
        sleep 4; waited=$((waited + 5)); QUIET_SPENT=$((QUIET_SPENT + 5)); b=$(busy_pct)
    done
    [ "$waited" -gt 0 ] && log "waited ${waited} s, machine now ${b}% busy"
    echo "$b" >> "$WORK/busy.txt"
    return 0
}

# ---------------------------------------------------------------- scenarios
start_origin

if has S0; then
    set_rate 0
    log "S0: $RUNS starts of each proxy, from the launch to its first relayed request"
    if has_proxy ota-proxy; then
        # not measured: its exit writes the class data sharing archive that the measured starts use, as the
        # first start of a gateway does for every later one
        start_ota; stop_one ota-proxy
    fi
    for ((r = 1; r <= RUNS; r++)); do
        await_quiet
        for p in "${PROXIES[@]}"; do
            PORT[$p]=$(free_port); start_proxy "$p" startup_restart_s; stop_one "$p"
        done
    done
fi

if has S1 || has S2; then
    set_rate 0
    for p in "${PROXIES[@]}"; do start_proxy "$p"; done
fi

if has S1; then
    log "S1: warm hit of one $((BIG / MiB)) MiB file, one client, $RUNS runs"
    for p in "${PROXIES[@]}"; do
        client get --origin "$ORIGIN" --via "127.0.0.1:${PORT[$p]}" --path /big/1g > /dev/null
        check_cached "$p" big client get --origin "$ORIGIN" --via "127.0.0.1:${PORT[$p]}" --path /big/1g
    done
    prof_start S1
    for ((r = 1; r <= RUNS; r++)); do
        await_quiet
        for t in "${PROXIES[@]}" origin; do
            if [ "$t" = origin ]; then
                line=$(client get --origin "$ORIGIN" --direct --path /big/1g)
            else
                line=$(client get --origin "$ORIGIN" --via "127.0.0.1:${PORT[$t]}" --path /big/1g)
            fi
            [ "$(kv "$line" status)" = 200 ] && [ "$(kv "$line" bytes)" = "$BIG" ] || log "S1 $t: bad response: $line"
            record S1 mbps "$t" "$r" "$(kv "$line" mbps)"
            log "S1 run $r $t: $(kv "$line" mbps) MB/s"
        done
    done
    prof_stop S1
fi

if has S2; then
    log "S2: warm hits of $SMALL files of 4 KiB, 8 keep-alive clients (wrk -t2 -c8), ${S2_SECS} s x $RUNS runs"
    for p in "${PROXIES[@]}"; do
        client mirror --origin "$ORIGIN" --via "127.0.0.1:${PORT[$p]}" --manifest "$SMALL_MANIFEST" \
            --clients 1 --conns 4 > /dev/null
        check_cached "$p" small client mirror --origin "$ORIGIN" --via "127.0.0.1:${PORT[$p]}" \
            --manifest "$SMALL_MANIFEST" --clients 1 --conns 4
    done
    S2_TARGETS=("${PROXIES[@]}")
    if [ "${BENCH_JETTY_FLOOR:-1}" = 1 ]; then
        start_jetty_floor jetty-floor servlet && S2_TARGETS+=(jetty-floor)
        start_jetty_floor jetty-core core-nonblocking && S2_TARGETS+=(jetty-core)
    fi
    for t in "${S2_TARGETS[@]}"; do   # JIT and caches warm: an untimed run first
        wrk -t2 -c8 -d"${S2_WARM}s" -s "$HERE/wrk-proxy.lua" "http://127.0.0.1:${PORT[$t]}/" -- "$ORIGIN" "$SMALL" > /dev/null 2>&1
    done
    prof_start S2
    for ((r = 1; r <= RUNS; r++)); do
        await_quiet
        for t in "${S2_TARGETS[@]}"; do
            origin_ctl reset >/dev/null
            wrk -t2 -c8 -d"${S2_SECS}s" --latency -s "$HERE/wrk-proxy.lua" "http://127.0.0.1:${PORT[$t]}/" \
                -- "$ORIGIN" "$SMALL" > "$OUT/S2-$t-$r.wrk.txt" 2>&1
            rps=$(awk '/^Requests\/sec:/ {print $2}' "$OUT/S2-$t-$r.wrk.txt")
            p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/, "", v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/, "", v)} else if (v ~ /s$/) {sub(/s$/, "", v); v*=1000}; print v}' "$OUT/S2-$t-$r.wrk.txt")
            bad=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$OUT/S2-$t-$r.wrk.txt")
            sockerr=$(awk -F'[ ,]+' '/Socket errors:/ {print $4+$6+$8+$10}' "$OUT/S2-$t-$r.wrk.txt")
            up=$(origin_stat requests)
            record S2 rps "$t" "$r" "$rps"
            record S2 p99_ms "$t" "$r" "$p99"
            record S2 non2xx_or_socket_errors "$t" "$r" "$(( ${bad:-0} + ${sockerr:-0} ))"
            record S2 upstream_requests "$t" "$r" "$up"
            log "S2 run $r $t: $rps req/s, p99 $p99 ms, non-2xx ${bad:-0}, socket errors ${sockerr:-0}, upstream $up"
        done
    done
    prof_stop S2
    stop_one jetty-floor
    stop_one jetty-core
    running ota-proxy && record S5 peak_rss_mb_s1s2 ota-proxy 1 "$(peak_rss_mb "${PID[ota-proxy]}")"
fi

if { has S1 || has S2; } && [ "$SMOKE" = 0 ]; then
    for p in "${PROXIES[@]}"; do stop_one "$p"; done
fi

if has S3; then
    set_rate "$RATE"
    log "S3: cold fan-out, $S3_CLIENTS clients ($S3_LATE joining late) on one $((FAN / MiB)) MiB file, origin at $((RATE / 1000000)) MB/s, $RUNS runs"
    for ((r = 1; r <= RUNS; r++)); do
        await_quiet
        line=$(client get --origin "$ORIGIN" --direct --path /fan/256m)
        record S3 single_s origin "$r" "$(kv "$line" secs)"
        for t in "${PROXIES[@]}"; do
            restart_cold "$t"
            [ "$t" = ota-proxy ] && record S5 rss_mb_idle ota-proxy "$r" "$(peak_rss_mb "${PID[$t]}")"
            origin_ctl reset >/dev/null
            single=$(client get --origin "$ORIGIN" --via "127.0.0.1:${PORT[$t]}" --path "/v${r}1/fan/256m")
            single_s=$(kv "$single" secs)
            origin_ctl reset >/dev/null
            [ "$t" = ota-proxy ] && [ "$r" = 1 ] && prof_start S3-fanout
            fan=$(client fanout --origin "$ORIGIN" --via "127.0.0.1:${PORT[$t]}" --path "/v${r}2/fan/256m" \
                --size "$FAN" --clients "$S3_CLIENTS" --late "$S3_LATE" --late-start-ms "$S3_LATE_START" \
                --late-step-ms "$S3_LATE_STEP")
            [ "$t" = ota-proxy ] && [ "$r" = 1 ] && prof_stop S3-fanout
            up=$(origin_stat requests); upb=$(origin_stat bytes)
            slowest=$(kv "$fan" slowest_s)
            record S3 single_s "$t" "$r" "$single_s"
            record S3 slowest_s "$t" "$r" "$slowest"
            record S3 slowest_over_single "$t" "$r" "$(awk -v a="$slowest" -v b="$single_s" 'BEGIN {printf "%.3f", a / b}')"
            record S3 late_ttfb_med_ms "$t" "$r" "$(kv "$fan" late_ttfb_med_ms)"
            record S3 late_ttfb_max_ms "$t" "$r" "$(kv "$fan" late_ttfb_max_ms)"
            record S3 errors "$t" "$r" "$(kv "$fan" errors)"
            record S3 upstream_requests "$t" "$r" "$up"
            record S3 upstream_mb "$t" "$r" "$(awk -v b="$upb" 'BEGIN {printf "%.1f", b / 1e6}')"
            record S5 peak_rss_mb_s3 "$t" "$r" "$(peak_rss_mb "${PID[$t]}")"
            log "S3 run $r $t: single ${single_s} s, fan-out: $fan upstream=$up"
        done
    done
fi

if has S4; then
    set_rate "$RATE"
    nfiles=$(wc -l < "$MANIFEST")
    log "S4: OTA-like data set ($nfiles files, $(awk '{s+=$2} END {printf "%.0f", s/1e6}' "$MANIFEST") MB), $S4_CLIENTS clients x $S4_CONNS connections, origin at $((RATE / 1000000)) MB/s, $RUNS_SLOW runs"
    for ((r = 1; r <= RUNS_SLOW; r++)); do
        await_quiet
        origin_ctl reset >/dev/null
        line=$(client mirror --origin "$ORIGIN" --direct --manifest "$MANIFEST" --clients 1 --conns "$S4_CONNS")
        origin_s=$(kv "$line" wall_s)
        record S4 cold_s origin "$r" "$origin_s"
        log "S4 run $r origin-bound (1 client direct): $line"
        for t in "${PROXIES[@]}"; do
            restart_cold "$t"
            [ "$t" = ota-proxy ] && [ "$r" = 1 ] && prof_start S4-cold
            origin_ctl reset >/dev/null
            cpu0=$(cpu_s "${PID[$t]}")
            cold=$(client mirror --origin "$ORIGIN" --via "127.0.0.1:${PORT[$t]}" --manifest "$MANIFEST" \
                --clients "$S4_CLIENTS" --conns "$S4_CONNS" --sha-header --prefix "/v${r}4")
            [ "$t" = ota-proxy ] && [ "$r" = 1 ] && prof_stop S4-cold
            cpu1=$(cpu_s "${PID[$t]}")
            st=$(origin_ctl stats)
            origin_ctl reset >/dev/null
            [ "$t" = ota-proxy ] && [ "$r" = 1 ] && prof_start S4-warm
            warm=$(client mirror --origin "$ORIGIN" --via "127.0.0.1:${PORT[$t]}" --manifest "$MANIFEST" \
                --clients "$S4_CLIENTS" --conns "$S4_CONNS" --sha-header --prefix "/v${r}4")
            [ "$t" = ota-proxy ] && [ "$r" = 1 ] && prof_stop S4-warm
            cpu2=$(cpu_s "${PID[$t]}")
            upw=$(origin_stat requests)
            # the same hits once more: ota-proxy's first warm pass is also the JIT's first sight of its hit path,
            # which a gateway running for days has long compiled; nginx and Squid have no such warm-up
            warm2=$(client mirror --origin "$ORIGIN" --via "127.0.0.1:${PORT[$t]}" --manifest "$MANIFEST" \
                --clients "$S4_CLIENTS" --conns "$S4_CONNS" --sha-header --prefix "/v${r}4")
            cold_s=$(kv "$cold" wall_s)
            record S4 cold_s "$t" "$r" "$cold_s"
            record S4 cold_over_origin_bound "$t" "$r" "$(awk -v a="$cold_s" -v b="$origin_s" 'BEGIN {printf "%.3f", a / b}')"
            record S4 warm_s "$t" "$r" "$(kv "$warm" wall_s)"
            record S4 cpu_s_per_1000_files_cold "$t" "$r" "$(per_1000 "$cpu0" "$cpu1" "$nfiles")"
            record S4 cpu_s_per_1000_files_warm "$t" "$r" "$(per_1000 "$cpu1" "$cpu2" "$nfiles")"
            record S4 warm_again_s "$t" "$r" "$(kv "$warm2" wall_s)"
            ce=$(kv "$cold" errors); we=$(kv "$warm" errors); we2=$(kv "$warm2" errors)
            record S4 errors "$t" "$r" "$(( ${ce:-999999} + ${we:-999999} + ${we2:-999999} ))"
            record S4 upstream_requests_cold "$t" "$r" "$(kv "$st" requests)"
            record S4 upstream_files_fetched_twice_cold "$t" "$r" "$(kv "$st" dup_paths)"
            record S4 upstream_mb_cold "$t" "$r" "$(awk -v b="$(kv "$st" bytes)" 'BEGIN {printf "%.1f", b / 1e6}')"
            record S4 upstream_requests_warm "$t" "$r" "$upw"
            record S5 peak_rss_mb_s4 "$t" "$r" "$(peak_rss_mb "${PID[$t]}")"
            log "S4 run $r $t: cold $cold | upstream $st | warm $warm | upstream $upw | warm again $warm2"
        done
    done
fi

if has S5; then
    set_rate "$RATE"
    log "S5: $S5_CLIENTS slow clients ($((S5_RATE / 1000)) kB/s each, ${S5_SECS} s) on a cold $((FAN / MiB)) MiB file, $RUNS_SLOW runs"
    for ((r = 1; r <= RUNS_SLOW; r++)); do
        await_quiet
        for t in "${PROXIES[@]}"; do
            restart_cold "$t"
            line=$(client slow --origin "$ORIGIN" --via "127.0.0.1:${PORT[$t]}" --path "/v${r}3/fan/256m" \
                --clients "$S5_CLIENTS" --rate "$S5_RATE" --secs "$S5_SECS")
            sleep 1 # the proxy notices the hang-ups
            record S5 peak_rss_mb_slow "$t" "$r" "$(peak_rss_mb "${PID[$t]}")"
            record S5 clients_ok_slow "$t" "$r" "$(kv "$line" clients_ok)"
            log "S5 run $r $t: $line, peak RSS $(peak_rss_mb "${PID[$t]}") MiB"
        done
    done
fi

if has S6; then
    set_rate 0
    log "S6: $S6_CLIENTS slow clients ($S6_STALLED of them stalled) on a cached $((S6_SIZE / MiB)) MiB file at $((S6_RATE / 1024)) KiB/s each, 4 KiB hits measured for ${S6_SECS} s, $RUNS_SLOW runs"
    for ((r = 1; r <= RUNS_SLOW; r++)); do
        await_quiet
        for t in "${PROXIES[@]}"; do
            restart_cold "$t"
            big=/v${r}6/s6/64m small=/v${r}6/s6/4k
            # the cache warmed with one full read of each file, and checked to answer without the origin
            for f in "$big" "$small"; do
                client get --origin "$ORIGIN" --via "127.0.0.1:${PORT[$t]}" --path "$f" > /dev/null
            done
            check_cached "$t" s6_64m client get --origin "$ORIGIN" --via "127.0.0.1:${PORT[$t]}" --path "$big"
            check_cached "$t" s6_4k client get --origin "$ORIGIN" --via "127.0.0.1:${PORT[$t]}" --path "$small"
            origin_ctl reset >/dev/null
            line=$(client ecus --origin "$ORIGIN" --via "127.0.0.1:${PORT[$t]}" --path "$big" --hit-path "$small" \
                --hit-size 4096 --clients "$S6_CLIENTS" --stalled "$S6_STALLED" --rate "$S6_RATE" --secs "$S6_SECS" \
                --ramp-ms "$S6_RAMP_MS" --start-wait-s "$S6_START_WAIT" --pid "${PID[$t]}" 2>> "$OUT/S6-$t-$r.client.txt")
            [ -s "$OUT/S6-$t-$r.client.txt" ] && log "S6 run $r $t: client messages in $OUT/S6-$t-$r.client.txt: $(head -1 "$OUT/S6-$t-$r.client.txt")"
            up=$(origin_stat requests)
            for m in hit_p50_ms hit_p99_ms hit_errors hits threads_max rss_max_mb hwm_mb slow_served slow_at_rate \
                slow_mbps slow_closed stalled_open connect_errors; do
                record S6 "$m" "$t" "$r" "$(kv "$line" "$m")"
            done
            record S6 upstream_requests "$t" "$r" "$up"
            log "S6 run $r $t: $line upstream=$up"
            # a fresh process for the next run or the next scenario; in smoke mode the next run's paths are new
            [ "$SMOKE" = 1 ] || stop_one "$t"
        done
    done
fi

for p in "${PROXIES[@]}"; do stop_one "$p"; done
stop_one origin

echo "loadavg at end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.txt"
echo "cpu busy before each run (% of all cores, others' load included): $(tr '\n' ' ' < "$WORK/busy.txt" 2>/dev/null)" >> "$OUT/machine.txt"
java -cp "$CP" BenchReport table "$RESULTS" > "$OUT/summary.md"
echo
cat "$OUT/summary.md"
echo
log "results in $OUT (results.tsv, summary.md, machine.txt, bench.log)"
