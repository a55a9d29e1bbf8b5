package perpetua.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import perpetua.testing.Cli;

class DoctorTest {

    @Test
    void reportsTheCpuBackendAndAHealthyProduct() {
        Cli.Run run = Cli.perpetua("doctor", "--gemm", "64");

        assertThat(run.exitCode()).isZero();
        List<String> lines = Arrays.asList(run.out().split("\n"));
        assertThat(lines)
                .extracting(l -> l.split(":", 2)[0])
                .containsExactly(
                        "backend",
                        "blas",
                        "threads",
                        "devices",
                        "data type",
                        "jvm",
                        "cpu cores",
                        "java kernel",
                        "javacpp",
                        "gemm",
                        "status");
        assertThat(run.out())
                .contains("backend:   CPU (org.nd4j.linalg.cpu.nativecpu.CpuBackend)\n")
                .contains("blas:      OPENBLAS\n")
                .contains("devices:   1\n")
                .contains("cpu cores: " + Runtime.getRuntime().availableProcessors() + "\n")
                .contains("java kernel: vector API, 256-bit vectors\n")
                .contains("gemm:      64x64 * 64x64 float, max error ")
                .endsWith("status:    healthy\n");
        String threads = lines.get(2).replaceFirst("^threads:\\s+(\\d+).*", "$1");
        assertThat(Integer.parseInt(threads)).isPositive();
    }

    @Test
    void smallProductAgreesWithPlainJava() {
        Doctor.GemmCheck g = Doctor.GemmCheck.run(33, 7L);

        assertThat(g.ok()).isTrue();
        assertThat(g.maxError()).isLessThan(1e-5);
    }

    @Test
    void missingNativesExitNonZeroAndSayWhy() {
        PrintStream savedErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int code;
        try {
            code =
                    new picocli.CommandLine(
                                    new Doctor(
                                            () -> {
                                                throw new RuntimeException(
                                                        "Could not load ND4J backend",
                                                        new UnsatisfiedLinkError(
                                                                "no jnind4jcuda in"
                                                                        + " java.library.path"));
                                            },
                                            () ->
                                                    List.of(
                                                            "CUDA: java.lang.UnsatisfiedLinkError:"
                                                                    + " libcuda.so.1: cannot open"
                                                                    + " shared object file")))
                            .execute();
        } finally {
            System.setErr(savedErr);
        }

        assertThat(code).isEqualTo(Doctor.NO_BACKEND);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .startsWith("doctor: ND4J cannot load its native backend.\n")
                .contains("java.lang.UnsatisfiedLinkError: no jnind4jcuda in java.library.path")
                .contains("  natives of CUDA: java.lang.UnsatisfiedLinkError: libcuda.so.1: ");
    }
}
