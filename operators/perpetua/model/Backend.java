package perpetua.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.factory.Environment;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;
import org.slf4j.Logger;

/**
 * The ND4J backend this JVM computes on: CPU ({@code nd4j-native}) or CUDA ({@code nd4j-cuda-11.6},
 * the {@code cuda} Maven profile), its BLAS, threads, devices and native memory.
 *
 * <p>{@link #describe()} loads ND4J (and so its natives) and throws what ND4J throws when it
 * cannot; {@link #logOnce(Logger)} never throws, so a job can call it on any path.
 */
public final class Backend {

    // Keys of OpExecutioner.getEnvironmentInformation() in ND4J 1.0.0-M2.1: DefaultOpExecutioner
    // sets cores; NativeOpExecutioner (CPU) adds backend, omp.threads, blas.threads, blas.vendor;
    // CudaExecutioner adds backend, blas.vendor, cuda.availableDevices, cuda.devicesInformation.
    static final String BACKEND = "backend";
    static final String BLAS_VENDOR = "blas.vendor";
    static final String OMP_THREADS = "omp.threads";
    static final String BLAS_THREADS = "blas.threads";
    static final String CUDA_DEVICES = "cuda.availableDevices";
    static final String CUDA_DEVICE_INFO = "cuda.devicesInformation";

    // The backend is one per JVM, so one line per TaskManager however many Learners open in it.
    private static final AtomicBoolean LOGGED = new AtomicBoolean();
    private static final AtomicBoolean SIZED = new AtomicBoolean();

    private Backend() {}

    /** One CUDA device as the backend reports it. */
    public record Device(
            int index, String name, int major, int minor, long totalBytes, long freeBytes) {}

    /**
     * What computes this JVM's ND4J math.
     *
     * @param backend {@code CPU} or {@code CUDA}
     * @param backendClass the {@code Nd4jBackend} class ND4J loaded
     * @param blasVendor {@code OPENBLAS}, {@code MKL} or {@code CUBLAS}
     * @param blasVersion major.minor.patch of that BLAS where ND4J reports it (cuBLAS), else empty
     * @param ompThreads OpenMP threads of the CPU backend; 0 on CUDA, which does not report them
     * @param blasThreads BLAS threads of the CPU backend; 0 on CUDA
     * @param maxThreads the native library's own thread limit ({@code Environment.maxThreads})
     * @param devices devices of the affinity manager: 1 on CPU, the GPUs on CUDA
     * @param cudaDevices each GPU with its memory; empty on CPU
     * @param dataType ND4J's default floating-point type
     * @param cpuCores processors available to the JVM
     * @param jvm the Java runtime's vendor and version
     * @param maxHeapBytes the JVM's maximum heap
     * @param javacppMaxBytes JavaCPP's limit on off-heap bytes it allocates ({@code
     *     -Dorg.bytedeco.javacpp.maxBytes})
     * @param javacppMaxPhysicalBytes JavaCPP's limit on the process's physical memory ({@code
     *     -Dorg.bytedeco.javacpp.maxPhysicalBytes})
     * @param javacppTotalBytes off-heap bytes JavaCPP holds now
     * @param physicalBytes the process's resident memory now
     * @param totalPhysicalBytes the machine's physical memory
     */
    public record Description(
            String backend,
            String backendClass,
            String blasVendor,
            String blasVersion,
            int ompThreads,
            int blasThreads,
            int maxThreads,
            int devices,
            List<Device> cudaDevices,
            String dataType,
            int cpuCores,
            String jvm,
            long maxHeapBytes,
            long javacppMaxBytes,
            long javacppMaxPhysicalBytes,
            long javacppTotalBytes,
            long physicalBytes,
            long totalPhysicalBytes) {

        /** Whether the math runs on a GPU. */
        public boolean isCuda() {
            return "CUDA".equals(backend);
        }

        /** The threads the math can use: OpenMP's on CPU, the native limit otherwise. */
        public int threads() {
            return ompThreads > 0 ? ompThreads : maxThreads;
        }

        /** The description on one line, as {@link #logOnce} writes it. */
        public String summary() {
            StringBuilder s = new StringBuilder();
            s.append("ND4J backend ").append(backend).append(" (").append(backendClass).append(')');
            s.append(", BLAS ").append(blasVendor);
            if (!blasVersion.isEmpty()) {
                s.append(' ').append(blasVersion);
            }
            s.append(", threads ").append(threads());
            if (!isCuda()) {
                s.append(" (omp ").append(ompThreads).append(", blas ").append(blasThreads);
                s.append(')');
            }
            s.append(", devices ").append(devices);
            for (Device d : cudaDevices) {
                s.append(
                        String.format(
                                ", [%d] %s sm_%d%d %s of %s free",
                                d.index(),
                                d.name(),
                                d.major(),
                                d.minor(),
                                bytes(d.freeBytes()),
                                bytes(d.totalBytes())));
            }
            s.append(", ").append(dataType);
            s.append(", cores ").append(cpuCores);
            s.append(", heap max ").append(bytes(maxHeapBytes));
            s.append(", JavaCPP max ").append(bytes(javacppMaxBytes));
            s.append(" (physical max ").append(bytes(javacppMaxPhysicalBytes));
            s.append(", in use ").append(bytes(javacppTotalBytes)).append(')');
            return s.toString();
        }
    }

    /**
     * Describes the backend, loading ND4J if nothing has yet.
     *
     * @throws LinkageError or RuntimeException as ND4J does when its natives do not load
     */
    public static Description describe() {
        Properties info = Nd4j.getExecutioner().getEnvironmentInformation();
        Environment env = Nd4j.getEnvironment();
        List<Device> cuda = new ArrayList<>();
        if (info.get(CUDA_DEVICE_INFO) instanceof List<?> devices) {
            for (int i = 0; i < devices.size(); i++) {
                if (devices.get(i) instanceof Map<?, ?> d) {
                    cuda.add(
                            new Device(
                                    i,
                                    String.valueOf(d.get("cuda.deviceName")),
                                    (int) number(d.get("cuda.deviceMajor")),
                                    (int) number(d.get("cuda.deviceMinor")),
                                    number(d.get("cuda.totalMemory")),
                                    number(d.get("cuda.freeMemory"))));
                }
            }
        }
        Runtime rt = Runtime.getRuntime();
        return new Description(
                String.valueOf(info.getOrDefault(BACKEND, env.isCPU() ? "CPU" : "unknown")),
                Nd4j.getBackend().getClass().getName(),
                String.valueOf(info.getOrDefault(BLAS_VENDOR, "unknown")),
                blasVersion(env),
                (int) number(info.get(OMP_THREADS)),
                (int) number(info.get(BLAS_THREADS)),
                env.maxThreads(),
                Nd4j.getAffinityManager().getNumberOfDevices(),
                List.copyOf(cuda),
                Nd4j.dataType().name(),
                rt.availableProcessors(),
                System.getProperty("java.vm.vendor") + " " + System.getProperty("java.version"),
                rt.maxMemory(),
                Pointer.maxBytes(),
                Pointer.maxPhysicalBytes(),
                Pointer.totalBytes(),
                Pointer.physicalBytes(),
                Pointer.totalPhysicalBytes());
    }

    /**
     * ND4J's threads for one task slot of a TaskManager with {@code cores} processors and {@code
     * slots} slots: the slot's share of the cores less one, and at least one. A slot runs more than
     * the Learner (the source, decoding, the sinks and their Kafka clients share it), and a pool
     * sized to every core fights Flink's threads for them: a batched GEMM layer ran 3 times faster
     * with one OpenMP thread than with two on a 2-core TaskManager of one slot (see DESIGN.md).
     */
    public static int threadsPerSlot(int cores, int slots) {
        return Math.max(1, cores / Math.max(1, slots) - 1);
    }

    /**
     * Sizes ND4J's thread pools to one slot ({@link #threadsPerSlot}) for the calling thread, the
     * one that runs the Learner's math: OpenMP's (set per calling thread) and OpenBLAS's, which run
     * the GEMMs. The native library's own pool, for element-wise ops, keeps the size it took from
     * {@code OMP_NUM_THREADS} when it loaded (ND4J 1.0.0-M2.1 does not shrink it at run time); an
     * op on a micro-batch's activations is below its threshold for more than one thread anyway.
     * Logs the size the first time in this JVM. Never throws: where ND4J does not load there is
     * nothing to size.
     *
     * @return the threads, or 0 when ND4J did not load
     */
    public static int sizeThreads(int slots, Logger log) {
        int cores = Runtime.getRuntime().availableProcessors();
        int threads = threadsPerSlot(cores, slots);
        try {
            Nd4j.getEnvironment().setMaxThreads(threads);
            Nd4j.getEnvironment().setMaxMasterThreads(threads);
            Nd4j.factory().blas().setMaxThreads(threads);
            NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(threads);
        } catch (LinkageError | RuntimeException e) {
            return 0;
        }
        if (log != null && SIZED.compareAndSet(false, true)) {
            log.info(
                    "ND4J threads sized to the slot: {} (OpenMP and OpenBLAS; {} cores, {} slots"
                            + " per TaskManager: a slot's share less one, at least one)",
                    threads,
                    cores,
                    slots);
        }
        return threads;
    }

    /** Off-heap bytes JavaCPP has allocated for ND4J in this JVM and not yet freed. */
    public static long offHeapBytes() {
        return Pointer.totalBytes();
    }

    /** This JVM's physical memory (resident set) as JavaCPP reads it. */
    public static long physicalBytes() {
        return Pointer.physicalBytes();
    }

    /**
     * Logs the backend's {@link Description#summary() summary} at INFO the first time any caller in
     * this JVM asks; when ND4J cannot load, logs why at WARN instead and lets the caller go on.
     */
    public static void logOnce(Logger log) {
        if (!LOGGED.compareAndSet(false, true)) {
            return;
        }
        try {
            log.info(describe().summary());
        } catch (LinkageError | RuntimeException e) {
            log.warn("ND4J backend unavailable in this JVM: {}", rootCause(e));
        }
    }

    /** The innermost cause of a failure to load ND4J, as {@code Class: message}. */
    public static String rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getName() + ": " + t.getMessage();
    }

    /** A byte count in binary units with one decimal: {@code 512 B}, {@code 3.9 GiB}. */
    public static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /**
     * Why this JVM cannot load the natives of the ND4J backends on its classpath, tried in the
     * order ND4J tries them, or empty when they load. ND4J itself reports only that no backend is
     * available; the linker's message (a missing {@code libcuda.so.1}, {@code libcublas.so.11},
     * ...) is what says what to install.
     */
    public static List<String> nativeLoadErrors() {
        List<String> errors = new ArrayList<>();
        // Each backend's JavaCPP classes whose loading pulls in its whole chain of libraries.
        String[][] probes = {
            {"CUDA", "org.bytedeco.cuda.global.cudart"},
            {"CUDA", "org.nd4j.linalg.jcublas.bindings.Nd4jCuda"},
            {"CPU", "org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu"}
        };
        ClassLoader loader = Backend.class.getClassLoader();
        for (String[] probe : probes) {
            Class<?> bindings;
            try {
                bindings = Class.forName(probe[1], false, loader);
            } catch (ClassNotFoundException | LinkageError absent) {
                continue; // that backend is not on the classpath
            }
            try {
                Loader.load(bindings);
            } catch (LinkageError | RuntimeException e) {
                errors.add(probe[0] + ": " + rootCause(e));
            }
        }
        return errors;
    }

    // The CPU backend reports 0.0.0 (it does not ask OpenBLAS); CUDA reports cuBLAS's version.
    private static String blasVersion(Environment env) {
        int major = env.blasMajorVersion();
        int minor = env.blasMinorVersion();
        int patch = env.blasPatchVersion();
        return major == 0 && minor == 0 && patch == 0 ? "" : major + "." + minor + "." + patch;
    }

    private static long number(Object value) {
        return value instanceof Number n ? n.longValue() : 0L;
    }
}
