import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Summaries for bench/run.sh.
 *
 * <pre>
 *   BenchReport table RESULTS.tsv          markdown table: median (min–max) per target, ratios ours/peer
 *   BenchReport jfrtop FILE.jfr [N]        hottest frames of a JFR recording (self and inclusive, in %), its
 *                                          file I/O and compilations
 *   BenchReport aptop FILE.collapsed [N] [REGEX]   the same for async-profiler's collapsed stacks (kernel frames
 *                                          too), only over stacks matching REGEX when given
 * </pre>
 *
 * RESULTS.tsv rows: scenario, metric, target, run, value.
 */
public final class BenchReport {

    private static final List<String> TARGETS = List.of("ota-proxy", "nginx", "squid", "origin", "jetty-floor",
            "jetty-core");

    public static void main(String[] args) throws Exception {
        if (args.length >= 2 && args[0].equals("table")) {
            table(Path.of(args[1]));
        } else if (args.length >= 2 && args[0].equals("jfrtop")) {
            jfrTop(Path.of(args[1]), args.length > 2 ? Integer.parseInt(args[2]) : 20);
        } else if (args.length >= 2 && args[0].equals("aptop")) {
            asyncTop(Path.of(args[1]), args.length > 2 ? Integer.parseInt(args[2]) : 20, args.length > 3 ? args[3] : null);
        } else {
            System.err.println("usage: BenchReport table RESULTS.tsv | jfrtop FILE.jfr [N] | aptop FILE.collapsed [N]");
            System.exit(2);
        }
    }

    static void table(Path tsv) throws Exception {
        // scenario+metric -> target -> values, in order of first appearance
        Map<String, Map<String, List<Double>>> data = new LinkedHashMap<>();
        for (String line : Files.readAllLines(tsv)) {
            String[] f = line.split("\t");
            if (f.length < 5 || f[0].equals("scenario")) {
                continue;
            }
            double v;
            try {
                v = Double.parseDouble(f[4]);
            } catch (NumberFormatException e) {
                continue;
            }
            data.computeIfAbsent(f[0] + "\t" + f[1], k -> new LinkedHashMap<>())
                    .computeIfAbsent(f[2], k -> new ArrayList<>()).add(v);
        }
        System.out.println("| scenario | metric | better | ota-proxy | nginx | squid | origin direct | Jetty floor"
                + " | Jetty core floor | ours/nginx | ours/squid | ours/floor |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|");
        for (Map.Entry<String, Map<String, List<Double>>> e : data.entrySet()) {
            String[] key = e.getKey().split("\t");
            Map<String, List<Double>> byTarget = e.getValue();
            StringBuilder row = new StringBuilder("| " + key[0] + " | " + key[1] + " | " + better(key[1]) + " |");
            for (String t : TARGETS) {
                row.append(' ').append(cell(byTarget.get(t))).append(" |");
            }
            Double ours = median(byTarget.get("ota-proxy"));
            row.append(' ').append(ratio(ours, median(byTarget.get("nginx")))).append(" |");
            row.append(' ').append(ratio(ours, median(byTarget.get("squid")))).append(" |");
            row.append(' ').append(ratio(ours, median(byTarget.get("jetty-floor")))).append(" |");
            System.out.println(row);
        }
    }

    private static String better(String metric) {
        if (metric.contains("mbps") || metric.equals("rps") || metric.equals("slow_served")
                || metric.equals("slow_at_rate")) {
            return "higher";
        }
        if (metric.contains("errors") || metric.contains("non2xx")) {
            return "0";
        }
        if (metric.startsWith("upstream") || metric.startsWith("clients") || metric.equals("hits")
                || metric.equals("stalled_open")) {
            return "info";
        }
        return "lower";
    }

    private static String cell(List<Double> values) {
        if (values == null || values.isEmpty()) {
            return "–";
        }
        List<Double> s = new ArrayList<>(values);
        Collections.sort(s);
        String med = fmt(median(s));
        if (s.size() == 1) {
            return med + " (n=1)";
        }
        return med + " (" + fmt(s.get(0)) + "–" + fmt(s.get(s.size() - 1)) + ", n=" + s.size() + ")";
    }

    private static Double median(List<Double> values) {
        if (values == null || values.isEmpty()) {
            return null;
        }
        List<Double> s = new ArrayList<>(values);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private static String ratio(Double a, Double b) {
        if (a == null || b == null || b == 0) {
            return "–";
        }
        return String.format(Locale.ROOT, "%.2f", a / b);
    }

    private static String fmt(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e9) {
            return String.valueOf((long) v);
        }
        if (Math.abs(v) >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (Math.abs(v) >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%.3f", v);
    }

    // ------------------------------------------------------------------ JFR

    static void jfrTop(Path file, int n) throws Exception {
        Map<String, Integer> self = new HashMap<>();
        Map<String, Integer> inclusive = new HashMap<>();
        Map<String, Integer> nativeSelf = new HashMap<>();
        Map<String, Integer> threads = new HashMap<>();
        Map<String, long[]> io = new HashMap<>();
        Map<String, Long> allocations = new HashMap<>();
        long[] allocTotal = new long[1];
        Map<String, long[]> compiledMethods = new HashMap<>();
        long[][] compilers = new long[2][2]; // C1, C2: count, nanoseconds
        int samples = 0;
        int nativeSamples = 0;
        try (RecordingFile rf = new RecordingFile(file)) {
            while (rf.hasMoreEvents()) {
                RecordedEvent ev = rf.readEvent();
                String type = ev.getEventType().getName();
                boolean exec = type.equals("jdk.ExecutionSample");
                boolean nat = type.equals("jdk.NativeMethodSample");
                if (type.equals("jdk.FileForce") || type.equals("jdk.FileWrite") || type.equals("jdk.FileRead")) {
                    RecordedStackTrace st = ev.getStackTrace();
                    String where = st == null ? "?" : firstOurs(st.getFrames());
                    long[] agg = io.computeIfAbsent(type + "  <-  " + where, k -> new long[2]);
                    agg[0]++;
                    agg[1] += ev.getDuration().toNanos();
                    continue;
                }
                if (type.equals("jdk.Compilation")) {
                    long nanos = ev.getDuration().toNanos();
                    int level = ev.getInt("compileLevel");
                    long[] c = compilers[level == 4 ? 1 : 0];
                    c[0]++;
                    c[1] += nanos;
                    String method = ev.getValue("method") instanceof jdk.jfr.consumer.RecordedMethod m
                            ? m.getType().getName() + "." + m.getName() : "?";
                    String key = method + " (level " + level + ")";
                    long[] agg = compiledMethods.computeIfAbsent(key, k -> new long[2]);
                    agg[0]++;
                    agg[1] += nanos;
                    continue;
                }
                if (type.equals("jdk.ObjectAllocationSample")) {
                    RecordedStackTrace st = ev.getStackTrace();
                    String where = st == null || st.getFrames().isEmpty() ? "?" : name(st.getFrames().get(0))
                            + "  <-  " + firstOurs(st.getFrames());
                    String cls = ev.getClass("objectClass") == null ? "?" : ev.getClass("objectClass").getName();
                    allocations.merge(cls + "  @  " + where, ev.getLong("weight"), Long::sum);
                    allocTotal[0] += ev.getLong("weight");
                    continue;
                }
                if (!exec && !nat) {
                    continue;
                }
                RecordedStackTrace st = ev.getStackTrace();
                if (st == null || st.getFrames().isEmpty()) {
                    continue;
                }
                List<RecordedFrame> frames = st.getFrames();
                String top = name(frames.get(0));
                if (nat) {
                    nativeSamples++;
                    // the first frame of ours or Jetty's says who is waiting in native code
                    nativeSelf.merge(top + "  <-  " + firstInteresting(frames), 1, Integer::sum);
                    continue;
                }
                samples++;
                self.merge(top, 1, Integer::sum);
                java.util.Set<String> seen = new java.util.HashSet<>();
                for (RecordedFrame f : frames) {
                    String m = name(f);
                    if (seen.add(m)) {
                        inclusive.merge(m, 1, Integer::sum);
                    }
                }
                String thread = ev.getThread("sampledThread") == null ? "?" : ev.getThread("sampledThread").getJavaName();
                threads.merge(thread == null ? "?" : thread.replaceAll("[-0-9]+$", ""), 1, Integer::sum);
            }
        }
        System.out.println("execution samples: " + samples + ", native method samples: " + nativeSamples);
        print("top self frames (% of execution samples)", self, samples, n);
        print("top inclusive frames (% of execution samples)", inclusive, samples, n);
        print("threads (% of execution samples)", threads, samples, 8);
        print("native method samples: top frame <- first ota-proxy/Jetty frame", nativeSelf, nativeSamples, 10);
        if (!allocations.isEmpty()) {
            System.out.println();
            System.out.printf(Locale.ROOT, "allocation (sampled weight, %.0f MB in all): class @ allocating frame <- first ota-proxy frame%n",
                    allocTotal[0] / 1e6);
            allocations.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(8)
                    .forEach(e -> System.out.printf(Locale.ROOT, "  %5.1f%%  %s%n", 100.0 * e.getValue() / allocTotal[0],
                            e.getKey()));
        }
        if (compilers[0][0] + compilers[1][0] > 0) {
            System.out.println();
            System.out.printf(Locale.ROOT, "compilations: C1 %d in %.0f ms, C2 %d in %.0f ms (compiler threads' wall"
                    + " time)%n", compilers[0][0], compilers[0][1] / 1e6, compilers[1][0], compilers[1][1] / 1e6);
            System.out.println("longest compiled methods: count, total ms, method");
            compiledMethods.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]))
                    .limit(15).forEach(e -> System.out.printf(Locale.ROOT, "  %4d  %8.1f  %s%n",
                            e.getValue()[0], e.getValue()[1] / 1e6, e.getKey()));
        }
        if (!io.isEmpty()) {
            System.out.println();
            System.out.println("file I/O events above the recording's threshold: count, total ms, mean ms, event <- first ota-proxy frame");
            io.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1])).limit(12)
                    .forEach(e -> System.out.printf(Locale.ROOT, "  %6d  %9.1f  %7.2f  %s%n", e.getValue()[0],
                            e.getValue()[1] / 1e6, e.getValue()[1] / 1e6 / e.getValue()[0], e.getKey()));
        }
    }

    private static String firstOurs(List<RecordedFrame> frames) {
        for (RecordedFrame f : frames) {
            String m = name(f);
            if (m.startsWith("io.otaproxy")) {
                return m;
            }
        }
        return "?";
    }

    /**
     * Collapsed stacks ({@code frame;frame;...;leaf count}, root first): self and inclusive shares, and the share of
     * samples under a few buckets that name where CPU goes on the hot paths.
     */
    static void asyncTop(Path file, int n, String only) throws Exception {
        java.util.regex.Pattern filter = only == null ? null : java.util.regex.Pattern.compile(only);
        Map<String, Long> self = new HashMap<>();
        Map<String, Long> inclusive = new HashMap<>();
        Map<String, Long> buckets = new LinkedHashMap<>();
        String[][] rules = {
            {"kernel: file read into user space (pread)", "pread"},
            {"kernel: socket send (write/writev)", "writev|sock_write_iter|tcp_sendmsg"},
            {"kernel: socket receive", "tcp_recvmsg|sock_read_iter"},
            {"kernel: epoll / wakeups", "epoll_wait|ep_poll|EventFD|futex"},
            {"user-space memory copies (arraycopy / Unsafe.copyMemory)", "arraycopy|copyMemory|Copy::"},
            {"JDK temporary direct buffer (heap buffer I/O)", "Util.getTemporaryDirectBuffer|Util.offerFirstTemporaryDirectBuffer"},
            {"sha256 (MessageDigest)", "SHA2|sha256|DigestBase"},
            {"fsync (force)", "force0|fsync|fdatasync"},
            {"file open/close/stat", "open0|close0|stat0|do_sys_open|filp_close|__x64_sys_close"},
            {"HTTP parsing and generation (Jetty)", "HttpParser|HttpGenerator"},
            {"ota-proxy servlet code (io.otaproxy, inclusive)", "io/otaproxy|io.otaproxy"},
            {"Felix HTTP dispatch (inclusive)", "org/apache/felix/http|org.apache.felix.http"},
            {"JIT compiler threads", "CompileBroker|C2Compiler|Compile::"},
            {"GC", "G1|GCTaskThread|ParallelGC|ConcurrentGCThread"},
            {"logging", "slf4j|SimpleLogger"},
        };
        java.util.regex.Pattern[] patterns = new java.util.regex.Pattern[rules.length];
        for (int i = 0; i < rules.length; i++) {
            patterns[i] = java.util.regex.Pattern.compile(rules[i][1]);
            buckets.put(rules[i][0], 0L);
        }
        long total = 0;
        for (String line : Files.readAllLines(file)) {
            int sp = line.lastIndexOf(' ');
            if (sp < 0) {
                continue;
            }
            long count = Long.parseLong(line.substring(sp + 1).trim());
            String stack = line.substring(0, sp);
            if (filter != null && !filter.matcher(stack).find()) {
                continue;
            }
            String[] frames = stack.split(";");
            total += count;
            self.merge(frames[frames.length - 1], count, Long::sum);
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (String f : frames) {
                if (seen.add(f)) {
                    inclusive.merge(f, count, Long::sum);
                }
            }
            for (int i = 0; i < rules.length; i++) {
                if (patterns[i].matcher(stack).find()) {
                    buckets.merge(rules[i][0], count, Long::sum);
                }
            }
        }
        System.out.println("cpu samples: " + total + (only == null ? "" : " (only stacks matching " + only + ")"));
        printLong("top self frames (% of cpu samples)", self, total, n);
        printLong("top inclusive frames (% of cpu samples)", inclusive, total, n);
        System.out.println();
        System.out.println("where the cpu goes (a sample can be in several buckets):");
        for (Map.Entry<String, Long> e : buckets.entrySet()) {
            System.out.printf(Locale.ROOT, "  %5.1f%%  %s%n", 100.0 * e.getValue() / Math.max(1, total), e.getKey());
        }
    }

    private static void printLong(String title, Map<String, Long> counts, long total, int n) {
        System.out.println();
        System.out.println(title + ":");
        counts.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(n)
                .forEach(e -> System.out.printf(Locale.ROOT, "  %5.1f%%  %s%n", 100.0 * e.getValue() / Math.max(1, total),
                        e.getKey()));
    }

    private static String firstInteresting(List<RecordedFrame> frames) {
        for (RecordedFrame f : frames) {
            String m = name(f);
            if (m.startsWith("io.otaproxy") || m.startsWith("org.eclipse.jetty")) {
                return m;
            }
        }
        return "?";
    }

    private static String name(RecordedFrame f) {
        return f.getMethod().getType().getName() + "." + f.getMethod().getName();
    }

    private static void print(String title, Map<String, Integer> counts, int total, int n) {
        System.out.println();
        System.out.println(title + ":");
        counts.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue()).limit(n)
                .forEach(e -> System.out.printf(Locale.ROOT, "  %5.1f%%  %s%n", 100.0 * e.getValue() / Math.max(1, total),
                        e.getKey()));
    }
}
