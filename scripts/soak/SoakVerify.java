// Verifier of scripts/soak.sh (outside CI): reads a topic written by examples/soak_producer.rs
// back with the Java consumer and checks that every record number 0 .. COUNT-1 is there exactly
// once. Run as a single-file program against the Kafka jars:
//
//   java -Xmx1g -cp '<kafka libs dir>/*' scripts/soak/SoakVerify.java BOOTSTRAP TOPIC COUNT VALUE_SIZE
//
// Every partition is read from its start to the log end offset seen at the start (assign(), no
// group). A value is record number i as 8 bytes big-endian, then the bytes (i + k) as u8 for
// k = 8 .. VALUE_SIZE-1. Counts, in one stdout line of key=value fields:
//   end_offsets_sum  the sum of the partitions' log end offsets (minus their start offsets)
//   read             records read
//   distinct         distinct record numbers in 0 .. COUNT-1
//   missing          numbers in 0 .. COUNT-1 never read
//   duplicates       records whose number was already read
//   out_of_range     numbers >= COUNT (or negative)
//   reordered        records whose number is lower than the previous one of their partition
//                    (a single sending thread: each partition must hold increasing numbers)
//   corrupt          values of the wrong size or with wrong padding bytes
// The first few missing and duplicate numbers go to stderr. Exit status 0 only when
// read = distinct = COUNT = end_offsets_sum and every other count is 0; 1 otherwise; 2 on a
// usage error or when reading makes no progress for 120 s.

import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class SoakVerify {
    public static void main(String[] args) {
        if (args.length != 4) {
            System.err.println("usage: SoakVerify BOOTSTRAP TOPIC COUNT VALUE_SIZE");
            System.exit(2);
        }
        String bootstrap = args[0];
        String topic = args[1];
        long count = Long.parseLong(args[2]);
        int valueSize = Integer.parseInt(args[3]);
        if (count > Integer.MAX_VALUE) {
            System.err.println("COUNT too large for a BitSet");
            System.exit(2);
        }
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, "67108864");
        props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, "16777216");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "100000");
        props.put(ConsumerConfig.RECEIVE_BUFFER_CONFIG, "4194304");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());

        BitSet seen = new BitSet((int) count);
        long read = 0, duplicates = 0, outOfRange = 0, reordered = 0, corrupt = 0, endSum = 0;
        List<Long> firstDuplicates = new ArrayList<>();
        long started = System.nanoTime();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(60))) {
                partitions.add(new TopicPartition(topic, p.partition()));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(60));
            Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions, Duration.ofSeconds(60));
            Map<TopicPartition, Long> last = new HashMap<>();
            for (TopicPartition tp : partitions) {
                endSum += end.get(tp) - begin.get(tp);
                System.err.printf("SoakVerify: partition %d: offsets %d .. %d%n", tp.partition(), begin.get(tp), end.get(tp));
            }
            long lastProgress = System.nanoTime();
            long lastPrint = lastProgress;
            while (true) {
                boolean done = true;
                for (TopicPartition tp : partitions) {
                    if (consumer.position(tp) < end.get(tp)) {
                        done = false;
                        break;
                    }
                }
                if (done) {
                    break;
                }
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofSeconds(1));
                long now = System.nanoTime();
                if (records.isEmpty()) {
                    if (now - lastProgress > 120_000_000_000L) {
                        System.err.println("SoakVerify: no progress for 120 s; giving up");
                        System.exit(2);
                    }
                    continue;
                }
                lastProgress = now;
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    if (r.offset() >= end.get(new TopicPartition(r.topic(), r.partition()))) {
                        continue; // written after the end offsets were taken: not ours
                    }
                    read++;
                    byte[] v = r.value();
                    if (v == null || v.length != valueSize) {
                        corrupt++;
                        continue;
                    }
                    long seq = 0;
                    for (int k = 0; k < 8; k++) {
                        seq = (seq << 8) | (v[k] & 0xff);
                    }
                    boolean padOk = true;
                    for (int k = 8; k < valueSize; k++) {
                        if (v[k] != (byte) (seq + k)) {
                            padOk = false;
                            break;
                        }
                    }
                    if (!padOk) {
                        corrupt++;
                    }
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    Long prev = last.put(tp, seq);
                    if (prev != null && seq < prev) {
                        reordered++;
                    }
                    if (seq < 0 || seq >= count) {
                        outOfRange++;
                        continue;
                    }
                    if (seen.get((int) seq)) {
                        duplicates++;
                        if (firstDuplicates.size() < 10) {
                            firstDuplicates.add(seq);
                        }
                    } else {
                        seen.set((int) seq);
                    }
                }
                if (now - lastPrint > 10_000_000_000L) {
                    lastPrint = now;
                    System.err.printf("SoakVerify: %d records read (%.0f s)%n", read, (now - started) / 1e9);
                }
            }
        }
        long distinct = seen.cardinality();
        long missing = count - distinct;
        List<Long> firstMissing = new ArrayList<>();
        for (int i = seen.nextClearBit(0); i >= 0 && i < count && firstMissing.size() < 10; i = seen.nextClearBit(i + 1)) {
            firstMissing.add((long) i);
        }
        if (!firstMissing.isEmpty()) {
            System.err.println("SoakVerify: first missing: " + firstMissing);
        }
        if (!firstDuplicates.isEmpty()) {
            System.err.println("SoakVerify: first duplicates: " + firstDuplicates);
        }
        System.out.printf("VERIFY count=%d end_offsets_sum=%d read=%d distinct=%d missing=%d duplicates=%d out_of_range=%d reordered=%d corrupt=%d seconds=%.1f%n",
                count, endSum, read, distinct, missing, duplicates, outOfRange, reordered, corrupt, (System.nanoTime() - started) / 1e9);
        boolean ok = read == count && distinct == count && endSum == count && missing == 0 && duplicates == 0
                && outOfRange == 0 && reordered == 0 && corrupt == 0;
        System.exit(ok ? 0 : 1);
    }
}
