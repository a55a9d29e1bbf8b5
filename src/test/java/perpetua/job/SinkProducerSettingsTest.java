package perpetua.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Properties;
import org.junit.jupiter.api.Test;

class SinkProducerSettingsTest {
    @Test
    void sinksBatchForTheirCheckpointsUnlessTheUserSaysOtherwise() {
        Properties defaults =
                KafkaIo.sinkProducerProperties(
                        JobOptions.fromArgs("--bootstrap-servers", "localhost:1"));
        assertThat(defaults.getProperty("linger.ms")).isEqualTo("50");
        assertThat(defaults.getProperty("batch.size")).isEqualTo(String.valueOf(256 * 1024));

        Properties chosen =
                KafkaIo.sinkProducerProperties(
                        JobOptions.fromArgs(
                                "--bootstrap-servers",
                                "localhost:1",
                                "--kafka-property",
                                "linger.ms=3",
                                "--kafka-property",
                                "batch.size=16384"));
        assertThat(chosen.getProperty("linger.ms")).isEqualTo("3");
        assertThat(chosen.getProperty("batch.size")).isEqualTo("16384");
    }

    @Test
    void theSinksOwnNeedsWinOverTheUsersSettings() {
        Properties props =
                KafkaIo.sinkProducerProperties(
                        JobOptions.fromArgs(
                                "--bootstrap-servers",
                                "localhost:1",
                                "--kafka-property",
                                "max.request.size=1024",
                                "--transaction-timeout",
                                "5 min"));
        assertThat(props.getProperty("max.request.size"))
                .isEqualTo(String.valueOf(KafkaIo.MAX_SNAPSHOT_BYTES));
        assertThat(props.getProperty("transaction.timeout.ms")).isEqualTo("300000");
    }
}
