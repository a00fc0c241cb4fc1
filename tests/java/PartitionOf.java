// Oracle for tests/java_murmur2.rs: prints the partition the Java client gives to each of a
// deterministic set of keys. Run as a single-file program against the Kafka jars:
//
//   java -cp '<kafka libs dir>/*' tests/java/PartitionOf.java COUNT N1 [N2 ...]
//
// Keys (the Rust test generates the same ones):
//   COUNT string keys "key-<i>", i = 0 .. COUNT-1, serialized with StringSerializer;
//   COUNT int keys, serialized with IntegerSerializer (4 bytes big-endian): for i < COUNT/2,
//   i - COUNT/4 (small values around zero), else i * 0x9E3779B1 (wrapping: spread over the
//   whole int range, negatives included).
// One line per key, tab-separated:
//   s|i  KEY  Utils.murmur2(bytes)  BuiltInPartitioner.partitionForKey(bytes, N1)  [... N2 ...]

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;

import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.serialization.IntegerSerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;

public class PartitionOf {
    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: PartitionOf COUNT N1 [N2 ...]");
            System.exit(2);
        }
        int count = Integer.parseInt(args[0]);
        int[] partitions = new int[args.length - 1];
        for (int j = 1; j < args.length; j++) {
            partitions[j - 1] = Integer.parseInt(args[j]);
        }
        StringSerializer strings = new StringSerializer();
        IntegerSerializer ints = new IntegerSerializer();
        BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
        for (int i = 0; i < count; i++) {
            String key = "key-" + i;
            line(out, "s", key, strings.serialize("topic", key), partitions);
        }
        for (int i = 0; i < count; i++) {
            int key = i < count / 2 ? i - count / 4 : i * 0x9E3779B1;
            line(out, "i", Integer.toString(key), ints.serialize("topic", key), partitions);
        }
        out.flush();
    }

    private static void line(BufferedWriter out, String kind, String key, byte[] bytes, int[] partitions)
            throws IOException {
        StringBuilder sb = new StringBuilder(64);
        sb.append(kind).append('\t').append(key).append('\t').append(Utils.murmur2(bytes));
        for (int n : partitions) {
            sb.append('\t').append(BuiltInPartitioner.partitionForKey(bytes, n));
        }
        sb.append('\n');
        out.write(sb.toString());
    }
}
