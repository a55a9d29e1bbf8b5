package perpetua.model;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the Java dense kernel runs on the JDK's vector API ({@link VectorKernel}) or on plain
 * loops ({@link PrimitiveKernel}). The API is an incubator module in JDK 17 to 25: it is there only
 * when the JVM starts with {@code --add-modules jdk.incubator.vector}, which {@code ./perpetua},
 * the local cluster and the Flink configurations in {@code deploy/} pass. Without it, or with
 * {@code -Dperpetua.vector=false}, the plain loops run, and the first model says so in the log.
 */
public final class VectorSupport {
    /** The system property that turns the vector kernel off when set to {@code false}. */
    public static final String PROPERTY = "perpetua.vector";

    private static final String MODULE = "jdk.incubator.vector";
    private static final Logger LOG = LoggerFactory.getLogger(VectorSupport.class);
    private static final boolean PRESENT = ModuleLayer.boot().findModule(MODULE).isPresent();
    private static volatile boolean logged;

    private VectorSupport() {}

    /** Whether the Java kernel is the vector one in this JVM now. */
    public static boolean enabled() {
        boolean on = PRESENT && !"false".equalsIgnoreCase(System.getProperty(PROPERTY));
        if (!logged) {
            logged = true;
            LOG.info("dense layers on the Java kernel: {}", describe(on));
        }
        return on;
    }

    /** The Java kernel of this JVM in words, for the log and {@code ./perpetua doctor}. */
    public static String describe() {
        return describe(PRESENT && !"false".equalsIgnoreCase(System.getProperty(PROPERTY)));
    }

    private static String describe(boolean on) {
        if (on) {
            return "vector API, " + VectorKernel.SPECIES.vectorBitSize() + "-bit vectors";
        }
        return PRESENT
                ? "plain loops (-D" + PROPERTY + "=false)"
                : "plain loops (start the JVM with --add-modules "
                        + MODULE
                        + " for the vector API)";
    }
}
