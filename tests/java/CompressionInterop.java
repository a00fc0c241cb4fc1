// Oracle for tests/compression_java.rs: writes compressed RecordBatch v2 batches with
// kafka-clients' own MemoryRecordsBuilder, and reads batches written by the Rust builder with
// MemoryRecords.readableRecords, for the four codecs. Run as a single-file program against the
// Kafka jars (no broker):
//
//   java -cp '<kafka libs dir>/*' tests/java/CompressionInterop.java < jobs
//
// Jobs on stdin, one per block of lines:
//
//   WRITE <codec> <level|default>     compress the records that follow into one batch
//   R <timestamp> <key> <value> <headers>
//   ...
//   END
//   READ <batches hex>                read every batch of a buffer
//
// A byte string (key, value, header value) is "-" for null, else "x" followed by its bytes in
// hex ("x" alone is empty). <headers> is "-" for none, else comma-separated "<name>=<value>"
// with the name as a byte string too (never null).
//
// Output, one block per job in order, each ended by a line "END":
//
//   WRITE: BATCH <hex of the whole buffer>
//          UNCOMPRESSED <MemoryRecordsBuilder.uncompressedBytesWritten()>
//          RATIO <MemoryRecordsBuilder.compressionRatio()>
//   READ:  for each batch (after ensureValid()):
//          B <codec> <count> <baseOffset> <lastOffset> <maxTimestamp> <producerId>
//            <producerEpoch> <baseSequence> <isTransactional>
//          and for each of its records:
//          R <timestamp> <offset> <key> <value> <headers>
//   A job that fails prints "ERROR <exception>" instead (then "END").

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.MemoryRecordsBuilder;
import org.apache.kafka.common.record.MutableRecordBatch;
import org.apache.kafka.common.record.Record;
import org.apache.kafka.common.record.TimestampType;

public class CompressionInterop {
    private static final HexFormat HEX = HexFormat.of();

    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split(" ");
            try {
                switch (f[0]) {
                    case "WRITE":
                        write(f[1], f[2], readRecords(in), out);
                        break;
                    case "READ":
                        read(HEX.parseHex(f[1]), out);
                        break;
                    default:
                        throw new IllegalArgumentException("unknown job " + f[0]);
                }
            } catch (Exception e) {
                out.println("ERROR " + e.toString().replace('\n', ' '));
            }
            out.println("END");
        }
        out.flush();
    }

    private static List<String[]> readRecords(BufferedReader in) throws IOException {
        List<String[]> records = new ArrayList<>();
        String line;
        while ((line = in.readLine()) != null && !line.equals("END")) {
            records.add(line.split(" "));
        }
        return records;
    }

    private static Compression compression(String codec, String level) {
        boolean dflt = level.equals("default");
        int l = dflt ? 0 : Integer.parseInt(level);
        switch (codec) {
            case "none":
                return Compression.NONE;
            case "gzip":
                return dflt ? Compression.gzip().build() : Compression.gzip().level(l).build();
            case "snappy":
                return Compression.snappy().build();
            case "lz4":
                return dflt ? Compression.lz4().build() : Compression.lz4().level(l).build();
            case "zstd":
                return dflt ? Compression.zstd().build() : Compression.zstd().level(l).build();
            default:
                throw new IllegalArgumentException("unknown codec " + codec);
        }
    }

    private static void write(String codec, String level, List<String[]> records, PrintStream out) {
        MemoryRecordsBuilder builder = MemoryRecords.builder(
            ByteBuffer.allocate(1024), compression(codec, level), TimestampType.CREATE_TIME, 0L);
        for (String[] r : records) {
            builder.append(Long.parseLong(r[1]), bytes(r[2]), bytes(r[3]), headers(r[4]));
        }
        MemoryRecords built = builder.build();
        ByteBuffer buf = built.buffer().duplicate();
        byte[] b = new byte[buf.remaining()];
        buf.get(b);
        out.println("BATCH " + HEX.formatHex(b));
        out.println("UNCOMPRESSED " + builder.uncompressedBytesWritten());
        out.println("RATIO " + (float) builder.compressionRatio());
    }

    private static void read(byte[] bytes, PrintStream out) {
        MemoryRecords records = MemoryRecords.readableRecords(ByteBuffer.wrap(bytes));
        StringBuilder sb = new StringBuilder();
        for (MutableRecordBatch batch : records.batches()) {
            batch.ensureValid();
            sb.setLength(0);
            sb.append("B ").append(batch.compressionType().name)
                .append(' ').append(batch.countOrNull())
                .append(' ').append(batch.baseOffset())
                .append(' ').append(batch.lastOffset())
                .append(' ').append(batch.maxTimestamp())
                .append(' ').append(batch.producerId())
                .append(' ').append(batch.producerEpoch())
                .append(' ').append(batch.baseSequence())
                .append(' ').append(batch.isTransactional());
            out.println(sb);
            for (Record r : batch) {
                sb.setLength(0);
                sb.append("R ").append(r.timestamp())
                    .append(' ').append(r.offset())
                    .append(' ').append(token(r.hasKey() ? r.key() : null))
                    .append(' ').append(token(r.hasValue() ? r.value() : null))
                    .append(' ');
                Header[] hs = r.headers();
                if (hs.length == 0) {
                    sb.append('-');
                }
                for (int i = 0; i < hs.length; i++) {
                    if (i > 0) {
                        sb.append(',');
                    }
                    sb.append(token(hs[i].key().getBytes(StandardCharsets.UTF_8)))
                        .append('=').append(token(hs[i].value()));
                }
                out.println(sb);
            }
        }
    }

    private static byte[] bytes(String token) {
        if (token.equals("-")) {
            return null;
        }
        return HEX.parseHex(token.substring(1));
    }

    private static Header[] headers(String token) {
        if (token.equals("-")) {
            return new Header[0];
        }
        String[] parts = token.split(",");
        Header[] hs = new Header[parts.length];
        for (int i = 0; i < parts.length; i++) {
            String[] kv = parts[i].split("=", 2);
            hs[i] = new RecordHeader(new String(bytes(kv[0]), StandardCharsets.UTF_8), bytes(kv[1]));
        }
        return hs;
    }

    private static String token(byte[] b) {
        return b == null ? "-" : "x" + HEX.formatHex(b);
    }

    private static String token(ByteBuffer b) {
        if (b == null) {
            return "-";
        }
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return token(a);
    }
}
