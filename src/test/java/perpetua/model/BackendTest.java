package perpetua.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.cpu.nativecpu.CpuBackend;
import org.slf4j.Logger;

class BackendTest {

    @Test
    void defaultBuildReportsTheCpuBackendWithItsThreads() {
        Backend.Description d = Backend.describe();

        assertThat(d.backend()).isEqualTo("CPU");
        assertThat(d.isCuda()).isFalse();
        assertThat(d.backendClass()).isEqualTo(CpuBackend.class.getName());
        assertThat(d.blasVendor()).isEqualTo("OPENBLAS");
        assertThat(d.ompThreads()).isPositive();
        assertThat(d.blasThreads()).isPositive();
        assertThat(d.threads()).isEqualTo(d.ompThreads());
        assertThat(d.devices()).isEqualTo(1);
        assertThat(d.cudaDevices()).isEmpty();
        assertThat(d.cpuCores()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(d.maxHeapBytes()).isEqualTo(Runtime.getRuntime().maxMemory());
        assertThat(d.javacppMaxBytes()).isPositive();
        assertThat(d.javacppMaxPhysicalBytes()).isGreaterThanOrEqualTo(d.javacppMaxBytes());
    }

    @Test
    void summaryNamesBackendBlasThreadsAndMemoryOnOneLine() {
        Backend.Description d = Backend.describe();

        assertThat(d.summary())
                .startsWith("ND4J backend CPU (" + CpuBackend.class.getName() + ")")
                .contains(", BLAS OPENBLAS, threads ")
                .contains(", threads " + d.ompThreads() + " (omp ")
                .contains(", devices 1,")
                .contains(", JavaCPP max ")
                .doesNotContain("\n");
    }

    @Test
    void logsTheSummaryOnlyOncePerJvm() {
        List<String> first = new ArrayList<>();
        List<String> second = new ArrayList<>();

        Backend.logOnce(recording(first));
        Backend.logOnce(recording(second));

        // Another test in this JVM may have logged it already; never a second time.
        assertThat(first).hasSizeLessThanOrEqualTo(1);
        first.forEach(line -> assertThat(line).startsWith("INFO ND4J backend CPU ("));
        assertThat(second).isEmpty();
    }

    /** A logger that records each INFO and WARN call as "LEVEL message". */
    private static Logger recording(List<String> lines) {
        return (Logger)
                Proxy.newProxyInstance(
                        Logger.class.getClassLoader(),
                        new Class<?>[] {Logger.class},
                        (proxy, method, args) -> {
                            String name = method.getName();
                            if ((name.equals("info") || name.equals("warn")) && args != null) {
                                lines.add(name.toUpperCase(Locale.ROOT) + " " + args[0]);
                            }
                            return method.getReturnType() == boolean.class ? true : null;
                        });
    }

    @Test
    void cpuNativesLoadInTheDefaultBuild() {
        assertThat(Backend.nativeLoadErrors()).isEmpty();
    }

    @Test
    void bytesAreWrittenInBinaryUnits() {
        assertThat(Backend.bytes(0)).isEqualTo("0 B");
        assertThat(Backend.bytes(1023)).isEqualTo("1023 B");
        assertThat(Backend.bytes(1536)).isEqualTo("1.5 KiB");
        assertThat(Backend.bytes(4L << 30)).isEqualTo("4.0 GiB");
        assertThat(Backend.bytes(Long.MAX_VALUE)).isEqualTo("8.0 EiB");
    }

    @Test
    void summaryListsEachCudaDeviceWithItsMemory() {
        Backend.Description d =
                new Backend.Description(
                        "CUDA",
                        "org.nd4j.linalg.jcublas.JCublasBackend",
                        "CUBLAS",
                        "11.6.0",
                        0,
                        0,
                        8,
                        1,
                        List.of(new Backend.Device(0, "NVIDIA A100", 8, 0, 40L << 30, 39L << 30)),
                        "FLOAT",
                        16,
                        "Eclipse Adoptium 17.0.15",
                        4L << 30,
                        8L << 30,
                        8L << 30,
                        0,
                        1L << 30,
                        128L << 30);

        assertThat(d.threads()).isEqualTo(8);
        assertThat(d.summary())
                .contains("BLAS CUBLAS 11.6.0, threads 8, devices 1")
                .contains("[0] NVIDIA A100 sm_80 39.0 GiB of 40.0 GiB free")
                .doesNotContain("omp");
    }

    @Test
    void aSlotGetsItsShareOfTheCoresLessOneAndAtLeastOne() {
        assertThat(Backend.threadsPerSlot(2, 1)).isEqualTo(1);
        assertThat(Backend.threadsPerSlot(16, 4)).isEqualTo(3);
        assertThat(Backend.threadsPerSlot(8, 1)).isEqualTo(7);
        assertThat(Backend.threadsPerSlot(8, 8)).isEqualTo(1);
        assertThat(Backend.threadsPerSlot(4, 16)).isEqualTo(1);
        assertThat(Backend.threadsPerSlot(4, 0)).isEqualTo(3);
    }

    @Test
    void sizingTheThreadsSetsOpenMpAndBlas() {
        int cores = Runtime.getRuntime().availableProcessors();
        List<String> lines = new ArrayList<>();
        int threads = Backend.sizeThreads(1, recording(lines));
        assertThat(threads).isEqualTo(Backend.threadsPerSlot(cores, 1));
        assertThat(org.nd4j.linalg.factory.Nd4j.factory().blas().getMaxThreads())
                .isEqualTo(threads);
        assertThat(
                        org.nd4j.nativeblas.NativeOpsHolder.getInstance()
                                .getDeviceNativeOps()
                                .ompGetMaxThreads())
                .isEqualTo(threads);
    }
}
