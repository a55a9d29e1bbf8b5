// A Perpetua client in Node.js, written from the README alone: kafkajs for Kafka, avsc for Avro,
// and its own CRC-64-AVRO for the single-object fingerprint.
//
//   node decode-topics.js publish BOOTSTRAP TOPIC SCHEMAS_DIR MODEL COUNT
//       publishes COUNT Event records (ids node-0, node-1, ...) keyed by MODEL
//   node decode-topics.js decode BOOTSTRAP SCHEMAS_DIR TOPIC[,TOPIC...]
//       reads every topic from its beginning (read_committed) until it is quiet, decodes every
//       record, and prints one JSON line per topic: records, types, fingerprint and decoding
//       failures, and the event ids of the predictions
'use strict';

const fs = require('fs');
const path = require('path');
const avro = require('avsc');
const { Kafka, logLevel } = require('kafkajs');

// CRC-64-AVRO, as the Avro specification defines it.
const EMPTY = 0xc15d213aa4d7a795n;
const MASK = 0xffffffffffffffffn;
const TABLE = Array.from({ length: 256 }, (_, i) => {
  let fp = BigInt(i);
  for (let j = 0; j < 8; j++) {
    fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n));
  }
  return fp & MASK;
});

function crc64Avro(text) {
  let fp = EMPTY;
  for (const b of Buffer.from(text, 'utf8')) {
    fp = (fp >> 8n) ^ TABLE[Number((fp ^ BigInt(b)) & 0xffn)];
  }
  return fp & MASK;
}

// The 8 fingerprint bytes as they travel: little-endian.
function fingerprintBytes(fp) {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(fp);
  return out;
}

// Every standalone schema, by the hex of its fingerprint bytes on the wire.
function loadSchemas(dir) {
  const byFingerprint = new Map();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.avsc'))) {
    const type = avro.Type.forSchema(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')));
    // getSchema() without options is the Parsing Canonical Form, as an object.
    const canonical = JSON.stringify(type.getSchema());
    const fp = fingerprintBytes(crc64Avro(canonical));
    byFingerprint.set(fp.toString('hex'), { name: type.name.split('.').pop(), type, fp });
  }
  return byFingerprint;
}

function encode(schema, record) {
  return Buffer.concat([Buffer.from([0xc3, 0x01]), schema.fp, schema.type.toBuffer(record)]);
}

async function publish(bootstrap, topic, dir, model, count) {
  const schemas = loadSchemas(dir);
  const event = [...schemas.values()].find((s) => s.name === 'Event');
  const kafka = new Kafka({ clientId: 'perpetua-node', brokers: [bootstrap], logLevel: logLevel.ERROR });
  const producer = kafka.producer();
  await producer.connect();
  const messages = [];
  for (let i = 0; i < count; i++) {
    const x = Math.sin(i);
    messages.push({
      key: model,
      value: encode(event, {
        id: `node-${i}`,
        model,
        time: Date.now(),
        dense: [],
        numeric: { x, y: Math.cos(i) },
        categorical: {},
        text: null,
        label: { int: x > 0 ? 1 : 0 },
        weight: 1,
      }),
    });
  }
  await producer.send({ topic, messages });
  await producer.disconnect();
  console.log(JSON.stringify({ published: count }));
}

async function decode(bootstrap, dir, topics) {
  const schemas = loadSchemas(dir);
  const kafka = new Kafka({ clientId: 'perpetua-node', brokers: [bootstrap], logLevel: logLevel.ERROR });
  const seen = {};
  for (const t of topics) {
    seen[t] = { topic: t, records: 0, types: {}, badHeader: 0, unknownFingerprint: 0, undecodable: 0, eventIds: [] };
  }
  const consumer = kafka.consumer({ groupId: `perpetua-node-${process.pid}-${Date.now()}`, readUncommitted: false });
  await consumer.connect();
  for (const t of topics) {
    await consumer.subscribe({ topic: t, fromBeginning: true });
  }
  let last = Date.now();
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      last = Date.now();
      const s = seen[topic];
      s.records++;
      const v = message.value;
      if (!v || v.length < 10 || v[0] !== 0xc3 || v[1] !== 0x01) {
        s.badHeader++;
        return;
      }
      const schema = schemas.get(v.subarray(2, 10).toString('hex'));
      if (!schema) {
        s.unknownFingerprint++;
        return;
      }
      try {
        const record = schema.type.fromBuffer(v.subarray(10));
        s.types[schema.name] = (s.types[schema.name] || 0) + 1;
        if (schema.name === 'Prediction') {
          s.eventIds.push(record.eventId);
        }
      } catch (e) {
        s.undecodable++;
      }
    },
  });
  const started = Date.now();
  while (Date.now() - last < 4000 && Date.now() - started < 60000) {
    await new Promise((r) => setTimeout(r, 250));
  }
  await consumer.disconnect();
  for (const t of topics) {
    console.log(JSON.stringify(seen[t]));
  }
}

async function main() {
  const [command, ...args] = process.argv.slice(2);
  if (command === 'publish') {
    await publish(args[0], args[1], args[2], args[3], Number(args[4]));
  } else if (command === 'decode') {
    await decode(args[0], args[1], args[2].split(','));
  } else {
    throw new Error(`unknown command ${command}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
