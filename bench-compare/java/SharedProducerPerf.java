/*
 * SharedProducerPerf: Kafka's ProducerPerformance (kafka-producer-perf-test, 4.1.1) with N caller
 * threads sharing one KafkaProducer<byte[], byte[]>, the Java side of `producer_perf --threads N`
 * (examples/producer_perf.rs) for scripts/bench-threads.sh.
 *
 *   javac -cp "$(scripts/kafka.sh fetch)/*" -d /tmp/spp bench-compare/java/SharedProducerPerf.java
 *   java -cp "/tmp/spp:$(scripts/kafka.sh fetch)/*" SharedProducerPerf --topic t --num-records 1000000 \
 *       --record-size 100 --throughput -1 --threads 4 --producer-props bootstrap.servers=127.0.0.1:9092 acks=1
 *
 * As ProducerPerformance: the key is null; with --record-size each record's value is a fresh
 * payload of random upper-case letters written into one reused array per thread (thread k draws
 * from new SplittableRandom(k): thread 0's bytes are the tool's), with --payload-file a random
 * line of the file; the latency of a record runs from just before send() to its callback, in whole
 * milliseconds (System.currentTimeMillis()); the callbacks (on the producer's I/O thread) feed one
 * Stats, which prints a progress line every 5 s and, after close(), the tool's summary line:
 * "N records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency, P50 ms 50th,
 * P95 ms 95th, P99 ms 99th, P999 ms 99.9th." (percentiles of up to 500,000 sampled latencies).
 * The records are split among the threads as evenly as possible (the first ones get one more);
 * --throughput is the total rate, each thread paced at its share by Kafka's ThroughputThrottler.
 * client.id defaults to perf-producer-client; --producer.config FILE is read first, then
 * --producer-props (which win). No transactions.
 */

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.SplittableRandom;

import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.server.util.ThroughputThrottler;

public final class SharedProducerPerf {
    private static void usage(String error) {
        System.err.println("usage: SharedProducerPerf --topic TOPIC --num-records N"
            + " (--record-size SIZE | --payload-file FILE) --throughput RATE [--threads N]"
            + " (--producer-props K=V [K=V ...] | --producer.config FILE)");
        if (error != null) {
            System.err.println("SharedProducerPerf: error: " + error);
        }
        System.exit(1);
    }

    public static void main(String[] args) throws Exception {
        String topic = null;
        long numRecords = -1;
        Integer recordSize = null;
        String payloadFile = null;
        Double throughput = null;
        int threads = 1;
        String configFile = null;
        List<String> props = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            boolean last = i + 1 >= args.length;
            switch (a) {
                case "--topic": if (last) usage(a + ": expected one argument"); topic = args[++i]; break;
                case "--num-records": if (last) usage(a + ": expected one argument"); numRecords = Long.parseLong(args[++i]); break;
                case "--record-size": if (last) usage(a + ": expected one argument"); recordSize = Integer.parseInt(args[++i]); break;
                case "--payload-file": if (last) usage(a + ": expected one argument"); payloadFile = args[++i]; break;
                case "--throughput": if (last) usage(a + ": expected one argument"); throughput = Double.parseDouble(args[++i]); break;
                case "--threads": if (last) usage(a + ": expected one argument"); threads = Integer.parseInt(args[++i]); break;
                case "--producer.config": if (last) usage(a + ": expected one argument"); configFile = args[++i]; break;
                case "--producer-props":
                    while (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                        props.add(args[++i]);
                    }
                    break;
                default: usage("unrecognized argument " + a);
            }
        }
        if (topic == null || numRecords <= 0 || throughput == null || threads < 1
                || (recordSize == null) == (payloadFile == null) || (props.isEmpty() && configFile == null)) {
            usage(null);
        }

        Properties p = new Properties();
        if (configFile != null) {
            try (InputStream in = new FileInputStream(configFile)) {
                p.load(in);
            }
        }
        for (String kv : props) {
            String[] pieces = kv.split("=");
            if (pieces.length != 2) {
                throw new IllegalArgumentException("Invalid property: " + kv);
            }
            p.put(pieces[0], pieces[1]);
        }
        p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "perf-producer-client");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());

        List<byte[]> payloadList = new ArrayList<>();
        if (payloadFile != null) {
            String text = new String(Files.readAllBytes(Paths.get(payloadFile)), StandardCharsets.UTF_8);
            for (String line : text.split("\n")) {
                payloadList.add(line.getBytes(StandardCharsets.UTF_8));
            }
            if (payloadList.isEmpty()) {
                throw new IOException("File does not exist or empty file provided.");
            }
        }

        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p);
        Stats stats = new Stats(numRecords, 5000);
        long startMs = System.currentTimeMillis();
        Thread[] workers = new Thread[threads];
        for (int k = 0; k < threads; k++) {
            long count = numRecords / threads + (k < numRecords % threads ? 1 : 0);
            double share = throughput > 0 ? throughput * count / numRecords : throughput;
            Caller caller = new Caller(producer, topic, stats, k, count, share, startMs, recordSize, payloadList);
            workers[k] = new Thread(caller, "perf-caller-" + k);
        }
        for (Thread t : workers) {
            t.start();
        }
        for (Thread t : workers) {
            t.join();
        }
        producer.close();
        stats.printTotal();
    }

    /** One caller thread: ProducerPerformance's send loop over its share of the records. */
    private static final class Caller implements Runnable {
        private final KafkaProducer<byte[], byte[]> producer;
        private final String topic;
        private final Stats stats;
        private final long count;
        private final ThroughputThrottler throttler;
        private final SplittableRandom random;
        private final byte[] payload;
        private final List<byte[]> payloadList;

        Caller(KafkaProducer<byte[], byte[]> producer, String topic, Stats stats, int k, long count,
               double throughput, long startMs, Integer recordSize, List<byte[]> payloadList) {
            this.producer = producer;
            this.topic = topic;
            this.stats = stats;
            this.count = count;
            this.throttler = new ThroughputThrottler(throughput, startMs);
            this.random = new SplittableRandom(k);
            this.payload = recordSize == null ? null : new byte[recordSize];
            this.payloadList = payloadList;
        }

        @Override
        public void run() {
            for (long i = 0; i < count; i++) {
                byte[] value;
                if (!payloadList.isEmpty()) {
                    value = payloadList.get(random.nextInt(payloadList.size()));
                } else {
                    for (int j = 0; j < payload.length; ++j) {
                        payload[j] = (byte) (random.nextInt(26) + 65);
                    }
                    value = payload;
                }
                ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, value);
                long sendStartMs = System.currentTimeMillis();
                producer.send(record, new PerfCallback(sendStartMs, value.length, stats));
                if (throttler.shouldThrottle(i, sendStartMs)) {
                    throttler.throttle();
                }
            }
        }
    }

    private static final class PerfCallback implements Callback {
        private final long start;
        private final int bytes;
        private final Stats stats;

        PerfCallback(long start, int bytes, Stats stats) {
            this.start = start;
            this.bytes = bytes;
            this.stats = stats;
        }

        @Override
        public void onCompletion(RecordMetadata metadata, Exception exception) {
            long now = System.currentTimeMillis();
            int latency = (int) (now - start);
            if (exception == null) {
                stats.record(latency, bytes, now);
            } else {
                exception.printStackTrace();
            }
        }
    }

    /** ProducerPerformance.Stats of Kafka 4.1.1; synchronized (callbacks come from the I/O thread). */
    private static final class Stats {
        private final long start;
        private final int[] latencies;
        private final long sampling;
        private final long reportingInterval;
        private long iteration;
        private int index;
        private long count;
        private long bytes;
        private int maxLatency;
        private long totalLatency;
        private long windowCount;
        private int windowMaxLatency;
        private long windowTotalLatency;
        private long windowBytes;
        private long windowStart;

        Stats(long numRecords, int reportingInterval) {
            this.start = System.currentTimeMillis();
            this.windowStart = System.currentTimeMillis();
            this.iteration = 0;
            this.sampling = numRecords / Math.min(numRecords, 500000);
            this.latencies = new int[(int) (numRecords / this.sampling) + 1];
            this.index = 0;
            this.maxLatency = 0;
            this.windowCount = 0;
            this.windowMaxLatency = 0;
            this.windowTotalLatency = 0;
            this.windowBytes = 0;
            this.totalLatency = 0;
            this.reportingInterval = reportingInterval;
        }

        synchronized void record(int latency, int bytes, long time) {
            this.count++;
            this.bytes += bytes;
            this.totalLatency += latency;
            this.maxLatency = Math.max(this.maxLatency, latency);
            this.windowCount++;
            this.windowBytes += bytes;
            this.windowTotalLatency += latency;
            this.windowMaxLatency = Math.max(windowMaxLatency, latency);
            if (this.iteration % this.sampling == 0) {
                this.latencies[index] = latency;
                this.index++;
            }
            if (time - windowStart >= reportingInterval) {
                printWindow();
                newWindow();
            }
            this.iteration++;
        }

        private void printWindow() {
            long elapsed = System.currentTimeMillis() - windowStart;
            double recsPerSec = 1000.0 * windowCount / (double) elapsed;
            double mbPerSec = 1000.0 * this.windowBytes / (double) elapsed / (1024.0 * 1024.0);
            System.out.printf("%d records sent, %.1f records/sec (%.2f MB/sec), %.1f ms avg latency, %.1f ms max latency.%n",
                windowCount, recsPerSec, mbPerSec, windowTotalLatency / (double) windowCount, (double) windowMaxLatency);
        }

        private void newWindow() {
            this.windowStart = System.currentTimeMillis();
            this.windowCount = 0;
            this.windowMaxLatency = 0;
            this.windowTotalLatency = 0;
            this.windowBytes = 0;
        }

        synchronized void printTotal() {
            long elapsed = System.currentTimeMillis() - start;
            double recsPerSec = 1000.0 * count / (double) elapsed;
            double mbPerSec = 1000.0 * this.bytes / (double) elapsed / (1024.0 * 1024.0);
            int[] percs = percentiles(this.latencies, index, 0.5, 0.95, 0.99, 0.999);
            System.out.printf("%d records sent, %.1f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max latency, %d ms 50th, %d ms 95th, %d ms 99th, %d ms 99.9th.%n",
                count, recsPerSec, mbPerSec, totalLatency / (double) count, (double) maxLatency,
                percs[0], percs[1], percs[2], percs[3]);
        }

        private static int[] percentiles(int[] latencies, int count, double... percentiles) {
            int size = Math.min(count, latencies.length);
            Arrays.sort(latencies, 0, size);
            int[] values = new int[percentiles.length];
            for (int i = 0; i < percentiles.length; i++) {
                int index = (int) (percentiles[i] * size);
                values[i] = latencies[index];
            }
            return values;
        }
    }
}
