#!/usr/bin/env bash
# Real Apache Kafka brokers for the integration tests: fetches the broker jars from Maven
# Central, starts/stops local KRaft clusters (every node a combined broker+controller on
# 127.0.0.1) and runs the Java tools (TopicCommand, console producer/consumer, ...).
#
# Run `scripts/kafka.sh help` for the commands; the comment block of `usage` below is the
# reference for the output formats and environment variables.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/.." && pwd)
SELF="$SCRIPT_DIR/$(basename "${BASH_SOURCE[0]}")"
DEFAULT_KAFKA_VERSION=4.1.1
KAFKA_CACHE=${KAFKA_CACHE:-$HOME/.cache/kafka-producer-rs}

# Selects the Kafka release whose jars the commands use (and whose brokers `start` runs):
# sets KAFKA_VERSION, KAFKA_MAJOR/KAFKA_MINOR, POM, DIST_DIR, LIBS_DIR, CONF_DIR.
#   2.x: ZooKeeper mode (a ZooKeeper server from the ZooKeeper jar Kafka depends on);
#   3.x, 4.x: KRaft. 4.x takes kafka-pom/pom.xml, 2.x/3.x kafka-pom/pom-legacy.xml.
set_version() {
    local v=$1
    [[ $v =~ ^([0-9]+)\.([0-9]+)\.[0-9]+$ ]] || die "bad Kafka version '$v' (want X.Y.Z, e.g. 2.8.2)"
    KAFKA_VERSION=$v
    KAFKA_MAJOR=${BASH_REMATCH[1]}
    KAFKA_MINOR=${BASH_REMATCH[2]}
    ((KAFKA_MAJOR >= 2)) || die "Kafka $v: only 2.x and later are supported"
    if ((KAFKA_MAJOR >= 4)); then
        POM="$SCRIPT_DIR/kafka-pom/pom.xml"
    else
        POM="$SCRIPT_DIR/kafka-pom/pom-legacy.xml"
    fi
    DIST_DIR="$KAFKA_CACHE/kafka-$KAFKA_VERSION"
    LIBS_DIR="$DIST_DIR/libs"
    CONF_DIR="$DIST_DIR/config"
}

# 0 when the selected version is at least X.Y ($1 $2).
version_at_least() {
    ((KAFKA_MAJOR > $1 || (KAFKA_MAJOR == $1 && KAFKA_MINOR >= $2)))
}

# zk (2.x) or kraft (3.x, 4.x).
kafka_mode() {
    if ((KAFKA_MAJOR < 3)); then echo zk; else echo kraft; fi
}
DEFAULT_CLUSTER_DIR=${KAFKA_DIR:-$REPO_DIR/.kafka/cluster}
DEFAULT_BASE_PORT=39092
START_TIMEOUT=${KAFKA_START_TIMEOUT:-60}
STOP_TIMEOUT=${KAFKA_STOP_TIMEOUT:-15}
# Written into every cluster dir, so that `start` only ever wipes folders it made itself.
MARKER=.kafka-sh-cluster
# The console consumer prints this (escaped: \x00NULL\x00) for a null key, value or header value.
NULL_LITERAL_PROP='\u0000NULL\u0000'

if [[ -n ${JAVA_HOME:-} && -x ${JAVA_HOME}/bin/java ]]; then
    JAVA="$JAVA_HOME/bin/java"
else
    JAVA=java
fi
# Brokers: a light collector and a small heap; 2 cores are shared by everything.
read -r -a BROKER_JVM_OPTS <<<"${KAFKA_BROKER_JVM_OPTS:--Xms256m -Xmx512m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError -XX:-UsePerfData -Djava.awt.headless=true}"
# Tools: they spend most of their time starting the JVM, so C1 only and no GC threads.
# (Set KAFKA_TOOL_JVM_OPTS="-Xmx1g" or so for ProducerPerformance: C1 only is slow at peak.)
read -r -a TOOL_JVM_OPTS <<<"${KAFKA_TOOL_JVM_OPTS:--Xmx512m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -XX:-UsePerfData -Djava.awt.headless=true}"

log() { printf 'kafka.sh: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

set_version "${KAFKA_VERSION:-$DEFAULT_KAFKA_VERSION}"

usage() {
    cat <<'EOF'
Usage: scripts/kafka.sh [--version V] COMMAND [ARGS]

Kafka release: --version V (before the command, or as a `start` option) or $KAFKA_VERSION, default
  4.1.1. Any release from 2.x on that Maven Central has (org.apache.kafka:kafka_2.13:V); tested:
  2.4.1, 2.8.2 (ZooKeeper mode: a ZooKeeper server from the ZooKeeper jar Kafka depends on, on
  port P+1, in DIR/zookeeper/), 3.9.1, 4.1.1, 4.4.0 (KRaft). cluster.env records KAFKA_VERSION and
  KAFKA_MODE (zk/kraft); restart takes the cluster's version from it. java-tool and the client
  commands take the tool class of the selected release when the name given moved between
  releases (e.g. org.apache.kafka.tools.TopicCommand runs kafka.admin.TopicCommand on 2.x).
  consume/produce need console tools of 3.2+ with --formatter-config/--reader-config: for an
  older release they run the console tools of 4.1.1 (whose client talks to brokers from 2.1 on).
  --security needs 4.x.

Cluster commands (DIR defaults to $KAFKA_DIR, else <repo>/.kafka/cluster):
  fetch                       Download the Kafka jars once (java + mvn needed); prints the libs dir.
  start [--nodes N] [--dir DIR] [--base-port P|auto] [--watch-pid PID] [--reuse]
        [--no-auto-create] [--security] [--config key=value]... [--feature NAME=LEVEL]...
                              Format and start N (default 1) combined broker+controller nodes.
                              Node i (1..N) listens on 127.0.0.1, broker port P+2(i-1), controller
                              port P+2(i-1)+1 (P default 39092; "auto" picks a free block in
                              20000-31999). Prints the bootstrap string as the last stdout line and
                              writes DIR/cluster.env. --watch-pid: a detached watcher stops the
                              cluster once PID has exited. --reuse: if DIR already runs a cluster,
                              print its bootstrap instead of failing.
                              --security (single node only): also the secure listeners below,
                              with a CA, certificates and SCRAM users made at each start.
                              --feature NAME=LEVEL (KRaft, 3.9+; repeatable): finalize feature
                              NAME at LEVEL when formatting the storage (StorageTool format
                              --feature), e.g. --feature transaction.version=1 for a broker
                              without KIP-890 (transactions v2). Unset, a release finalizes its
                              defaults: Kafka 4.1.1 finalizes transaction.version 2 (KIP-890 on),
                              metadata.version 4.1-IV1, group.version 1, kraft.version 0,
                              eligible.leader.replicas.version 1, share.version 0 (`features`
                              prints them). Applies to every node, also with --nodes 3.
  stop [--dir DIR] [--now]    SIGTERM every node, SIGKILL after $KAFKA_STOP_TIMEOUT (15) s (--now: at
                              once). Also ends the --watch-pid watcher. Idempotent.
  kill NODE [--dir DIR]       SIGKILL one node.
  restart NODE [--dir DIR]    (Re)start one node with its config and data; waits until it is up.
  pause NODE [--dir DIR]      SIGSTOP one node.      resume NODE [--dir DIR]   SIGCONT it.
  status [--dir DIR]          One line per node; exit status 1 when no node runs.
  bootstrap [--dir DIR]       Print the bootstrap string of the running cluster.

Client commands (against --bootstrap B, else the bootstrap.servers of --client-config FILE, else
$KAFKA_BOOTSTRAP, else the cluster in --dir DIR; --client-config FILE: Java client settings such
as security.protocol, sasl.*, ssl.*, passed to the tool as its producer/consumer/command config):
  create-topic TOPIC [--partitions N] [--replication-factor R] [--config k=v]...
                              Create a topic and wait until every partition has a leader.
  consume TOPIC [--max-messages N] [--timeout-ms T] [--isolation-level L] [-- CONSOLE-CONSUMER-ARGS]
                              Read from the beginning; exits after N records or T ms (default
                              10000) without a record. One record per stdout line:
                                TSTYPE:TS<TAB>Partition:P<TAB>Offset:O<TAB>HEADERS<TAB>KEY<TAB>VALUE
                              TSTYPE:TS is CreateTime:ms, LogAppendTime:ms or NO_TIMESTAMP (no colon).
                              HEADERS is NO_HEADERS, or one or more TAB-separated NAME:VALUE fields
                              (the names are raw; a name must not contain ':' or a TAB).
                              KEY, VALUE and header VALUEs are escaped bytes: 0x20-0x7E except '\'
                              as they are, every other byte as \xHH (upper-case hex); a null is
                              \x00NULL\x00. So the first 3 and the last 2 fields are fixed and the
                              header fields are the ones in between. Everything else goes to stderr.
  produce TOPIC [-- CONSOLE-PRODUCER-ARGS]
                              Console producer (acks=all, sync, linger 0) reading stdin, one record a line:
                                HEADERS<TAB>KEY<TAB>VALUE
                              HEADERS: name:value[,name:value...] or \N for none; KEY or VALUE \N is
                              null. Text is sent as UTF-8, with no unescaping.
  end-offsets TOPIC           Print "PARTITION OFFSET" lines (the log end offsets).
  group-offsets GROUP         Print "TOPIC PARTITION OFFSET" lines: the offsets committed for
                              consumer group GROUP (ConsumerGroupCommand --describe --offsets),
                              sorted; partitions without a committed offset and groups that do not
                              exist print nothing. Only stable offsets: those of a transaction
                              show once its commit markers are written.
  features                    Print the cluster's finalized features, "NAME LEVEL" lines (e.g.
                              "transaction.version 2"; FeatureCommand describe; KRaft 3.x+).
  topics                      List the topics.
  cluster-id [N]              Print N (1) fresh cluster ids as `start` makes them.
  java-tool CLASS [ARGS...]   Run a Java main class with the Kafka classpath and the quiet tools
                              logging (e.g. org.apache.kafka.tools.ProducerPerformance; the default
                              tool JVM flags are tuned for startup, C1 only: for throughput runs set
                              KAFKA_TOOL_JVM_OPTS="-Xms1g -Xmx1g" or similar).

Brokers: KRaft with a static quorum (controller.quorum.voters), PLAINTEXT on 127.0.0.1 only;
  auto.create.topics.enable=true (unless --no-auto-create), num.partitions=1, min.insync.replicas=1;
  default.replication.factor and the offsets/transaction-state topics' RF = min(N,3), their min ISR
  2 (1 for a single node) (so a 3-node cluster's __transaction_state has RF 3, min ISR 2; 3
  partitions each); group.initial.rebalance.delay.ms=0; broker.session.timeout.ms=6000 (a
  killed broker is fenced after ~6 s);
  transaction.abort.timed.out.transaction.cleanup.interval.ms=1000 (the broker's default is
  10000: a transaction past its transaction.timeout.ms is aborted within ~1 s);
  heap 256-512 MiB, SerialGC. --config overrides any of them.
Security (start --security, one node, base port P; the PLAINTEXT, controller and inter-broker
  listeners stay PLAINTEXT). Extra listeners on 127.0.0.1, at fixed offsets from P:
    P+2 SSL          SSL, server cert signed by DIR/security/ca.pem, SAN DNS:localhost,IP:127.0.0.1
    P+3 MTLS         SSL with ssl.client.auth=required (a client cert signed by the CA)
    P+4 BADHOST      SSL, a cert by the same CA naming only DNS:wrong-host.invalid
    P+5 SASLPLAIN    SASL_PLAINTEXT, mechanisms PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER
    P+6 SASLSSL      SASL_SSL, the same four mechanisms, the SSL listener's cert
    P+7 SASLLIMITED  SASL_PLAINTEXT, only PLAIN,SCRAM-SHA-256
    P+8 REAUTH       SASL_PLAINTEXT, all four, connections.max.reauth.ms=10000 (KIP-368)
    P+9 OIDC         SASL_PLAINTEXT, only OAUTHBEARER, validating RS256-signed JWTs (Kafka's
                     OAuthBearerValidatorCallbackHandler with BrokerJwtValidator) against
                     DIR/security/oidc-jwks.json (the public key of oidc-key.pem, kid test-key;
                     no audience/issuer check); the broker JVM gets
                     -Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=file://DIR/security/oidc-jwks.json
  Users: alice/alice-secret (PLAIN, and SCRAM-SHA-256/512 created at format time), admin/admin-secret
  (PLAIN); OAUTHBEARER takes unsecured JWTs (alg none, the broker's default validator), except on
  OIDC, which takes only JWTs signed by oidc-key.pem (e.g. handed out by a test's token endpoint).
  Files in DIR/security/ (EC P-256 keys, certs valid 10 days, remade at each start):
    ca.pem ca-key.pem, other-ca.pem (an unrelated CA), server*.pem/badhost*.pem (broker side),
    client.pem (client cert + CA), client.key (PKCS#8 PEM), client-encrypted.key (encrypted PKCS#8,
    PBES2/AES-256-CBC, password key-secret), client-keystore.pem (encrypted key + chain, for Java's
    PEM keystore with ssl.key.password; its key is PBE-SHA1-3DES: Java 17 cannot read PBES2 there),
    client-keystore-pbes2.pem (the same with client-encrypted.key), client.p12 (password
    store-secret, AES-256/PBKDF2), truststore.p12 (keytool, trusts ca.pem, password store-secret),
    truststore.jks, client.jks (JKS, password store-secret); oidc-key.pem (RSA 2048, unencrypted
    PKCS#8 PEM: signs the OIDC listener's tokens), oidc-jwks.json (its public key as a JWKS);
    listeners.env (KAFKA_SECURITY_DIR, KAFKA_PLAINTEXT_BOOTSTRAP, KAFKA_SSL_BOOTSTRAP,
    KAFKA_MTLS_BOOTSTRAP, KAFKA_BADHOST_BOOTSTRAP, KAFKA_SASL_PLAINTEXT_BOOTSTRAP,
    KAFKA_SASL_SSL_BOOTSTRAP, KAFKA_SASL_LIMITED_BOOTSTRAP, KAFKA_REAUTH_BOOTSTRAP,
    KAFKA_OIDC_BOOTSTRAP, ...);
    clients/*.properties: Java client settings (bootstrap.servers, security.protocol, sasl.*, ssl.*)
    for each listener and mechanism: plaintext, ssl, ssl-p12, mtls, mtls-p12, mtls-inline
    (ssl.keystore.key/certificate.chain values), mtls-pbes2 (not for Java 17),
    sasl-{plain,scram-256,scram-512,oauthbearer}, sasl-ssl-<mech>, reauth-<mech>,
    sasl-limited-<mech>, oidc (OAUTHBEARER, clientId/clientSecret/scope in the JAAS config, no
    sasl.oauthbearer.token.endpoint.url: add the token endpoint's); and ones meant to fail:
    ssl-unknown-ca, badhost, mtls-no-cert, sasl-{plain,scram-256}-bad-password,
    sasl-limited-{scram-512,oauthbearer}.
  The client commands take --client-config FILE (e.g. consume ... --client-config
  DIR/security/clients/sasl-ssl-scram-512.properties; its bootstrap.servers is used when no
  --bootstrap is given).
Files: DIR/cluster.env (KAFKA_BOOTSTRAP=..., KAFKA_NODE_<i>_BROKER_PORT=..., ...), DIR/watcher.log,
  DIR/node-<i>/{server.properties,log4j2.properties,server.log,stdout.log,pid,data/}.
  The jars, generated tool configs and AppCDS archives (faster JVM starts) live in
  $KAFKA_CACHE/kafka-<version>/.

Environment: KAFKA_VERSION (4.1.1; see above), KAFKA_CACHE (~/.cache/kafka-producer-rs), KAFKA_DIR,
  KAFKA_BOOTSTRAP, KAFKA_START_TIMEOUT (60 s), KAFKA_STOP_TIMEOUT (15 s),
  KAFKA_BROKER_JVM_OPTS, KAFKA_TOOL_JVM_OPTS (replace the defaults), KAFKA_TOOLS_LOG_LEVEL (WARN),
  KAFKA_TOOL_CDS, KAFKA_BROKER_CDS (1; 0 = no AppCDS archives for the tools / brokers), JAVA_HOME,
  KAFKA_TOOL_CLASSPATH (java-tool: entries put before the Kafka jars, e.g. a folder of compiled
  classes; use with KAFKA_TOOL_CDS=0).
EOF
}

# A cluster id as Kafka's Uuid.randomUuid() makes one: a version-4 UUID in base64url without
# padding (22 characters), drawn again while it starts with '-' (the tools would read such an
# id as an option: "argument --cluster-id/-t: expected one argument") or is all zeros.
random_cluster_id() {
    local hex id
    while true; do
        hex=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
        # version 4 (byte 6 = 0x4X) and the IETF variant (byte 8 = 0b10XXXXXX)
        hex=${hex:0:12}4${hex:13:3}$(printf '%x' $(((0x${hex:16:2} & 0x3f) | 0x80)))${hex:18}
        id=$(printf '%b' "$(sed 's/../\\x&/g' <<<"$hex")" | base64 | tr '+/' '-_' | tr -d '=\n')
        [[ ${#id} -eq 22 && $id != -* && $id != AAAAAAAAAAAAAAAAAAAAAA ]] && break
    done
    printf '%s\n' "$id"
}

# ---------------------------------------------------------------------------------------------
# fetch

need_cmd() {
    command -v "$1" >/dev/null 2>&1 || die "'$1' not found on PATH: $2"
}

fetch_stamp() {
    printf '%s %s\n' "$KAFKA_VERSION" "$(sha256sum "$POM" | cut -d' ' -f1)"
}

# Writes $2 to file $1 unless it already holds exactly that (atomically: readers never see
# half a file).
write_if_changed() {
    local file=$1 content=$2 tmp
    if [[ -f $file ]] && [[ $(<"$file") == "$content" ]]; then
        return 0
    fi
    mkdir -p "$(dirname "$file")"
    tmp=$(mktemp "$file.XXXXXX")
    printf '%s\n' "$content" >"$tmp"
    mv -f "$tmp" "$file"
}

write_tool_configs() {
    local level=${KAFKA_TOOLS_LOG_LEVEL:-WARN}
    write_if_changed "$CONF_DIR/tools-log4j2-$level.properties" "# Java tools: log to stderr only, so that stdout carries just the tool's output.
status = warn
appender.stderr.type = Console
appender.stderr.name = STDERR
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = %d{HH:mm:ss.SSS} %-5p [%c{1}] %m%n%notEmpty{%ex{short}%n}
appender.stderr.layout.alwaysWriteExceptions = false
rootLogger.level = $level
rootLogger.appenderRef.stderr.ref = STDERR"
    TOOLS_LOG4J="$CONF_DIR/tools-log4j2-$level.properties"
    write_if_changed "$CONF_DIR/consumer-formatter.properties" "# DefaultMessageFormatter settings of 'kafka.sh consume' (see 'kafka.sh help').
print.timestamp=true
print.partition=true
print.offset=true
print.headers=true
print.key=true
print.value=true
key.separator=\\t
headers.separator=\\t
line.separator=\\n
null.literal=$NULL_LITERAL_PROP
key.deserializer=org.apache.kafka.common.serialization.BytesDeserializer
value.deserializer=org.apache.kafka.common.serialization.BytesDeserializer
headers.deserializer=org.apache.kafka.common.serialization.BytesDeserializer"
    write_if_changed "$CONF_DIR/producer-reader.properties" "# LineMessageReader settings of 'kafka.sh produce' (see 'kafka.sh help').
parse.key=true
parse.headers=true
key.separator=\\t
headers.delimiter=\\t
headers.separator=,
headers.key.separator=:
null.marker=\\\\N"
}

cmd_fetch() {
    [[ $# -eq 0 ]] || die "fetch takes no arguments"
    ensure_fetched
    echo "$LIBS_DIR"
}

ensure_fetched() {
    need_cmd "$JAVA" "install a Java 17+ runtime (Debian: apt-get install openjdk-17-jdk-headless)"
    local stamp
    stamp=$(fetch_stamp)
    if [[ ! -f $LIBS_DIR/.complete || $(<"$LIBS_DIR/.complete") != "$stamp" ]]; then
        need_cmd mvn "install Maven (Debian: apt-get install maven); it downloads the Kafka jars"
        mkdir -p "$DIST_DIR"
        # One download at a time (concurrent test binaries may all get here); fd 9 is only
        # open inside this subshell, so no broker started later inherits the lock.
        (
            flock 9
            if [[ -f $LIBS_DIR/.complete && $(<"$LIBS_DIR/.complete") == "$stamp" ]]; then
                exit 0
            fi
            log "fetching Kafka $KAFKA_VERSION jars with Maven into $LIBS_DIR ..."
            tmp=$(mktemp -d "$DIST_DIR/libs.tmp.XXXXXX")
            if ! mvn -B -Dstyle.color=never -f "$POM" -Dkafka.version="$KAFKA_VERSION" \
                dependency:copy-dependencies -DoutputDirectory="$tmp" >"$DIST_DIR/fetch.log" 2>&1; then
                rm -rf "$tmp"
                tail -n 40 "$DIST_DIR/fetch.log" >&2
                die "mvn could not fetch the Kafka jars (is Maven Central reachable?); see $DIST_DIR/fetch.log"
            fi
            [[ -f $tmp/kafka_2.13-$KAFKA_VERSION.jar ]] || die "mvn did not fetch kafka_2.13-$KAFKA_VERSION.jar"
            echo "$stamp" >"$tmp/.complete"
            rm -rf "$LIBS_DIR" "$DIST_DIR/cds"
            mv "$tmp" "$LIBS_DIR"
            log "fetched $(find "$LIBS_DIR" -name '*.jar' | wc -l) jars"
        ) 9>"$DIST_DIR/.fetch.lock"
    fi
    write_tool_configs
    write_class_index
}

# $DIST_DIR/tool-classes.txt: the command-line tool classes of this version (top-level classes of
# kafka.admin, kafka.tools, org.apache.kafka.tools[.consumer]), one dotted name a line. The tools
# moved between those packages over the releases (e.g. kafka.admin.TopicCommand up to 3.4,
# org.apache.kafka.tools.TopicCommand later): java_tool maps a class name to this version's.
write_class_index() {
    local index="$DIST_DIR/tool-classes.txt" jar tmp
    [[ -s $index && $index -nt $LIBS_DIR/.complete ]] && return 0
    need_cmd unzip "install unzip (Debian: apt-get install unzip)"
    tmp=$(mktemp "$index.XXXXXX")
    for jar in "$LIBS_DIR/kafka_2.13-$KAFKA_VERSION.jar" "$LIBS_DIR/kafka-tools-$KAFKA_VERSION.jar"; do
        [[ -f $jar ]] || continue
        unzip -Z1 "$jar" | sed -n -E 's#^((kafka/(admin|tools)|org/apache/kafka/tools(/consumer)?)/[A-Za-z0-9]+)\.class$#\1#p'
    done | tr / . | sort -u >"$tmp"
    mv -f "$tmp" "$index"
}

# Prints the name of tool class $1 in the selected version: $1 itself if it exists there (or is
# not a tool class), else the class of the same simple name in another tool package.
resolve_class() {
    local class=$1 simple pkg index="$DIST_DIR/tool-classes.txt"
    if [[ ! -s $index ]] || [[ ! $class =~ ^(kafka\.(admin|tools)|org\.apache\.kafka\.tools(\.consumer)?)\.[A-Za-z0-9]+$ ]] ||
        grep -Fx "$class" "$index" >/dev/null; then
        echo "$class"
        return
    fi
    simple=${class##*.}
    for pkg in org.apache.kafka.tools org.apache.kafka.tools.consumer kafka.tools kafka.admin; do
        if grep -Fx "$pkg.$simple" "$index" >/dev/null; then
            echo "$pkg.$simple"
            return
        fi
    done
    echo "$class"
}

# ---------------------------------------------------------------------------------------------
# Java

# Prints the folder of the AppCDS archives for this JVM: an archive only fits the JVM that wrote
# it (and the jars, which the JVM checks itself; `fetch` drops the folder with the old jars).
cds_dir() {
    local java_path jvm_lib
    java_path=$(readlink -f "$(command -v "$JAVA")")
    jvm_lib="$(dirname "$(dirname "$java_path")")/lib/server/libjvm.so"
    printf '%s/cds/%s\n' "$DIST_DIR" \
        "$({ echo "$java_path"; stat -c '%s %Y' "$jvm_lib" 2>/dev/null || true; } | sha256sum | cut -c1-12)"
}

# Runs Java main class $1 with args "$@" (replacing this shell). The JVM's own warnings go to
# stderr, never to stdout. Startup is sped up with an AppCDS archive per main class (roughly
# 0.8 s -> 0.45 s for TopicCommand): the first successful run of a class writes it at exit.
java_tool() {
    ensure_fetched
    local class cds_dir jsa tmp rc=0
    class=$(resolve_class "$1")
    shift
    set -- "$class" "$@"
    local -a jvm=("$JAVA" "${TOOL_JVM_OPTS[@]}" -Xlog:disable -Xlog:all=warning:stderr
        -Dfile.encoding=UTF-8 -Dlog4j2.configurationFile="$TOOLS_LOG4J"
        -cp "${KAFKA_TOOL_CLASSPATH:+$KAFKA_TOOL_CLASSPATH:}$LIBS_DIR/*")
    if [[ ${KAFKA_TOOL_CDS:-1} == 0 || ! $class =~ ^[A-Za-z0-9_.$]+$ ]]; then
        exec "${jvm[@]}" "$@"
    fi
    cds_dir=$(cds_dir)
    jsa="$cds_dir/$class.jsa"
    if [[ -f $jsa ]]; then
        exec "${jvm[@]}" -XX:SharedArchiveFile="$jsa" "$@"
    fi
    mkdir -p "$cds_dir"
    tmp="$jsa.$BASHPID.tmp"
    "${jvm[@]}" -XX:ArchiveClassesAtExit="$tmp" -Xlog:all=error:stderr "$@" || rc=$?
    if ((rc == 0)) && [[ -s $tmp ]]; then
        mv -f "$tmp" "$jsa"
    else
        rm -f "$tmp"
    fi
    exit "$rc"
}

# Prints the options (--name, one a line) that tool class $1 of the selected version lists in
# its --help (cached in $DIST_DIR: one JVM start per version and tool).
tool_options() {
    local class cache
    ensure_fetched
    class=$(resolve_class "$1")
    cache="$DIST_DIR/options-$class.txt"
    if [[ ! -s $cache || $cache -ot $LIBS_DIR/.complete ]]; then
        # (No AppCDS archive from a --help run: it would hold only the classes --help loads.)
        (KAFKA_TOOL_CDS=0 java_tool "$class" --help 2>&1 || true) | grep -o -E '^--[a-z][a-z.-]*' | sort -u >"$cache.$$"
        mv -f "$cache.$$" "$cache"
    fi
    cat "$cache"
}

tool_has_option() {
    tool_options "$1" | grep -Fx -- "$2" >/dev/null
}

# `consume`/`produce` print/read the format `help` describes, which needs console tools with
# --formatter-config (consumer) or --reader-config and header parsing (producer, 3.2+). For an
# older version, those two commands run the console tools of $DEFAULT_KAFKA_VERSION instead (its
# Java client talks to brokers from 2.1 on): $1 = the tool class, $2 = the option it needs.
console_tools_fallback() {
    if ! version_at_least 3 2 || ! tool_has_option "$1" "$2"; then
        log "Kafka $KAFKA_VERSION's $1 has no $2: using the console tools of $DEFAULT_KAFKA_VERSION"
        set_version "$DEFAULT_KAFKA_VERSION"
        ensure_fetched
    fi
}

# Like java_tool, but returns (runs in a subshell).
run_tool() {
    (java_tool "$@")
}

# ---------------------------------------------------------------------------------------------
# Cluster state

# Sets NODE_DIRS to the node folders of cluster dir $1, in node-id order.
list_nodes() {
    local dir=$1 d
    NODE_DIRS=()
    for d in "$dir"/node-[0-9]*; do
        [[ -d $d ]] && NODE_DIRS+=("$d")
    done
    if [[ ${#NODE_DIRS[@]} -gt 1 ]]; then
        mapfile -t NODE_DIRS < <(printf '%s\n' "${NODE_DIRS[@]}" | sort -V)
    fi
}

# Prints the PID of the node in folder $1 if that process still runs (and is that node's JVM).
node_pid() {
    local nd=$1 pid
    [[ -f $nd/pid ]] || return 1
    pid=$(<"$nd/pid")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    # Guard against a reused PID: the command line must name this node's config.
    # (No grep -q in pipes: under pipefail its early exit can fail the pipeline with SIGPIPE.)
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -F "$nd/server.properties" >/dev/null || return 1
    echo "$pid"
}

# Prints running, paused or stopped.
node_state() {
    local pid st
    if ! pid=$(node_pid "$1"); then
        echo stopped
        return
    fi
    st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo '?')
    if [[ $st == T || $st == t ]]; then echo paused; else echo running; fi
}

any_node_running() {
    local nd
    list_nodes "$1"
    for nd in "${NODE_DIRS[@]}"; do
        node_pid "$nd" >/dev/null && return 0
    done
    return 1
}

node_dir() {
    local dir=$1 id=$2
    [[ $id =~ ^[0-9]+$ ]] || die "NODE must be a node id (1, 2, ...), not '$id'"
    [[ -f $dir/node-$id/server.properties ]] || die "no node $id in $dir"
    echo "$dir/node-$id"
}

# The broker port of node folder $1.
node_broker_port() {
    sed -n 's/^advertised.listeners=PLAINTEXT:\/\/127.0.0.1:\([0-9]*\)\(,.*\)\{0,1\}$/\1/p' "$1/server.properties"
}

launch_node() {
    local nd=$1 dir jsa
    local -a cds=() args=()
    [[ -f $nd/jvm.args ]] && mapfile -t args <"$nd/jvm.args"
    : >>"$nd/server.log"
    # Where this start's log begins, so that readiness is judged on this start only.
    stat -c %s "$nd/server.log" >"$nd/log.offset"
    # AppCDS cuts the startup (1 node: ~3.3 s -> ~2.2 s; 3 nodes on 2 cores: ~11 s -> ~6 s). With
    # no archive yet, the node writes one when it exits after SIGTERM; do_stop installs it.
    if [[ ${KAFKA_BROKER_CDS:-1} != 0 ]]; then
        dir=$(cds_dir)
        jsa="$dir/kafka.Kafka.jsa"
        if [[ -f $jsa ]]; then
            cds=(-XX:SharedArchiveFile="$jsa")
        else
            mkdir -p "$dir"
            echo "$jsa.$$-${nd##*/}.tmp" >"$nd/cds.tmp"
            cds=(-XX:ArchiveClassesAtExit="$(<"$nd/cds.tmp")" -Xlog:disable -Xlog:all=error:stdout)
        fi
    fi
    # nohup + background: the JVM ignores SIGINT/SIGHUP of the caller's terminal and keeps
    # none of the caller's pipes open (Rust's Command::output() waits for those to close).
    nohup "$JAVA" "${BROKER_JVM_OPTS[@]}" "${cds[@]}" "${args[@]}" -Dfile.encoding=UTF-8 \
        -Dlog4j2.configurationFile="$nd/log4j2.properties" -Dkafka.logs.dir="$nd" \
        -cp "$LIBS_DIR/*" kafka.Kafka "$nd/server.properties" \
        </dev/null >"$nd/stdout.log" 2>&1 &
    echo $! >"$nd/pid"
}

# After node folder $1's JVM has exited: installs the AppCDS archive it wrote at exit, if any
# ($2 = 1 when it was SIGKILLed: then the file may be cut short and is dropped).
finish_node_cds() {
    local nd=$1 killed=$2 tmp jsa
    [[ -f $nd/cds.tmp ]] || return 0
    tmp=$(<"$nd/cds.tmp")
    rm -f "$nd/cds.tmp"
    jsa="${tmp%.*.tmp}"
    if ((killed == 0)) && [[ -s $tmp && ! -f $jsa ]]; then
        mv -f "$tmp" "$jsa"
    else
        rm -f "$tmp"
    fi
}

print_log_tail() {
    local nd=$1
    log "---- last lines of $nd/server.log ----"
    tail -n 40 "$nd/server.log" >&2 2>/dev/null || true
    if [[ -s $nd/stdout.log ]]; then
        log "---- $nd/stdout.log ----"
        tail -n 20 "$nd/stdout.log" >&2 || true
    fi
}

# Waits until every node folder given is up: its JVM logged "Kafka Server started" (in KRaft
# that comes after the broker was unfenced and its listeners accept) and its broker port accepts.
wait_ready() {
    local deadline=$((SECONDS + START_TIMEOUT)) nd pending port off
    while true; do
        pending=()
        for nd in "$@"; do
            # (Only kill -0: just after the launch, the PID may not have exec'd java yet.)
            if ! kill -0 "$(cat "$nd/pid" 2>/dev/null || echo x)" 2>/dev/null; then
                print_log_tail "$nd"
                die "node $(basename "$nd") exited during startup (see $nd/server.log)"
            fi
            off=$(cat "$nd/log.offset" 2>/dev/null || echo 0)
            port=$(node_broker_port "$nd")
            # KRaft: "Kafka Server started"; ZooKeeper mode: "[KafkaServer id=N] started".
            if tail -c +$((off + 1)) "$nd/server.log" | grep -E 'Kafka Server started|\] started \(kafka\.server\.KafkaServer\)' >/dev/null &&
                (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
                continue
            fi
            pending+=("$nd")
        done
        [[ ${#pending[@]} -eq 0 ]] && return 0
        if ((SECONDS >= deadline)); then
            for nd in "${pending[@]}"; do print_log_tail "$nd"; done
            die "timed out after ${START_TIMEOUT}s waiting for: ${pending[*]##*/}"
        fi
        sleep 0.2
    done
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Prints a base port P such that P .. P+count-1 all look free.
pick_base_port() {
    local count=$1 try base p ok
    for ((try = 0; try < 50; try++)); do
        base=$((20000 + (RANDOM % 6000) * 2))
        ok=1
        for ((p = base; p < base + count; p++)); do
            if port_in_use "$p"; then
                ok=0
                break
            fi
        done
        if ((ok)); then
            echo "$base"
            return 0
        fi
    done
    die "found no free block of $count ports"
}

bootstrap_of_dir() {
    local dir=$1
    [[ -f $dir/cluster.env ]] || return 1
    sed -n 's/^KAFKA_BOOTSTRAP=//p' "$dir/cluster.env"
}

# ---------------------------------------------------------------------------------------------
# Security (start --security): a CA, certificates, SCRAM users and one client properties file
# per listener/mechanism. The extra listeners sit at fixed offsets from the base port P.

SECURITY_LISTENERS=(SSL MTLS BADHOST SASLPLAIN SASLSSL SASLLIMITED REAUTH OIDC)
declare -A SECURITY_OFFSET=([SSL]=2 [MTLS]=3 [BADHOST]=4 [SASLPLAIN]=5 [SASLSSL]=6 [SASLLIMITED]=7 [REAUTH]=8
    [OIDC]=9)
declare -A SECURITY_PROTOCOL=([SSL]=SSL [MTLS]=SSL [BADHOST]=SSL [SASLPLAIN]=SASL_PLAINTEXT
    [SASLSSL]=SASL_SSL [SASLLIMITED]=SASL_PLAINTEXT [REAUTH]=SASL_PLAINTEXT [OIDC]=SASL_PLAINTEXT)
# The ports a --security node uses: P .. P+SECURITY_PORTS-1.
SECURITY_PORTS=10
# The OIDC listener: the key id of oidc-key.pem in oidc-jwks.json, and the client of oidc.properties.
OIDC_KID=test-key
OIDC_CLIENT_ID=producer-app
OIDC_CLIENT_SECRET=oidc-s3cret
OIDC_SCOPE=kafka
SASL_ALL_MECHANISMS=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER
SASL_LIMITED_MECHANISMS=PLAIN,SCRAM-SHA-256
REAUTH_MS=10000
# Users: PLAIN (broker JAAS) and SCRAM (created at format time) share these.
SCRAM_USER=alice
SCRAM_PASSWORD=alice-secret
KEY_PASSWORD=key-secret
STORE_PASSWORD=store-secret
CERT_DAYS=10

# openssl quietly; its output goes to $SEC/openssl.log (it never prints key material there).
ossl() {
    openssl "$@" >>"$SEC_LOG" 2>&1 || {
        cat "$SEC_LOG" >&2
        die "openssl $1 failed"
    }
}

# Makes an EC P-256 key (unencrypted PKCS#8 PEM) in $1.
new_key() {
    ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"
}

# Signs a certificate for key $1 into $2 with subject $3 and extensions $4 (one a line), by the CA
# in $5/$6 (cert/key).
sign_cert() {
    local key=$1 out=$2 subj=$3 ext=$4 ca=$5 ca_key=$6 csr ext_file
    csr=$(mktemp "$SEC/csr.XXXXXX")
    ext_file=$(mktemp "$SEC/ext.XXXXXX")
    printf '%s\n' "$ext" >"$ext_file"
    ossl req -new -key "$key" -subj "$subj" -out "$csr"
    ossl x509 -req -in "$csr" -CA "$ca" -CAkey "$ca_key" -CAcreateserial -days "$CERT_DAYS" \
        -sha256 -extfile "$ext_file" -out "$out"
    rm -f "$csr" "$ext_file"
}

# A self-signed CA: key $1, cert $2, common name $3.
new_ca() {
    new_key "$1"
    ossl req -x509 -new -key "$1" -sha256 -days "$CERT_DAYS" -subj "/O=kafka-producer tests/CN=$3" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
        -out "$2"
}

# Writes the security material of a --security cluster into $1 (DIR/security); see `usage`.
# The keytool steps (Java truststores/keystores the broker does not need) run in the
# background: wait_security_keytool waits for them.
make_security_material() {
    SEC=$1
    rm -rf "$SEC"
    mkdir -p "$SEC/clients"
    chmod 700 "$SEC"
    SEC_LOG="$SEC/openssl.log"
    : >"$SEC_LOG"
    need_cmd openssl "install openssl (Debian: apt-get install openssl)"
    need_cmd keytool "keytool comes with the JDK (Debian: apt-get install openjdk-17-jdk-headless)"
    local server_ext="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth"
    new_ca "$SEC/ca-key.pem" "$SEC/ca.pem" "kafka-producer test CA"
    new_ca "$SEC/other-ca-key.pem" "$SEC/other-ca.pem" "unrelated test CA"
    # Broker certificates: SSL/MTLS/SASLSSL, and BADHOST's with a name that is not 127.0.0.1.
    new_key "$SEC/server.key"
    sign_cert "$SEC/server.key" "$SEC/server.pem" "/CN=localhost" \
        "$server_ext
subjectAltName=DNS:localhost,IP:127.0.0.1" "$SEC/ca.pem" "$SEC/ca-key.pem"
    new_key "$SEC/badhost.key"
    sign_cert "$SEC/badhost.key" "$SEC/badhost.pem" "/CN=wrong-host.invalid" \
        "$server_ext
subjectAltName=DNS:wrong-host.invalid" "$SEC/ca.pem" "$SEC/ca-key.pem"
    # Client certificate for mTLS.
    new_key "$SEC/client.key"
    sign_cert "$SEC/client.key" "$SEC/client-leaf.pem" "/CN=$SCRAM_USER" \
        "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth" "$SEC/ca.pem" "$SEC/ca-key.pem"
    cat "$SEC/client-leaf.pem" "$SEC/ca.pem" >"$SEC/client.pem"
    rm -f "$SEC/client-leaf.pem" "$SEC"/*.srl
    # Encrypted PKCS#8 (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC), for our producer.
    ossl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256 -in "$SEC/client.key" \
        -passout "pass:$KEY_PASSWORD" -out "$SEC/client-encrypted.key"
    # Java's file-based PEM key stores (ssl.keystore.type=PEM + ssl.keystore.location) require
    # an encrypted key and ssl.key.password, and Java 17 cannot decrypt PBES2 there ("PBES2
    # SecretKeyFactory not available"): those files get PBES1 PBE-SHA1-3DES (Java-only files).
    local k
    for k in client server badhost; do
        ossl pkcs8 -topk8 -v1 PBE-SHA1-3DES -in "$SEC/$k.key" \
            -passout "pass:$KEY_PASSWORD" -out "$SEC/$k-java.key"
    done
    cat "$SEC/client-java.key" "$SEC/client.pem" >"$SEC/client-keystore.pem"
    cat "$SEC/client-encrypted.key" "$SEC/client.pem" >"$SEC/client-keystore-pbes2.pem"
    cat "$SEC/server-java.key" "$SEC/server.pem" "$SEC/ca.pem" >"$SEC/server-keystore.pem"
    cat "$SEC/badhost-java.key" "$SEC/badhost.pem" "$SEC/ca.pem" >"$SEC/badhost-keystore.pem"
    rm -f "$SEC"/*-java.key
    make_oidc_jwks
    # PKCS12 the openssl 3 way (AES-256-CBC, PBKDF2-HMAC-SHA256, SHA-256 MAC).
    ossl pkcs12 -export -name client -inkey "$SEC/client.key" -in "$SEC/client.pem" \
        -passout "pass:$STORE_PASSWORD" -out "$SEC/client.p12"
    chmod 600 "$SEC"/*.key "$SEC"/*-key.pem
    # keytool: truststore.p12 (trusted-cert entries as Java marks them), truststore.jks, client.jks.
    (
        set -e
        # C1 only and no GC threads: about half the start-up time of a plain keytool.
        keytool() { command keytool -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC -J-XX:-UsePerfData "$@"; }
        keytool -importcert -noprompt -alias ca -file "$SEC/ca.pem" -storetype PKCS12 \
            -keystore "$SEC/truststore.p12" -storepass "$STORE_PASSWORD"
        keytool -importcert -noprompt -alias ca -file "$SEC/ca.pem" -storetype JKS \
            -keystore "$SEC/truststore.jks" -storepass "$STORE_PASSWORD"
        keytool -importkeystore -noprompt -srckeystore "$SEC/client.p12" -srcstoretype PKCS12 \
            -srcstorepass "$STORE_PASSWORD" -destkeystore "$SEC/client.jks" -deststoretype JKS \
            -deststorepass "$STORE_PASSWORD" -destkeypass "$STORE_PASSWORD"
    ) >"$SEC/keytool.log" 2>&1 &
    KEYTOOL_PID=$!
}

# The OIDC listener's signing key, $SEC/oidc-key.pem (RSA 2048, PKCS#8 PEM), and its public key
# as a JWKS, $SEC/oidc-jwks.json. n is cut from the DER SubjectPublicKeyInfo: for a 2048-bit key
# with e=65537 that is 294 bytes, the modulus the 256 bytes after offset 33 (past its 0x00 pad).
make_oidc_jwks() {
    local der=$SEC/oidc-pub.der n
    ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_pubexp:65537 \
        -out "$SEC/oidc-key.pem"
    ossl pkey -in "$SEC/oidc-key.pem" -pubout -outform DER -out "$der"
    [[ $(stat -c %s "$der") == 294 ]] || die "unexpected RSA public key size in $der"
    n=$(tail -c +34 "$der" | head -c 256 | openssl base64 -A | tr '+/' '-_' | tr -d '=')
    rm -f "$der"
    chmod 600 "$SEC/oidc-key.pem"
    printf '{"keys":[{"kty":"RSA","kid":"%s","use":"sig","alg":"RS256","n":"%s","e":"AQAB"}]}\n' \
        "$OIDC_KID" "$n" >"$SEC/oidc-jwks.json"
}

wait_security_keytool() {
    [[ -n ${KEYTOOL_PID:-} ]] || return 0
    if ! wait "$KEYTOOL_PID"; then
        cat "$SEC/keytool.log" >&2
        die "keytool failed (see $SEC/keytool.log)"
    fi
    KEYTOOL_PID=""
}

# The server.properties lines of the secure listeners (after the PLAINTEXT/CONTROLLER ones).
security_broker_props() {
    local sec=$1 l
    local plain_jaas="org.apache.kafka.common.security.plain.PlainLoginModule required user_$SCRAM_USER=\"$SCRAM_PASSWORD\" user_admin=\"admin-secret\";"
    local scram_jaas="org.apache.kafka.common.security.scram.ScramLoginModule required;"
    local oauth_jaas="org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub=\"admin\";"
    echo "# --security: TLS with the CA in $sec (PEM stores; the key is encrypted with ssl.key.password)."
    echo "ssl.keystore.type=PEM"
    echo "ssl.keystore.location=$sec/server-keystore.pem"
    echo "ssl.key.password=$KEY_PASSWORD"
    echo "ssl.truststore.type=PEM"
    echo "ssl.truststore.location=$sec/ca.pem"
    echo "ssl.client.auth=none"
    echo "listener.name.mtls.ssl.client.auth=required"
    echo "listener.name.badhost.ssl.keystore.type=PEM"
    echo "listener.name.badhost.ssl.keystore.location=$sec/badhost-keystore.pem"
    echo "listener.name.badhost.ssl.key.password=$KEY_PASSWORD"
    echo "listener.name.badhost.ssl.truststore.type=PEM"
    echo "listener.name.badhost.ssl.truststore.location=$sec/ca.pem"
    for l in saslplain saslssl sasllimited reauth; do
        if [[ $l == sasllimited ]]; then
            echo "listener.name.$l.sasl.enabled.mechanisms=$SASL_LIMITED_MECHANISMS"
        else
            echo "listener.name.$l.sasl.enabled.mechanisms=$SASL_ALL_MECHANISMS"
        fi
        echo "listener.name.$l.plain.sasl.jaas.config=$plain_jaas"
        echo "listener.name.$l.scram-sha-256.sasl.jaas.config=$scram_jaas"
        [[ $l == sasllimited ]] && continue
        echo "listener.name.$l.scram-sha-512.sasl.jaas.config=$scram_jaas"
        echo "listener.name.$l.oauthbearer.sasl.jaas.config=$oauth_jaas"
    done
    echo "listener.name.reauth.connections.max.reauth.ms=$REAUTH_MS"
    # OIDC: signed JWTs checked against the JWKS file (the JVM must allow its URL: see jvm.args).
    echo "listener.name.oidc.sasl.enabled.mechanisms=OAUTHBEARER"
    echo "listener.name.oidc.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;"
    echo "listener.name.oidc.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler"
    # Kafka 4.1's OAuthBearerValidatorCallbackHandler takes sasl.oauthbearer.jwt.validator.class,
    # whose default (DefaultJwtValidator, made without a key resolver) only checks the token's
    # form like a client: BrokerJwtValidator checks the signature against the JWKS. Both keys are
    # read without the mechanism prefix, so they are set with the listener prefix alone.
    echo "listener.name.oidc.sasl.oauthbearer.jwt.validator.class=org.apache.kafka.common.security.oauthbearer.BrokerJwtValidator"
    echo "listener.name.oidc.sasl.oauthbearer.jwks.endpoint.url=$(oidc_jwks_url "$sec")"
}

oidc_jwks_url() {
    echo "file://$1/oidc-jwks.json"
}

# Prints PEM file $1 as one properties value: its lines joined with the escape \n.
pem_one_line() {
    awk 'NF { printf "%s%s", (n++ ? "\\n" : ""), $0 }' "$1"
}

# Writes DIR/security/listeners.env and DIR/security/clients/*.properties for node 1 at base $2.
write_security_clients() {
    local sec=$1 base=$2 l
    local -A bs=()
    for l in "${SECURITY_LISTENERS[@]}"; do
        bs[$l]="127.0.0.1:$((base + SECURITY_OFFSET[$l]))"
    done
    {
        echo "# Written by scripts/kafka.sh start --security: the listeners of the cluster in $(dirname "$sec")."
        echo "# Port offsets from the base port $base: PLAINTEXT +0, controller +1, SSL +2, MTLS +3,"
        echo "# BADHOST +4, SASL_PLAINTEXT +5, SASL_SSL +6, SASL_LIMITED +7, REAUTH +8, OIDC +9."
        echo "KAFKA_SECURITY_DIR=$sec"
        echo "KAFKA_PLAINTEXT_BOOTSTRAP=127.0.0.1:$base"
        echo "KAFKA_SSL_BOOTSTRAP=${bs[SSL]}"
        echo "KAFKA_MTLS_BOOTSTRAP=${bs[MTLS]}"
        echo "KAFKA_BADHOST_BOOTSTRAP=${bs[BADHOST]}"
        echo "KAFKA_SASL_PLAINTEXT_BOOTSTRAP=${bs[SASLPLAIN]}"
        echo "KAFKA_SASL_SSL_BOOTSTRAP=${bs[SASLSSL]}"
        echo "KAFKA_SASL_LIMITED_BOOTSTRAP=${bs[SASLLIMITED]}"
        echo "KAFKA_REAUTH_BOOTSTRAP=${bs[REAUTH]}"
        echo "KAFKA_OIDC_BOOTSTRAP=${bs[OIDC]}"
        echo "KAFKA_OIDC_KID=$OIDC_KID"
        echo "KAFKA_OIDC_CLIENT_ID=$OIDC_CLIENT_ID"
        echo "KAFKA_OIDC_CLIENT_SECRET=$OIDC_CLIENT_SECRET"
        echo "KAFKA_OIDC_SCOPE=$OIDC_SCOPE"
        echo "KAFKA_SASL_LIMITED_MECHANISMS=$SASL_LIMITED_MECHANISMS"
        echo "KAFKA_REAUTH_MS=$REAUTH_MS"
        echo "KAFKA_SASL_USER=$SCRAM_USER"
        echo "KAFKA_SASL_PASSWORD=$SCRAM_PASSWORD"
        echo "KAFKA_KEY_PASSWORD=$KEY_PASSWORD"
        echo "KAFKA_STORE_PASSWORD=$STORE_PASSWORD"
    } >"$sec/listeners.env"

    local c=$sec/clients
    local trust="ssl.truststore.type=PEM
ssl.truststore.location=$sec/ca.pem"
    local -A jaas=(
        [plain]="org.apache.kafka.common.security.plain.PlainLoginModule required username=\"$SCRAM_USER\" password=\"$SCRAM_PASSWORD\";"
        [scram-256]="org.apache.kafka.common.security.scram.ScramLoginModule required username=\"$SCRAM_USER\" password=\"$SCRAM_PASSWORD\";"
        [scram-512]="org.apache.kafka.common.security.scram.ScramLoginModule required username=\"$SCRAM_USER\" password=\"$SCRAM_PASSWORD\";"
        [oauthbearer]="org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub=\"$SCRAM_USER\";"
    )
    local -A mech=([plain]=PLAIN [scram-256]=SCRAM-SHA-256 [scram-512]=SCRAM-SHA-512 [oauthbearer]=OAUTHBEARER)
    props() { # FILE LINES
        printf '# Client settings (Java keys) written by scripts/kafka.sh start --security.\n%s\n' "$2" >"$c/$1.properties"
    }
    props plaintext "bootstrap.servers=127.0.0.1:$base
security.protocol=PLAINTEXT"
    props ssl "bootstrap.servers=${bs[SSL]}
security.protocol=SSL
$trust"
    props ssl-p12 "bootstrap.servers=${bs[SSL]}
security.protocol=SSL
ssl.truststore.type=PKCS12
ssl.truststore.location=$sec/truststore.p12
ssl.truststore.password=$STORE_PASSWORD"
    # Expected to fail: the broker's certificate is not signed by other-ca.pem.
    props ssl-unknown-ca "bootstrap.servers=${bs[SSL]}
security.protocol=SSL
ssl.truststore.type=PEM
ssl.truststore.location=$sec/other-ca.pem"
    # Expected to fail: the certificate names only wrong-host.invalid.
    props badhost "bootstrap.servers=${bs[BADHOST]}
security.protocol=SSL
$trust"
    props mtls "bootstrap.servers=${bs[MTLS]}
security.protocol=SSL
$trust
ssl.keystore.type=PEM
ssl.keystore.location=$sec/client-keystore.pem
ssl.key.password=$KEY_PASSWORD"
    # The same client key in the ways Java does not take from a file, for our producer:
    # PBES2/AES-256 encrypted (Java 17: "PBES2 SecretKeyFactory not available"), and inline PEM
    # values (unencrypted key; Java takes those too). \n escapes keep each value on one line.
    props mtls-pbes2 "bootstrap.servers=${bs[MTLS]}
security.protocol=SSL
$trust
ssl.keystore.type=PEM
ssl.keystore.location=$sec/client-keystore-pbes2.pem
ssl.key.password=$KEY_PASSWORD"
    props mtls-inline "bootstrap.servers=${bs[MTLS]}
security.protocol=SSL
ssl.truststore.type=PEM
ssl.truststore.certificates=$(pem_one_line "$sec/ca.pem")
ssl.keystore.type=PEM
ssl.keystore.key=$(pem_one_line "$sec/client.key")
ssl.keystore.certificate.chain=$(pem_one_line "$sec/client.pem")"
    props mtls-p12 "bootstrap.servers=${bs[MTLS]}
security.protocol=SSL
ssl.truststore.type=PKCS12
ssl.truststore.location=$sec/truststore.p12
ssl.truststore.password=$STORE_PASSWORD
ssl.keystore.type=PKCS12
ssl.keystore.location=$sec/client.p12
ssl.keystore.password=$STORE_PASSWORD"
    # Expected to fail: no client certificate on the client-auth=required listener.
    props mtls-no-cert "bootstrap.servers=${bs[MTLS]}
security.protocol=SSL
$trust"
    local m
    for m in plain scram-256 scram-512 oauthbearer; do
        props "sasl-$m" "bootstrap.servers=${bs[SASLPLAIN]}
security.protocol=SASL_PLAINTEXT
sasl.mechanism=${mech[$m]}
sasl.jaas.config=${jaas[$m]}"
        props "sasl-ssl-$m" "bootstrap.servers=${bs[SASLSSL]}
security.protocol=SASL_SSL
sasl.mechanism=${mech[$m]}
sasl.jaas.config=${jaas[$m]}
$trust"
        props "reauth-$m" "bootstrap.servers=${bs[REAUTH]}
security.protocol=SASL_PLAINTEXT
sasl.mechanism=${mech[$m]}
sasl.jaas.config=${jaas[$m]}"
        # SCRAM-SHA-512 and OAUTHBEARER are expected to fail here (only PLAIN,SCRAM-SHA-256).
        props "sasl-limited-$m" "bootstrap.servers=${bs[SASLLIMITED]}
security.protocol=SASL_PLAINTEXT
sasl.mechanism=${mech[$m]}
sasl.jaas.config=${jaas[$m]}"
    done
    # Expected to fail: a wrong password.
    props sasl-scram-256-bad-password "bootstrap.servers=${bs[SASLPLAIN]}
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-256
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"$SCRAM_USER\" password=\"wrong-secret\";"
    props sasl-plain-bad-password "bootstrap.servers=${bs[SASLPLAIN]}
security.protocol=SASL_PLAINTEXT
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"$SCRAM_USER\" password=\"wrong-secret\";"
    # OIDC client credentials (Java's OAuthBearerLoginCallbackHandler flow). The token endpoint
    # is the user's: add sasl.oauthbearer.token.endpoint.url. Our producer picks the flow from
    # that URL; a Java client also needs sasl.login.callback.handler.class=
    # org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler (which our
    # producer rejects) and -Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=<the URL>.
    props oidc "bootstrap.servers=${bs[OIDC]}
security.protocol=SASL_PLAINTEXT
sasl.mechanism=OAUTHBEARER
sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId=\"$OIDC_CLIENT_ID\" clientSecret=\"$OIDC_CLIENT_SECRET\" scope=\"$OIDC_SCOPE\";"
    unset -f props
}

# ---------------------------------------------------------------------------------------------
# start / stop

cmd_start() {
    local nodes=1 dir=$DEFAULT_CLUSTER_DIR base=$DEFAULT_BASE_PORT watch_pid="" reuse=0 auto_create=true
    local security=0
    local -a extra=() features=() feature_args=()
    while [[ $# -gt 0 ]]; do
        case $1 in
        --nodes) nodes=${2:?--nodes needs a value}; shift 2 ;;
        --dir) dir=${2:?--dir needs a value}; shift 2 ;;
        --base-port) base=${2:?--base-port needs a value}; shift 2 ;;
        --watch-pid) watch_pid=${2:?--watch-pid needs a value}; shift 2 ;;
        --reuse) reuse=1; shift ;;
        --no-auto-create) auto_create=false; shift ;;
        --security) security=1; shift ;;
        --config) extra+=("${2:?--config needs key=value}"); shift 2 ;;
        --feature) features+=("${2:?--feature needs NAME=LEVEL}"); shift 2 ;;
        --version) set_version "${2:?--version needs a value}"; shift 2 ;;
        *) die "start: unknown argument '$1'" ;;
        esac
    done
    [[ $nodes =~ ^[1-9]$ ]] || die "--nodes must be 1..9"
    ((security == 0 || nodes == 1)) || die "--security supports a single node only (--nodes 1)"
    ((security == 0 || KAFKA_MAJOR >= 4)) || die "--security needs Kafka 4.x (this is $KAFKA_VERSION)"
    local mode f
    mode=$(kafka_mode)
    for f in "${features[@]}"; do
        [[ $f =~ ^[a-z][a-z0-9._-]*=[0-9]+$ ]] || die "--feature needs NAME=LEVEL (e.g. transaction.version=1), got '$f'"
        feature_args+=(--feature "$f")
    done
    if [[ ${#features[@]} -gt 0 ]] && { [[ $mode != kraft ]] || ! version_at_least 3 9; }; then
        die "--feature needs KRaft and Kafka 3.9+ (StorageTool format --feature); this is $KAFKA_VERSION"
    fi
    [[ -z $watch_pid || $watch_pid =~ ^[0-9]+$ ]] || die "--watch-pid needs a process id"
    if [[ -n $watch_pid ]] && ! kill -0 "$watch_pid" 2>/dev/null; then
        die "--watch-pid $watch_pid: no such process"
    fi
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)

    if any_node_running "$dir"; then
        if ((reuse)); then
            bootstrap_of_dir "$dir" || die "a cluster runs in $dir but it has no cluster.env"
            return 0
        fi
        die "a cluster is already running in $dir (scripts/kafka.sh stop --dir $dir, or start --reuse)"
    fi
    if [[ -n $(ls -A "$dir") && ! -f $dir/$MARKER ]]; then
        die "$dir is not empty and was not made by kafka.sh; refusing to wipe it"
    fi

    ensure_fetched
    local nports=$((2 * nodes))
    ((security)) && nports=$SECURITY_PORTS
    if [[ $base == auto ]]; then
        base=$(pick_base_port "$nports")
    fi
    if ! [[ $base =~ ^[0-9]+$ ]] || ((base < 1024 || base + nports > 65535)); then
        die "bad --base-port '$base'"
    fi

    # A fresh cluster each time: new cluster id, empty logs.
    find "$dir" -mindepth 1 -delete
    touch "$dir/$MARKER"
    local sec="$dir/security"
    if ((security)); then
        make_security_material "$sec"
    fi

    local rf=$((nodes < 3 ? nodes : 3))
    local min_isr=$((rf > 1 ? 2 : 1))
    local voters="" bootstrap="" i bp cp nd
    for ((i = 1; i <= nodes; i++)); do
        bp=$((base + 2 * (i - 1)))
        cp=$((bp + 1))
        voters+="${voters:+,}$i@127.0.0.1:$cp"
        bootstrap+="${bootstrap:+,}127.0.0.1:$bp"
    done
    local cluster_id
    cluster_id=$(random_cluster_id)

    local -a node_dirs=()
    for ((i = 1; i <= nodes; i++)); do
        bp=$((base + 2 * (i - 1)))
        cp=$((bp + 1))
        nd="$dir/node-$i"
        mkdir -p "$nd/data"
        node_dirs+=("$nd")
        {
            echo "# Generated by scripts/kafka.sh start: node $i of $nodes (Kafka $KAFKA_VERSION, $mode)."
            local listeners advertised="PLAINTEXT://127.0.0.1:$bp" protocols
            if [[ $mode == zk ]]; then
                # ZooKeeper runs on the controller port of node 1 (P+1).
                echo "broker.id=$i"
                echo "zookeeper.connect=127.0.0.1:$((base + 1))"
                echo "zookeeper.connection.timeout.ms=30000"
                listeners="PLAINTEXT://127.0.0.1:$bp"
                protocols="PLAINTEXT:PLAINTEXT"
            else
                echo "process.roles=broker,controller"
                echo "node.id=$i"
                echo "controller.quorum.voters=$voters"
                echo "controller.listener.names=CONTROLLER"
                listeners="PLAINTEXT://127.0.0.1:$bp,CONTROLLER://127.0.0.1:$cp"
                protocols="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
            fi
            if ((security)); then
                local l
                for l in "${SECURITY_LISTENERS[@]}"; do
                    listeners+=",$l://127.0.0.1:$((base + SECURITY_OFFSET[$l]))"
                    advertised+=",$l://127.0.0.1:$((base + SECURITY_OFFSET[$l]))"
                    protocols+=",$l:${SECURITY_PROTOCOL[$l]}"
                done
            fi
            echo "listeners=$listeners"
            echo "advertised.listeners=$advertised"
            echo "inter.broker.listener.name=PLAINTEXT"
            echo "listener.security.protocol.map=$protocols"
            echo "log.dirs=$nd/data"
            echo "num.partitions=1"
            echo "default.replication.factor=$rf"
            echo "min.insync.replicas=1"
            echo "auto.create.topics.enable=$auto_create"
            echo "offsets.topic.replication.factor=$rf"
            echo "offsets.topic.num.partitions=3"
            echo "transaction.state.log.replication.factor=$rf"
            echo "transaction.state.log.min.isr=$min_isr"
            echo "transaction.state.log.num.partitions=3"
            echo "transaction.abort.timed.out.transaction.cleanup.interval.ms=1000"
            if ((KAFKA_MAJOR >= 4)); then
                echo "share.coordinator.state.topic.replication.factor=$rf"
                echo "share.coordinator.state.topic.min.isr=$min_isr"
            fi
            echo "group.initial.rebalance.delay.ms=0"
            echo "num.network.threads=2"
            echo "num.io.threads=4"
            echo "num.recovery.threads.per.data.dir=1"
            echo "background.threads=4"
            echo "log.cleaner.threads=1"
            echo "log.cleaner.dedupe.buffer.size=8388608"
            # A killed node must come back quickly and its peers must notice quickly.
            if [[ $mode == kraft ]]; then
                echo "broker.session.timeout.ms=6000"
                echo "broker.heartbeat.interval.ms=1000"
            else
                echo "zookeeper.session.timeout.ms=6000"
            fi
            echo "controlled.shutdown.enable=true"
            echo "delete.topic.enable=true"
            if ((security)); then security_broker_props "$sec"; fi
            local kv
            for kv in "${extra[@]}"; do
                [[ $kv == *=* ]] || die "--config needs key=value, got '$kv'"
                echo "$kv"
            done
        } >"$nd/server.properties"
        # Extra broker JVM arguments, one a line (launch_node reads them, also at restart).
        if ((security)); then
            echo "-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=$(oidc_jwks_url "$sec")" >"$nd/jvm.args"
        fi
        cat >"$nd/log4j2.properties" <<EOF
# Broker logging of node $i: INFO to server.log in this folder.
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $nd/server.log
appender.file.append = true
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.authorizer.name = kafka.authorizer.logger
logger.authorizer.level = WARN
EOF
    done
    {
        echo "KAFKA_BOOTSTRAP=$bootstrap"
        echo "KAFKA_NODES=$nodes"
        echo "KAFKA_BASE_PORT=$base"
        echo "KAFKA_CLUSTER_ID=$cluster_id"
        echo "KAFKA_VERSION=$KAFKA_VERSION"
        echo "KAFKA_MODE=$mode"
        echo "KAFKA_FEATURES=${features[*]}"
        for ((i = 1; i <= nodes; i++)); do
            bp=$((base + 2 * (i - 1)))
            echo "KAFKA_NODE_${i}_BROKER_PORT=$bp"
            echo "KAFKA_NODE_${i}_CONTROLLER_PORT=$((bp + 1))"
        done
        if ((security)); then
            echo "KAFKA_SECURITY_DIR=$sec"
        fi
    } >"$dir/cluster.env"
    if ((security)); then
        write_security_clients "$sec" "$base"
    fi

    # If anything below fails (or we are interrupted), take down what was started.
    STARTING_DIR=$dir
    trap on_start_exit EXIT
    trap 'exit 130' INT TERM

    # Format the storage of every node (one JVM each; in parallel).
    local -a fmt_pids=() scram=()
    if ((security)); then
        scram=(--add-scram "SCRAM-SHA-256=[name=$SCRAM_USER,password=$SCRAM_PASSWORD]"
            --add-scram "SCRAM-SHA-512=[name=$SCRAM_USER,password=$SCRAM_PASSWORD]")
    fi
    if [[ $mode == zk ]]; then
        start_zookeeper "$dir" "$((base + 1))"
    fi
    for nd in "${node_dirs[@]}"; do
        [[ $mode == kraft ]] || continue
        run_tool kafka.tools.StorageTool format --cluster-id "$cluster_id" \
            --config "$nd/server.properties" "${scram[@]}" "${feature_args[@]}" >"$nd/format.log" 2>&1 &
        fmt_pids+=($!)
    done
    for i in "${!fmt_pids[@]}"; do
        if ! wait "${fmt_pids[$i]}"; then
            cat "${node_dirs[$i]}/format.log" >&2
            die "formatting ${node_dirs[$i]} failed"
        fi
    done

    for nd in "${node_dirs[@]}"; do
        launch_node "$nd"
    done
    wait_ready "${node_dirs[@]}"
    wait_security_keytool

    if [[ -n $watch_pid ]]; then
        start_watcher "$dir" "$watch_pid"
    fi
    trap - EXIT INT TERM
    log "cluster of $nodes node(s) up in $dir (Kafka $KAFKA_VERSION, $mode; took ${SECONDS}s)"
    echo "$bootstrap"
}

# ZooKeeper mode (Kafka 2.x): a standalone ZooKeeper server in DIR/zookeeper on 127.0.0.1:$2,
# run from the ZooKeeper jar on the Kafka classpath (2.4-2.8 depend on ZooKeeper 3.5.x).
start_zookeeper() {
    local dir=$1 port=$2 zd="$1/zookeeper" deadline
    mkdir -p "$zd/data"
    printf '%s\n' "# Generated by scripts/kafka.sh start: the ZooKeeper of a Kafka $KAFKA_VERSION cluster." \
        "dataDir=$zd/data" "clientPort=$port" "clientPortAddress=127.0.0.1" "tickTime=2000" \
        "maxClientCnxns=0" "admin.enableServer=false" "4lw.commands.whitelist=*" >"$zd/zoo.cfg"
    printf '%s\n' "status = warn" "appender.file.type = File" "appender.file.name = FILE" \
        "appender.file.fileName = $zd/zookeeper.log" "appender.file.layout.type = PatternLayout" \
        "appender.file.layout.pattern = [%d] %p %m (%c)%n" "rootLogger.level = INFO" \
        "rootLogger.appenderRef.file.ref = FILE" >"$zd/log4j2.properties"
    nohup "$JAVA" "${BROKER_JVM_OPTS[@]}" -Xms64m -Xmx256m -Dfile.encoding=UTF-8 \
        -Dlog4j2.configurationFile="$zd/log4j2.properties" -Dzookeeper.admin.enableServer=false \
        -cp "$LIBS_DIR/*" org.apache.zookeeper.server.ZooKeeperServerMain "$zd/zoo.cfg" \
        </dev/null >"$zd/stdout.log" 2>&1 &
    echo $! >"$zd/pid"
    deadline=$((SECONDS + START_TIMEOUT))
    until port_in_use "$port"; do
        if ! kill -0 "$(<"$zd/pid")" 2>/dev/null; then
            tail -n 30 "$zd/zookeeper.log" "$zd/stdout.log" >&2 2>/dev/null || true
            die "ZooKeeper exited during startup (see $zd/zookeeper.log)"
        fi
        ((SECONDS < deadline)) || die "timed out after ${START_TIMEOUT}s waiting for ZooKeeper on port $port"
        sleep 0.1
    done
}

# Prints the PID of the ZooKeeper of cluster dir $1 if it runs.
zookeeper_pid() {
    local zd="$1/zookeeper" pid
    [[ -f $zd/pid ]] || return 1
    pid=$(<"$zd/pid")
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -F "$zd/zoo.cfg" >/dev/null || return 1
    echo "$pid"
}

# Stops the ZooKeeper of cluster dir $1 (after its brokers).
stop_zookeeper() {
    local dir=$1 pid deadline
    pid=$(zookeeper_pid "$dir") || return 0
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + STOP_TIMEOUT))
    while kill -0 "$pid" 2>/dev/null; do
        if ((SECONDS >= deadline)); then
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.1
    done
    rm -f "$dir/zookeeper/pid"
    log "stopped ZooKeeper in $dir"
}

on_start_exit() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ $rc -ne 0 ]]; then
        log "start failed; stopping the nodes of $STARTING_DIR"
        do_stop "$STARTING_DIR" >/dev/null 2>&1 || true
    fi
    exit "$rc"
}

# The start time of process $1 (clock ticks since boot), to tell it from a later one that got
# the same PID.
proc_start_time() {
    awk '{print $22}' "/proc/$1/stat" 2>/dev/null
}

start_watcher() {
    local dir=$1 pid=$2 started
    started=$(proc_start_time "$pid") || die "--watch-pid $pid: no such process"
    nohup bash "$SELF" __watch "$dir" "$pid" "$started" </dev/null >"$dir/watcher.log" 2>&1 &
    echo $! >"$dir/watcher.pid"
}

cmd___watch() {
    local dir=$1 pid=$2 started=$3
    while [[ -e /proc/$pid && $(proc_start_time "$pid") == "$started" ]]; do
        sleep 0.5
    done
    log "watched process $pid has exited; stopping the cluster in $dir"
    rm -f "$dir/watcher.pid"
    do_stop "$dir"
}

# Stops the nodes of cluster dir $1 (all, or only the node folders given after it).
do_stop() {
    local dir=$1 nd pid deadline
    shift
    local -a nds=("$@") pids=() live=()
    local all_nodes=0
    if [[ ${#nds[@]} -eq 0 ]]; then
        all_nodes=1
        list_nodes "$dir"
        nds=("${NODE_DIRS[@]}")
        # An explicit stop makes the watcher pointless.
        if [[ -f $dir/watcher.pid ]]; then
            pid=$(<"$dir/watcher.pid")
            if [[ $pid =~ ^[0-9]+$ && $pid != "$$" ]] &&
                tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -F "__watch $dir " >/dev/null; then
                kill "$pid" 2>/dev/null || true
            fi
            rm -f "$dir/watcher.pid"
        fi
    fi
    for nd in "${nds[@]}"; do
        if pid=$(node_pid "$nd"); then
            pids+=("$pid")
            kill -TERM "$pid" 2>/dev/null || true
            kill -CONT "$pid" 2>/dev/null || true # a paused node must run to handle SIGTERM
        fi
    done
    deadline=$((SECONDS + STOP_TIMEOUT))
    while true; do
        live=()
        for pid in "${pids[@]}"; do
            kill -0 "$pid" 2>/dev/null && live+=("$pid")
        done
        [[ ${#live[@]} -eq 0 ]] && break
        if ((SECONDS >= deadline)); then
            ((STOP_TIMEOUT == 0)) || log "still running after ${STOP_TIMEOUT}s, sending SIGKILL to: ${live[*]}"
            kill -KILL "${live[@]}" 2>/dev/null || true
            sleep 0.2
            break
        fi
        sleep 0.2
    done
    for nd in "${nds[@]}"; do
        rm -f "$nd/pid"
        finish_node_cds "$nd" "$((${#live[@]} > 0))"
    done
    if [[ ${#pids[@]} -gt 0 ]]; then
        log "stopped ${#pids[@]} node(s) in $dir"
    fi
    if ((all_nodes)); then
        stop_zookeeper "$dir"
    fi
}

parse_dir_and_node() {
    DIR=$DEFAULT_CLUSTER_DIR
    NODE=""
    while [[ $# -gt 0 ]]; do
        case $1 in
        --dir) DIR=${2:?--dir needs a value}; shift 2 ;;
        -*) die "unknown argument '$1'" ;;
        *)
            [[ -z $NODE ]] || die "unexpected argument '$1'"
            NODE=$1
            shift
            ;;
        esac
    done
    if [[ -d $DIR ]]; then DIR=$(cd "$DIR" && pwd); fi
}

cmd_stop() {
    local -a args=()
    while [[ $# -gt 0 ]]; do
        case $1 in
        --now) STOP_TIMEOUT=0; shift ;;
        *) args+=("$1"); shift ;;
        esac
    done
    parse_dir_and_node "${args[@]}"
    [[ -z $NODE ]] || die "stop takes no NODE (use kill NODE)"
    [[ -d $DIR ]] || return 0
    do_stop "$DIR"
}

node_signal_cmd() {
    local signal=$1 verb=$2 pid nd
    shift 2
    parse_dir_and_node "$@"
    [[ -n $NODE ]] || die "$verb needs a NODE id"
    nd=$(node_dir "$DIR" "$NODE")
    pid=$(node_pid "$nd") || die "node $NODE is not running"
    kill "-$signal" "$pid"
    if [[ $signal == KILL ]]; then
        while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
        rm -f "$nd/pid"
        finish_node_cds "$nd" 1
    fi
    log "$verb node $NODE (pid $pid)"
}

cmd_kill() { node_signal_cmd KILL killed "$@"; }
cmd_pause() { node_signal_cmd STOP paused "$@"; }
cmd_resume() { node_signal_cmd CONT resumed "$@"; }

cmd_restart() {
    local nd
    parse_dir_and_node "$@"
    [[ -n $NODE ]] || die "restart needs a NODE id"
    nd=$(node_dir "$DIR" "$NODE")
    use_cluster_version "$DIR"
    ensure_fetched
    if node_pid "$nd" >/dev/null; then
        do_stop "$DIR" "$nd"
    fi
    launch_node "$nd"
    if [[ $(kafka_mode) == zk ]]; then
        # ZooKeeper mode: after a kill, the broker's ephemeral /brokers/ids/N lives on until its
        # ZooKeeper session expires (zookeeper.session.timeout.ms=6000), and a broker started
        # before that exits ("node already exists"): start it again until the node is gone.
        local tries=0 off
        while ! (wait_ready "$nd") 2>/dev/null; do
            off=$(cat "$nd/log.offset" 2>/dev/null || echo 0)
            if ((++tries < 8)) && ! node_pid "$nd" >/dev/null &&
                tail -c +$((off + 1)) "$nd/server.log" | grep -F 'node already exists' >/dev/null; then
                log "node $NODE: its previous ZooKeeper session has not expired yet; starting it again in 2 s"
                sleep 2
                launch_node "$nd"
                continue
            fi
            wait_ready "$nd" # reports the failure
        done
    else
        wait_ready "$nd"
    fi
    log "node $NODE is up again (took ${SECONDS}s)"
}

# Selects the Kafka version the cluster in dir $1 was started with (its cluster.env).
use_cluster_version() {
    local v
    v=$(sed -n 's/^KAFKA_VERSION=//p' "$1/cluster.env" 2>/dev/null || true)
    [[ -z $v ]] || set_version "$v"
}

cmd_status() {
    local nd any=1 id state pid
    parse_dir_and_node "$@"
    [[ -z $NODE ]] || die "status takes no NODE"
    list_nodes "$DIR"
    for nd in "${NODE_DIRS[@]}"; do
        id=${nd##*/node-}
        state=$(node_state "$nd")
        pid=$(node_pid "$nd" || echo -)
        [[ $state == stopped ]] || any=0
        printf 'node %s\t%s\tpid %s\tbroker 127.0.0.1:%s\n' "$id" "$state" "$pid" "$(node_broker_port "$nd")"
    done
    if ((any)); then
        log "no node running in $DIR"
        return 1
    fi
    if [[ -f $DIR/watcher.pid ]]; then
        log "watcher pid $(<"$DIR/watcher.pid")"
    fi
}

cmd_bootstrap() {
    parse_dir_and_node "$@"
    [[ -z $NODE ]] || die "bootstrap takes no NODE"
    any_node_running "$DIR" || die "no cluster running in $DIR (scripts/kafka.sh start)"
    bootstrap_of_dir "$DIR" || die "no cluster.env in $DIR"
}

# ---------------------------------------------------------------------------------------------
# Client commands

# Parses the common client options --bootstrap and --dir out of "$@"; sets BOOTSTRAP and ARGS.
parse_client_args() {
    local dir=$DEFAULT_CLUSTER_DIR bs=""
    ARGS=()
    CLIENT_CONFIG=""
    while [[ $# -gt 0 ]]; do
        case $1 in
        --bootstrap) bs=${2:?--bootstrap needs a value}; shift 2 ;;
        --client-config) CLIENT_CONFIG=${2:?--client-config needs a file}; shift 2 ;;
        --dir) dir=${2:?--dir needs a value}; shift 2 ;;
        --)
            ARGS+=("$@")
            break
            ;;
        *) ARGS+=("$1"); shift ;;
        esac
    done
    if [[ -n $CLIENT_CONFIG ]]; then
        [[ -f $CLIENT_CONFIG ]] || die "--client-config $CLIENT_CONFIG: no such file"
        CLIENT_CONFIG=$(cd "$(dirname "$CLIENT_CONFIG")" && pwd)/$(basename "$CLIENT_CONFIG")
        if [[ -z $bs ]]; then
            bs=$(sed -n 's/^[[:space:]]*bootstrap\.servers[[:space:]]*[=:][[:space:]]*//p' "$CLIENT_CONFIG" | tail -n 1)
        fi
    fi
    if [[ -z $bs ]]; then bs=${KAFKA_BOOTSTRAP:-}; fi
    if [[ -z $bs ]]; then
        any_node_running "$dir" || die "no --bootstrap, no \$KAFKA_BOOTSTRAP and no cluster running in $dir"
        bs=$(bootstrap_of_dir "$dir") || die "no cluster.env in $dir"
    fi
    BOOTSTRAP=$bs
}

cmd_create_topic() {
    parse_client_args "$@"
    set -- "${ARGS[@]}"
    local topic="" partitions=1 rf="" out deadline
    local -a cfg=()
    while [[ $# -gt 0 ]]; do
        case $1 in
        --partitions) partitions=${2:?--partitions needs a value}; shift 2 ;;
        --replication-factor) rf=${2:?--replication-factor needs a value}; shift 2 ;;
        --config) cfg+=(--config "${2:?--config needs key=value}"); shift 2 ;;
        -*) die "create-topic: unknown argument '$1'" ;;
        *)
            [[ -z $topic ]] || die "create-topic: unexpected argument '$1'"
            topic=$1
            shift
            ;;
        esac
    done
    [[ -n $topic ]] || die "create-topic needs a TOPIC"
    local -a create=(--create --topic "$topic" --partitions "$partitions")
    [[ -n $rf ]] && create+=(--replication-factor "$rf")
    local -a cc=()
    [[ -n $CLIENT_CONFIG ]] && cc=(--command-config "$CLIENT_CONFIG")
    run_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" "${cc[@]}" "${create[@]}" "${cfg[@]}" >&2
    # Wait until every partition has a leader (the controller elects them at once, but the
    # brokers learn it through metadata propagation).
    deadline=$((SECONDS + 30))
    while true; do
        out=$(run_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" "${cc[@]}" --describe --topic "$topic")
        if [[ $(grep -c 'Leader: [0-9]' <<<"$out") -eq $partitions ]]; then
            break
        fi
        ((SECONDS < deadline)) || die "topic $topic has partitions without a leader: $out"
        sleep 0.3
    done
    log "created topic $topic ($partitions partition(s))"
}

cmd_consume() {
    parse_client_args "$@"
    set -- "${ARGS[@]}"
    local topic="" max="" timeout=10000 isolation=read_uncommitted
    local -a extra=()
    while [[ $# -gt 0 ]]; do
        case $1 in
        --max-messages) max=${2:?--max-messages needs a value}; shift 2 ;;
        --timeout-ms) timeout=${2:?--timeout-ms needs a value}; shift 2 ;;
        --isolation-level) isolation=${2:?--isolation-level needs a value}; shift 2 ;;
        --from-beginning) shift ;; # always
        --)
            shift
            extra=("$@")
            break
            ;;
        -*) die "consume: unknown argument '$1'" ;;
        *)
            [[ -z $topic ]] || die "consume: unexpected argument '$1'"
            topic=$1
            shift
            ;;
        esac
    done
    [[ -n $topic ]] || die "consume needs a TOPIC"
    ensure_fetched
    console_tools_fallback org.apache.kafka.tools.consumer.ConsoleConsumer --formatter-config
    # Kafka 4.2+ renamed --consumer-property/--consumer.config (and prints a deprecation notice
    # on stdout for the old names).
    local prop_opt=--consumer-property config_opt=--consumer.config
    if tool_has_option org.apache.kafka.tools.consumer.ConsoleConsumer --command-property; then
        prop_opt=--command-property
        config_opt=--command-config
    fi
    local -a args=(--bootstrap-server "$BOOTSTRAP" --topic "$topic" --from-beginning
        --timeout-ms "$timeout" --isolation-level "$isolation"
        --group "kafka-sh-consume-$$-$RANDOM-$(date +%s%N)"
        "$prop_opt" enable.auto.commit=false
        "$prop_opt" client.id=kafka-sh-consume
        --formatter-config "$CONF_DIR/consumer-formatter.properties")
    [[ -n $max ]] && args+=(--max-messages "$max")
    [[ -n $CLIENT_CONFIG ]] && args+=("$config_opt" "$CLIENT_CONFIG")
    java_tool org.apache.kafka.tools.consumer.ConsoleConsumer "${args[@]}" "${extra[@]}"
}

cmd_produce() {
    parse_client_args "$@"
    set -- "${ARGS[@]}"
    local topic=""
    local -a extra=()
    while [[ $# -gt 0 ]]; do
        case $1 in
        --)
            shift
            extra=("$@")
            break
            ;;
        -*) die "produce: unknown argument '$1'" ;;
        *)
            [[ -z $topic ]] || die "produce: unexpected argument '$1'"
            topic=$1
            shift
            ;;
        esac
    done
    [[ -n $topic ]] || die "produce needs a TOPIC"
    ensure_fetched
    console_tools_fallback org.apache.kafka.tools.ConsoleProducer --reader-config
    local config_opt=--producer.config # --command-config from 4.2 on
    tool_has_option org.apache.kafka.tools.ConsoleProducer --command-config && config_opt=--command-config
    [[ -n $CLIENT_CONFIG ]] && extra=("$config_opt" "$CLIENT_CONFIG" "${extra[@]}")
    java_tool org.apache.kafka.tools.ConsoleProducer --bootstrap-server "$BOOTSTRAP" --topic "$topic" \
        --sync --timeout 0 --request-required-acks all --reader-config "$CONF_DIR/producer-reader.properties" "${extra[@]}"
}

cmd_end_offsets() {
    parse_client_args "$@"
    [[ ${#ARGS[@]} -eq 1 ]] || die "end-offsets needs exactly one TOPIC"
    local -a cc=()
    [[ -n $CLIENT_CONFIG ]] && cc=(--command-config "$CLIENT_CONFIG")
    local -a bs=(--bootstrap-server "$BOOTSTRAP")
    # GetOffsetShell took --broker-list (and no --command-config) before 3.0; -1 = latest.
    tool_has_option org.apache.kafka.tools.GetOffsetShell --bootstrap-server || bs=(--broker-list "$BOOTSTRAP")
    run_tool org.apache.kafka.tools.GetOffsetShell "${bs[@]}" "${cc[@]}" \
        --topic "${ARGS[0]}" --time -1 |
        awk -F: '{print $(NF-1), $NF}' | sort -n
}

cmd_group_offsets() {
    parse_client_args "$@"
    [[ ${#ARGS[@]} -eq 1 ]] || die "group-offsets needs exactly one GROUP"
    local group=${ARGS[0]} class=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand out rc=0
    ensure_fetched
    # The tool moved from kafka.admin (up to 3.x) to org.apache.kafka.tools.consumer.group.
    if ! unzip -Z1 "$LIBS_DIR/kafka-tools-$KAFKA_VERSION.jar" 2>/dev/null |
        grep -Fx "${class//.//}.class" >/dev/null; then
        class=kafka.admin.ConsumerGroupCommand
    fi
    local -a cc=()
    [[ -n $CLIENT_CONFIG ]] && cc=(--command-config "$CLIENT_CONFIG")
    out=$(run_tool "$class" --bootstrap-server "$BOOTSTRAP" "${cc[@]}" --describe --offsets \
        --group "$group" 2>&1) || rc=$?
    # "Error: Consumer group 'G' does not exist." (exit status 0 or 1 depending on the release).
    if grep -F "does not exist" <<<"$out" >/dev/null; then
        return 0
    fi
    if ((rc != 0)); then
        printf '%s\n' "$out" >&2
        die "ConsumerGroupCommand --describe --group $group failed (exit $rc)"
    fi
    # GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID;
    # CURRENT-OFFSET is "-" for a partition without a committed offset.
    awk -v g="$group" '$1 == g && $3 ~ /^[0-9]+$/ && $4 ~ /^[0-9]+$/ { print $2, $3, $4 }' <<<"$out" |
        sort -k1,1 -k2,2n
}

cmd_features() {
    parse_client_args "$@"
    [[ ${#ARGS[@]} -eq 0 ]] || die "features takes no arguments"
    local -a cc=()
    [[ -n $CLIENT_CONFIG ]] && cc=(--command-config "$CLIENT_CONFIG")
    # "Feature: transaction.version<TAB>SupportedMinVersion: 0<TAB>SupportedMaxVersion: 2<TAB>
    #  FinalizedVersionLevel: 2<TAB>Epoch: 5"
    run_tool org.apache.kafka.tools.FeatureCommand --bootstrap-server "$BOOTSTRAP" "${cc[@]}" describe |
        awk -F '\t' '{ name = ""; level = ""
            for (i = 1; i <= NF; i++) { split($i, kv, ": ")
                if (kv[1] == "Feature") name = kv[2]; if (kv[1] == "FinalizedVersionLevel") level = kv[2] }
            if (name != "") print name, level }'
}

cmd_topics() {
    parse_client_args "$@"
    [[ ${#ARGS[@]} -eq 0 ]] || die "topics takes no arguments"
    local -a cc=()
    [[ -n $CLIENT_CONFIG ]] && cc=(--command-config "$CLIENT_CONFIG")
    java_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" "${cc[@]}" --list
}

cmd_java_tool() {
    [[ $# -ge 1 ]] || die "java-tool needs a CLASS"
    java_tool "$@"
}

main() {
    if [[ ${1:-} == --version ]]; then
        set_version "${2:?--version needs a value}"
        shift 2
    fi
    local cmd=${1:-help}
    [[ $# -gt 0 ]] && shift
    case $cmd in
    fetch) cmd_fetch "$@" ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    kill) cmd_kill "$@" ;;
    restart) cmd_restart "$@" ;;
    pause) cmd_pause "$@" ;;
    resume) cmd_resume "$@" ;;
    status) cmd_status "$@" ;;
    bootstrap) cmd_bootstrap "$@" ;;
    create-topic) cmd_create_topic "$@" ;;
    consume) cmd_consume "$@" ;;
    produce) cmd_produce "$@" ;;
    end-offsets) cmd_end_offsets "$@" ;;
    group-offsets) cmd_group_offsets "$@" ;;
    features) cmd_features "$@" ;;
    topics) cmd_topics "$@" ;;
    java-tool) cmd_java_tool "$@" ;;
    cluster-id)
        # N fresh cluster ids, one a line (the ids `start` formats with).
        for ((i = 0; i < ${1:-1}; i++)); do random_cluster_id; done
        ;;
    __watch) cmd___watch "$@" ;;
    help | -h | --help) usage ;;
    *)
        usage >&2
        die "unknown command '$cmd'"
        ;;
    esac
}

main "$@"
