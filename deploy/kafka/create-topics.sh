#!/usr/bin/env bash
# Creates Perpetua's nine topics, with the sizes and configs the job needs, unless they exist.
# An existing topic is left as it is. Runs with Kafka's own CLI: the compose file's topic-init
# step runs it in the apache/kafka image, and it works from any machine with Kafka's bin/:
#   BOOTSTRAP=broker:9092 KAFKA_BIN=/opt/kafka/bin deploy/kafka/create-topics.sh
#
# BOOTSTRAP           bootstrap servers (default kafka:19092, the compose network's listener)
# PARTITIONS          partitions of events, feedback, predictions, metrics, deadletters,
#                     recommendations (default 2)
# REPLICATION_FACTOR  replicas of every topic (default 1: one broker)
# HISTORY_RETENTION_MS  how long models.history keeps a snapshot (default 7 days)
set -euo pipefail

BOOTSTRAP=${BOOTSTRAP:-kafka:19092}
KAFKA_BIN=${KAFKA_BIN:-/opt/kafka/bin}
PARTITIONS=${PARTITIONS:-2}
REPLICATION_FACTOR=${REPLICATION_FACTOR:-1}
HISTORY_RETENTION_MS=${HISTORY_RETENTION_MS:-604800000}

# max.message.bytes as the job's own --create-topics sets them (KafkaIo.createTopics; the
# README's topic table says why): inputs above the job's record limit, so that a larger record
# still reaches the job and becomes a dead letter; outputs at Kafka's stock 1 MiB, which the job's
# limits keep every record under; model snapshots up to 64 MiB; specs that carry a snapshot.
INPUT_MAX_BYTES=8388608
OUTPUT_MAX_BYTES=1048576
SNAPSHOT_MAX_BYTES=67108864
CONTROL_MAX_BYTES=75497472

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

# Inputs: events and late labels, spread by key; specs in one partition, compacted by model name,
# so that the updates of all models keep their order and the latest spec of each stays.
topic events "$PARTITIONS" max.message.bytes=$INPUT_MAX_BYTES
topic feedback "$PARTITIONS" max.message.bytes=$INPUT_MAX_BYTES
topic models.control 1 cleanup.policy=compact max.message.bytes=$CONTROL_MAX_BYTES
# Outputs of the job.
topic predictions "$PARTITIONS" max.message.bytes=$OUTPUT_MAX_BYTES
topic metrics "$PARTITIONS" max.message.bytes=$OUTPUT_MAX_BYTES
topic deadletters "$PARTITIONS" max.message.bytes=$OUTPUT_MAX_BYTES
topic recommendations "$PARTITIONS" max.message.bytes=$OUTPUT_MAX_BYTES
# The latest snapshot of every model (compacted: one per model name), and every version.
topic models 1 cleanup.policy=compact max.message.bytes=$SNAPSHOT_MAX_BYTES
topic models.history 1 retention.ms="$HISTORY_RETENTION_MS" max.message.bytes=$SNAPSHOT_MAX_BYTES

"$KAFKA_BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --list
