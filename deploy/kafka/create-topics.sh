#!/usr/bin/env bash
# Creates Perpetua's eight topics, with the sizes and configs the job needs, unless they exist.
# An existing topic is left as it is. Runs with Kafka's own CLI: the compose file's topic-init
# step runs it in the apache/kafka image, and it works from any machine with Kafka's bin/:
#   BOOTSTRAP=broker:9092 KAFKA_BIN=/opt/kafka/bin deploy/kafka/create-topics.sh
#
# BOOTSTRAP           bootstrap servers (default kafka:19092, the compose network's listener)
# PARTITIONS          partitions of events, feedback, predictions, metrics, deadletters (default 2)
# REPLICATION_FACTOR  replicas of every topic (default 1: one broker)
# HISTORY_RETENTION_MS  how long models.history keeps a snapshot (default 7 days)
set -euo pipefail

BOOTSTRAP=${BOOTSTRAP:-kafka:19092}
KAFKA_BIN=${KAFKA_BIN:-/opt/kafka/bin}
PARTITIONS=${PARTITIONS:-2}
REPLICATION_FACTOR=${REPLICATION_FACTOR:-1}
HISTORY_RETENTION_MS=${HISTORY_RETENTION_MS:-604800000}

# The job's producers send records up to 64 MiB (max.request.size): a model snapshot, or a
# prediction or dead letter that carries a large input. A topic that accepts less would refuse
# such a record and fail the job's checkpoint, so every output topic accepts 64 MiB plus 1 MiB
# for the record batch's headers. Input topics keep the broker's limit (about 1 MiB).
OUTPUT_MAX_BYTES=68157440

topic() {
    local name=$1 partitions=$2
    shift 2
    local configs=()
    for c in "$@"; do
        configs+=(--config "$c")
    done
    "$KAFKA_BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --create --if-not-exists \
        --topic "$name" --partitions "$partitions" --replication-factor "$REPLICATION_FACTOR" \
        "${configs[@]}"
}

# Inputs: events and late labels, spread by key; specs in one partition, so that the updates of
# all models keep their order.
topic events "$PARTITIONS"
topic feedback "$PARTITIONS"
topic models.control 1
# Outputs of the job.
topic predictions "$PARTITIONS" max.message.bytes=$OUTPUT_MAX_BYTES
topic metrics "$PARTITIONS" max.message.bytes=$OUTPUT_MAX_BYTES
topic deadletters "$PARTITIONS" max.message.bytes=$OUTPUT_MAX_BYTES
# The latest snapshot of every model (compacted: one per model name), and every version.
topic models 1 cleanup.policy=compact max.message.bytes=$OUTPUT_MAX_BYTES
topic models.history 1 retention.ms="$HISTORY_RETENTION_MS" max.message.bytes=$OUTPUT_MAX_BYTES

"$KAFKA_BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --list
