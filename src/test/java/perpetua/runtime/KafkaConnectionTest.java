package perpetua.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Kafka client settings a command line gives, and what each kind of client receives. */
class KafkaConnectionTest {
    private static final String SECRET = "s3cr3t-Pa55";

    @TempDir Path dir;

    private Path file(String text) throws Exception {
        Path f = dir.resolve("client.properties");
        Files.writeString(f, text);
        return f;
    }

    @Test
    void theFileSetsEveryClientAndOverridesWinOverIt() throws Exception {
        Path f =
                file(
                        "bootstrap.servers=kafka-1:9093\n"
                                + "security.protocol=SASL_SSL\n"
                                + "sasl.mechanism=SCRAM-SHA-512\n"
                                + "sasl.jaas.config=org.apache.kafka.common.security.scram"
                                + ".ScramLoginModule required username=\"u\" password=\""
                                + SECRET
                                + "\";\n"
                                + "request.timeout.ms=5000\n");
        KafkaConnection k = KafkaConnection.configure(null, f, List.of("request.timeout.ms=7000"));
        assertThat(k.bootstrapServers()).isEqualTo("kafka-1:9093");
        List<Map<Object, Object>> clients =
                List.of(
                        new HashMap<>(k.consumerProperties()),
                        new HashMap<>(k.producerProperties()),
                        new HashMap<>(k.adminConfig()));
        for (Map<Object, Object> p : clients) {
            assertThat(p)
                    .containsEntry("bootstrap.servers", "kafka-1:9093")
                    .containsEntry("security.protocol", "SASL_SSL")
                    .containsEntry("request.timeout.ms", "7000")
                    .containsKey("sasl.jaas.config");
        }
        assertThat(KafkaConnection.configure("other:9092", f, List.of()).bootstrapServers())
                .isEqualTo("other:9092");
    }

    @Test
    void aSettingOfOneKindOfClientGoesToThatKindAlone() {
        KafkaConnection k =
                KafkaConnection.configure(
                        "k:9092",
                        null,
                        List.of(
                                "compression.type=zstd",
                                "isolation.level=read_uncommitted",
                                "my.plugin.setting=x"));
        assertThat(k.producerProperties())
                .containsEntry("compression.type", "zstd")
                .doesNotContainKey("isolation.level")
                .containsEntry("my.plugin.setting", "x");
        assertThat(k.consumerProperties())
                .containsEntry("isolation.level", "read_uncommitted")
                .doesNotContainKey("compression.type")
                .containsEntry("my.plugin.setting", "x");
        assertThat(k.adminConfig())
                .doesNotContainKey("compression.type")
                .doesNotContainKey("isolation.level");
    }

    @Test
    void itsDescriptionAndErrorsNeverShowAValue() throws Exception {
        KafkaConnection k =
                KafkaConnection.configure(
                        "k:9093",
                        null,
                        List.of(
                                "security.protocol=SASL_SSL",
                                "sasl.mechanism=PLAIN",
                                "ssl.truststore.password=" + SECRET));
        assertThat(k.toString()).isEqualTo("k:9093 (SASL_SSL, PLAIN)").doesNotContain(SECRET);
        assertThatThrownBy(() -> KafkaConnection.configure("k:9093", null, List.of(SECRET)))
                .hasMessageContaining("KEY=VALUE")
                .hasMessageNotContaining(SECRET);
        assertThatThrownBy(
                        () ->
                                KafkaConnection.configure(
                                        "k:9093", dir.resolve("absent.properties"), List.of()))
                .hasMessageContaining("no Kafka client configuration file");
    }

    @Test
    void withoutServersAnywhereTheDefaultOrAnErrorApplies() {
        assertThat(KafkaConnection.configure(null, null, List.of()).bootstrapServers())
                .isEqualTo(KafkaConnection.DEFAULT_BOOTSTRAP_SERVERS);
        assertThatThrownBy(() -> KafkaConnection.configure(null, null, List.of(), null))
                .hasMessageContaining("--bootstrap-servers");
    }
}
