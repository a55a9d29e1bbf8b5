package perpetua.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import perpetua.model.Backend;
import perpetua.model.VectorSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Says what this machine computes Perpetua's math on, and whether it computes it right.
 *
 * <p>Prints the ND4J backend, its BLAS, threads, devices (with their memory on CUDA), the JVM, the
 * CPU cores and JavaCPP's memory limits, then multiplies two seeded random matrices with ND4J and
 * checks the product against a plain Java loop. Exits 0 when healthy, {@value #GEMM_WRONG} when the
 * product is wrong and {@value #NO_BACKEND} when ND4J cannot load its natives.
 */
@Command(
        name = "doctor",
        mixinStandardHelpOptions = true,
        description = {
            "Show the ND4J backend, BLAS, threads, devices and memory; check a GEMM.",
            "The product of two seeded random N x N float matrices is checked against plain"
                    + " Java.",
            "Exit 0 when healthy, 1 when the product is wrong, 3 when ND4J cannot load.",
            "PERPETUA_PROFILE=cuda ./perpetua doctor runs it on the CUDA backend."
        })
final class Doctor implements Callable<Integer> {
    static final int HEALTHY = 0;
    static final int GEMM_WRONG = 1;
    static final int NO_BACKEND = 3;

    @Option(
            names = "--gemm",
            defaultValue = "256",
            description = "Size N of the N x N x N product checked (default: ${DEFAULT-VALUE}).")
    int n;

    private final Supplier<Backend.Description> backend;
    private final Supplier<List<String>> nativeLoadErrors;

    Doctor() {
        this(Backend::describe, Backend::nativeLoadErrors);
    }

    Doctor(Supplier<Backend.Description> backend, Supplier<List<String>> nativeLoadErrors) {
        this.backend = backend;
        this.nativeLoadErrors = nativeLoadErrors;
    }

    @Override
    public Integer call() {
        if (n < 1) {
            System.err.println("doctor: --gemm must be at least 1, was " + n);
            return 2;
        }
        PrintStream out = System.out;
        // Before ND4J tries: once it has, a class whose natives failed reports only that.
        List<String> nativeErrors = nativeLoadErrors.get();
        Backend.Description d;
        try {
            d = backend.get();
        } catch (LinkageError | RuntimeException e) {
            out.flush();
            System.err.println("doctor: ND4J cannot load its native backend.");
            for (String cause : causes(e)) {
                System.err.println("  " + cause);
            }
            for (String error : nativeErrors) {
                System.err.println("  natives of " + error);
            }
            System.err.println(
                    "  CPU: the nd4j-native linux-x86_64 jar must be on the classpath (the default"
                            + " build).");
            System.err.println(
                    "  CUDA (-Pcuda, PERPETUA_PROFILE=cuda): an NVIDIA driver, the CUDA 11"
                            + " libraries (cudart, cublas, cublasLt, cusolver; or -Pcuda,cuda-redist)"
                            + " and a GPU of compute capability 3.7 or 5.0 to 8.9 (not Hopper).");
            return NO_BACKEND;
        }
        row(out, "backend", d.backend() + " (" + d.backendClass() + ")");
        row(out, "blas", (d.blasVendor() + " " + d.blasVersion()).strip());
        row(
                out,
                "threads",
                d.threads()
                        + (d.isCuda()
                                ? ""
                                : " (omp " + d.ompThreads() + ", blas " + d.blasThreads() + ")"));
        row(out, "devices", Integer.toString(d.devices()));
        for (Backend.Device g : d.cudaDevices()) {
            row(
                    out,
                    "device " + g.index(),
                    String.format(
                            "%s, compute %d.%d, %s total, %s free",
                            g.name(),
                            g.major(),
                            g.minor(),
                            Backend.bytes(g.totalBytes()),
                            Backend.bytes(g.freeBytes())));
        }
        row(out, "data type", d.dataType());
        row(out, "jvm", d.jvm() + ", max heap " + Backend.bytes(d.maxHeapBytes()));
        row(out, "cpu cores", Integer.toString(d.cpuCores()));
        row(out, "java kernel", VectorSupport.describe());
        row(
                out,
                "javacpp",
                String.format(
                        "maxBytes %s, maxPhysicalBytes %s, in use %s, physical %s of %s",
                        Backend.bytes(d.javacppMaxBytes()),
                        Backend.bytes(d.javacppMaxPhysicalBytes()),
                        Backend.bytes(d.javacppTotalBytes()),
                        Backend.bytes(d.physicalBytes()),
                        Backend.bytes(d.totalPhysicalBytes())));
        GemmCheck g = GemmCheck.run(n, 42L);
        row(
                out,
                "gemm",
                String.format(
                        "%dx%d * %dx%d float, max error %.2e (bound %.2e), nd4j %.3f ms,"
                                + " java loop %.3f ms",
                        n, n, n, n, g.maxError(), g.bound(), g.nd4jMillis(), g.loopMillis()));
        if (!g.ok()) {
            row(out, "status", "UNHEALTHY: ND4J's product differs from plain Java");
            return GEMM_WRONG;
        }
        row(out, "status", "healthy");
        return HEALTHY;
    }

    private static void row(PrintStream out, String key, String value) {
        out.printf("%-10s %s%n", key + ":", value);
    }

    private static List<String> causes(Throwable e) {
        List<String> out = new ArrayList<>();
        for (Throwable t = e; t != null && out.size() < 8; t = t.getCause()) {
            out.add(
                    t.getMessage() == null
                            ? t.getClass().getName()
                            : t.getClass().getName() + ": " + t.getMessage());
            if (t.getCause() == t) {
                break;
            }
        }
        return out;
    }

    /**
     * One {@code C = A B} of seeded uniform floats in [-1, 1), by ND4J and by a triple loop in
     * double precision; the best of three ND4J runs after a warm-up, and one loop.
     */
    record GemmCheck(double maxError, double bound, double nd4jMillis, double loopMillis) {
        boolean ok() {
            return maxError <= bound;
        }

        static GemmCheck run(int n, long seed) {
            Random random = new Random(seed);
            float[] a = new float[n * n];
            float[] b = new float[n * n];
            for (int i = 0; i < a.length; i++) {
                a[i] = random.nextFloat() * 2 - 1;
                b[i] = random.nextFloat() * 2 - 1;
            }
            INDArray x = Nd4j.create(a, new long[] {n, n}, 'c');
            INDArray y = Nd4j.create(b, new long[] {n, n}, 'c');
            INDArray z = Nd4j.create(DataType.FLOAT, n, n);
            x.mmuli(y, z); // warm-up: loads kernels, sizes thread pools
            long best = Long.MAX_VALUE;
            for (int r = 0; r < 3; r++) {
                long t0 = System.nanoTime();
                x.mmuli(y, z);
                Nd4j.getExecutioner().commit(); // CUDA runs asynchronously
                best = Math.min(best, System.nanoTime() - t0);
            }
            float[] c = z.data().asFloat();

            long t0 = System.nanoTime();
            double[] expected = new double[n * n];
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < n; k++) {
                    double aik = a[i * n + k];
                    for (int j = 0; j < n; j++) {
                        expected[i * n + j] += aik * b[k * n + j];
                    }
                }
            }
            long loop = System.nanoTime() - t0;

            double maxError = 0;
            for (int i = 0; i < c.length; i++) {
                maxError = Math.max(maxError, Math.abs(c[i] - expected[i]));
            }
            // Each term is below 1 in magnitude; float32 summation of n of them errs by about
            // n * 2^-24 in the worst order, so 4x that leaves room for any blocking order.
            double bound = 4.0 * n * Math.ulp(1.0f);
            return new GemmCheck(maxError, bound, best / 1e6, loop / 1e6);
        }
    }
}
